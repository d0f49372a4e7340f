/**
 * Losses for boosting: each gives the starting scores, per-row gradients and
 * hessians of its outputs, the loss to track, and, for losses whose Newton step
 * is not the right leaf value (L1, Huber), the leaf value itself.
 * `raw` holds K scores per row (row-major); K is 1 except for multiclass.
 */
export type GbdtLoss = 'log_loss' | 'squared_error' | 'absolute_error' | 'huber';

export interface Objective {
  readonly loss: GbdtLoss;
  /** Scores per row: K classes for multiclass, else 1. */
  readonly outputs: number;
  /** Starting score of each output, from the training rows. */
  baseline(y: Float64Array, rows: Uint32Array): number[];
  /** Called once per boosting round, before the gradients of any output. */
  prepare(raw: Float64Array, y: Float64Array, rows: Uint32Array): void;
  /** Writes gradient and hessian of output k for each row into gh (interleaved). */
  gradients(raw: Float64Array, y: Float64Array, rows: Uint32Array, k: number, gh: Float32Array): void;
  /** Mean loss over rows. */
  meanLoss(raw: Float64Array, y: Float64Array, rows: Uint32Array): number;
  /** The leaf value (before the learning rate) for the leaf's rows, when not the Newton step. */
  leafValue?(raw: Float64Array, y: Float64Array, rows: Uint32Array, start: number, end: number): number;
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const EPS = 1e-15;

function median(values: Float64Array): number {
  if (values.length === 0) return 0;
  const sorted = values.sort();
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Linear-interpolation quantile (NumPy's default), on a copy. */
function quantile(values: Float64Array, q: number): number {
  if (values.length === 0) return 0;
  const sorted = values.slice().sort();
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  return sorted[lo]! + (sorted[Math.min(lo + 1, sorted.length - 1)]! - sorted[lo]!) * (pos - lo);
}

function residuals(raw: Float64Array, y: Float64Array, rows: Uint32Array, start: number, end: number): Float64Array {
  const r = new Float64Array(end - start);
  for (let k = start; k < end; k++) r[k - start] = y[rows[k]!]! - raw[rows[k]!]!;
  return r;
}

export function binaryLogLoss(): Objective {
  return {
    loss: 'log_loss',
    outputs: 1,
    baseline(y, rows) {
      let s = 0;
      for (let k = 0; k < rows.length; k++) s += y[rows[k]!]!;
      const mean = s / rows.length;
      return [Math.log(mean / (1 - mean))];
    },
    prepare() {},
    gradients(raw, y, rows, _k, gh) {
      for (let k = 0; k < rows.length; k++) {
        const i = rows[k]!;
        const q = sigmoid(raw[i]!);
        gh[2 * i] = q - y[i]!;
        gh[2 * i + 1] = Math.max(q * (1 - q), 1e-16);
      }
    },
    meanLoss(raw, y, rows) {
      let s = 0;
      for (let k = 0; k < rows.length; k++) {
        const i = rows[k]!;
        const p = Math.min(1 - EPS, Math.max(EPS, sigmoid(raw[i]!)));
        s -= y[i] === 1 ? Math.log(p) : Math.log(1 - p);
      }
      return s / Math.max(1, rows.length);
    },
  };
}

/** Softmax cross-entropy over K classes; y holds class indices. */
export function multinomialLogLoss(classes: number, n: number): Objective {
  const prob = new Float64Array(n * classes);
  const row = new Float64Array(classes);
  // Probabilities of row i's classes into out[at…], stably (shifted by the row's largest score).
  const softmax = (raw: Float64Array, i: number, out: Float64Array, at: number) => {
    const o = i * classes;
    let max = -Infinity;
    for (let c = 0; c < classes; c++) max = Math.max(max, raw[o + c]!);
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += out[at + c] = Math.exp(raw[o + c]! - max);
    for (let c = 0; c < classes; c++) out[at + c]! /= sum;
  };
  return {
    loss: 'log_loss',
    outputs: classes,
    baseline(y, rows) {
      const counts = new Float64Array(classes);
      for (let k = 0; k < rows.length; k++) counts[y[rows[k]!]!]! += 1;
      // Log priors, centred (softmax does not see a shared shift); an absent class gets a tiny prior.
      const logs = Array.from(counts, (c) => Math.log(Math.max(c, 1e-3) / rows.length));
      const mean = logs.reduce((a, b) => a + b, 0) / classes;
      return logs.map((l) => l - mean);
    },
    prepare(raw, _y, rows) {
      for (let k = 0; k < rows.length; k++) softmax(raw, rows[k]!, prob, rows[k]! * classes);
    },
    gradients(_raw, y, rows, c, gh) {
      for (let k = 0; k < rows.length; k++) {
        const i = rows[k]!;
        const p = prob[i * classes + c]!;
        gh[2 * i] = p - (y[i] === c ? 1 : 0);
        gh[2 * i + 1] = Math.max(p * (1 - p), 1e-16);
      }
    },
    meanLoss(raw, y, rows) {
      let s = 0;
      for (let k = 0; k < rows.length; k++) {
        const i = rows[k]!;
        softmax(raw, i, row, 0);
        s -= Math.log(Math.max(EPS, row[y[i]!]!));
      }
      return s / Math.max(1, rows.length);
    },
  };
}

export function squaredError(): Objective {
  return {
    loss: 'squared_error',
    outputs: 1,
    baseline(y, rows) {
      let s = 0;
      for (let k = 0; k < rows.length; k++) s += y[rows[k]!]!;
      return [s / rows.length];
    },
    prepare() {},
    gradients(raw, y, rows, _k, gh) {
      for (let k = 0; k < rows.length; k++) {
        const i = rows[k]!;
        gh[2 * i] = raw[i]! - y[i]!;
        gh[2 * i + 1] = 1;
      }
    },
    meanLoss(raw, y, rows) {
      let s = 0;
      for (let k = 0; k < rows.length; k++) s += 0.5 * (y[rows[k]!]! - raw[rows[k]!]!) ** 2;
      return s / Math.max(1, rows.length);
    },
  };
}

/** L1: trees split on the sign of the residual; each leaf then takes the median residual of its rows (as scikit-learn does). */
export function absoluteError(): Objective {
  return {
    loss: 'absolute_error',
    outputs: 1,
    baseline: (y, rows) => [median(Float64Array.from(rows, (i) => y[i]!))],
    prepare() {},
    gradients(raw, y, rows, _k, gh) {
      for (let k = 0; k < rows.length; k++) {
        const i = rows[k]!;
        gh[2 * i] = Math.sign(raw[i]! - y[i]!);
        gh[2 * i + 1] = 1;
      }
    },
    meanLoss(raw, y, rows) {
      let s = 0;
      for (let k = 0; k < rows.length; k++) s += Math.abs(y[rows[k]!]! - raw[rows[k]!]!);
      return s / Math.max(1, rows.length);
    },
    leafValue: (raw, y, rows, start, end) => median(residuals(raw, y, rows, start, end)),
  };
}

/**
 * Huber: squared near zero, absolute beyond δ, where δ is the `alpha` quantile of
 * the absolute residuals each round; leaf values by Friedman's one-step estimate
 * (median plus the mean clipped deviation from it), as scikit-learn's
 * GradientBoostingRegressor(loss='huber') does.
 */
export function huber(alpha: number): Objective {
  let delta = 1;
  return {
    loss: 'huber',
    outputs: 1,
    baseline: (y, rows) => [median(Float64Array.from(rows, (i) => y[i]!))],
    prepare(raw, y, rows) {
      delta = quantile(Float64Array.from(rows, (i) => Math.abs(y[i]! - raw[i]!)), alpha);
    },
    gradients(raw, y, rows, _k, gh) {
      for (let k = 0; k < rows.length; k++) {
        const i = rows[k]!;
        const r = raw[i]! - y[i]!;
        gh[2 * i] = Math.abs(r) <= delta ? r : Math.sign(r) * delta;
        gh[2 * i + 1] = 1;
      }
    },
    meanLoss(raw, y, rows) {
      let s = 0;
      for (let k = 0; k < rows.length; k++) {
        const r = Math.abs(y[rows[k]!]! - raw[rows[k]!]!);
        s += r <= delta ? 0.5 * r * r : delta * (r - 0.5 * delta);
      }
      return s / Math.max(1, rows.length);
    },
    leafValue(raw, y, rows, start, end) {
      const r = residuals(raw, y, rows, start, end);
      const m = median(r.slice());
      let s = 0;
      for (let k = 0; k < r.length; k++) {
        const d = r[k]! - m;
        s += Math.sign(d) * Math.min(delta, Math.abs(d));
      }
      return m + s / Math.max(1, r.length);
    },
  };
}
