import { describe, expect, it } from 'vitest';
import { gaussian, seededRandom } from '../../core/random.js';
import { rmse, rocAuc } from '../metrics.js';
import { MISSING_BIN, binOf, fitBins } from './binning.js';
import { fitGbdt, gainImportance, predictGbdt, splitImportance } from './gbdt.js';

describe('binning', () => {
  it('puts thresholds midway between distinct values, and NaN in the missing bin', () => {
    const bins = fitBins(Float64Array.from([3, 1, 2, 2, Number.NaN, 1]));
    expect([...bins.thresholds]).toEqual([1.5, 2.5]);
    expect([1, 1.5, 2, 2.5, 3, 100].map((v) => binOf(bins, v))).toEqual([0, 0, 1, 1, 2, 2]);
    expect(binOf(bins, Number.NaN)).toBe(MISSING_BIN);
  });

  it('uses at most 255 bins, at quantiles, strictly increasing', () => {
    const values = Float64Array.from({ length: 10_000 }, (_, i) => i * 1.5);
    const bins = fitBins(values);
    expect(bins.bins).toBeLessThanOrEqual(255);
    for (let i = 1; i < bins.thresholds.length; i++) expect(bins.thresholds[i]!).toBeGreaterThan(bins.thresholds[i - 1]!);
  });
});

