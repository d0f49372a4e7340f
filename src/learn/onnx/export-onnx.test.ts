import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../core/random.js';
import { fitGbdt, predictGbdt, type GbdtModel } from '../gbdt/gbdt.js';
import { gbdtLearner } from '../gbdt/gbdt-learner.js';
import type { Task } from '../learner.js';
import { type LinearState, fitLinear, predictLinear } from '../linear/linear-learner.js';
import type { ModelArtifact } from '../model-artifact.js';
import { exportOnnx, ONNX_METADATA } from './export-onnx.js';
import { readOnnxMetadata } from './onnx-graph.js';
import { loadOnnxPredictor } from './onnx-predictor.js';

/**
 * Every built-in learner and task exported to ONNX and run by ONNX Runtime must
 * predict what Orchard predicts — the reference is Orchard's own predict on the
 * same 10,000 rows, which include values sitting exactly on every split threshold,
 * one float64 step either side of it, and NaNs.
 */
const NAMES = ['count', 'ratio', 'amount', 'code'];
const ROWS = 10_000;

function artifactOf(learner: string, task: Task, saved: unknown): ModelArtifact {
  return {
    orchardModel: 1,
    learner,
    task,
    params: {},
    signature: { inputs: NAMES.map((name) => ({ name, kind: 'numeric' })), target: 'y', output: task === 'binary' ? 'probability' : task === 'multiclass' ? 'probabilities' : 'value' },
    transform: { orchardTransform: 1, fittedOn: 'synthetic@1', inputs: NAMES, steps: [], features: NAMES },
    state: saved,
    training: { dataset: 'synthetic@1', target: 'y', rows: ROWS, runId: null, trainedAt: 0 },
    metrics: {},
  };
}

/** Four features: small integers, a ratio with 10% NaN, amounts near a million (float32 steps of 0.0625 there), codes with NaN. */
function synthetic(seed: number, n: number): Float64Array[] {
  const random = seededRandom(seed);
  const cols = NAMES.map(() => new Float64Array(n));
  for (let i = 0; i < n; i++) {
    cols[0]![i] = Math.floor(random() * 50);
    cols[1]![i] = random() < 0.1 ? Number.NaN : random() * 10;
    cols[2]![i] = 1e6 + random() * 50;
    cols[3]![i] = random() < 0.05 ? Number.NaN : Math.floor(random() * 6);
  }
  return cols;
}

function targetOf(cols: Float64Array[], task: 'binary' | 'regression', seed: number): Float64Array {
  const random = seededRandom(seed);
  return Float64Array.from({ length: cols[0]!.length }, (_, i) => {
    const ratio = Number.isNaN(cols[1]![i]!) ? 7 : cols[1]![i]!;
    const score = cols[0]![i]! / 10 + ratio - (cols[2]![i]! - 1e6) / 10 + (Number.isNaN(cols[3]![i]!) ? 3 : cols[3]![i]! / 2) + random() * 2;
    return task === 'binary' ? (score > 6 ? 1 : 0) : 40 * score;
  });
}

const bits = new DataView(new ArrayBuffer(8));
/** The next float64 above (`+1`) or below (`-1`) a finite, positive x. */
function step(x: number, direction: 1 | -1): number {
  bits.setFloat64(0, x);
  bits.setBigUint64(0, bits.getBigUint64(0) + BigInt(direction));
  return bits.getFloat64(0);
}

/** Rows for the comparison: each split's threshold, one step either side, its float32 rounding; then random rows with NaNs. */
function probeRows(model: GbdtModel | null, seed: number): Float64Array[] {
  const base = synthetic(seed, ROWS);
  let r = 0;
  if (model) {
    for (const tree of model.trees) {
      for (let node = 0; node < tree.left.length && r + 4 <= ROWS * 0.6; node++) {
        if (tree.left[node]! < 0) continue;
        const t = tree.threshold[node]!;
        for (const v of [t, step(t, 1), step(t, -1), Math.fround(t)]) base[tree.feature[node]!]![r++] = v;
      }
    }
  }
  return base;
}

