import { OrchardError, invalidArgument, throwIfIssues, type Issue } from '../../core/errors.js';
import type { Learner, Task, TrainingData } from '../learner.js';
import { elasticNetCoordinateDescent } from './coordinate-descent.js';
import { checkTrainingData, design, standardise } from './design.js';
import { lbfgs, type LbfgsOptions } from './lbfgs.js';
import { LINEAR_DEFAULTS, LOGISTIC_DEFAULTS, leastSquaresOptions, logisticOptions, type LinearFitOptions } from './linear-params.js';
import { singleScoreObjective, softmaxObjective } from './objectives.js';

/**
 * A fitted linear model with one score (regression, binary): prediction =
 * intercept + Σⱼ weights[j]·(x[j] − mean[j]) / scale[j], a missing x[j] counting as
 * mean[j]; binary models pass it through the logistic function. `weights` are the
 * coefficients of the standardised features. This shape is stable: models saved
 * before penalties and multinomial models existed load and predict unchanged.
 */
export interface LinearState {
  readonly task: 'binary' | 'regression';
  readonly mean: number[];
  readonly scale: number[];
  readonly weights: number[];
  readonly intercept: number;
}

/**
 * A multinomial logistic model: for class k, score_k = classIntercepts[k] +
 * Σⱼ classWeights[k][j]·(x[j] − mean[j]) / scale[j] (classWeights is K × p), and the
 * class probabilities are softmax(score).
 */
export interface MultinomialState {
  readonly task: 'multiclass';
  readonly mean: number[];
  readonly scale: number[];
  readonly classWeights: number[][];
  readonly classIntercepts: number[];
}

export type LinearModelState = LinearState | MultinomialState;

/** Coefficients of a multinomial model at most: L-BFGS keeps about 20 vectors of this size. */
export const MAX_MULTICLASS_COEFFICIENTS = 1_000_000;

/**
 * Fits a linear model on standardised features. Solvers: cyclic coordinate descent
 * for least squares with an L1 part; L-BFGS for smooth objectives (no penalty, L2);
 * OWL-QN for logistic and multinomial objectives with an L1 part.
 */
export function fitLinear(data: TrainingData, task: Task, options: LinearFitOptions, onIteration?: (i: number, loss: number) => void): LinearModelState {
  const { mean, scale } = standardise(data.features);
  const p = data.features.length;
  const centre = options.fitIntercept ? mean : mean.map(() => 0);
  const X = design(data.features, centre, mean, scale);
  const y = data.target;
  const n = y.length;
  // A model without intercept is fitted on uncentred columns; stored, its scores are
  // written against the mean like any other, which moves Σ w·(mean − centre)/scale into the intercept.
  const shift = (w: ArrayLike<number>) => {
    let t = 0;
    for (let j = 0; j < p; j++) t += (w[j]! * (mean[j]! - centre[j]!)) / scale[j]!;
    return t;
  };
  if (task === 'multiclass') {
    const K = data.classes!;
    const size = K * p + (options.fitIntercept ? K : 0);
    if (K * (p + 1) > MAX_MULTICLASS_COEFFICIENTS)
      throw invalidArgument(`A multiclass linear model with ${K} classes × (${p} features + 1) = ${(K * (p + 1)).toLocaleString('en-US')} coefficients is over the limit of ${MAX_MULTICLASS_COEFFICIENTS.toLocaleString('en-US')}; merge rare classes or use fewer features.`, { classes: K, features: p });
    const l1 = new Float64Array(size).fill(options.l1, 0, K * p);
    const result = lbfgs(softmaxObjective(X, y, K, options.fitIntercept, options.l2), new Float64Array(size), stopping('multiclass', y, options, l1), onIteration);
    const classWeights = Array.from({ length: K }, (_, k) => [...result.x.subarray(k * p, (k + 1) * p)]);
    const classIntercepts = Array.from({ length: K }, (_, k) => (options.fitIntercept ? result.x[K * p + k]! : shift(classWeights[k]!)));
    return { task, mean, scale, classWeights, classIntercepts };
  }
  if (task === 'regression' && options.l1 > 0) {
    let yMean = 0;
    if (options.fitIntercept) yMean = y.reduce((a, b) => a + b, 0) / n;
    const yc = Float64Array.from(y, (v) => v - yMean);
    const result = elasticNetCoordinateDescent(X, yc, { l1: options.l1, l2: options.l2, maxIter: options.maxIter, tol: options.tol }, onIteration);
    const weights = [...result.weights];
    return { task, mean, scale, weights, intercept: options.fitIntercept ? yMean : shift(weights) };
  }
  const size = p + (options.fitIntercept ? 1 : 0);
  const l1 = new Float64Array(size).fill(options.l1, 0, p);
  const result = lbfgs(singleScoreObjective(task, X, y, options.fitIntercept, options.l2), new Float64Array(size), stopping(task, y, options, l1), onIteration);
  const weights = [...result.x.subarray(0, p)];
  return { task, mean, scale, weights, intercept: options.fitIntercept ? result.x[p]! : shift(weights) };
}

