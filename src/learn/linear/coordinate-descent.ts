/**
 * Cyclic coordinate descent for the elastic net (Friedman, Hastie & Tibshirani,
 * "Regularization paths for generalized linear models via coordinate descent", 2010;
 * the same updates and stopping rule as scikit-learn's `enet_coordinate_descent`):
 *
 *   minimise  1/(2n)·‖y − Xw‖² + l1·‖w‖₁ + l2/2·‖w‖²
 *
 * over columns X (already centred when an intercept is fitted, with y centred too).
 */
export interface CoordinateDescentOptions {
  readonly l1: number;
  readonly l2: number;
  /** Sweeps over all coordinates at most. */
  readonly maxIter: number;
  /**
   * scikit-learn's rule: once the largest weight change of a sweep is below
   * tol × the largest weight, stop if the duality gap is below tol × ‖y‖².
   */
  readonly tol: number;
}

export interface CoordinateDescentResult {
  readonly weights: Float64Array;
  /** The objective reached (mean scale, as above). */
  readonly value: number;
  readonly iterations: number;
  readonly converged: boolean;
  /** The duality gap at the last check, on scikit-learn's summed scale. */
  readonly gap: number;
}

const softThreshold = (z: number, t: number) => (z > t ? z - t : z < -t ? z + t : 0);

export function elasticNetCoordinateDescent(
  X: readonly Float64Array[],
  y: Float64Array,
  options: CoordinateDescentOptions,
  onIteration?: (iteration: number, value: number) => void,
): CoordinateDescentResult {
  const p = X.length;
  const n = y.length;
  // scikit-learn works on the summed loss: ½‖y − Xw‖² + alpha‖w‖₁ + beta/2‖w‖².
  const alpha = options.l1 * n;
  const beta = options.l2 * n;
  const w = new Float64Array(p);
  const r = y.slice();
  const norms = X.map((col) => col.reduce((s, v) => s + v * v, 0));
  const yy = y.reduce((s, v) => s + v * v, 0);
  const tol = options.tol * yy;
  const objective = () => {
    let rr = 0;
    for (let i = 0; i < n; i++) rr += r[i]! * r[i]!;
    let a = 0;
    let b = 0;
    for (let j = 0; j < p; j++) (a += Math.abs(w[j]!)), (b += w[j]! * w[j]!);
    return rr / (2 * n) + options.l1 * a + (options.l2 / 2) * b;
  };
  let gap = Number.POSITIVE_INFINITY;
  for (let iter = 1; iter <= options.maxIter; iter++) {
    let wMax = 0;
    let dMax = 0;
    for (let j = 0; j < p; j++) {
      if (norms[j] === 0) continue;
      const col = X[j]!;
      const old = w[j]!;
      let rho = 0;
      for (let i = 0; i < n; i++) rho += col[i]! * r[i]!;
      const next = softThreshold(rho + old * norms[j]!, alpha) / (norms[j]! + beta);
      if (next !== old) {
        const delta = next - old;
        for (let i = 0; i < n; i++) r[i]! -= delta * col[i]!;
        w[j] = next;
      }
      dMax = Math.max(dMax, Math.abs(next - old));
      wMax = Math.max(wMax, Math.abs(next));
    }
    onIteration?.(iter, objective());
    if (wMax === 0 || dMax / wMax < options.tol || iter === options.maxIter) {
      gap = dualityGap(X, y, w, r, alpha, beta);
      if (gap < tol) return { weights: w, value: objective(), iterations: iter, converged: true, gap };
    }
  }
  return { weights: w, value: objective(), iterations: options.maxIter, converged: false, gap };
}

/** The elastic net's duality gap at w with residual r (scikit-learn's formula, summed scale). */
function dualityGap(X: readonly Float64Array[], y: Float64Array, w: Float64Array, r: Float64Array, alpha: number, beta: number): number {
  let dualNorm = 0;
  for (let j = 0; j < X.length; j++) {
    const col = X[j]!;
    let t = 0;
    for (let i = 0; i < r.length; i++) t += col[i]! * r[i]!;
    dualNorm = Math.max(dualNorm, Math.abs(t - beta * w[j]!));
  }
  let rr = 0;
  let ry = 0;
  for (let i = 0; i < r.length; i++) (rr += r[i]! * r[i]!), (ry += r[i]! * y[i]!);
  let l1 = 0;
  let ww = 0;
  for (let j = 0; j < w.length; j++) (l1 += Math.abs(w[j]!)), (ww += w[j]! * w[j]!);
  // Scale the residual into the dual feasible set ‖Xᵀθ − βw‖∞ ≤ α.
  const c = dualNorm > alpha ? alpha / dualNorm : 1;
  const gap = dualNorm > alpha ? 0.5 * (rr + rr * c * c) : rr;
  return gap + alpha * l1 - c * ry + 0.5 * beta * (1 + c * c) * ww;
}