async function onnxPredictions(artifact: ModelArtifact, features: Float64Array[]): Promise<Float64Array> {
  const predictor = await loadOnnxPredictor(exportOnnx(artifact).bytes);
  try {
    return await predictor.predictFeatures(features);
  } finally {
    await predictor.close();
  }
}

function maxRelativeError(a: Float64Array, b: Float64Array): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    expect(Number.isFinite(a[i]!)).toBe(true);
    worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(b[i]!)));
  }
  return worst;
}

/** The same model with thresholds rounded to float32, as a float-typed ONNX tree ensemble would hold them. */
function withFloat32Thresholds(model: GbdtModel): GbdtModel {
  return { ...model, trees: model.trees.map((t) => ({ ...t, threshold: Float64Array.from(t.threshold, Math.fround) })) };
}

describe('ONNX export of gbdt', () => {
  for (const task of ['binary', 'regression'] as const) {
    it(`${task}: ONNX Runtime predicts 10,000 rows as Orchard does, including rows on every threshold and NaNs`, async () => {
      const train = synthetic(1, 5000);
      const model = fitGbdt(train, targetOf(train, task, 2), { objective: task, maxIter: 40, learningRate: 0.2, earlyStopping: false });
      const rows = probeRows(model, 3);
      const expected = predictGbdt(model, rows);
      const actual = await onnxPredictions(artifactOf('gbdt', task, gbdtLearner.save(model)), rows);
      expect(maxRelativeError(actual, expected)).toBeLessThan(1e-9);

      // The rows do test precision: with float32 thresholds, some of them would take the other branch.
      const float32 = predictGbdt(withFloat32Thresholds(model), rows);
      const flipped = expected.filter((v, i) => Math.abs(v - float32[i]!) > 1e-9).length;
      expect(flipped).toBeGreaterThan(20);
      // …and missing values reach both sides of splits.
      const trees = model.trees.filter((t) => t.left[0]! >= 0);
      const missingSides = new Set(trees.flatMap((t) => [...t.missingLeft].filter((_, n) => t.left[n]! >= 0)));
      expect(missingSides).toEqual(new Set([0, 1]));
      expect(rows[1]!.some(Number.isNaN) && rows[3]!.some(Number.isNaN)).toBe(true);
    });
  }

  it('multiclass with a categorical feature: class probabilities agree, category sets and unseen categories route as in Orchard', async () => {
    const train = synthetic(11, 6000);
    const y = Float64Array.from(targetOf(train, 'regression', 12), (v, i) => (Number.isNaN(train[3]![i]!) ? 2 : v > 240 ? 1 : train[3]![i]! % 2));
    const model = fitGbdt(train, y, { objective: 'multiclass', classes: 3, categoricalFeatures: [3], maxIter: 25, learningRate: 0.2, earlyStopping: false });
    expect(model.trees.some((t) => t.catCount.some((c, n) => c > 0 && t.left[n]! >= 0))).toBe(true);
    const rows = probeRows(model, 13);
    // Categories never seen in training (7, 9) go right in Orchard; the export must agree.
    for (let i = ROWS - 200; i < ROWS; i++) rows[3]![i] = i % 2 ? 7 : 9;
    const expected = predictGbdt(model, rows);
    const actual = await onnxPredictions(artifactOf('gbdt', 'multiclass', gbdtLearner.save(model)), rows);
    expect(actual.length).toBe(3 * ROWS);
    expect(maxRelativeError(actual, expected)).toBeLessThan(1e-9);
  });

  it('exports a model whose first tree is a single leaf', async () => {
    const train = synthetic(4, 500);
    const model = fitGbdt(train, targetOf(train, 'regression', 5), { objective: 'regression', maxIter: 3, earlyStopping: false, minSamplesLeaf: 1 });
    const leaf = { ...model.trees[0]!, feature: Int32Array.of(0), thresholdBin: Int32Array.of(0), threshold: Float64Array.of(0), missingLeft: Uint8Array.of(0), left: Int32Array.of(-1), right: Int32Array.of(-1), value: Float64Array.of(0.25), gain: Float64Array.of(0) };
    const withLeaf: GbdtModel = { ...model, trees: [leaf, ...model.trees] };
    const rows = probeRows(withLeaf, 6);
    const expected = predictGbdt(withLeaf, rows);
    expect(maxRelativeError(await onnxPredictions(artifactOf('gbdt', 'regression', gbdtLearner.save(withLeaf)), rows), expected)).toBeLessThan(1e-9);
  });
});

