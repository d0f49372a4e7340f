import { invalidArgument, isOrchardError, OrchardError } from '../../core/errors.js';
import type { Comparison } from '../../learn/evaluation-service.js';
import { step } from '../step.js';
import { types, type JsonValue } from '../types.js';

/** Metrics where a smaller value is better; every other metric is better larger. */
const LOWER_IS_BETTER = new Set(['rmse', 'mae', 'mse', 'logloss', 'log_loss', 'brier']);

export interface GateInput {
  /** The candidate's metrics on the gate's data. */
  readonly metrics: Readonly<Record<string, number>>;
  /** Smallest allowed value per metric. */
  readonly min: Readonly<Record<string, number>>;
  /** Largest allowed value per metric. */
  readonly max: Readonly<Record<string, number>>;
  /** The current champion (`flights@3`), or null when there is none. */
  readonly champion: string | null;
  /** The candidate compared with the champion on the same rows; null without a champion. */
  readonly comparison: Comparison | null;
  /** How much better than the champion the candidate must be (in the comparison's metric). */
  readonly margin: number;
  /** Also require the bootstrap interval of the difference to exclude 0. */
  readonly significant: boolean;
}

/**
 * The gate's verdict (pure): every threshold, then "beats the champion". Passes when all
 * hold; `reasons` says why for each check, failed ones first.
 * @throws OrchardError `INVALID_ARGUMENT` for thresholds on metrics the evaluation does not have.
 */
export function gateVerdict(g: GateInput): { passed: boolean; reasons: string[] } {
  const unknown = [...Object.keys(g.min), ...Object.keys(g.max)].filter((k) => g.metrics[k] === undefined);
  if (unknown.length > 0) throw invalidArgument(`The gate has thresholds on ${unknown.map((k) => `'${k}'`).join(', ')}, which the evaluation does not report; known metrics: ${Object.keys(g.metrics).join(', ')}.`);
  const failed: string[] = [];
  const passed: string[] = [];
  const fmt = (x: number) => (Number.isInteger(x) ? String(x) : x.toFixed(4));
  for (const [k, bound] of Object.entries(g.min)) (g.metrics[k]! >= bound ? passed : failed).push(`${k} ${fmt(g.metrics[k]!)} ${g.metrics[k]! >= bound ? '>=' : '<'} ${fmt(bound)} (min)`);
  for (const [k, bound] of Object.entries(g.max)) (g.metrics[k]! <= bound ? passed : failed).push(`${k} ${fmt(g.metrics[k]!)} ${g.metrics[k]! <= bound ? '<=' : '>'} ${fmt(bound)} (max)`);
  if (g.champion === null || g.comparison === null) passed.push('no champion yet: the first model passes');
  else {
    const c = g.comparison;
    const sign = LOWER_IS_BETTER.has(c.metric) ? -1 : 1;
    // Improvement in the better direction, and the interval's worse end.
    const gain = sign * c.difference;
    const worst = sign === 1 ? c.low : -c.high;
    const beats = gain > g.margin && (!g.significant || worst > 0);
    const text = `${c.metric} ${gain >= 0 ? 'better' : 'worse'} than champion ${g.champion} by ${fmt(Math.abs(gain))} (95% interval of the difference ${fmt(c.low)} … ${fmt(c.high)}; needs more than ${fmt(g.margin)}${g.significant ? ', interval above 0' : ''})`;
    (beats ? passed : failed).push(text);
  }
  return { passed: failed.length === 0, reasons: [...failed, ...passed] };
}

function numbers(value: JsonValue, what: string): Record<string, number> {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || Object.values(value).some((v) => typeof v !== 'number')) {
    throw invalidArgument(`${what} must map metric names to numbers, such as { auc: 0.7 }, got ${JSON.stringify(value)}.`);
  }
  return value as Record<string, number>;
}

