import { OrchardError } from '../../core/errors.js';
import type { Learner, TrainingData } from '../learner.js';
import { lbfgs } from './lbfgs.js';

/**
 * Linear models on standardised features: least squares (regression) or logistic
 * (binary), with an L2 penalty `alpha/2 · ‖w‖²` on the weights (not the intercept),
 * fitted by L-BFGS. Missing values are replaced by the training mean (0 after
 * standardisation).
 */
export interface LinearState {
  readonly task: 'binary' | 'regression';
  readonly mean: number[];
  readonly scale: number[];
  readonly weights: number[];
  readonly intercept: number;
}

function standardise(features: readonly Float64Array[]): { mean: number[]; scale: number[] } {
  const mean: number[] = [];
  const scale: number[] = [];
  for (const col of features) {
    let s = 0;
    let n = 0;
    for (let i = 0; i < col.length; i++) if (!Number.isNaN(col[i]!)) (s += col[i]!), n++;
    const m = n === 0 ? 0 : s / n;
    let v = 0;
    for (let i = 0; i < col.length; i++) if (!Number.isNaN(col[i]!)) v += (col[i]! - m) ** 2;
    const sd = n === 0 ? 0 : Math.sqrt(v / n);
    mean.push(m);
    scale.push(sd > 0 ? sd : 1);
  }
  return { mean, scale };
}

function design(features: readonly ArrayLike<number>[], mean: readonly number[], scale: readonly number[]): Float64Array[] {
  return features.map((col, j) => Float64Array.from({ length: col.length }, (_, i) => (Number.isNaN(col[i]!) ? 0 : (col[i]! - mean[j]!) / scale[j]!)));
}

export function fitLinear(data: TrainingData, task: 'binary' | 'regression', alpha: number, maxIter: number, onIteration?: (i: number, loss: number) => void): LinearState {
  const { mean, scale } = standardise(data.features);
  const X = design(data.features, mean, scale);
  const y = data.target;
  const n = y.length;
  const p = X.length;
  const margin = new Float64Array(n);
  // Objective: mean loss + alpha/2 ‖w‖², parameters [w…, b].
  const objective = (theta: Float64Array, grad: Float64Array) => {
    margin.fill(theta[p]!);
    for (let j = 0; j < p; j++) {
      const w = theta[j]!;
      const col = X[j]!;
      for (let i = 0; i < n; i++) margin[i]! += w * col[i]!;
    }
    let loss = 0;
    const residual = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const z = margin[i]!;
      if (task === 'binary') {
        // log(1 + e^z) − y z, computed stably.
        loss += (z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z))) - y[i]! * z;
        residual[i] = 1 / (1 + Math.exp(-z)) - y[i]!;
      } else {
        const r = z - y[i]!;
        loss += 0.5 * r * r;
        residual[i] = r;
      }
    }
    let penalty = 0;
    for (let j = 0; j < p; j++) {
      let gj = 0;
      const col = X[j]!;
      for (let i = 0; i < n; i++) gj += residual[i]! * col[i]!;
      grad[j] = gj / n + alpha * theta[j]!;
      penalty += 0.5 * alpha * theta[j]! ** 2;
    }
    grad[p] = residual.reduce((a, b) => a + b, 0) / n;
    return loss / n + penalty;
  };
  const result = lbfgs(objective, new Float64Array(p + 1), { maxIter, gradientTolerance: 1e-8, memory: 10 }, onIteration);
  return { task, mean, scale, weights: [...result.x.subarray(0, p)], intercept: result.x[p]! };
}

export function predictLinear(state: LinearState, features: readonly ArrayLike<number>[]): Float64Array {
  if (features.length !== state.weights.length) throw new OrchardError('INVALID_ARGUMENT', `The model takes ${state.weights.length} features; got ${features.length}.`);
  const n = features[0]?.length ?? 0;
  const out = new Float64Array(n).fill(state.intercept);
  features.forEach((col, j) => {
    const w = state.weights[j]! / state.scale[j]!;
    const m = state.mean[j]!;
    for (let i = 0; i < n; i++) out[i]! += Number.isNaN(col[i]!) ? 0 : w * (col[i]! - m);
  });
  if (state.task === 'binary') for (let i = 0; i < n; i++) out[i] = 1 / (1 + Math.exp(-out[i]!));
  return out;
}

function checked(p: Readonly<Record<string, unknown>>): { alpha: number; maxIter: number } {
  const alpha = Number(p.alpha);
  const maxIter = Number(p.max_iter);
  if (!(alpha >= 0)) throw new OrchardError('INVALID_ARGUMENT', `Parameter alpha must be ≥ 0, got ${String(p.alpha)}.`);
  if (!Number.isInteger(maxIter) || maxIter < 1) throw new OrchardError('INVALID_ARGUMENT', `Parameter max_iter must be a whole number ≥ 1, got ${String(p.max_iter)}.`);
  return { alpha, maxIter };
}

/** A linear learner for one task; both share parameters, prediction and storage. */
function linearFamily(name: string, task: 'binary' | 'regression'): Learner<LinearState> {
  return {
    name,
    tasks: [task],
    defaults: { alpha: 0.0001, max_iter: 200 },
    fit: (data, _task, p, hooks) => {
      const { alpha, maxIter } = checked(p);
      return fitLinear(data, task, alpha, maxIter, hooks.onIteration);
    },
    predict: predictLinear,
    save: (s) => s,
    load: (saved) => saved as LinearState,
    importance: (s) => {
      const abs = s.weights.map(Math.abs);
      const total = abs.reduce((a, b) => a + b, 0) || 1;
      return Float64Array.from(abs, (v) => v / total);
    },
  };
}

/** Logistic regression (binary), L2-penalised, on standardised features. */
export const logisticLearner = linearFamily('logistic', 'binary');

/** Ridge-penalised least squares (regression) on standardised features. */
export const linearLearner = linearFamily('linear', 'regression');
