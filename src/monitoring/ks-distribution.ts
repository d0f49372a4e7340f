/**
 * The two-sample Kolmogorov–Smirnov p-value as SciPy 1.10's `ks_2samp(x, y, method='auto')`
 * computes it (two-sided), ported from `scipy/stats/_stats_py.py` and `_ksstats.py`:
 * exact when both samples have at most 10,000 values (Hodges' lattice-path count, in
 * Viehmann's form for unequal sizes), otherwise the one-sample distribution `kstwo.sf(d, round(en))`
 * with `en = n1·n2 / (n1 + n2)` (Simard & L'Ecuyer's choice of algorithm per region).
 * Pure arithmetic, no I/O.
 *
 * One deviation: where SciPy uses Pomeranz's recursion (n ≤ 140, 0.754693 < n·d² ≤ 4) this
 * uses the Durbin matrix (Marsaglia–Tsang–Wang), also an exact algorithm, so the two agree
 * to rounding.
 */

/** SciPy's `MAX_AUTO_N`: up to this sample size `method='auto'` computes the exact p-value. */
export const KS_EXACT_MAX_N = 10_000;

export interface KsPValue {
  /** The statistic as SciPy reports it: in exact mode rounded to a multiple of 1/lcm(n1, n2). */
  readonly statistic: number;
  readonly pValue: number;
  readonly method: 'exact' | 'asymp';
}

/** The p-value of a two-sided two-sample KS statistic `d` for sample sizes `n1`, `n2` (both ≥ 1). */
export function ksTwoSamplePValue(d: number, n1: number, n2: number): KsPValue {
  if (Math.max(n1, n2) <= KS_EXACT_MAX_N) {
    const g = gcd(n1, n2);
    const lcm = (n1 / g) * n2;
    const h = Math.round(d * lcm);
    const exactD = h / lcm;
    if (h === 0) return { statistic: exactD, pValue: 1, method: 'exact' };
    const prob = n1 === n2 ? probOutsideSquare(n1, h) : outerProbInside(n1, n2, g, h);
    // SciPy falls back to the asymptotic form when the exact sum overflows or leaves [0, 1].
    if (Number.isFinite(prob) && prob >= 0 && prob <= 1) return { statistic: exactD, pValue: prob, method: 'exact' };
    d = exactD;
  }
  const [m, n] = n1 >= n2 ? [n1, n2] : [n2, n1];
  const en = (m * n) / (m + n);
  return { statistic: d, pValue: clip(kolmogorovSf(Math.round(en), d)), method: 'asymp' };
}

/** Pr(D_{n,n} ≥ h/n): SciPy's `_compute_prob_outside_square` (a Horner-like alternating sum). */
function probOutsideSquare(n: number, h: number): number {
  let p = 0;
  for (let k = Math.floor(n / h); k >= 0; k--) {
    let p1 = 1;
    for (let j = 0; j < h; j++) p1 = ((n - k * h - j) * p1) / (n + k * h + j + 1);
    p = p1 * (1 - p);
  }
  return 2 * p;
}

/**
 * 1 − (share of lattice paths from (0,0) to (m,n) staying strictly inside |x/m − y/n| < h/lcm),
 * computed directly (Viehmann 2021, arXiv:2102.08037) as SciPy's `_compute_outer_prob_inside_method`.
 */
function outerProbInside(m0: number, n0: number, g: number, h: number): number {
  const [m, n] = m0 >= n0 ? [m0, n0] : [n0, m0];
  const mg = m / g;
  const ng = n / g;
  let minj = 0;
  let maxj = Math.min(Math.ceil(h / mg), n + 1);
  let curlen = maxj - minj;
  const lenA = Math.min(2 * maxj + 2, n + 1);
  const a = new Float64Array(lenA).fill(1);
  a.fill(0, minj, maxj);
  for (let i = 1; i <= m; i++) {
    const lastminj = minj;
    const lastlen = curlen;
    minj = Math.min(Math.max(Math.floor((ng * i - h) / mg) + 1, 0), n);
    maxj = Math.min(Math.ceil((ng * i + h) / mg), n + 1);
    if (maxj <= minj) return 1;
    let val = minj === 0 ? 0 : 1;
    for (let jj = 0; jj < maxj - minj; jj++) {
      const j = jj + minj;
      val = (a[jj + minj - lastminj]! * i + val * j) / (i + j);
      a[jj] = val;
    }
    curlen = maxj - minj;
    if (lastlen > curlen) a.fill(1, maxj - minj, maxj - minj + (lastlen - curlen));
  }
  return a[maxj - minj - 1]!;
}

