import { accuracy, mae, rmse, rocAuc } from '../learn/metrics.js';

/** One labelled prediction: when it was made, what was predicted, the truth, when the truth arrived. */
export interface LabelledPrediction {
  readonly ts: number;
  readonly prediction: number;
  readonly label: number;
  readonly receivedAt: number;
}

export interface WindowPerformance {
  /** Start of the window (ms since the epoch, aligned to the window size from the epoch). */
  readonly start: number;
  readonly end: number;
  /** Predictions logged in the window (returned to callers; shadow predictions excluded). */
  readonly predictions: number;
  /** Of those, how many have a label so far. */
  readonly labelled: number;
  /** AUC (both classes present), accuracy at 0.5 — for binary labels; else null. */
  readonly auc: number | null;
  readonly accuracy: number | null;
  /** RMSE and MAE — for numeric (regression) labels; else null. */
  readonly rmse: number | null;
  readonly mae: number | null;
  /** Median time from prediction to label, in ms; null with no labels. */
  readonly labelDelayMs: number | null;
}

export type PerformanceTask = 'binary' | 'regression';

/** Binary when every label is 0 or 1; regression otherwise. */
export function inferTask(rows: readonly LabelledPrediction[]): PerformanceTask {
  return rows.every((r) => r.label === 0 || r.label === 1) ? 'binary' : 'regression';
}

/**
 * Metrics per window, pure. `counts` gives the logged predictions per window start (so
 * windows without labels still appear); a window with no labels has null metrics, and
 * AUC is null when its labels hold one class only — never NaN.
 */
export function performanceByWindow(rows: readonly LabelledPrediction[], counts: ReadonlyMap<number, number>, windowMs: number, task: PerformanceTask): WindowPerformance[] {
  const groups = new Map<number, LabelledPrediction[]>();
  for (const start of counts.keys()) groups.set(start, []);
  for (const r of rows) {
    const start = Math.floor(r.ts / windowMs) * windowMs;
    if (!groups.has(start)) groups.set(start, []);
    groups.get(start)!.push(r);
  }
  return [...groups.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([start, g]) => {
      const labels = Float64Array.from(g, (r) => r.label);
      const preds = Float64Array.from(g, (r) => r.prediction);
      const delays = g.map((r) => r.receivedAt - r.ts).sort((a, b) => a - b);
      const n = g.length;
      const bothClasses = task === 'binary' && labels.includes(0) && labels.includes(1);
      return {
        start,
        end: start + windowMs,
        predictions: counts.get(start) ?? n,
        labelled: n,
        auc: bothClasses ? rocAuc(labels, preds) : null,
        accuracy: task === 'binary' && n > 0 ? accuracy(labels, preds.map((p) => (p >= 0.5 ? 1 : 0))) : null,
        rmse: task === 'regression' && n > 0 ? rmse(labels, preds) : null,
        mae: task === 'regression' && n > 0 ? mae(labels, preds) : null,
        labelDelayMs: n === 0 ? null : n % 2 === 1 ? delays[(n - 1) / 2]! : (delays[n / 2 - 1]! + delays[n / 2]!) / 2,
      };
    });
}

/** `1d`, `6h`, `30m`, `1w` → milliseconds. */
export function parseWindow(text: string): number | undefined {
  const m = /^(\d+)\s*(m|h|d|w)$/.exec(text.trim());
  if (!m) return undefined;
  const unit = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[m[2] as 'm' | 'h' | 'd' | 'w'];
  const n = Number(m[1]) * unit;
  return n > 0 ? n : undefined;
}