describe('gradient-boosted trees', () => {
  it('finds the same first split as an exhaustive search (one stump, squared error)', () => {
    const random = seededRandom(3);
    const x = Float64Array.from({ length: 60 }, () => Math.floor(random() * 20));
    const y = Float64Array.from(x, (v) => (v > 7 ? 5 : 1) + random());
    const model = fitGbdt([x], y, { objective: 'regression', maxIter: 1, maxLeafNodes: 2, learningRate: 1, minSamplesLeaf: 1, earlyStopping: false });
    // Exhaustive: every threshold between distinct values, least squared error of the two means.
    const distinct = [...new Set(x)].sort((a, b) => a - b);
    let best = { sse: Infinity, threshold: 0, left: 0, right: 0 };
    for (let i = 0; i + 1 < distinct.length; i++) {
      const t = (distinct[i]! + distinct[i + 1]!) / 2;
      const l = [...y].filter((_, k) => x[k]! <= t);
      const r = [...y].filter((_, k) => x[k]! > t);
      const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
      const sse = l.reduce((s, v) => s + (v - mean(l)) ** 2, 0) + r.reduce((s, v) => s + (v - mean(r)) ** 2, 0);
      if (sse < best.sse) best = { sse, threshold: t, left: mean(l), right: mean(r) };
    }
    const tree = model.trees[0]!;
    expect(tree.threshold[0]).toBe(best.threshold);
    const [low, high] = [...predictGbdt(model, [Float64Array.from([best.threshold - 0.25, best.threshold + 0.25])])];
    // Gradients are kept in single precision (as scikit-learn does), hence 1e-6.
    expect(low).toBeCloseTo(best.left, 6);
    expect(high).toBeCloseTo(best.right, 6);
  });

  it('sends missing values to the side that fits them', () => {
    const n = 400;
    const x = Float64Array.from({ length: n }, (_, i) => (i % 4 === 0 ? Number.NaN : i % 50));
    const y = Float64Array.from(x, (v) => (Number.isNaN(v) ? 1 : 0));
    const model = fitGbdt([x], y, { objective: 'binary', maxIter: 20, minSamplesLeaf: 5, earlyStopping: false });
    const [missing, present] = [...predictGbdt(model, [Float64Array.from([Number.NaN, 10])])];
    expect(missing).toBeGreaterThan(0.9);
    expect(present).toBeLessThan(0.1);
  });

  it('learns a nonlinear boundary and a smooth curve', () => {
    const random = seededRandom(11);
    const normal = gaussian(random);
    const make = (n: number) => {
      const a = Float64Array.from({ length: n }, () => normal());
      const b = Float64Array.from({ length: n }, () => normal());
      const noise = Float64Array.from({ length: n }, () => normal());
      const y = Float64Array.from({ length: n }, (_, i) => (a[i]! * a[i]! + b[i]! > 1 + 0.3 * noise[i]! ? 1 : 0));
      return { cols: [a, b, noise], y };
    };
    const train = make(20_000);
    const test = make(5_000);
    const clf = fitGbdt(train.cols, train.y, { objective: 'binary' });
    expect(rocAuc(test.y, predictGbdt(clf, test.cols))).toBeGreaterThan(0.97);
    // The pure-noise feature matters least.
    const importance = gainImportance(clf);
    expect(importance[2]!).toBeLessThan(Math.min(importance[0]!, importance[1]!));
    // Split counts add up to the interior nodes of every tree.
    const splits = splitImportance(clf);
    const interior = clf.trees.reduce((sum, t) => sum + [...t.left].filter((l) => l >= 0).length, 0);
    expect(splits.reduce((a, b) => a + b, 0)).toBe(interior);

    const x = Float64Array.from({ length: 5_000 }, () => random() * 6);
    const reg = fitGbdt([x], Float64Array.from(x, Math.sin), { objective: 'regression', maxIter: 200, earlyStopping: false });
    const grid = Float64Array.from({ length: 100 }, (_, i) => 0.1 + i * 0.058);
    expect(rmse(Float64Array.from(grid, Math.sin), predictGbdt(reg, [grid]))).toBeLessThan(0.02);
  });

  it('samples rows and features per tree, seeded, and still learns', () => {
    const random = seededRandom(17);
    const normal = gaussian(random);
    const make = (n: number) => {
      const cols = Array.from({ length: 4 }, () => Float64Array.from({ length: n }, () => normal()));
      const y = Float64Array.from({ length: n }, (_, i) => (cols[0]![i]! + cols[1]![i]! > 0 ? 1 : 0));
      return { cols, y };
    };
    const train = make(8000);
    const test = make(2000);
    const params = { objective: 'binary' as const, maxIter: 40, subsample: 0.5, colsampleByTree: 0.25, earlyStopping: false };
    const a = fitGbdt(train.cols, train.y, params);
    const b = fitGbdt(train.cols, train.y, params);
    expect(a.trees.map((t) => [...t.threshold])).toEqual(b.trees.map((t) => [...t.threshold]));
    // One feature of four per tree: every tree splits on a single feature.
    for (const t of a.trees) expect(new Set([...t.feature].filter((f, n) => t.left[n]! >= 0)).size).toBeLessThanOrEqual(1);
    expect(rocAuc(test.y, predictGbdt(a, test.cols))).toBeGreaterThan(0.95);
    const other = fitGbdt(train.cols, train.y, { ...params, seed: 5 });
    expect(other.trees.map((t) => [...t.threshold])).not.toEqual(a.trees.map((t) => [...t.threshold]));
    expect(() => fitGbdt(train.cols, train.y, { ...params, subsample: 0 })).toThrow(/subsample must be in \(0, 1\]/);
  });

  it('stops early on a validation set when nothing more is learnt', () => {
    const random = seededRandom(5);
    const x = Float64Array.from({ length: 20_000 }, () => random());
    const y = Float64Array.from({ length: 20_000 }, () => (random() < 0.3 ? 1 : 0));
    const model = fitGbdt([x], y, { objective: 'binary', maxIter: 100 });
    expect(model.trees.length).toBeLessThan(100);
  });

  it('rejects a single-class target, a missing target and mismatched columns', () => {
    const x = Float64Array.from([1, 2, 3]);
    expect(() => fitGbdt([x], Float64Array.from([1, 1, 1]), { objective: 'binary' })).toThrow(/single class \(all 1\)/);
    expect(() => fitGbdt([x], Float64Array.from([0, Number.NaN, 1]), { objective: 'binary' })).toThrow(/row 2/);
    expect(() => fitGbdt([x], Float64Array.from([0, 2, 1]), { objective: 'binary' })).toThrow(/must be 0 or 1; row 2 is 2/);
    expect(() => fitGbdt([x], Float64Array.from([0, 1]), { objective: 'binary' })).toThrow(/3 values for 2 targets/);
  });

  it('rejects infinite feature values, naming the feature and row', () => {
    const x = Float64Array.from([1, Infinity, 3]);
    expect(() => fitGbdt([x], Float64Array.from([0, 1, 0]), { objective: 'binary' })).toThrow(/Feature 0 is Infinity at row 2/);
  });

  it('shares the work with a helper thread and gets the same model', () => {
    const random = seededRandom(23);
    const normal = gaussian(random);
    const n = 60_000;
    const cols = Array.from({ length: 5 }, (_, j) => Float64Array.from({ length: n }, () => (j === 4 && random() < 0.1 ? Number.NaN : normal())));
    const y = Float64Array.from({ length: n }, (_, i) => (cols[0]![i]! * cols[1]! [i]! + (Number.isNaN(cols[4]![i]!) ? 1 : cols[2]![i]!) > 0.2 ? 1 : 0));
    const params = { objective: 'binary' as const, maxIter: 15 };
    const one = fitGbdt(cols, y, { ...params, threads: 1 });
    const two = fitGbdt(cols, y, { ...params, threads: 2 });
    // Sums are added in a different order across threads, so equal up to rounding.
    expect(two.trees.map((t) => [...t.feature])).toEqual(one.trees.map((t) => [...t.feature]));
    expect(two.trees.map((t) => [...t.threshold])).toEqual(one.trees.map((t) => [...t.threshold]));
    const a = predictGbdt(one, cols);
    const b = predictGbdt(two, cols);
    let worst = 0;
    for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
    expect(worst).toBeLessThan(1e-9);
    const reg = Float64Array.from({ length: n }, (_, i) => cols[0]![i]! * 2 + cols[1]![i]!);
    const r1 = predictGbdt(fitGbdt(cols, reg, { objective: 'regression', maxIter: 10, threads: 1 }), cols);
    const r2 = predictGbdt(fitGbdt(cols, reg, { objective: 'regression', maxIter: 10, threads: 2 }), cols);
    for (let i = 0; i < n; i += 97) expect(r2[i]!).toBeCloseTo(r1[i]!, 9);
  });
});

