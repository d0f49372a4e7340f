import { describe, expect, it } from 'vitest';
import { gaussian, seededRandom } from '../../core/random.js';
import { fitGbdt, predictGbdt, predictScores, predictScoresByRow, type GbdtModel } from './gbdt.js';
import { compileScoreKernels } from './predict-kernels.js';

/** Rows with missing values, a categorical code column (with codes never seen in training at predict time) and a numeric mix. */
function data(n: number, seed: number, unseen = false): { cols: Float64Array[]; y: Float64Array; cls: Float64Array } {
  const random = seededRandom(seed);
  const normal = gaussian(random);
  const a = new Float64Array(n);
  const b = new Float64Array(n);
  const cat = new Float64Array(n);
  const y = new Float64Array(n);
  const cls = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    a[i] = i % 9 === 0 ? Number.NaN : normal();
    b[i] = Math.round(normal() * 4) / 4;
    // Codes 0…11 in training; at predict time also 12, 40, 2.5, -1, -0 and NaN.
    cat[i] = unseen && i % 7 === 0 ? [12, 40, 2.5, -1, -0, Number.NaN][i % 6]! : Math.floor(random() * 12);
    const s = (Number.isNaN(a[i]!) ? 0.7 : a[i]!) + b[i]! * b[i]! - 1 + (cat[i]! % 3 === 0 ? 1.2 : -0.4) + normal() * 0.5;
    y[i] = s > 0 ? 1 : 0;
    cls[i] = s < -0.5 ? 0 : s < 0.8 ? 1 : 2;
  }
  return { cols: [a, b, cat], y, cls };
}

/** Object.is on every number: -0 and NaN included. */
function sameBits(x: Float64Array, y: Float64Array): number {
  expect(x.length).toBe(y.length);
  let differ = 0;
  for (let i = 0; i < x.length; i++) if (!Object.is(x[i], y[i])) differ++;
  return differ;
}

describe('generated GBDT prediction kernels', () => {
  const train = data(6000, 1);
  const test = data(20_000, 2, true);
  const cases: [string, () => GbdtModel][] = [
    ['binary with category-set splits and missing values', () => fitGbdt(train.cols, train.y, { objective: 'binary', maxIter: 40, categoricalFeatures: [2], earlyStopping: false, threads: 1 })],
    ['multiclass (K trees a round)', () => fitGbdt(train.cols, train.cls, { objective: 'multiclass', classes: 3, maxIter: 15, categoricalFeatures: [2], earlyStopping: false, threads: 1 })],
    ['regression with codes as numbers', () => fitGbdt(train.cols, Float64Array.from(train.y, (v, i) => v * 3 + train.cls[i]!), { objective: 'regression', maxIter: 30, maxLeafNodes: 63, earlyStopping: false, threads: 1 })],
  ];
  for (const [name, fit] of cases) {
    it(`gives bit-identical scores to the row walk: ${name}`, () => {
      const model = fit();
      expect(compileScoreKernels(model.trees, model.features, model.baselines?.length ?? 1)).not.toBeNull();
      expect(sameBits(predictScores(model, test.cols), predictScoresByRow(model, test.cols))).toBe(0);
      // Chunks of any size, and a second call on the compiled model, agree too.
      const part = test.cols.map((c) => c.subarray(5, 1234));
      expect(sameBits(predictScores(model, part), predictScoresByRow(model, part))).toBe(0);
      expect(predictGbdt(model, test.cols).length).toBe(test.y.length * (model.baselines?.length ?? 1));
    });
  }

  it('handles hand-made edge cases: -0 leaves, infinite and NaN thresholds, missing left at category nodes', () => {
    const i32 = (...v: number[]) => Int32Array.from(v);
    const f64 = (...v: number[]) => Float64Array.from(v);
    const model: GbdtModel = {
      objective: 'regression',
      baseline: -0,
      features: 2,
      lossHistory: [],
      trees: [
        // x0 <= Infinity (missing right) → -0 leaf, else 1.5.
        { feature: i32(0, 0, 0), thresholdBin: i32(0, 0, 0), threshold: f64(Infinity, 0, 0), missingLeft: Uint8Array.from([0, 0, 0]), left: i32(1, -1, -1), right: i32(2, -1, -1), value: f64(0, -0, 1.5), gain: f64(0, 0, 0), catStart: i32(0, 0, 0), catCount: i32(0, 0, 0), categories: f64() },
        // x1 in {0, 3} or missing → 0.25, else -2.
        { feature: i32(1, 0, 0), thresholdBin: i32(0, 0, 0), threshold: f64(0, 0, 0), missingLeft: Uint8Array.from([1, 0, 0]), left: i32(1, -1, -1), right: i32(2, -1, -1), value: f64(0, 0.25, -2), gain: f64(0, 0, 0), catStart: i32(0, 0, 0), catCount: i32(2, 0, 0), categories: f64(0, 3) },
        // A NaN threshold: only missing values go left (missingLeft), numbers right.
        { feature: i32(0, 0, 0), thresholdBin: i32(0, 0, 0), threshold: f64(Number.NaN, 0, 0), missingLeft: Uint8Array.from([1, 0, 0]), left: i32(1, -1, -1), right: i32(2, -1, -1), value: f64(0, 7, -0), gain: f64(0, 0, 0), catStart: i32(0, 0, 0), catCount: i32(0, 0, 0), categories: f64() },
      ],
    };
    const cols = [f64(1, Number.NaN, -Infinity, Infinity, 0, -0), f64(0, 3, Number.NaN, 3.5, -0, 70000)];
    const fast = predictScores(model, cols);
    expect(sameBits(fast, predictScoresByRow(model, cols))).toBe(0);
    // Worked by hand: row 0 → -0 + -0 + 0.25 + -0 = 0.25; row 1 → missing x0 goes right (1.5), x1 = 3 in set (0.25), NaN x0 left (7); row 2 → missing x1 goes left (0.25).
    expect([...fast]).toEqual([0.25, 8.75, 0.25, -2, 0.25, -2]);
  });

  it('leaves trees it cannot compile to the row walk', () => {
    const tree = { feature: Int32Array.from([0, 0, 0]), thresholdBin: new Int32Array(3), threshold: new Float64Array(3), missingLeft: new Uint8Array(3), left: Int32Array.from([1, -1, -1]), right: Int32Array.from([2, -1, -1]), value: Float64Array.from([0, 1, 2]), gain: new Float64Array(3), catStart: new Int32Array(3), catCount: Int32Array.from([1, 0, 0]), categories: Float64Array.from([0.5]) };
    expect(compileScoreKernels([tree], 1, 1)).toBeNull();
    const model: GbdtModel = { objective: 'regression', baseline: 0, features: 1, lossHistory: [], trees: [tree] };
    expect([...predictScores(model, [Float64Array.from([0.5, 1])])]).toEqual([1, 2]);
  });
});