/**
 * Validates a candidate model (a training or tuning run id) on a dataset version: metric
 * thresholds (`min`, `max`), and — when `registeredModel` has a model at `alias` (default
 * `champion`) — it must beat that champion on the same rows by more than `margin`, in the
 * `compareOn` metric (default AUC for binary models; `log_loss`, `brier`, `accuracy`, `rmse`, …). The first
 * model passes when there is no champion. On failure, `onFail: 'fail'` (default) fails the
 * run with the reasons; `'skip'` outputs `passed: false`, and steps wired with
 * `when: gate.outputs.passed.truthy()` (and everything after them) are skipped.
 *
 * Cached like any step: its key holds the candidate and the data, not the champion, so a
 * rerun with nothing changed reuses the verdict; pass `cache: false` to judge again after the
 * champion moved.
 * @example p.step(steps.gate, { inputs: { model: t.outputs.runId, data: s.outputs.test }, params: { registeredModel: 'flights', min: { auc: 0.6 } } })
 */
export const gate = step({
  name: 'gate',
  description: 'Check metric thresholds and that the model beats the current champion',
  inputs: { model: types.string, data: types.string },
  outputs: { passed: types.boolean, reasons: types.list(types.string), champion: types.string, metrics: types.json<Record<string, number>>() },
  params: { registeredModel: '', alias: 'champion', min: {} as JsonValue, max: {} as JsonValue, compareOn: '', margin: 0, significant: false, onFail: 'fail', rounds: 200, seed: 0 },
  run: async ({ inputs, params, actor, log, orchard }) => {
    if (params.onFail !== 'fail' && params.onFail !== 'skip') throw invalidArgument(`onFail must be 'fail' or 'skip', got '${params.onFail}'.`);
    const min = numbers(params.min, "The gate's min param");
    const max = numbers(params.max, "The gate's max param");
    const platform = await orchard();
    let champion: { ref: string; runId: string } | null = null;
    if (params.registeredModel !== '') {
      try {
        const v = await platform.registry.getByAlias(params.registeredModel, params.alias);
        if (v.runId === null) throw invalidArgument(`Champion ${v.name}@${v.version} has no run to compare with (source ${v.source}); point '${params.alias}' at a version registered from a run.`);
        champion = { ref: `${v.name}@${v.version}`, runId: v.runId };
      } catch (error) {
        // No such model or alias yet: there is no champion to beat.
        if (!(isOrchardError(error) && error.code === 'NOT_FOUND')) throw error;
      }
    }
    const against = champion !== null && champion.runId !== inputs.model ? champion.runId : undefined;
    const r = await platform.evaluation.evaluate(actor, { model: inputs.model, data: inputs.data, against, compareOn: params.compareOn === '' ? undefined : params.compareOn, rounds: params.rounds, seed: params.seed });
    const verdict = gateVerdict({ metrics: r.metrics, min, max, champion: against ? champion!.ref : null, comparison: r.comparison ?? null, margin: params.margin, significant: params.significant });
    if (champion !== null && against === undefined) verdict.reasons.push(`the candidate is champion ${champion.ref} itself`);
    log.metrics({ ...r.metrics, passed: verdict.passed ? 1 : 0 });
    if (r.comparison) log.metrics({ champion_difference: r.comparison.difference, champion_difference_low: r.comparison.low, champion_difference_high: r.comparison.high });
    log.tag('orchard.gate', verdict.passed ? 'passed' : 'failed');
    log.tag('orchard.evaluation_run', r.runId);
    console.log(`gate ${verdict.passed ? 'passed' : 'failed'}:\n  ${verdict.reasons.join('\n  ')}`);
    if (!verdict.passed && params.onFail === 'fail') {
      throw new OrchardError('CONFLICT', `Model of run ${inputs.model} did not pass the gate on ${r.dataset}: ${verdict.reasons.join('; ')}. Improve the model, change the thresholds, or use onFail: 'skip' to skip the steps after the gate instead.`, {
        details: { reasons: verdict.reasons },
      });
    }
    return { passed: verdict.passed, reasons: verdict.reasons, champion: champion?.ref ?? '', metrics: r.metrics };
  },
});
