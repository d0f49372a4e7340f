import { describe, expect, it } from 'vitest';
import { gaussian, seededRandom } from '../../core/random.js';
import { rmse, rocAuc } from '../metrics.js';
import { MISSING_BIN, binOf, fitBins } from './binning.js';
import { fitGbdt, gainImportance, predictGbdt } from './gbdt.js';

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
});
