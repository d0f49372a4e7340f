import { describe, expect, it } from 'vitest';
import { floorLog, halvingSchedule, topK } from './halving.js';

/**
 * Expected schedules are scikit-learn's, not this code's output:
 *  - the user guide, section "Successive Halving" (https://scikit-learn.org/stable/modules/grid_search.html),
 *    examples "Exhausting the available resources" and "Aggressive elimination of candidates":
 *    6 candidates (kernel × C), factor=2, 1,000 samples, 5-fold CV of a binary classifier, so
 *    min_resources='smallest' is 2 × 5 × 2 = 20;
 *  - sklearn/model_selection/tests/test_successive_halving.py: test_min_max_resources (6 candidates,
 *    factor 3, smallest 20), test_aggressive_elimination (60 candidates, factor 3) and
 *    test_n_iterations (20 candidates, factor 2, min_resources=4, 1,024 samples).
 */
describe('successive halving schedule', () => {
  it('matches the user guide: min_resources=20 leaves resources unused, exhaust uses them all', () => {
    expect(halvingSchedule(6, { factor: 2, minResources: 20, maxResources: 1000, smallest: 20 }).resources).toEqual([20, 40, 80]);
    expect(halvingSchedule(6, { factor: 2, minResources: 'exhaust', maxResources: 1000, smallest: 20 }).resources).toEqual([250, 500, 1000]);
  });

  it('matches the user guide on aggressive elimination with max_resources=40', () => {
    const plain = halvingSchedule(6, { factor: 2, maxResources: 40, smallest: 20 });
    expect(plain.resources).toEqual([20, 40]);
    expect(plain.candidates).toEqual([6, 3]);
    const aggressive = halvingSchedule(6, { factor: 2, maxResources: 40, smallest: 20, aggressiveElimination: true });
    expect(aggressive.resources).toEqual([20, 20, 40]);
    expect(aggressive.candidates).toEqual([6, 3, 2]);
  });

  it.each([
    // [min_resources, max_resources, rungs, possible rungs, resources] from test_min_max_resources
    [20, 1000, 2, 4, [20, 60]],
    [50, 1000, 2, 3, [50, 150]],
    [20, 30, 1, 1, [20]],
    ['exhaust', 1000, 2, 2, [333, 999]],
    ['exhaust', 999, 2, 2, [333, 999]],
    ['exhaust', 600, 2, 2, [200, 600]],
    ['exhaust', 599, 2, 2, [199, 597]],
    ['exhaust', 300, 2, 2, [100, 300]],
    ['exhaust', 60, 2, 2, [20, 60]],
    ['exhaust', 50, 1, 1, [20]],
    ['exhaust', 20, 1, 1, [20]],
  ] as const)('6 candidates, factor 3, min %s, max %s → %s rungs', (minResources, maxResources, rungs, possible, resources) => {
    const s = halvingSchedule(6, { factor: 3, minResources, maxResources, smallest: 20 });
    expect(s.requiredRungs).toBe(2);
    expect(s.possibleRungs).toBe(possible);
    expect(s.resources).toEqual(resources);
    expect(s.resources.length).toBe(rungs);
  });

  it.each([
    // [aggressive, max_resources, rungs, required, possible, candidates, resources] from test_aggressive_elimination
    [true, 180, 4, 4, 3, [60, 20, 7, 3], [20, 20, 60, 180]],
    [false, 180, 3, 4, 3, [60, 20, 7], [20, 60, 180]],
    [true, 1000, 4, 4, 4, [60, 20, 7, 3], [37, 111, 333, 999]],
    [false, 1000, 4, 4, 4, [60, 20, 7, 3], [37, 111, 333, 999]],
  ] as const)('60 candidates, aggressive %s, max %s', (aggressiveElimination, maxResources, rungs, required, possible, candidates, resources) => {
    const s = halvingSchedule(60, { factor: 3, maxResources, smallest: 20, aggressiveElimination });
    expect([s.resources.length, s.requiredRungs, s.possibleRungs]).toEqual([rungs, required, possible]);
    expect(s.candidates).toEqual(candidates);
    expect(s.resources).toEqual(resources);
  });

  it.each([
    // [max_resources, rungs, possible rungs] from test_n_iterations
    [1024, 5, 9],
    [700, 5, 8],
    [512, 5, 8],
    [511, 5, 7],
    [32, 4, 4],
    [31, 3, 3],
    [16, 3, 3],
    [4, 1, 1],
  ])('20 candidates, factor 2, min 4, max %s → %s rungs', (maxResources, rungs, possible) => {
    const s = halvingSchedule(20, { factor: 2, minResources: 4, maxResources, smallest: 4 });
    expect(s.requiredRungs).toBe(5);
    expect(s.resources.length).toBe(rungs);
    expect(s.possibleRungs).toBe(possible);
  });

  it('counts powers exactly where floating-point logarithms fall short', () => {
    expect(Math.floor(Math.log(1000) / Math.log(10))).toBe(2);
    expect(floorLog(1000, 10)).toBe(3);
    expect(floorLog(999, 10)).toBe(2);
    expect(floorLog(243, 3)).toBe(5);
    expect(floorLog(1, 3)).toBe(0);
  });

  it('refuses a factor ≤ 1 and a minimum above the maximum, naming the values', () => {
    expect(() => halvingSchedule(9, { factor: 1, maxResources: 100, smallest: 1 })).toThrow(/factor must be a number > 1, got 1/);
    expect(() => halvingSchedule(9, { minResources: 200, maxResources: 100, smallest: 1 })).toThrow(/minimum resource 200 is more than the maximum 100/);
  });
});

describe('topK', () => {
  it('keeps the best scores, failed (NaN) last, ties to the earlier candidate', () => {
    // scikit-learn's test_top_k, iteration 0: scores [4, 3, 5, 1] rank c, a, b, d (it lists them worst first).
    expect(topK([4, 3, 5, 1], 4)).toEqual([2, 0, 1, 3]);
    expect(topK([Number.NaN, 0.5, 0.5, 0.7], 3)).toEqual([3, 1, 2]);
    expect(topK([Number.NaN, Number.NaN], 1)).toEqual([0]);
  });
});
