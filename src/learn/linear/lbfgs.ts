/**
 * Limited-memory BFGS (Nocedal & Wright, Numerical Optimization, algorithm 7.4 and
 * 7.5) with a backtracking line search on the Armijo condition: minimises a smooth
 * function given its value and gradient.
 */
export interface LbfgsOptions {
  readonly maxIter: number;
  /** Stop when the gradient's infinity norm falls below this. */
  readonly gradientTolerance: number;
  /** Pairs of past steps kept. */
  readonly memory: number;
}

export interface LbfgsResult {
  readonly x: Float64Array;
  readonly value: number;
  readonly iterations: number;
  readonly converged: boolean;
}

export function lbfgs(
  f: (x: Float64Array, gradient: Float64Array) => number,
  x0: Float64Array,
  options: LbfgsOptions,
  onIteration?: (iteration: number, value: number) => void,
): LbfgsResult {
  const n = x0.length;
  let x = x0.slice();
  let g = new Float64Array(n);
  let value = f(x, g);
  const s: Float64Array[] = [];
  const y: Float64Array[] = [];
  const rho: number[] = [];
  const dot = (a: Float64Array, b: Float64Array) => {
    let t = 0;
    for (let i = 0; i < n; i++) t += a[i]! * b[i]!;
    return t;
  };
  const norm = (a: Float64Array) => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  for (let iter = 1; iter <= options.maxIter; iter++) {
    if (norm(g) < options.gradientTolerance) return { x, value, iterations: iter - 1, converged: true };
    // Two-loop recursion: d = −H g.
    const q = g.slice();
    const alpha = new Array<number>(s.length);
    for (let k = s.length - 1; k >= 0; k--) {
      alpha[k] = rho[k]! * dot(s[k]!, q);
      for (let i = 0; i < n; i++) q[i]! -= alpha[k]! * y[k]![i]!;
    }
    const gamma = s.length > 0 ? dot(s[s.length - 1]!, y[y.length - 1]!) / dot(y[y.length - 1]!, y[y.length - 1]!) : 1 / Math.max(1, norm(g));
    for (let i = 0; i < n; i++) q[i]! *= gamma;
    for (let k = 0; k < s.length; k++) {
      const beta = rho[k]! * dot(y[k]!, q);
      for (let i = 0; i < n; i++) q[i]! += s[k]![i]! * (alpha[k]! - beta);
    }
    const d = q.map((v) => -v);
    let slope = dot(g, d);
    if (slope >= 0) {
      // Not a descent direction (curvature lost): restart from steepest descent.
      s.length = y.length = rho.length = 0;
      for (let i = 0; i < n; i++) d[i] = -g[i]!;
      slope = dot(g, d);
    }
    let step = 1;
    const xNew = new Float64Array(n);
    const gNew = new Float64Array(n);
    let valueNew = Number.POSITIVE_INFINITY;
    for (let tries = 0; tries < 50; tries++) {
      for (let i = 0; i < n; i++) xNew[i] = x[i]! + step * d[i]!;
      valueNew = f(xNew, gNew);
      if (valueNew <= value + 1e-4 * step * slope) break;
      step *= 0.5;
    }
    if (!(valueNew < value) && !(valueNew <= value + 1e-4 * step * slope)) return { x, value, iterations: iter, converged: false };
    const sk = xNew.map((v, i) => v - x[i]!);
    const yk = gNew.map((v, i) => v - g[i]!);
    const sy = dot(sk, yk);
    if (sy > 1e-12) {
      s.push(sk);
      y.push(yk);
      rho.push(1 / sy);
      if (s.length > options.memory) {
        s.shift();
        y.shift();
        rho.shift();
      }
    }
    const improvement = value - valueNew;
    x = xNew;
    g = gNew;
    value = valueNew;
    onIteration?.(iter, value);
    if (improvement >= 0 && improvement < 1e-15 * Math.max(1, Math.abs(value))) return { x, value, iterations: iter, converged: true };
  }
  return { x, value, iterations: options.maxIter, converged: norm(g) < options.gradientTolerance };
}