describe('gradient-boosted trees: more tasks and losses', () => {
  it('classifies three classes with softmax probabilities, starting from the centred log priors', () => {
    const random = seededRandom(29);
    const normal = gaussian(random);
    const make = (n: number) => {
      const a = Float64Array.from({ length: n }, () => normal());
      const b = Float64Array.from({ length: n }, () => normal());
      const y = Float64Array.from({ length: n }, (_, i) => (a[i]! > 0.5 ? 2 : b[i]! > 0 ? 1 : 0));
      return { cols: [a, b], y };
    };
    const train = make(6000);
    const test = make(2000);
    const model = fitGbdt(train.cols, train.y, { objective: 'multiclass', classes: 3, maxIter: 30, earlyStopping: false });
    expect(model.trees.length).toBe(90);
    // Baselines: log class shares minus their mean (softmax ignores a shared shift).
    const counts = [0, 1, 2].map((c) => train.y.filter((v) => v === c).length / train.y.length);
    const logs = counts.map(Math.log);
    const mean = logs.reduce((x, v) => x + v, 0) / 3;
    logs.forEach((l, c) => expect(model.baselines![c]!).toBeCloseTo(l - mean, 12));
    const p = predictGbdt(model, test.cols);
    expect(p.length).toBe(3 * 2000);
    let correct = 0;
    for (let i = 0; i < 2000; i++) {
      const row = [p[3 * i]!, p[3 * i + 1]!, p[3 * i + 2]!];
      expect(row[0]! + row[1]! + row[2]!).toBeCloseTo(1, 12);
      if (row.indexOf(Math.max(...row)) === test.y[i]) correct++;
    }
    expect(correct / 2000).toBeGreaterThan(0.95);
    expect(() => fitGbdt(train.cols, train.y, { objective: 'multiclass', classes: 2 })).toThrow(/class indices 0…1; row \d+ is 2/);
  });

  it('takes the median residual in each leaf for absolute error, and resists outliers', () => {
    // One split, learning rate 1: each side's value is the median of its targets minus the baseline (the overall median).
    const x = Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
    const y = Float64Array.from([1, 2, 3, 100, 10, 11, 12, 13]);
    const model = fitGbdt([x], y, { objective: 'regression', loss: 'absolute_error', maxIter: 1, maxLeafNodes: 2, minSamplesLeaf: 4, learningRate: 1, earlyStopping: false });
    expect(model.baseline).toBe(10.5);
    const [low, high] = [...predictGbdt(model, [Float64Array.from([2, 7])])];
    expect(low).toBe(2.5); // median of 1, 2, 3, 100
    expect(high).toBe(11.5); // median of 10, 11, 12, 13
    // Outliers pull squared error away, absolute error much less.
    const random = seededRandom(31);
    const xs = Float64Array.from({ length: 4000 }, () => random() * 10);
    const clean = Float64Array.from(xs, (v) => 2 * v);
    const noisy = Float64Array.from(clean, (v, i) => (i % 20 === 0 ? v + 500 : v));
    const grid = Float64Array.from({ length: 50 }, (_, i) => 0.5 + i * 0.18);
    const truth = Float64Array.from(grid, (v) => 2 * v);
    const l1 = predictGbdt(fitGbdt([xs], noisy, { objective: 'regression', loss: 'absolute_error', maxIter: 100, earlyStopping: false }), [grid]);
    const l2 = predictGbdt(fitGbdt([xs], noisy, { objective: 'regression', maxIter: 100, earlyStopping: false }), [grid]);
    const hub = predictGbdt(fitGbdt([xs], noisy, { objective: 'regression', loss: 'huber', maxIter: 100, earlyStopping: false }), [grid]);
    expect(rmse(truth, l1)).toBeLessThan(1);
    expect(rmse(truth, hub)).toBeLessThan(2);
    expect(rmse(truth, l2)).toBeGreaterThan(20);
  });

  it('splits a categorical feature on a set of categories, and sends unseen ones right', () => {
    // Odd codes are positive, even ones negative: one set split separates them, no threshold can.
    const random = seededRandom(37);
    const code = Float64Array.from({ length: 3000 }, () => Math.floor(random() * 8));
    const y = Float64Array.from(code, (c) => (c % 2 === 1 ? 1 : 0));
    const model = fitGbdt([code], y, { objective: 'binary', categoricalFeatures: [0], maxIter: 1, maxLeafNodes: 2, learningRate: 1, earlyStopping: false });
    const root = model.trees[0]!;
    expect(root.catCount[0]).toBe(4);
    const left = [...root.categories.subarray(root.catStart[0]!, root.catStart[0]! + root.catCount[0]!)];
    expect([[0, 2, 4, 6], [1, 3, 5, 7]]).toContainEqual(left);
    const p = predictGbdt(model, [Float64Array.from([1, 2, 42])]);
    // One Newton step from log-odds ≈ 0 (about half the rows are odd) on a pure leaf: g = ∓0.5, h = 0.25 per row, so ±2, sigmoid(2) ≈ 0.881.
    expect(p[0]!).toBeCloseTo(1 / (1 + Math.exp(-2)), 4);
    expect(p[1]!).toBeCloseTo(1 / (1 + Math.exp(2)), 4);
    // 42 was never seen: it takes the right branch, like the categories not in the left set.
    const rightValue = left[0] === 0 ? p[0] : p[1];
    expect(p[2]).toBe(rightValue);
    const numeric = fitGbdt([code], y, { objective: 'binary', maxIter: 1, maxLeafNodes: 2, learningRate: 1, earlyStopping: false });
    expect(rocAuc(y, predictGbdt(numeric, [code]))).toBeLessThan(0.7);
  });
});
