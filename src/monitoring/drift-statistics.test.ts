import { describe, expect, it } from 'vitest';
import { kolmogorovSf } from './ks-distribution.js';
import {
  chiSquareHomogeneity,
  chiSquareSf,
  jensenShannonDistance,
  kolmogorovSmirnov,
  lInfinity,
  normalizedWasserstein,
  normalSf,
  populationStabilityIndex,
  wasserstein,
  zTestProportions,
  type ValueCounts,
} from './drift-statistics.js';

// Every expected value below was printed once by test/fixtures/drift-scipy-reference.py under
// Debian's python3-scipy (SciPy 1.10.1, NumPy 1.24.2); the script names each exact call.
const TOL = 1e-6;

/** sample(n, mul, mod, shift)[i] = (i * mul) % mod + shift, as in the reference script. */
function sample(n: number, mul: number, mod: number, shift: number, scale = 1): number[] {
  return Array.from({ length: n }, (_, i) => (((i * mul) % mod) + shift) / scale);
}

function valueCounts(a: number[], b: number[]): ValueCounts {
  const values = [...new Set([...a, ...b])].sort((x, y) => x - y);
  const index = new Map(values.map((v, i) => [v, i]));
  const reference = new Float64Array(values.length);
  const current = new Float64Array(values.length);
  for (const v of a) reference[index.get(v)!]! += 1;
  for (const v of b) current[index.get(v)!]! += 1;
  return { values, reference, current };
}

describe('kolmogorovSmirnov (scipy.stats.ks_2samp(a, b, method="auto"))', () => {
  const cases: [number[], number, number, string][] = [
    [[60, 7919, 100, 0, 60, 104729, 100, 5], 0.06666666666666667, 0.9994855219552188, 'exact'],
    [[300, 7919, 1000, 0, 170, 104729, 1000, 40], 0.04490196078431372, 0.9721912490321226, 'exact'],
    [[1000, 7919, 997, 0, 2500, 104729, 997, 45], 0.046, 0.09490921873619979, 'exact'],
    [[900, 31, 50, 0, 1100, 17, 51, 0], 0.31363636363636366, 1.5745423481128337e-43, 'exact'],
    [[20000, 7919, 10007, 0, 15000, 104729, 10007, 150], 0.015083333333333337, 0.04007762438154683, 'asymp'],
    [[20000, 7919, 10007, 0, 15000, 104729, 10007, 70], 0.007100000000000106, 0.777776189282569, 'asymp'],
    [[12000, 7919, 10007, 0, 90, 104729, 10007, 300], 0.04458333333333331, 0.9911254344463032, 'asymp'],
  ];
  for (const [c, statistic, pValue, method] of cases) {
    it(`matches SciPy for ${c.join(', ')}`, () => {
      const r = kolmogorovSmirnov(valueCounts(sample(c[0]!, c[1]!, c[2]!, c[3]!), sample(c[4]!, c[5]!, c[6]!, c[7]!)));
      expect(r.statistic).toBeCloseTo(statistic, 12);
      expect(Math.abs(r.pValue - pValue)).toBeLessThan(TOL);
      expect(r.method).toBe(method);
    });
  }

  it('gives p = 1 for identical samples and for an empty sample', () => {
    const a = sample(500, 7919, 1000, 0);
    expect(kolmogorovSmirnov(valueCounts(a, a))).toMatchObject({ statistic: 0, pValue: 1 });
    expect(kolmogorovSmirnov(valueCounts(a, []))).toMatchObject({ statistic: 0, pValue: 1 });
  });
});

describe('kolmogorovSf (scipy.stats.kstwo.sf(x, n)) across its algorithm regions', () => {
  const cases: [number, number, number][] = [
    [200, 0.05, 0.6802625495871704],
    [200, 0.12, 0.005745760601982814],
    [5000, 0.01, 0.6954557253913853],
    [5000, 0.03, 0.00024159234422666817],
    [250000, 0.001, 0.9637319876831367],
    [250000, 0.0025, 0.08771999210232029],
    [250000, 0.004, 0.0006691242219145274],
    [90, 0.1, 0.30828235590388936],
    [90, 0.3, 1.113362757100819e-7],
    [1000, 0.6, 0],
    [1000, 0.0007, 1],
  ];
  for (const [n, x, expected] of cases) {
    it(`n=${n}, x=${x}`, () => expect(Math.abs(kolmogorovSf(n, x) - expected)).toBeLessThan(TOL));
  }
});

