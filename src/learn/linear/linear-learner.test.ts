import { describe, expect, it } from 'vitest';
import { gaussian, seededRandom } from '../../core/random.js';
import { fitLinear, linearLearner, logisticLearner, predictLinear, type LinearState } from './linear-learner.js';
import type { LinearFitOptions } from './linear-params.js';

/** Solves A x = b by Gaussian elimination with partial pivoting (independent of the learner). */
function solve(A: number[][], b: number[]): number[] {
  const n = b.length;
  const M = A.map((row, i) => [...row, b[i]!]);
  for (let c = 0; c < n; c++) {
    let pivot = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r]![c]!) > Math.abs(M[pivot]![c]!)) pivot = r;
    [M[c], M[pivot]] = [M[pivot]!, M[c]!];
    for (let r = c + 1; r < n; r++) {
      const factor = M[r]![c]! / M[c]![c]!;
      for (let k = c; k <= n; k++) M[r]![k]! -= factor * M[c]![k]!;
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = M[r]![n]!;
    for (let k = r + 1; k < n; k++) s -= M[r]![k]! * x[k]!;
    x[r] = s / M[r]![r]!;
  }
  return x;
}

function data(n: number, seed: number) {
  const random = seededRandom(seed);
  const normal = gaussian(random);
  const a = Float64Array.from({ length: n }, () => normal() * 3 + 1);
  const b = Float64Array.from({ length: n }, () => random() * 10);
  const c = Float64Array.from({ length: n }, () => normal());
  return { a, b, c, normal };
}

/** Mean loss + l2/2‖w‖², solved to a tight tolerance. */
const l2 = (strength: number): LinearFitOptions => ({ penalty: 'l2', l1: 0, l2: strength, fitIntercept: true, maxIter: 500, tol: 1e-10 });

describe('linear models', () => {
  it('least squares without a penalty equals the normal-equations solution', () => {
    const { a, b, c, normal } = data(2000, 1);
    const y = Float64Array.from(a, (_, i) => 2 * a[i]! - 0.5 * b[i]! + 3 * c[i]! + 4 + normal() * 0.1);
    const state = fitLinear({ features: [a, b, c], featureNames: ['a', 'b', 'c'], target: y }, 'regression', l2(0)) as LinearState;
    // Normal equations on [1, a, b, c]: (XᵀX) β = Xᵀy.
    const rows = Array.from({ length: y.length }, (_, i) => [1, a[i]!, b[i]!, c[i]!]);
    const XtX = [0, 1, 2, 3].map((r) => [0, 1, 2, 3].map((k) => rows.reduce((s, x) => s + x[r]! * x[k]!, 0)));
    const Xty = [0, 1, 2, 3].map((r) => rows.reduce((s, x, i) => s + x[r]! * y[i]!, 0));
    const beta = solve(XtX, Xty);
    const probe = [Float64Array.from([0, 1, -2]), Float64Array.from([5, 0, 3]), Float64Array.from([1, -1, 0.5])];
    const expected = [0, 1, 2].map((i) => beta[0]! + beta[1]! * probe[0]![i]! + beta[2]! * probe[1]![i]! + beta[3]! * probe[2]![i]!);
    const got = predictLinear(state, probe);
    expected.forEach((e, i) => expect(got[i]!).toBeCloseTo(e, 5));
  });

  it('logistic regression reaches the optimum Newton’s method finds for the same penalised objective', () => {
    const { a, b, c, normal } = data(3000, 2);
    const y = Float64Array.from(a, (_, i) => (0.8 * a[i]! - 0.3 * b[i]! + normal() > 0 ? 1 : 0));
    const alpha = 0.01;
    const state = fitLinear({ features: [a, b, c], featureNames: ['a', 'b', 'c'], target: y }, 'binary', l2(alpha)) as LinearState;
    // Newton–Raphson on the standardised design, objective mean log-loss + alpha/2 ‖w‖² (intercept free).
    const std = (col: Float64Array) => {
      const m = col.reduce((s, v) => s + v, 0) / col.length;
      const sd = Math.sqrt(col.reduce((s, v) => s + (v - m) ** 2, 0) / col.length);
      return Float64Array.from(col, (v) => (v - m) / sd);
    };
    const X = [std(a), std(b), std(c)];
    const n = y.length;
    let theta = [0, 0, 0, 0];
    for (let it = 0; it < 25; it++) {
      const grad = [0, 0, 0, 0];
      const H = [0, 1, 2, 3].map(() => [0, 0, 0, 0]);
      for (let i = 0; i < n; i++) {
        const x = [X[0]![i]!, X[1]![i]!, X[2]![i]!, 1];
        const p = 1 / (1 + Math.exp(-x.reduce((s, v, k) => s + v * theta[k]!, 0)));
        for (let r = 0; r < 4; r++) {
          grad[r]! += ((p - y[i]!) * x[r]!) / n;
          for (let k = 0; k < 4; k++) H[r]![k]! += (p * (1 - p) * x[r]! * x[k]!) / n;
        }
      }
      for (let r = 0; r < 3; r++) {
        grad[r]! += alpha * theta[r]!;
        H[r]![r]! += alpha;
      }
      const delta = solve(H, grad);
      theta = theta.map((t, k) => t - delta[k]!);
    }
    state.weights.forEach((w, k) => expect(w).toBeCloseTo(theta[k]!, 5));
    expect(state.intercept).toBeCloseTo(theta[3]!, 5);
  });

  it('treats missing values as the training mean', () => {
    const { a, b, c } = data(500, 3);
    const y = Float64Array.from(a, (v) => v);
    const state = fitLinear({ features: [a, b, c], featureNames: ['a', 'b', 'c'], target: y }, 'regression', l2(0)) as LinearState;
    const [missing] = predictLinear(state, [Float64Array.from([Number.NaN]), Float64Array.from([state.mean[1]!]), Float64Array.from([state.mean[2]!])]);
    expect(missing).toBeCloseTo(state.intercept, 10);
  });
});

