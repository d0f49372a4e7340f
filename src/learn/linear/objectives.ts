/**
 * Smooth objectives for L-BFGS and OWL-QN, on the mean scale: mean loss + l2/2·‖w‖²
 * (the L1 term, when there is one, is the optimiser's). Parameters are laid out as
 * [w₀ … w_{p−1}, b] (binary, regression) or [W (K × p, row-major), b₀ … b_{K−1}]
 * (multinomial); the intercepts are there only when fitted, and never penalised.
 */
export type Objective = (theta: Float64Array, gradient: Float64Array) => number;

/** Half mean squared error (regression) or mean log-loss (binary) of one linear score. */
export function singleScoreObjective(kind: 'regression' | 'binary', X: readonly Float64Array[], y: Float64Array, fitIntercept: boolean, l2: number): Objective {
  const n = y.length;
  const p = X.length;
  const margin = new Float64Array(n);
  const residual = new Float64Array(n);
  return (theta, grad) => {
    margin.fill(fitIntercept ? theta[p]! : 0);
    for (let j = 0; j < p; j++) {
      const w = theta[j]!;
      const col = X[j]!;
      for (let i = 0; i < n; i++) margin[i]! += w * col[i]!;
    }
    let loss = 0;
    if (kind === 'binary') {
      for (let i = 0; i < n; i++) {
        const z = margin[i]!;
        // log(1 + e^z) − y z and the sigmoid, both from e^−|z| (stable, one exponential).
        const e = Math.exp(-Math.abs(z));
        loss += (z > 0 ? z : 0) + Math.log1p(e) - y[i]! * z;
        residual[i] = (z >= 0 ? 1 / (1 + e) : e / (1 + e)) - y[i]!;
      }
    } else {
      for (let i = 0; i < n; i++) {
        const r = margin[i]! - y[i]!;
        loss += 0.5 * r * r;
        residual[i] = r;
      }
    }
    let penalty = 0;
    for (let j = 0; j < p; j++) {
      let gj = 0;
      const col = X[j]!;
      for (let i = 0; i < n; i++) gj += residual[i]! * col[i]!;
      grad[j] = gj / n + l2 * theta[j]!;
      penalty += 0.5 * l2 * theta[j]! ** 2;
    }
    if (fitIntercept) {
      let t = 0;
      for (let i = 0; i < n; i++) t += residual[i]!;
      grad[p] = t / n;
    }
    return loss / n + penalty;
  };
}

/** Rows scored together: the block of K scores per row stays small (bounded memory whatever n is). */
const BLOCK = 256;

/**
 * Mean multinomial log-loss −log softmax(z)_y with z = W x + b, through a stable
 * log-sum-exp (the largest score is subtracted before exponentiating). Works through
 * the rows in blocks, so memory is O(K·(p + BLOCK)) however many rows there are.
 */
export function softmaxObjective(X: readonly Float64Array[], y: Float64Array, classes: number, fitIntercept: boolean, l2: number): Objective {
  const n = y.length;
  const p = X.length;
  const K = classes;
  const scores = new Float64Array(BLOCK * K);
  return (theta, grad) => {
    grad.fill(0);
    let loss = 0;
    for (let start = 0; start < n; start += BLOCK) {
      const m = Math.min(BLOCK, n - start);
      // scores[k·BLOCK + r] = b_k + Σ_j W_kj x_{start+r, j}
      for (let k = 0; k < K; k++) scores.fill(fitIntercept ? theta[K * p + k]! : 0, k * BLOCK, k * BLOCK + m);
      for (let j = 0; j < p; j++) {
        const col = X[j]!;
        for (let k = 0; k < K; k++) {
          const w = theta[k * p + j]!;
          if (w === 0) continue;
          const o = k * BLOCK - start;
          for (let i = start; i < start + m; i++) scores[o + i]! += w * col[i]!;
        }
      }
      // Turn scores into probabilities minus the one-hot target (the gradient of the loss in z).
      for (let r = 0; r < m; r++) {
        let top = Number.NEGATIVE_INFINITY;
        for (let k = 0; k < K; k++) top = Math.max(top, scores[k * BLOCK + r]!);
        let sum = 0;
        for (let k = 0; k < K; k++) sum += Math.exp(scores[k * BLOCK + r]! - top);
        const label = y[start + r]!;
        loss += top + Math.log(sum) - scores[label * BLOCK + r]!;
        for (let k = 0; k < K; k++) scores[k * BLOCK + r] = Math.exp(scores[k * BLOCK + r]! - top) / sum - (k === label ? 1 : 0);
      }
      for (let k = 0; k < K; k++) {
        const o = k * BLOCK - start;
        for (let j = 0; j < p; j++) {
          const col = X[j]!;
          let t = 0;
          for (let i = start; i < start + m; i++) t += scores[o + i]! * col[i]!;
          grad[k * p + j]! += t;
        }
        if (fitIntercept) {
          let t = 0;
          for (let r = 0; r < m; r++) t += scores[k * BLOCK + r]!;
          grad[K * p + k]! += t;
        }
      }
    }
    let penalty = 0;
    for (let q = 0; q < K * p; q++) {
      grad[q] = grad[q]! / n + l2 * theta[q]!;
      penalty += 0.5 * l2 * theta[q]! ** 2;
    }
    if (fitIntercept) for (let k = 0; k < K; k++) grad[K * p + k] = grad[K * p + k]! / n;
    return loss / n + penalty;
  };
}