/** scipy's L-BFGS-B `ftol` default (factr 1e7 × machine epsilon), which scikit-learn's lbfgs solver runs with. */
const SCIPY_FTOL = 2.220446049250313e-9;

/**
 * When L-BFGS / OWL-QN stops. Logistic: scikit-learn's lbfgs rule, the summed
 * objective's (pseudo-)gradient below tol, i.e. the mean objective's below tol/n.
 * Least squares: the mean objective's gradient below tol × the target's standard
 * deviation, so the rule does not depend on the target's units. Both also stop when an
 * iteration lowers the objective by less than scipy's ftol relative at the default
 * tol (1e-4), scaled in proportion to a smaller or larger tol.
 */
function stopping(task: Task, y: Float64Array, options: LinearFitOptions, l1: Float64Array): LbfgsOptions {
  const n = y.length;
  let gradientTolerance = options.tol / n;
  if (task === 'regression') {
    const m = y.reduce((a, b) => a + b, 0) / n;
    const sd = Math.sqrt(y.reduce((a, b) => a + (b - m) ** 2, 0) / n);
    gradientTolerance = options.tol * (sd > 0 ? sd : 1);
  }
  return { maxIter: options.maxIter, gradientTolerance, memory: 10, l1, relativeDecreaseTolerance: SCIPY_FTOL * (options.tol / 1e-4) };
}

