/**
 * Limited-memory BFGS (Nocedal & Wright, Numerical Optimization, algorithm 7.4 and
 * 7.5) with a backtracking line search on the Armijo condition: minimises a smooth
 * function given its value and gradient.
 *
 * With `l1` weights it becomes OWL-QN (Andrew & Gao, "Scalable training of
 * L1-regularized log-linear models", ICML 2007): it minimises f(x) + Σ l1ᵢ·|xᵢ|,
 * stepping along the pseudo-gradient and never letting a penalised coordinate cross
 * zero within one step, so L1 solutions come out with exact zeros. With every weight
 * 0 (or no `l1`) it is plain L-BFGS, step for step.
 */
export interface LbfgsOptions {
  readonly maxIter: number;
  /** Stop when the (pseudo-)gradient's infinity norm falls below this. */
  readonly gradientTolerance: number;
  /** Pairs of past steps kept. */
  readonly memory: number;
  /**
   * Stop when an iteration lowers the objective by less than this fraction of it
   * (scipy's `ftol`; default 1e-15, i.e. only at the limit of double precision).
   */
  readonly relativeDecreaseTolerance?: number;
  /** Per-coordinate L1 weights (≥ 0) added to the objective as Σ l1ᵢ·|xᵢ|; absent: none. */
  readonly l1?: Float64Array;
}

export interface LbfgsResult {
  readonly x: Float64Array;
  /** The objective reached, L1 term included. */
  readonly value: number;
  readonly iterations: number;
  readonly converged: boolean;
}

/** The pseudo-gradient of f + Σ c|x| (Andrew & Gao, section 3.1): the gradient where it exists, the smallest-norm subgradient at kinks. */
function pseudoGradient(x: Float64Array, g: Float64Array, c: Float64Array | undefined, out: Float64Array): Float64Array {
  for (let i = 0; i < x.length; i++) {
    const ci = c === undefined ? 0 : c[i]!;
    const gi = g[i]!;
    if (ci === 0) out[i] = gi;
    else if (x[i]! > 0) out[i] = gi + ci;
    else if (x[i]! < 0) out[i] = gi - ci;
    else if (gi + ci < 0) out[i] = gi + ci;
    else if (gi - ci > 0) out[i] = gi - ci;
    else out[i] = 0;
  }
  return out;
}

export function lbfgs(
  f: (x: Float64Array, gradient: Float64Array) => number,
  x0: Float64Array,
  options: LbfgsOptions,
  onIteration?: (iteration: number, value: number) => void,
): LbfgsResult {
  const n = x0.length;
  const c = options.l1 !== undefined && options.l1.some((v) => v > 0) ? options.l1 : undefined;
  const penalty = (x: Float64Array) => {
    if (c === undefined) return 0;
    let t = 0;
    for (let i = 0; i < n; i++) t += c[i]! * Math.abs(x[i]!);
    return t;
  };
  let x = x0.slice();
  let g = new Float64Array(n);
  let value = f(x, g) + penalty(x);
  const pg = new Float64Array(n);
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
    pseudoGradient(x, g, c, pg);
    if (norm(pg) < options.gradientTolerance) return { x, value, iterations: iter - 1, converged: true };
    // Two-loop recursion: d = −H v, with v the pseudo-gradient (the gradient when smooth).
    const q = pg.slice();
    const alpha = new Array<number>(s.length);
    for (let k = s.length - 1; k >= 0; k--) {
      alpha[k] = rho[k]! * dot(s[k]!, q);
      for (let i = 0; i < n; i++) q[i]! -= alpha[k]! * y[k]![i]!;
    }
    const gamma = s.length > 0 ? dot(s[s.length - 1]!, y[y.length - 1]!) / dot(y[y.length - 1]!, y[y.length - 1]!) : 1 / Math.max(1, norm(pg));
    for (let i = 0; i < n; i++) q[i]! *= gamma;
    for (let k = 0; k < s.length; k++) {
      const beta = rho[k]! * dot(y[k]!, q);
      for (let i = 0; i < n; i++) q[i]! += s[k]![i]! * (alpha[k]! - beta);
    }
    const d = q.map((v) => -v);
    // OWL-QN: a penalised coordinate only moves the way its pseudo-gradient descends.
    if (c !== undefined) for (let i = 0; i < n; i++) if (c[i]! > 0 && d[i]! * pg[i]! >= 0) d[i] = 0;
    let slope = dot(pg, d);
    if (slope >= 0) {
      // Not a descent direction (curvature lost): restart from steepest descent.
      s.length = y.length = rho.length = 0;
      for (let i = 0; i < n; i++) d[i] = -pg[i]!;
      slope = dot(pg, d);
    }
    // The orthant the step stays in: the current signs, or the descent side at zero.
    const orthant = c === undefined ? undefined : Float64Array.from(x, (v, i) => (v !== 0 ? Math.sign(v) : -Math.sign(pg[i]!)));
    let step = 1;
    const xNew = new Float64Array(n);
    const gNew = new Float64Array(n);
    let valueNew = Number.POSITIVE_INFINITY;
    let decrease = step * slope;
    for (let tries = 0; tries < 50; tries++) {
      for (let i = 0; i < n; i++) xNew[i] = x[i]! + step * d[i]!;
      if (orthant !== undefined) {
        for (let i = 0; i < n; i++) if (c![i]! > 0 && xNew[i]! * orthant[i]! <= 0) xNew[i] = 0;
        decrease = 0;
        for (let i = 0; i < n; i++) decrease += pg[i]! * (xNew[i]! - x[i]!);
      } else decrease = step * slope;
      valueNew = f(xNew, gNew) + penalty(xNew);
      if (valueNew <= value + 1e-4 * decrease) break;
      step *= 0.5;
    }
    if (!(valueNew < value) && !(valueNew <= value + 1e-4 * decrease)) return { x, value, iterations: iter, converged: false };
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
    if (improvement >= 0 && improvement < (options.relativeDecreaseTolerance ?? 1e-15) * Math.max(1, Math.abs(value))) return { x, value, iterations: iter, converged: true };
  }
  return { x, value, iterations: options.maxIter, converged: norm(pseudoGradient(x, g, c, pg)) < options.gradientTolerance };
}