describe('category and bin statistics', () => {
  const ref = [120, 45, 30, 5];
  const cur = [100, 60, 20, 20];

  it('chi-square of homogeneity matches chi2_contingency(..., correction=False)', () => {
    const r = chiSquareHomogeneity(ref, cur);
    expect(r.statistic).toBeCloseTo(14.96103896103896, 9);
    expect(Math.abs(r.pValue - 0.0018502483632162595)).toBeLessThan(TOL);
    expect(r.dof).toBe(3);
    const b = chiSquareHomogeneity([400, 380, 220, 0], [395, 410, 195, 0]);
    expect(b.statistic).toBeCloseTo(2.6767111435951594, 9);
    expect(Math.abs(b.pValue - 0.2622766092107738)).toBeLessThan(TOL);
    expect(b.dof).toBe(2);
  });

  it('chi-square and normal tails match scipy.stats.chi2.sf and norm.sf', () => {
    expect(Math.abs(chiSquareSf(3.7, 1) - 0.054412467991601404)).toBeLessThan(1e-12);
    expect(Math.abs(chiSquareSf(41.5, 12) - 4.0411453521739094e-5)).toBeLessThan(1e-12);
    expect(Math.abs(normalSf(4.2) - 1.334574901590631e-5)).toBeLessThan(1e-12);
  });

  it('z-test for two proportions matches the pooled formula with norm.sf', () => {
    const r = zTestProportions(45, 200, 80, 250);
    expect(r.statistic).toBeCloseTo(-2.2357239405752978, 9);
    expect(Math.abs(r.pValue - 0.025369859822053694)).toBeLessThan(TOL);
  });

  it('Jensen–Shannon distance matches scipy.spatial.distance.jensenshannon', () => {
    expect(jensenShannonDistance(ref, cur)).toBeCloseTo(0.13973944348900014, 9);
    expect(jensenShannonDistance([1, 0], [0, 1])).toBeCloseTo(0.8325546111576977, 9);
  });

  it('PSI matches Evidently’s formula (empty shares 0.0001) evaluated with NumPy', () => {
    expect(populationStabilityIndex(ref, cur)).toBeCloseTo(0.16405364360267904, 9);
    expect(populationStabilityIndex([10, 0, 30], [5, 7, 28])).toBeCloseTo(1.3961362407482218, 9);
  });

  it('L-infinity is the largest difference of shares', () => {
    // Shares 0.6/0.225/0.15/0.025 against 0.5/0.3/0.1/0.1: the largest gap is 0.1.
    expect(lInfinity(ref, cur)).toBeCloseTo(0.1, 12);
  });

  it('Wasserstein matches scipy.stats.wasserstein_distance, normalised by np.std(reference)', () => {
    const a = sample(3000, 7919, 10007, 0, 10);
    const b = sample(2000, 104729, 10007, 900, 10);
    const counts = valueCounts(a, b);
    expect(wasserstein(counts)).toBeCloseTo(88.72991666666667, 8);
    const mean = a.reduce((s, v) => s + v, 0) / a.length;
    const std = Math.sqrt(a.reduce((s, v) => s + (v - mean) ** 2, 0) / a.length);
    expect(normalizedWasserstein(counts, std)).toBeCloseTo(0.3071587721581705, 9);
  });

  it('degenerate inputs give defined numbers, never NaN', () => {
    expect(chiSquareHomogeneity([5], [7])).toMatchObject({ statistic: 0, pValue: 1 });
    expect(zTestProportions(0, 10, 0, 12)).toEqual({ statistic: 0, pValue: 1 });
    expect(populationStabilityIndex([0, 0], [1, 2])).toBe(0);
    expect(jensenShannonDistance([], [])).toBe(0);
    const constant = valueCounts([3, 3, 3], [3, 3]);
    expect(normalizedWasserstein(constant, 0)).toBe(0);
    expect(normalizedWasserstein(valueCounts([3, 3, 3], [4]), 0)).toBe(Number.POSITIVE_INFINITY);
  });
});
