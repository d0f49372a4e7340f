/**
 * Drift statistics between a reference and a current sample, computed from summaries
 * (category counts, histogram bins, or distinct values with their counts per sample) so
 * that DuckDB aggregates the rows and JavaScript sees only the aggregates. Pure: no I/O.
 *
 * Definitions follow SciPy 1.10 (`ks_2samp`, `chi2_contingency`, `jensenshannon`,
 * `wasserstein_distance`) and Evidently (PSI, normalised Wasserstein, z-test for proportions).
 * Degenerate inputs (an empty sample, a constant reference) give defined results, never NaN:
 * see each function.
 */
import { ksTwoSamplePValue } from './ks-distribution.js';

/** Distinct values in increasing order with how often each occurs in the reference and current samples. */
export interface ValueCounts {
  readonly values: ArrayLike<number>;
  readonly reference: ArrayLike<number>;
  readonly current: ArrayLike<number>;
}

export interface TestResult {
  readonly statistic: number;
  readonly pValue: number;
}

const total = (xs: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i]!;
  return s;
};

/**
 * Two-sample Kolmogorov–Smirnov test, two-sided, as `scipy.stats.ks_2samp(x, y, method='auto')`:
 * the largest distance between the two empirical CDFs, with its exact (both samples ≤ 10,000)
 * or asymptotic p-value. Exact from value counts: the CDFs only change at distinct values.
 * An empty sample gives statistic 0 and p-value 1 (no evidence of drift).
 */
export function kolmogorovSmirnov(counts: ValueCounts): TestResult & { method: 'exact' | 'asymp' } {
  const n1 = total(counts.reference);
  const n2 = total(counts.current);
  if (n1 === 0 || n2 === 0) return { statistic: 0, pValue: 1, method: 'exact' };
  let c1 = 0;
  let c2 = 0;
  let d = 0;
  for (let i = 0; i < counts.values.length; i++) {
    c1 += counts.reference[i]!;
    c2 += counts.current[i]!;
    // The same floating-point expression as SciPy (count / n1 − count / n2), so ties land alike.
    d = Math.max(d, Math.abs(c1 / n1 - c2 / n2));
  }
  return ksTwoSamplePValue(d, n1, n2);
}

/**
 * First Wasserstein (earth mover's) distance between the two empirical distributions, as
 * `scipy.stats.wasserstein_distance(x, y)`: the area between their CDFs.
 */
export function wasserstein(counts: ValueCounts): number {
  const n1 = total(counts.reference);
  const n2 = total(counts.current);
  if (n1 === 0 || n2 === 0) return 0;
  let c1 = 0;
  let c2 = 0;
  let area = 0;
  for (let i = 0; i + 1 < counts.values.length; i++) {
    c1 += counts.reference[i]!;
    c2 += counts.current[i]!;
    area += Math.abs(c1 / n1 - c2 / n2) * (counts.values[i + 1]! - counts.values[i]!);
  }
  return area;
}

/**
 * Wasserstein distance divided by the reference's population standard deviation (ddof 0), as
 * Evidently's `wasserstein_distance_norm`. A constant reference (std 0) has no scale: the
 * distance is then 0 when the current sample sits on the same value and +Infinity otherwise
 * (reported as drift), instead of NaN.
 */
export function normalizedWasserstein(counts: ValueCounts, referenceStd: number): number {
  const w = wasserstein(counts);
  if (referenceStd > 0) return w / referenceStd;
  return w === 0 ? 0 : Number.POSITIVE_INFINITY;
}

/**
 * Chi-square test of homogeneity of two samples over categories (a 2 × k contingency table),
 * as `scipy.stats.chi2_contingency([reference, current], correction=False)`. Categories seen in
 * neither sample are left out. Fewer than two categories, or an empty sample, give statistic 0
 * and p-value 1.
 */
export function chiSquareHomogeneity(reference: ArrayLike<number>, current: ArrayLike<number>): TestResult & { dof: number } {
  const cols: [number, number][] = [];
  for (let i = 0; i < reference.length; i++) if (reference[i]! + current[i]! > 0) cols.push([reference[i]!, current[i]!]);
  const n1 = cols.reduce((s, [a]) => s + a, 0);
  const n2 = cols.reduce((s, [, b]) => s + b, 0);
  const dof = cols.length - 1;
  if (dof < 1 || n1 === 0 || n2 === 0) return { statistic: 0, pValue: 1, dof: Math.max(dof, 0) };
  const n = n1 + n2;
  let stat = 0;
  for (const [a, b] of cols) {
    const col = a + b;
    const e1 = (n1 * col) / n;
    const e2 = (n2 * col) / n;
    stat += (a - e1) ** 2 / e1 + (b - e2) ** 2 / e2;
  }
  return { statistic: stat, pValue: chiSquareSf(stat, dof), dof };
}

