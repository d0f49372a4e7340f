import { describe, expect, it } from 'vitest';
import { gaussian, seededRandom } from '../../core/random.js';
import { fitGbdt, predictGbdt, predictScores, predictScoresByRow, type GbdtModel } from './gbdt.js';
import { compileScoreKernels } from './predict-kernels.js';
import type { Tree } from './tree.js';

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
      const kernels = compileScoreKernels(model.trees, model.features, model.baselines?.length ?? 1);
      expect(kernels).not.toBeNull();
      // Trees of up to 32 leaves go through cell masks; with up to 63 leaves some need generated code.
      const big = model.trees.filter((t) => t.left.filter((l) => l < 0).length > 32).length;
      expect(kernels!.plan).toEqual({ masks: model.trees.length - big, code: big });
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
    expect(compileScoreKernels(model.trees, 2, 1)!.plan).toEqual({ masks: 3, code: 0 });
    const fast = predictScores(model, cols);
    expect(sameBits(fast, predictScoresByRow(model, cols))).toBe(0);
    // Worked by hand: row 0 → -0 + -0 + 0.25 + -0 = 0.25; row 1 → missing x0 goes right (1.5), x1 = 3 in set (0.25), NaN x0 left (7); row 2 → missing x1 goes left (0.25).
    expect([...fast]).toEqual([0.25, 8.75, 0.25, -2, 0.25, -2]);
  });

  it('gives bit-identical scores on random trees: thresholds and category sets on one feature, values on and beside every cut', () => {
    const random = seededRandom(7);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
    // Cuts shared by thresholds, categories and values: whole numbers (codes), -0, halves, negatives, beyond the lookup table, infinities.
    const cuts = [-0, 0, 1, 2, 3, 5, 0.5, 2.5, -1, -3.25, 7, 100, 65_535, 65_536, 70_000.5, 1e9, Infinity, -Infinity];
    const thresholds = [...cuts, Number.NaN];
    const categories = [0, 1, 2, 3, 5, 7, 100, 0.5, -1, 70_000.5];
    const F = 3;
    /** A random tree of `leaves` leaves; integer categories only when `integerCategories`; `near` keeps thresholds and categories below 101 (lookup tables for whole numbers). */
    const randomTree = (leaves: number, integerCategories: boolean, near = false): Tree => {
      const nodes: { feature: number; threshold: number; missingLeft: number; left: number; right: number; value: number; cats: number[] }[] = [{ feature: 0, threshold: 0, missingLeft: 0, left: -1, right: -1, value: 0, cats: [] }];
      const open = [0];
      while (open.length < leaves) {
        const at = open.splice(Math.floor(random() * open.length), 1)[0]!;
        const node = nodes[at]!;
        node.feature = Math.floor(random() * F);
        node.missingLeft = random() < 0.5 ? 1 : 0;
        if (random() < 0.4) {
          const pool = categories.filter((c) => (!integerCategories || (Number.isInteger(c) && c >= 0)) && (!near || c <= 100));
          node.cats = [...new Set(Array.from({ length: 1 + Math.floor(random() * 3) }, () => pick(pool)))].sort((a, b) => a - b);
        } else node.threshold = pick(near ? thresholds.filter((t) => !(t > 100) && t !== -Infinity) : thresholds);
        node.left = nodes.length;
        node.right = nodes.length + 1;
        for (let c = 0; c < 2; c++) nodes.push({ feature: 0, threshold: 0, missingLeft: 0, left: -1, right: -1, value: Math.round((random() - 0.5) * 1e6) / 1e3, cats: [] });
        open.push(node.left, node.right);
      }
      let start = 0;
      const catStart = nodes.map((n) => ((start += n.cats.length), start - n.cats.length));
      return {
        feature: Int32Array.from(nodes, (n) => n.feature),
        thresholdBin: new Int32Array(nodes.length),
        threshold: Float64Array.from(nodes, (n) => n.threshold),
        missingLeft: Uint8Array.from(nodes, (n) => n.missingLeft),
        left: Int32Array.from(nodes, (n) => n.left),
        right: Int32Array.from(nodes, (n) => n.right),
        value: Float64Array.from(nodes, (n) => n.value),
        gain: new Float64Array(nodes.length),
        catStart: Int32Array.from(catStart),
        catCount: Int32Array.from(nodes, (n) => n.cats.length),
        categories: Float64Array.from(nodes.flatMap((n) => n.cats)),
      };
    };
    // Values: every cut, its neighbours, NaN and a few others.
    const near = cuts.flatMap((c) => (Number.isFinite(c) ? [c, c + Math.max(1, Math.abs(c)) * 1e-9, c - Math.max(1, Math.abs(c)) * 1e-9] : [c]));
    const values = [...near, Number.NaN, 4, 6, 12_345, 2 ** 40, -(2 ** 40)];
    const n = 3000;
    const cols = Array.from({ length: F }, () => Float64Array.from({ length: n }, () => pick(values)));
    for (const [trees, K, masks, code] of [
      [Array.from({ length: 40 }, () => randomTree(1 + Math.floor(random() * 32), false)), 1, 40, 0],
      // A 33-leaf tree in the middle goes to generated code; the order of additions still holds.
      [[randomTree(20, true), randomTree(33, true), randomTree(32, true), randomTree(1, true)], 2, 3, 1],
      [Array.from({ length: 20 }, () => randomTree(1 + Math.floor(random() * 32), false, true)), 1, 20, 0],
      // Generated code takes whole-number categories only; masks take any, beside it.
      [[randomTree(40, true), randomTree(12, false), randomTree(25, false)], 1, 2, 1],
    ] as const) {
      const model: GbdtModel = { objective: K === 1 ? 'regression' : 'multiclass', baseline: 0.125, ...(K > 1 ? { baselines: [0.125, -3] } : {}), features: F, lossHistory: [], trees };
      expect(compileScoreKernels(trees, F, K)!.plan).toEqual({ masks, code });
      expect(sameBits(predictScores(model, cols), predictScoresByRow(model, cols))).toBe(0);
    }
  });

  it('leaves models it cannot compile to the row walk', () => {
    // 33 leaves need generated code, which takes whole-number categories only.
    const leaves = 33;
    const nodes = 2 * leaves - 1;
    const chain = (i: number) => (i < nodes - 1 && i % 2 === 0 ? 1 : 0);
    const tree: Tree = {
      feature: new Int32Array(nodes),
      thresholdBin: new Int32Array(nodes),
      threshold: Float64Array.from({ length: nodes }, (_, i) => i),
      missingLeft: new Uint8Array(nodes),
      // Node 2j splits: left is leaf 2j + 1, right the next split 2j + 2; the last node is a leaf.
      left: Int32Array.from({ length: nodes }, (_, i) => (chain(i) ? i + 1 : -1)),
      right: Int32Array.from({ length: nodes }, (_, i) => (chain(i) ? i + 2 : -1)),
      value: Float64Array.from({ length: nodes }, (_, i) => i),
      gain: new Float64Array(nodes),
      catStart: new Int32Array(nodes),
      catCount: Int32Array.from({ length: nodes }, (_, i) => (i === 0 ? 1 : 0)),
      categories: Float64Array.from([0.5]),
    };
    expect(tree.left.filter((l) => l < 0).length).toBe(leaves);
    expect(compileScoreKernels([tree], 1, 1)).toBeNull();
    const model: GbdtModel = { objective: 'regression', baseline: 0, features: 1, lossHistory: [], trees: [tree] };
    // 0.5 is in the root's set (leaf 1); 1 goes right, then left at node 2 (1 <= 2): leaf 3.
    expect([...predictScores(model, [Float64Array.from([0.5, 1])])]).toEqual([1, 3]);
  });
});