export function predictLinear(state: LinearModelState, features: readonly ArrayLike<number>[]): Float64Array {
  const p = state.mean.length;
  if (features.length !== p) throw new OrchardError('INVALID_ARGUMENT', `The model takes ${p} features; got ${features.length}.`);
  if (state.task === 'multiclass') return predictMultinomial(state, features);
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

/** K probabilities per row, row-major; the largest score is subtracted before exponentiating. */
function predictMultinomial(state: MultinomialState, features: readonly ArrayLike<number>[]): Float64Array {
  const n = features[0]?.length ?? 0;
  const K = state.classIntercepts.length;
  const out = new Float64Array(n * K);
  for (let k = 0; k < K; k++) {
    const row = state.classWeights[k]!;
    for (let i = 0; i < n; i++) out[i * K + k] = state.classIntercepts[k]!;
    features.forEach((col, j) => {
      const w = row[j]! / state.scale[j]!;
      const m = state.mean[j]!;
      for (let i = 0; i < n; i++) out[i * K + k]! += Number.isNaN(col[i]!) ? 0 : w * (col[i]! - m);
    });
  }
  for (let i = 0; i < n; i++) {
    let top = Number.NEGATIVE_INFINITY;
    for (let k = 0; k < K; k++) top = Math.max(top, out[i * K + k]!);
    let sum = 0;
    for (let k = 0; k < K; k++) sum += out[i * K + k] = Math.exp(out[i * K + k]! - top);
    for (let k = 0; k < K; k++) out[i * K + k]! /= sum;
  }
  return out;
}

const isNumbers = (v: unknown, length?: number): v is number[] => Array.isArray(v) && (length === undefined || v.length === length) && v.every((x) => typeof x === 'number');

/**
 * Checks a saved state's shape (as written by this learner, or by an earlier Orchard
 * that knew only binary and regression) and returns it unchanged.
 */
export function loadLinearState(saved: unknown): LinearModelState {
  const s = saved as Record<string, unknown> | null;
  const issues: Issue[] = [];
  const p = Array.isArray(s?.mean) ? s.mean.length : -1;
  if (!isNumbers(s?.mean)) issues.push({ code: 'bad_mean', path: ['mean'], message: 'must be an array of numbers' });
  if (!isNumbers(s?.scale, p)) issues.push({ code: 'bad_scale', path: ['scale'], message: `must be ${p} numbers, one per feature` });
  if (s?.task === 'binary' || s?.task === 'regression') {
    if (!isNumbers(s.weights, p)) issues.push({ code: 'bad_weights', path: ['weights'], message: `must be ${p} numbers, one per feature` });
    if (typeof s.intercept !== 'number') issues.push({ code: 'bad_intercept', path: ['intercept'], message: 'must be a number' });
  } else if (s?.task === 'multiclass') {
    const K = Array.isArray(s.classIntercepts) ? s.classIntercepts.length : -1;
    if (!isNumbers(s.classIntercepts) || K < 2) issues.push({ code: 'bad_class_intercepts', path: ['classIntercepts'], message: 'must be an array of at least 2 numbers, one per class' });
    if (!Array.isArray(s.classWeights) || s.classWeights.length !== K || !s.classWeights.every((row) => isNumbers(row, p)))
      issues.push({ code: 'bad_class_weights', path: ['classWeights'], message: `must be ${K} rows (one per class) of ${p} numbers (one per feature)` });
  } else issues.push({ code: 'bad_task', path: ['task'], message: `must be binary, regression or multiclass, got ${JSON.stringify(s?.task)}` });
  throwIfIssues('linear model state (the model artifact is damaged or not from a linear learner)', issues);
  return saved as LinearModelState;
}

function importance(s: LinearModelState): Float64Array {
  const abs = s.task === 'multiclass' ? s.mean.map((_, j) => s.classWeights.reduce((t, row) => t + Math.abs(row[j]!), 0)) : s.weights.map(Math.abs);
  const total = abs.reduce((a, b) => a + b, 0) || 1;
  return Float64Array.from(abs, (v) => v / total);
}

/** A linear learner; both share standardisation, solvers, prediction and storage. */
function linearFamily(name: string, tasks: readonly Task[], defaults: Learner['defaults'], options: (p: Readonly<Record<string, unknown>>, rows: number) => LinearFitOptions): Learner<LinearModelState> {
  return {
    name,
    tasks,
    defaults,
    fit: (data, task, p, hooks) => {
      if (!tasks.includes(task)) throw invalidArgument(`Learner ${name} does not do ${task}; it does ${tasks.join(', ')}.`);
      const resolved = options({ ...defaults, ...p }, data.target.length);
      checkTrainingData(name, data, task);
      return fitLinear(data, task, resolved, hooks.onIteration);
    },
    predict: predictLinear,
    // The state is plain JSON numbers, which round-trip exactly.
    save: (s) => s,
    load: loadLinearState,
    importance,
  };
}

/**
 * Logistic regression, binary or multinomial (softmax), on standardised features, with
 * scikit-learn's LogisticRegression parameters: penalty (none, l2, l1, elasticnet), C,
 * l1_ratio, max_iter, tol, fit_intercept.
 */
export const logisticLearner = linearFamily('logistic', ['binary', 'multiclass'], LOGISTIC_DEFAULTS, logisticOptions);

/**
 * Least squares on standardised features with scikit-learn's ElasticNet parameters:
 * penalty (none, l2 = Ridge, l1 = Lasso, elasticnet), alpha, l1_ratio, max_iter, tol, fit_intercept.
 */
export const linearLearner = linearFamily('linear', ['regression'], LINEAR_DEFAULTS, (p) => leastSquaresOptions(p));