/**
 * Two-sided z-test for the difference of two proportions with the pooled proportion (Evidently's
 * `z_stat_test`): `x1` of `n1` reference values and `x2` of `n2` current values are in the category.
 * When the pooled proportion is 0 or 1 (no variance) the samples agree: z 0, p-value 1.
 */
export function zTestProportions(x1: number, n1: number, x2: number, n2: number): TestResult {
  if (n1 === 0 || n2 === 0) return { statistic: 0, pValue: 1 };
  const p = (x1 + x2) / (n1 + n2);
  const se = Math.sqrt(p * (1 - p) * (1 / n1 + 1 / n2));
  if (!(se > 0)) return { statistic: 0, pValue: 1 };
  const z = (x1 / n1 - x2 / n2) / se;
  return { statistic: z, pValue: 2 * normalSf(Math.abs(z)) };
}

/** Shares of each bin, with empty bins set to `floor` (Evidently fills them with 0.0001) so logarithms stay finite. */
function shares(counts: ArrayLike<number>, floor: number): number[] {
  const n = total(counts);
  return Array.from({ length: counts.length }, (_, i) => (n === 0 ? 0 : counts[i]! / n) || floor);
}

/**
 * Population Stability Index over bins or categories, Σ (r − c) · ln(r / c) over shares, as
 * Evidently's `psi` (empty bins count as a share of 0.0001). Empty samples give 0.
 */
export function populationStabilityIndex(reference: ArrayLike<number>, current: ArrayLike<number>, emptyShare = 0.0001): number {
  if (total(reference) === 0 || total(current) === 0) return 0;
  const r = shares(reference, emptyShare);
  const c = shares(current, emptyShare);
  let psi = 0;
  for (let i = 0; i < r.length; i++) psi += (r[i]! - c[i]!) * Math.log(r[i]! / c[i]!);
  return psi;
}

/**
 * Jensen–Shannon distance (the square root of the divergence, natural logarithm) between the
 * two distributions over bins or categories, as `scipy.spatial.distance.jensenshannon(r, c)`.
 * Between 0 and √ln 2. Empty samples give 0.
 */
export function jensenShannonDistance(reference: ArrayLike<number>, current: ArrayLike<number>): number {
  const n1 = total(reference);
  const n2 = total(current);
  if (n1 === 0 || n2 === 0) return 0;
  let js = 0;
  for (let i = 0; i < reference.length; i++) {
    const p = reference[i]! / n1;
    const q = current[i]! / n2;
    const m = (p + q) / 2;
    if (p > 0) js += p * Math.log(p / m);
    if (q > 0) js += q * Math.log(q / m);
  }
  return Math.sqrt(Math.max(js / 2, 0));
}

/** L-infinity distance between category frequency vectors: the largest difference of shares. */
export function lInfinity(reference: ArrayLike<number>, current: ArrayLike<number>): number {
  const n1 = total(reference);
  const n2 = total(current);
  if (n1 === 0 || n2 === 0) return 0;
  let d = 0;
  for (let i = 0; i < reference.length; i++) d = Math.max(d, Math.abs(reference[i]! / n1 - current[i]! / n2));
  return d;
}

/** Upper tail of the chi-square distribution with `dof` degrees of freedom. */
export function chiSquareSf(x: number, dof: number): number {
  if (x <= 0) return 1;
  return gammaQ(dof / 2, x / 2);
}

/** Upper tail of the standard normal distribution: erfc(z / √2) / 2. */
export function normalSf(z: number): number {
  if (z < 0) return 1 - normalSf(-z);
  return gammaQ(0.5, (z * z) / 2) / 2;
}

/**
 * The regularised upper incomplete gamma function Q(a, x): a series below a + 1, a continued
 * fraction (modified Lentz) above, both to double precision (Numerical Recipes §6.2).
 */
export function gammaQ(a: number, x: number): number {
  if (x <= 0) return 1;
  const lnPrefix = a * Math.log(x) - x - logGamma(a);
  if (x < a + 1) {
    let term = 1 / a;
    let sum = term;
    for (let k = 1; k < 10_000; k++) {
      term *= x / (a + k);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * 1e-17) break;
    }
    return Math.max(0, 1 - sum * Math.exp(lnPrefix));
  }
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 10_000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(lnPrefix) * h;
}

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012,
  9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln Γ(a) for a > 0 (Lanczos, g = 7: about 15 significant digits). */
export function logGamma(a: number): number {
  if (a < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * a)) - logGamma(1 - a);
  const z = a - 1;
  let x = LANCZOS[0]!;
  for (let i = 1; i < 9; i++) x += LANCZOS[i]! / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(x);
}