/** Pr(D_n ≥ x) of the one-sample two-sided statistic: SciPy's `kstwo.sf` (`_kolmogn(n, x, cdf=False)`). */
export function kolmogorovSf(n: number, x: number): number {
  if (!(n >= 1) || !Number.isFinite(x)) return Number.NaN;
  if (x >= 1) return 0;
  if (x <= 0) return 1;
  const t = n * x;
  if (t <= 1) {
    if (t <= 0.5) return 1;
    const logProb = n <= 140 ? sumLogs(n, (i) => Math.log((i / n) * (2 * t - 1))) : logFactorialOverPower(n) + n * Math.log(2 * t - 1);
    return clip(1 - Math.exp(logProb));
  }
  if (t >= n - 1) return clip(2 * (1 - x) ** n);
  if (x >= 0.5) return clip(2 * smirnov(n, x));
  const nxx = t * x;
  if (n <= 140) {
    if (nxx <= 4) return clip(1 - durbinCdf(n, x));
    return clip(2 * smirnov(n, x));
  }
  if (nxx >= 370) return 0;
  if (nxx >= 2.2) return clip(2 * smirnov(n, x));
  const cdf = n <= 100_000 && n * x ** 1.5 <= 1.4 ? durbinCdf(n, x) : pelzGoodCdf(n, x);
  return clip(1 - cdf);
}

/**
 * Pr(D+_n ≥ d), the one-sided statistic, by the Birnbaum–Tingey sum (what `scipy.special.smirnov`
 * evaluates), term by term in logarithms so large n neither overflows nor underflows.
 */
export function smirnov(n: number, d: number): number {
  if (d <= 0) return 1;
  if (d >= 1) return 0;
  const last = Math.floor(n * (1 - d));
  let logBinom = 0;
  let sum = 0;
  for (let j = 0; j <= last; j++) {
    if (j > 0) logBinom += Math.log((n - j + 1) / j);
    const rest = 1 - d - j / n;
    if (rest <= 0) {
      if (n - j === 0) sum += Math.exp(logBinom + (j - 1) * Math.log(d + j / n));
      continue;
    }
    sum += Math.exp(logBinom + (j - 1) * Math.log(d + j / n) + (n - j) * Math.log(rest));
  }
  return Math.min(1, Math.max(0, d * sum));
}

const E128 = 2 ** 128;
const EM128 = 2 ** -128;

/** Pr(D_n ≤ d) by the Durbin matrix (Marsaglia, Tsang & Wang 2003), SciPy's `_kolmogn_DMTW`. */
function durbinCdf(n: number, d: number): number {
  if (d >= 1) return 1;
  const nd = n * d;
  if (nd <= 0.5) return 0;
  const k = Math.ceil(nd);
  const h = k - nd;
  const m = 2 * k - 1;
  const v = new Float64Array(m);
  const w = new Float64Array(m);
  let fac = 1;
  for (let j = 1; j <= m; j++) {
    w[j - 1] = fac;
    fac /= j;
    v[j - 1] = (1 - h ** j) * fac;
  }
  const tt = Math.max(2 * h - 1, 0) ** m - 2 * h ** m;
  v[m - 1] = (1 + tt) * fac;
  let hm = new Float64Array(m * m);
  for (let i = 1; i < m; i++) for (let r = i - 1; r < m; r++) hm[r * m + i] = w[r - i + 1]!;
  for (let r = 0; r < m; r++) hm[r * m] = v[r]!;
  for (let c = 0; c < m; c++) hm[(m - 1) * m + c] = v[m - 1 - c]!;

  let pw = new Float64Array(m * m);
  for (let i = 0; i < m; i++) pw[i * m + i] = 1;
  let nn = n;
  let expnt = 0;
  let hExpnt = 0;
  while (nn > 0) {
    if (nn % 2) {
      pw = matmul(pw, hm, m);
      expnt += hExpnt;
    }
    hm = matmul(hm, hm, m);
    hExpnt *= 2;
    if (Math.abs(hm[(k - 1) * m + (k - 1)]!) > E128) {
      for (let i = 0; i < hm.length; i++) hm[i]! /= E128;
      hExpnt += 128;
    }
    nn = Math.floor(nn / 2);
  }
  let p = pw[(k - 1) * m + (k - 1)]!;
  for (let i = 1; i <= n; i++) {
    p = (i * p) / n;
    if (Math.abs(p) < EM128) {
      p *= E128;
      expnt -= 128;
    }
  }
  return clip(p * 2 ** expnt);
}

