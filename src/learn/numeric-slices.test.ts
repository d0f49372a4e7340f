import { describe, expect, it } from 'vitest';
import { assignRanges, parseBins, quantileEdges, rangeKey, rangeLabels } from './numeric-slices.js';

describe('numeric slices', () => {
  it('parses bin edges with open ends and names each range [lo, hi)', () => {
    const edges = parseBins('0, 500,1000,inf');
    expect(edges).toEqual([0, 500, 1000, Infinity]);
    expect(rangeLabels(edges)).toEqual(['[0, 500)', '[500, 1000)', '[1000, inf)']);
    expect(parseBins('-inf,0.5,+Infinity')).toEqual([-Infinity, 0.5, Infinity]);
    expect(rangeKey('[-inf, 0.5)')).toBe('-inf to 0.5');
  });

  it('reports every bad edge at once', () => {
    expect(() => parseBins('0,abc,,10')).toThrow("Invalid bin edges '0,abc,,10' (2 problems): [1]: 'abc' is not a number (use inf or -inf for an open end); [2]: '' is not a number");
    expect(() => parseBins('0,500,500,100')).toThrow(/\[2\]: 500 does not exceed the edge before it, 500; .*\[3\]: 100 does not exceed the edge before it, 500/);
    expect(() => parseBins('7')).toThrow(/need at least two edges/);
  });

  it('puts each value in the range with lo ≤ v < hi, missing values in (null), the rest in (out of range)', () => {
    const labels = assignRanges([0, 499.999, 500, 999, 1000, 5000, -1, Number.NaN], [0, 500, 1000]);
    expect(labels).toEqual(['[0, 500)', '[0, 500)', '[500, 1000)', '[500, 1000)', '(out of range)', '(out of range)', '(out of range)', '(null)']);
    expect(assignRanges([-1e300, 1e300], [-Infinity, 0, Infinity])).toEqual(['[-inf, 0)', '[0, inf)']);
  });

  it("cuts at quantiles as numpy.quantile's default (linear) does, with open outer ranges", () => {
    // numpy 1.24.2: np.quantile(v, [0.25, 0.5, 0.75]) = [3.0, 5.0, 6.75]; [0.2, 0.4, 0.6, 0.8] → [2.6, 4.2, 5.0, 7.4].
    const v = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, Number.NaN];
    expect(quantileEdges(v, 4)).toEqual([-Infinity, 3, 5, 6.75, Infinity]);
    const fifths = quantileEdges(v, 5);
    expect(fifths.slice(1, -1).map((q) => Number(q.toFixed(12)))).toEqual([2.6, 4.2, 5, 7.4]);
    // Ties merge slices instead of making empty ones.
    expect(quantileEdges([1, 1, 1, 1, 2], 4)).toEqual([-Infinity, 1, Infinity]);
    expect(() => quantileEdges(v, 1)).toThrow(/whole number from 2 to 100, got 1/);
  });
});
