import type { HalvingSchedule } from './halving.js';
import type { Objective } from './objective.js';
import type { Candidate, ParamValue } from './search-space.js';

/** One trial of a search: a candidate fitted on one rung's resource and scored on the validation rows. */
export interface TrialRecord {
  /** 1-based, in the order trials started. */
  readonly trial: number;
  /** The trial's child run. */
  readonly runId: string;
  /** 1-based rung (always 1 without halving). */
  readonly rung: number;
  /** Training rows, or the resource parameter's value, the trial got. */
  readonly resource: number;
  /** Index of the candidate in the search's candidate list. */
  readonly candidate: number;
  /** The searched parameters' values (plus the resource parameter when it is one). */
  readonly params: Candidate;
  readonly status: 'FINISHED' | 'FAILED';
  /** The objective metric's value on the validation rows (NaN when the trial failed). */
  readonly value: number;
  /** Every validation metric. */
  readonly metrics: Readonly<Record<string, number>>;
  readonly error?: string;
  readonly seconds: number;
}

/** Trials best first: later rungs first (they got more resource), then by score; failures last. */
export function rankTrials(trials: readonly TrialRecord[], objective: Objective): TrialRecord[] {
  const sign = objective.direction === 'maximize' ? 1 : -1;
  const score = (t: TrialRecord) => (Number.isNaN(t.value) ? Number.NEGATIVE_INFINITY : sign * t.value);
  return [...trials].sort((a, b) => {
    const af = Number.isNaN(a.value);
    const bf = Number.isNaN(b.value);
    if (af !== bf) return af ? 1 : -1;
    return b.rung - a.rung || score(b) - score(a) || a.trial - b.trial;
  });
}

/** The leaderboard artifact (`leaderboard.json` of the tuning run). */
export interface Leaderboard {
  readonly metric: string;
  readonly direction: Objective['direction'];
  readonly resource: string;
  readonly schedule: { readonly resources: readonly number[]; readonly candidates: readonly number[]; readonly factor: number } | null;
  readonly best: { readonly trial: number; readonly runId: string; readonly params: Readonly<Record<string, ParamValue>>; readonly value: number };
  readonly trials: readonly (Omit<TrialRecord, 'value'> & { readonly rank: number; readonly value: number | null })[];
}

export function leaderboard(ranked: readonly TrialRecord[], objective: Objective, resource: string, schedule: HalvingSchedule | undefined, best: TrialRecord, bestParams: Readonly<Record<string, ParamValue>>): Leaderboard {
  return {
    metric: objective.metric,
    direction: objective.direction,
    resource,
    schedule: schedule ? { resources: schedule.resources, candidates: schedule.candidates, factor: schedule.factor } : null,
    best: { trial: best.trial, runId: best.runId, params: bestParams, value: best.value },
    // JSON has no NaN: a failed trial's value is null.
    trials: ranked.map((t, i) => ({ ...t, rank: i + 1, value: Number.isNaN(t.value) ? null : t.value })),
  };
}