describe('saved states', () => {
  it('loads a state saved before penalties and multinomial models existed, and predicts as its definition says, bit for bit', () => {
    // The exact JSON an earlier Orchard wrote for a binary and a regression model.
    for (const json of ['{"task":"binary","mean":[1.5,-0.25],"scale":[2,0.5],"weights":[0.8,-1.2],"intercept":0.1}', '{"task":"regression","mean":[3,0],"scale":[1.5,4],"weights":[2.5,-0.75],"intercept":-7.25}']) {
      const saved = JSON.parse(json) as LinearState;
      const state = logisticLearner.load(saved);
      expect(JSON.stringify(logisticLearner.save(state))).toBe(json);
      const a = Float64Array.from([0, 2.5, Number.NaN, -3]);
      const b = Float64Array.from([1, Number.NaN, 0.5, 2]);
      // intercept + Σ (w/scale)·(x − mean), NaN contributing nothing; then the logistic function for binary.
      const expected = [0, 1, 2, 3].map((i) => {
        let z = saved.intercept;
        z += Number.isNaN(a[i]!) ? 0 : (saved.weights[0]! / saved.scale[0]!) * (a[i]! - saved.mean[0]!);
        z += Number.isNaN(b[i]!) ? 0 : (saved.weights[1]! / saved.scale[1]!) * (b[i]! - saved.mean[1]!);
        return saved.task === 'binary' ? 1 / (1 + Math.exp(-z)) : z;
      });
      expect([...logisticLearner.predict(state, [a, b])]).toEqual(expected);
    }
  });

  it('round-trips a multinomial state through JSON to identical probabilities', async () => {
    const { a, b, c, normal } = data(600, 4);
    const y = Float64Array.from(a, (_, i) => (a[i]! + normal() > 1 ? 2 : b[i]! > 5 ? 1 : 0));
    const state = await logisticLearner.fit({ features: [a, b, c], featureNames: ['a', 'b', 'c'], target: y, classes: 3 }, 'multiclass', {}, {});
    expect(Object.keys(state).sort()).toEqual(['classIntercepts', 'classWeights', 'mean', 'scale', 'task']);
    const reloaded = logisticLearner.load(JSON.parse(JSON.stringify(logisticLearner.save(state))));
    const before = logisticLearner.predict(state, [a, b, c]);
    const after = logisticLearner.predict(reloaded, [a, b, c]);
    expect(after.length).toBe(600 * 3);
    expect(after.every((v, i) => Object.is(v, before[i]))).toBe(true);
  });

  it('refuses a damaged state, naming what is wrong', () => {
    expect(() => logisticLearner.load({ task: 'multiclass', mean: [0, 1], scale: [1, 1], classWeights: [[1, 2]], classIntercepts: [0, 0] })).toThrow(/classWeights: must be 2 rows \(one per class\) of 2 numbers/);
    expect(() => linearLearner.load({ task: 'ranking', mean: [], scale: [] })).toThrow(/task: must be binary, regression or multiclass, got "ranking"/);
  });
});

