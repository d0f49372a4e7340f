import { describe, expect, it } from 'vitest';
import { gaussian, seededRandom } from '../../core/random.js';
import { fitLinear, predictLinear } from './linear-learner.js';

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

describe('linear models', () => {
  it('least squares without a penalty equals the normal-equations solution', () => {
    const { a, b, c, normal } = data(2000, 1);
    const y = Float64Array.from(a, (_, i) => 2 * a[i]! - 0.5 * b[i]! + 3 * c[i]! + 4 + normal() * 0.1);
    const state = fitLinear({ features: [a, b, c], featureNames: ['a', 'b', 'c'], target: y }, 'regression', 0, 500);
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
    const state = fitLinear({ features: [a, b, c], featureNames: ['a', 'b', 'c'], target: y }, 'binary', alpha, 500);
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
    const state = fitLinear({ features: [a, b, c], featureNames: ['a', 'b', 'c'], target: y }, 'regression', 0, 300);
    const [missing] = predictLinear(state, [Float64Array.from([Number.NaN]), Float64Array.from([state.mean[1]!]), Float64Array.from([state.mean[2]!])]);
    expect(missing).toBeCloseTo(state.intercept, 10);
  });
});
