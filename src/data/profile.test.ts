import { describe, expect, it } from 'vitest';
import { HISTOGRAM_BINS, binEdges, binIndex, histogramCounts } from './profile.js';

/** Edges are checked to 1e-9: they come from float arithmetic, the expectations from hand division. */
function expectEdges(actual: number[], expected: number[]): void {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((e, i) => expect(e).toBeCloseTo(expected[i]!, 9));
}

function strictlyIncreasing(edges: readonly number[]): boolean {
  return edges.every((e, i) => i === 0 || e > edges[i - 1]!);
}

/** The rule histogramSql states in SQL: the bin is the number of inner edges at or below the value. */
const innerEdgesAtOrBelow = (edges: readonly number[], x: number): number => edges.slice(1, -1).filter((e) => e <= x).length;

describe('binEdges', () => {
  it('gives a bin to each tail beyond the 1st and 99th percentiles and splits the bulk evenly', () => {
    // min 0, p1 10, p99 90, max 100, 10 bins: 8 bins of width (90 − 10) / 8 = 10 between the percentiles, plus [0, 10) and [90, 100].
    expectEdges(binEdges(0, 100, 10, 90, 10), [0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
    // Outliers far out stay in their own tail bins: 18 inner bins of (99 − 1) / 18 between p1 = 1 and p99 = 99.
    const edges = binEdges(-1e6, 1e6, 1, 99);
    expect(edges).toHaveLength(HISTOGRAM_BINS + 1);
    expect(edges[0]).toBe(-1e6);
    expect(edges[1]).toBe(1);
    expect(edges[2]).toBeCloseTo(1 + 98 / 18, 9);
    expect(edges[19]).toBe(99);
    expect(edges[20]).toBe(1e6);
  });

  it('adds no tail bin on a side where the percentile is the extreme', () => {
    // p1 = min: only the upper tail; 9 bins of 10 between 0 and 90, then [90, 100].
    expectEdges(binEdges(0, 100, 0, 90, 10), [0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
    // p99 = max: only the lower tail [-5, 0), then 3 bins of 100 / 3.
    expectEdges(binEdges(-5, 100, 0, 100, 4), [-5, 0, 100 / 3, 200 / 3, 100]);
    // Neither tail: 5 bins of 2.
    expectEdges(binEdges(0, 10, 0, 10, 5), [0, 2, 4, 6, 8, 10]);
  });

  it('spans min to max evenly when the percentiles meet (most values equal)', () => {
    expectEdges(binEdges(0, 100, 50, 50, 4), [0, 25, 50, 75, 100]);
  });

  it('gives a constant column one bin [c, c]', () => {
    expect(binEdges(7, 7, 7, 7)).toEqual([7, 7]);
    expect(binIndex([7, 7], 7)).toBe(0);
  });

  it('keeps edges strictly increasing, from min to max, for many ranges', () => {
    const cases: [number, number, number, number][] = [
      [0, 1, 0.01, 0.99],
      [-3.5, 2.25, -3, 2],
      [1, 2, 1, 2],
      [0, 1e-9, 1e-11, 9.9e-10],
      [1.7e12, 1.7e12 + 86_400_000, 1.7e12 + 1000, 1.7e12 + 86_000_000], // a day of epoch milliseconds
      [-1e300, 1e300, -1, 1],
      // A range narrow for its magnitude: neighbouring edges would round together (doubles near 1e15 are 0.125 apart).
      [1e15, 1e15 + 1, 1e15, 1e15 + 1],
    ];
    for (const [min, max, p1, p99] of cases) {
      const edges = binEdges(min, max, p1, p99);
      expect(strictlyIncreasing(edges), `edges of [${min}, ${max}]: ${edges.join(', ')}`).toBe(true);
      expect(edges[0]).toBe(min);
      expect(edges.at(-1)).toBe(max);
      expect(edges.length).toBeLessThanOrEqual(HISTOGRAM_BINS + 1);
    }
    expect(binEdges(0, 1, 0.01, 0.99)).toHaveLength(HISTOGRAM_BINS + 1);
  });
});

describe('binIndex', () => {
  const edges = [0, 10, 20, 30];

  it('puts a value in the bin whose left edge is the last at or below it', () => {
    expect(binIndex(edges, 0)).toBe(0);
    expect(binIndex(edges, 9.999)).toBe(0);
    expect(binIndex(edges, 10)).toBe(1);
    expect(binIndex(edges, 19.5)).toBe(1);
    expect(binIndex(edges, 20)).toBe(2);
    expect(binIndex(edges, 29.999)).toBe(2);
  });

  it('counts the top edge in the last bin', () => {
    expect(binIndex(edges, 30)).toBe(2);
    expect(binIndex([0, 1], 1)).toBe(0);
  });

  it('agrees with the SQL rule (inner edges at or below the value) on every edge and between them', () => {
    const e = binEdges(-7, 113, -2, 101);
    const probes = e.flatMap((x, i) => [x, x - 1e-9, (x + (e[i + 1] ?? x)) / 2]).filter((x) => x >= e[0]! && x <= e.at(-1)!);
    for (const x of probes) expect(binIndex(e, x), `value ${x}`).toBe(innerEdgesAtOrBelow(e, x));
  });
});

describe('histogramCounts', () => {
  it('reads a Map of bin → count as DuckDB returns it (BIGINT keys and values), filling empty bins with 0', () => {
    const map = new Map<bigint, bigint>([
      [0n, 3n],
      [2n, 5n],
      [4n, 1n],
    ]);
    expect(histogramCounts(map, 5)).toEqual([3, 0, 5, 0, 1]);
  });

  it('reads the list of {key, value} entries that getRowObjectsJS gives for a MAP', () => {
    expect(histogramCounts([{ key: 1n, value: 7n }, { key: 0, value: 2 }], 3)).toEqual([2, 7, 0]);
  });

  it('ignores keys outside 0..bins−1 and non-integer keys', () => {
    const map = new Map<unknown, unknown>([
      [-1, 4],
      [3, 9],
      [1.5, 2],
      [1, 8],
    ]);
    expect(histogramCounts(map, 3)).toEqual([0, 8, 0]);
  });

  it('gives zeros for a missing map and one bin at least', () => {
    expect(histogramCounts(null, 4)).toEqual([0, 0, 0, 0]);
    expect(histogramCounts(undefined, 0)).toEqual([0]);
  });
});