describe('solvers', () => {
  it('reports a non-increasing penalised loss through onIteration, for coordinate descent and OWL-QN alike', async () => {
    const { a, b, c, normal } = data(1000, 5);
    const yr = Float64Array.from(a, (_, i) => a[i]! - b[i]! + normal());
    const yb = Float64Array.from(a, (_, i) => (a[i]! + normal() > 1 ? 1 : 0));
    const runs: [typeof linearLearner, Float64Array, 'regression' | 'binary', Record<string, unknown>][] = [
      [linearLearner, yr, 'regression', { penalty: 'elasticnet', alpha: 0.05, l1_ratio: 0.5 }],
      [logisticLearner, yb, 'binary', { penalty: 'l1', C: 0.01 }],
    ];
    for (const [learner, y, task, params] of runs) {
      const losses: number[] = [];
      await learner.fit({ features: [a, b, c], featureNames: ['a', 'b', 'c'], target: y }, task, params, { onIteration: (_, loss) => losses.push(loss) });
      expect(losses.length).toBeGreaterThan(1);
      losses.slice(1).forEach((l, i) => expect(l).toBeLessThanOrEqual(losses[i]! + 1e-15));
    }
  });

  it('fits 1000 classes in memory that does not grow with rows × classes: with no usable feature, probabilities are the class shares', async () => {
    // Class k appears 1 + (k mod 3) times. The maximum-likelihood softmax with only intercepts
    // (the features are constant) predicts every class with its share of the rows.
    const target: number[] = [];
    for (let k = 0; k < 1000; k++) for (let r = 0; r <= k % 3; r++) target.push(k);
    const n = target.length;
    const constant = new Float64Array(n).fill(3);
    const state = await logisticLearner.fit({ features: [constant, constant], featureNames: ['a', 'b'], target: Float64Array.from(target), classes: 1000 }, 'multiclass', { penalty: 'none', tol: 1e-6 }, {});
    const probabilities = logisticLearner.predict(state, [Float64Array.from([3]), Float64Array.from([3])]);
    expect(probabilities.length).toBe(1000);
    for (let k = 0; k < 1000; k++) expect(probabilities[k]!).toBeCloseTo((1 + (k % 3)) / n, 7);
  });

  it('refuses a multiclass model over the coefficient limit before allocating it', () => {
    const x = Float64Array.from([0, 1, 2]);
    const fit = () => logisticLearner.fit({ features: [x, x, x, x], featureNames: ['a', 'b', 'c', 'd'], target: Float64Array.from([0, 1, 249_999]), classes: 250_000 }, 'multiclass', {}, {});
    expect(fit).toThrow(/A multiclass linear model with 250000 classes × \(4 features \+ 1\) = 1,250,000 coefficients is over the limit of 1,000,000; merge rare classes or use fewer features/);
  });
});
