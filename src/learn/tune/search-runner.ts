import type { Progress } from '../../data/dataset-service.js';
import type { Actor, TrackingService } from '../../tracking/tracking-service.js';
import { topK, type HalvingSchedule } from './halving.js';
import type { TrialRecord } from './leaderboard.js';
import { scoreOf, type Objective } from './objective.js';
import type { Candidate, ParamValue } from './search-space.js';
import type { TrialPool } from './trial-pool.js';

/** Everything one search needs: the candidates, how to run a trial, where to log it. */
export interface SearchPlan {
  readonly candidates: readonly Candidate[];
  /** The learner's parameters every trial starts from (defaults and fixed overrides). */
  readonly base: Readonly<Record<string, ParamValue>>;
  /** `rows`, or the name of the integer learner parameter that halving raises. */
  readonly resource: string;
  /** Rungs of successive halving; absent for a plain search (one rung, every candidate on all rows). */
  readonly schedule?: HalvingSchedule;
  readonly trainRows: number;
  readonly objective: Objective;
  readonly experimentId: string;
  readonly parentRunId: string;
}

/**
 * Runs the rungs: every live candidate of a rung runs in parallel on the pool,
 * each as a child run of the tuning run (tag `mlflow.parentRunId`) with its
 * params, rung, resource, validation metrics and score; the best
 * `ceil(n / factor)` go on to the next rung. Returns every trial, in start order.
 */
export async function runSearch(tracking: TrackingService, actor: Actor, pool: TrialPool, plan: SearchPlan, progress: Progress): Promise<TrialRecord[]> {
  const { schedule, objective, resource } = plan;
  const rungs = schedule?.resources.length ?? 1;
  const total = schedule ? schedule.candidates.reduce((a, b) => a + b, 0) : plan.candidates.length;
  const records: TrialRecord[] = [];
  let alive = plan.candidates.map((_, i) => i);
  let started = 0;
  let finished = 0;
  let best: TrialRecord | undefined;
  const unit = resource === 'rows' ? 'rows' : resource;
  for (let rung = 1; rung <= rungs; rung++) {
    const amount = schedule ? schedule.resources[rung - 1]! : resource === 'rows' ? plan.trainRows : Number(plan.base[resource]);
    progress(`rung ${rung}/${rungs}: ${alive.length} candidate(s) on ${amount.toLocaleString('en-US')} ${unit}`);
    const results = await Promise.all(
      alive.map(async (index) => {
        const trial = ++started;
        const onResource = resource !== 'rows' && schedule ? { [resource]: amount } : {};
        const searched: Candidate = { ...plan.candidates[index]!, ...onResource };
        const params = { ...plan.base, ...searched };
        const run = await tracking.createRun(actor, {
          experimentId: plan.experimentId,
          runName: `trial ${trial}`,
          parentRunId: plan.parentRunId,
          tags: [
            { key: 'orchard.kind', value: 'trial' },
            { key: 'orchard.rung', value: String(rung) },
          ],
        });
        const runId = run.info.runId;
        await tracking.logBatch(actor, runId, { params: Object.entries(params).map(([key, value]) => ({ key, value: String(value) })) });
        const outcome = await pool.run({ params, rows: resource === 'rows' && schedule ? amount : plan.trainRows });
        const metrics = outcome.ok ? outcome.metrics : {};
        const value = outcome.ok ? (metrics[objective.metric] ?? Number.NaN) : Number.NaN;
        const record: TrialRecord = {
          trial,
          runId,
          rung,
          resource: amount,
          candidate: index,
          params: searched,
          status: outcome.ok ? 'FINISHED' : 'FAILED',
          value,
          metrics,
          ...(outcome.ok ? {} : { error: outcome.error }),
          seconds: outcome.seconds,
        };
        const numbers = { rung, resource: amount, ...(Number.isNaN(value) ? {} : { score: value }), fit_seconds: outcome.seconds, ...Object.fromEntries(Object.entries(metrics).map(([k, v]) => [`valid_${k}`, v])) };
        await tracking.logBatch(actor, runId, {
          metrics: Object.entries(numbers).filter(([, v]) => Number.isFinite(v)).map(([key, v]) => ({ key, value: v })),
          tags: outcome.ok ? [] : [{ key: 'orchard.error', value: outcome.error.slice(0, 8000) }],
        });
        await tracking.updateRun(actor, runId, { status: record.status });
        finished++;
        if (!Number.isNaN(value) && (!best || scoreOf(objective, { [objective.metric]: value }) > scoreOf(objective, { [objective.metric]: best.value }))) best = record;
        const shown = outcome.ok ? `${objective.metric} ${format(value)}` : `FAILED: ${outcome.error.split('\n')[0]!.slice(0, 200)}`;
        progress(`rung ${rung}/${rungs} · trial ${trial} (${finished} of ${total} done) · ${describe(searched)} · ${shown} · best so far ${best ? `${format(best.value)} (trial ${best.trial})` : '–'}`);
        return record;
      }),
    );
    records.push(...results);
    if (rung < rungs) {
      const keep = Math.ceil(alive.length / schedule!.factor);
      alive = topK(results.map((r) => scoreOf(objective, r.metrics)), keep).map((i) => alive[i]!);
    }
  }
  return records.sort((a, b) => a.trial - b.trial);
}

/** The search's choice, as scikit-learn's halving searches make it: the best score of the last rung that scored any trial. */
export function bestTrial(records: readonly TrialRecord[], objective: Objective): TrialRecord | undefined {
  const scored = records.filter((r) => !Number.isNaN(r.value));
  if (scored.length === 0) return undefined;
  const lastRung = Math.max(...scored.map((r) => r.rung));
  const rung = scored.filter((r) => r.rung === lastRung);
  return rung[topK(rung.map((r) => scoreOf(objective, r.metrics)), 1)[0]!];
}

function format(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toPrecision(5);
}

function describe(params: Candidate): string {
  return Object.entries(params)
    .map(([k, v]) => `${k}=${typeof v === 'number' && !Number.isInteger(v) ? Number(v.toPrecision(4)) : String(v)}`)
    .join(' ');
}
