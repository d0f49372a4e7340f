import { accuracy, logLoss, mae, rmse, rocAuc } from '../learn/metrics.js';

/** One labelled prediction: when it was made, what was predicted, the truth, when the truth arrived. */
export interface LabelledPrediction {
  readonly ts: number;
  readonly prediction: number;
  readonly label: number;
  readonly receivedAt: number;
}

/** Metrics of a set of labelled predictions; metrics that do not apply are null, never NaN. */
export interface LabelledMetrics {
  /** How many predictions have a label. */
  readonly labelled: number;
  /** AUC (both classes present), accuracy at 0.5, log loss — for binary labels; else null. */
  readonly auc: number | null;
  readonly accuracy: number | null;
  readonly logLoss: number | null;
  /** Mean label and mean prediction (for binary labels: the observed rate and the predicted probability). */
  readonly meanLabel: number | null;
  readonly meanPrediction: number | null;
  /** |mean label − mean prediction| for binary labels: how far the probabilities are off the observed rate. */
  readonly calibrationError: number | null;
  /** RMSE and MAE — for numeric (regression) labels; else null. */
  readonly rmse: number | null;
  readonly mae: number | null;
  /** Median time from prediction to label, in ms; null with no labels. */
  readonly labelDelayMs: number | null;
}

export interface WindowPerformance extends LabelledMetrics {
  /** Start of the window (ms since the epoch, aligned to the window size from the epoch). */
  readonly start: number;
  readonly end: number;
  /** Predictions logged in the window (returned to callers; shadow predictions excluded). */
  readonly predictions: number;
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
    .map(([start, g]) => ({ start, end: start + windowMs, predictions: counts.get(start) ?? g.length, ...labelledMetrics(g, task) }));
}

/** Metrics of labelled predictions (pure); with no rows every metric is null. */
export function labelledMetrics(rows: readonly LabelledPrediction[], task: PerformanceTask): LabelledMetrics {
  const labels = Float64Array.from(rows, (r) => r.label);
  const preds = Float64Array.from(rows, (r) => r.prediction);
  const delays = rows.map((r) => r.receivedAt - r.ts).sort((a, b) => a - b);
  const n = rows.length;
  const binary = task === 'binary' && n > 0;
  const bothClasses = binary && labels.includes(0) && labels.includes(1);
  const mean = (xs: Float64Array) => (n === 0 ? null : xs.reduce((a, b) => a + b, 0) / n);
  const meanLabel = mean(labels);
  const meanPrediction = mean(preds);
  // Log loss needs probabilities: a binary endpoint whose predictions are all in [0, 1].
  const probabilities = binary && preds.every((p) => p >= 0 && p <= 1);
  return {
    labelled: n,
    auc: bothClasses ? rocAuc(labels, preds) : null,
    accuracy: binary ? accuracy(labels, preds.map((p) => (p >= 0.5 ? 1 : 0))) : null,
    logLoss: probabilities ? logLoss(labels, preds) : null,
    meanLabel,
    meanPrediction,
    calibrationError: probabilities ? Math.abs(meanLabel! - meanPrediction!) : null,
    rmse: task === 'regression' && n > 0 ? rmse(labels, preds) : null,
    mae: task === 'regression' && n > 0 ? mae(labels, preds) : null,
    labelDelayMs: n === 0 ? null : n % 2 === 1 ? delays[(n - 1) / 2]! : (delays[n / 2 - 1]! + delays[n / 2]!) / 2,
  };
}

/** `1d`, `6h`, `30m`, `1w` → milliseconds. */
export function parseWindow(text: string): number | undefined {
  const m = /^(\d+)\s*(m|h|d|w)$/.exec(text.trim());
  if (!m) return undefined;
  const unit = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[m[2] as 'm' | 'h' | 'd' | 'w'];
  const n = Number(m[1]) * unit;
  return n > 0 ? n : undefined;
}