function matmul(a: Float64Array, b: Float64Array, m: number): Float64Array<ArrayBuffer> {
  const out = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let l = 0; l < m; l++) {
      const ail = a[i * m + l]!;
      if (ail === 0) continue;
      for (let j = 0; j < m; j++) out[i * m + j]! += ail * b[l * m + j]!;
    }
  }
  return out;
}

/** Pelz & Good's (1976) asymptotic series for Pr(D_n ≤ x), SciPy's `_kolmogn_PelzGood`. */
function pelzGoodCdf(n: number, x: number): number {
  const PI2 = Math.PI ** 2;
  const PI4 = Math.PI ** 4;
  const PI6 = Math.PI ** 6;
  const SQRT2PI = Math.sqrt(2 * Math.PI);
  const z = Math.sqrt(n) * x;
  const z2 = z ** 2;
  const z3 = z ** 3;
  const z4 = z ** 4;
  const z6 = z ** 6;
  const qlog = -PI2 / 8 / z2;
  if (qlog < -708) return 0;
  let q = Math.exp(qlog);
  const k1a = -z2;
  const k1b = PI2 / 4;
  const k2a = 6 * z6 + 2 * z4;
  const k2b = ((2 * z4 - 5 * z2) * PI2) / 4;
  const k2c = (PI4 * (1 - 2 * z2)) / 16;
  const k3d = (PI6 * (5 - 30 * z2)) / 64;
  const k3c = (PI4 * (-60 * z2 + 212 * z4)) / 16;
  const k3b = (PI2 * (135 * z4 - 96 * z6)) / 4;
  const k3a = -30 * z6 - 90 * z ** 8;
  const K = [0, 0, 0, 0];
  const maxk = Math.ceil((16 * z) / Math.PI);
  for (let k = maxk; k > 0; k--) {
    const m = 2 * k - 1;
    const m2 = m ** 2;
    const m4 = m ** 4;
    const m6 = m ** 6;
    const qp = q ** (8 * k);
    const c = [1, k1a + k1b * m2, k2a + k2b * m2 + k2c * m4, k3a + k3b * m2 + k3c * m4 + k3d * m6];
    for (let i = 0; i < 4; i++) K[i] = K[i]! * qp + c[i]!;
  }
  const div = [z, 6 * z4, 72 * z ** 7, 6480 * z ** 10];
  for (let i = 0; i < 4; i++) K[i] = (K[i]! * q * SQRT2PI) / div[i]!;
  q = Math.exp(-PI2 / 2 / z2);
  const sqrt3z = Math.sqrt(3) * z;
  let k2extra = 0;
  let k3extra = 0;
  for (let k = maxk; k > 0; k--) {
    const k2 = k * k;
    const qp = q ** k2;
    k2extra += k2 * qp;
    const kspi = Math.PI * k;
    k3extra += (sqrt3z + kspi) * (sqrt3z - kspi) * k2 * qp;
  }
  K[2]! += (k2extra * PI2 * SQRT2PI) / (-36 * z3);
  K[3]! += (k3extra * PI2 * SQRT2PI) / (216 * z6);
  let sum = 0;
  for (let i = 0; i < 4; i++) sum += K[i]! / n ** (i / 2);
  return sum;
}

/** log(n! / nⁿ) by Stirling's series (n > 140, where its error is far below double precision). */
function logFactorialOverPower(n: number): number {
  return -n + 0.5 * Math.log(2 * Math.PI * n) + 1 / (12 * n) - 1 / (360 * n ** 3);
}

function sumLogs(n: number, term: (i: number) => number): number {
  let s = 0;
  for (let i = 1; i <= n; i++) s += term(i);
  return s;
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

const clip = (p: number): number => (Number.isNaN(p) ? p : Math.min(1, Math.max(0, p)));