describe('ONNX export of linear and logistic', () => {
  for (const [learner, task] of [['linear', 'regression'], ['logistic', 'binary']] as const) {
    it(`${learner}: standardisation and mean imputation of NaN agree with Orchard on 10,000 rows`, async () => {
      const train = synthetic(7, 5000);
      const y = targetOf(train, task, 8);
      const state = fitLinear({ features: train, featureNames: NAMES, target: y }, task, { penalty: 'l2', l1: 0, l2: 1e-4, fitIntercept: true, maxIter: 100, tol: 1e-4 }) as LinearState;
      const rows = probeRows(null, 9);
      // Some rows with every feature missing: the prediction is the intercept alone.
      for (const c of rows) c.fill(Number.NaN, 0, 50);
      const expected = predictLinear(state, rows);
      const actual = await onnxPredictions(artifactOf(learner, task, state), rows);
      expect(maxRelativeError(actual, expected)).toBeLessThan(1e-9);
      const intercept = task === 'binary' ? 1 / (1 + Math.exp(-state.intercept)) : state.intercept;
      expect(actual[0]).toBeCloseTo(intercept, 12);
    });
  }
});

describe('exported model', () => {
  it('declares its input and output, and carries feature names and the artifact in metadata_props', async () => {
    const train = synthetic(10, 300);
    const model = fitGbdt(train, targetOf(train, 'binary', 11), { objective: 'binary', maxIter: 2, earlyStopping: false });
    const artifact = artifactOf('gbdt', 'binary', gbdtLearner.save(model));
    const exported = exportOnnx(artifact, { producerVersion: '1.2.3' });
    expect(exported.input).toEqual({ name: 'features', type: 'double', shape: ['N', 4] });
    expect(exported.output).toEqual({ name: 'probability', type: 'double', shape: ['N'] });
    const metadata = readOnnxMetadata(exported.bytes, 'model');
    expect(JSON.parse(metadata[ONNX_METADATA.featureNames]!)).toEqual(NAMES);
    expect(metadata[ONNX_METADATA.learner]).toBe('gbdt');
    expect(metadata[ONNX_METADATA.task]).toBe('binary');
    expect(JSON.parse(metadata[ONNX_METADATA.transform]!)).toEqual(artifact.transform);
    const predictor = await loadOnnxPredictor(exported.bytes);
    expect(predictor.inputs).toEqual([{ name: 'features', type: 'float64', shape: ['N', 4] }]);
    expect(predictor.outputs).toEqual([{ name: 'probability', type: 'float64', shape: ['N'] }]);
    expect(predictor.output).toBe('probability');
    expect(predictor.featureNames).toEqual(NAMES);
    await predictor.close();
  });

  it('refuses learners without a converter, naming the ones that have one', () => {
    expect(() => exportOnnx({ ...artifactOf('gbdt', 'binary', {}), learner: 'knn' })).toThrow("Models of learner 'knn' cannot be exported to ONNX; the learners with an ONNX converter are gbdt, linear, logistic.");
  });
});

describe('ONNX export of multinomial logistic regression', () => {
  it('agrees with Orchard on 10,000 rows of three-class probabilities', async () => {
    const train = synthetic(21, 5000);
    const y = Float64Array.from(targetOf(train, 'regression', 22), (v) => (v < 200 ? 0 : v < 300 ? 1 : 2));
    const state = fitLinear({ features: train, featureNames: NAMES, target: y, classes: 3 }, 'multiclass', { penalty: 'l2', l1: 0, l2: 1e-4, fitIntercept: true, maxIter: 100, tol: 1e-4 });
    const rows = probeRows(null, 23);
    const expected = predictLinear(state, rows);
    const actual = await onnxPredictions(artifactOf('logistic', 'multiclass', state), rows);
    expect(actual.length).toBe(3 * ROWS);
    expect(maxRelativeError(actual, expected)).toBeLessThan(1e-9);
  });
});
