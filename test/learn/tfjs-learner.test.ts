import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/core/random.js';
import { learner, learnerOrigin } from '../../src/learn/learner.js';
import { loadLearnerPlugin, type LoadedPlugin } from '../../src/learn/learner-plugins.js';
import { accuracy } from '../../src/learn/metrics.js';
import { loadModel, readModelArtifact, type ModelArtifact } from '../../src/learn/model-artifact.js';
import { tempPlatform } from '../support/temp.js';

/** The worked plugin example, examples/tfjs-learner/learner.ts, loaded the way `--plugin` loads it. */
const PLUGIN = fileURLToPath(new URL('../../examples/tfjs-learner/learner.ts', import.meta.url));
const actor = { name: 'tester' };
/** Only the coordinates: the other target columns would give the answer away. */
const features = { steps: [], features: ['x', 'y'] };

/** Two features on [-2, 2]²; targets no straight line separates or fits. */
function rings(n: number, seed: number): { x: Float64Array; y: Float64Array; inside: Float64Array; wave: Float64Array; sector: Float64Array } {
  const random = seededRandom(seed);
  const x = new Float64Array(n);
  const y = new Float64Array(n);
  const inside = new Float64Array(n);
  const wave = new Float64Array(n);
  const sector = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    x[i] = random() * 4 - 2;
    y[i] = random() * 4 - 2;
    inside[i] = x[i]! ** 2 + y[i]! ** 2 < 1.8 ? 1 : 0;
    wave[i] = 2 * Math.sin(2 * x[i]!) + y[i]! ** 2;
    // Three classes: by the angle around the origin, in thirds.
    sector[i] = Math.min(2, Math.floor(((Math.atan2(y[i]!, x[i]!) + Math.PI) / (2 * Math.PI)) * 3));
  }
  return { x, y, inside, wave, sector };
}

describe('the TensorFlow.js learner plugin (examples/tfjs-learner)', () => {
  let s: Awaited<ReturnType<typeof tempPlatform>>;
  let plugin: LoadedPlugin;
  beforeAll(async () => {
    s = await tempPlatform();
    plugin = await loadLearnerPlugin(PLUGIN);
    const d = rings(2000, 5);
    const lines = ['x,y,inside,wave'];
    // Every 20th x is missing: the learner imputes the training mean.
    for (let i = 0; i < d.x.length; i++) lines.push(`${i % 20 === 7 ? '' : d.x[i]},${d.y[i]},${d.inside[i]},${d.wave[i]}`);
    writeFileSync(join(s.home, 'rings.csv'), lines.join('\n'));
    await s.platform.datasets.ingest(actor, { name: 'rings', source: 'rings.csv', cwd: s.home });
    await s.platform.derive.split(actor, 'rings', { kind: 'random', fractions: { train: 0.75, test: 0.25 }, seed: 3 });
  });
  afterAll(async () => s.cleanup());

  it('registers tfjs-mlp from the plugin, which models then name with its bundle digest', () => {
    expect(plugin.learners).toEqual(['tfjs-mlp']);
    expect(learnerOrigin('tfjs-mlp')).toEqual({ path: PLUGIN, digest: plugin.digest });
    expect(learner('tfjs-mlp').tasks).toEqual(['binary', 'multiclass', 'regression']);
  });

  it('beats the built-in logistic on a non-linear binary target through TrainService, and reloads bit-identically', async () => {
    const mlp = await s.platform.training.train(actor, { data: 'rings-train', target: 'inside', learner: 'tfjs-mlp', params: { epochs: '40', hidden: '16,8' }, features, test: 'rings-test' });
    const logistic = await s.platform.training.train(actor, { data: 'rings-train', target: 'inside', learner: 'logistic', features, test: 'rings-test' });
    // A disc is not linearly separable: logistic regression is near chance, a small MLP close to perfect.
    expect(logistic.metrics.test_auc).toBeLessThan(0.7);
    expect(mlp.metrics.test_auc).toBeGreaterThan(0.95);
    expect(mlp.metrics.test_auc).toBeGreaterThanOrEqual(logistic.metrics.test_auc!);
    expect((await s.platform.tracking.metricHistory(mlp.runId, 'loss')).items).toHaveLength(40);

    const stored = readModelArtifact((await s.platform.content.read(mlp.digest)).toString('utf8'), mlp.digest);
    expect(stored.plugin).toEqual({ path: PLUGIN, digest: plugin.digest });
    const run = await s.platform.tracking.getRun(mlp.runId);
    expect(run.tags).toContainEqual({ key: 'orchard.plugin', value: `${PLUGIN} sha256:${plugin.digest}` });
    // Scored again from the stored bytes by an evaluation run, the test set gives exactly the AUC
    // computed at training time from the in-memory state.
    const evaluation = await s.platform.evaluation.evaluate(actor, { model: mlp.runId, data: 'rings-test' });
    expect(evaluation.metrics.auc).toBe(mlp.metrics.test_auc);
    // Weights are stored as base64 float32.
    const state = stored.state as { format: string; layers: { inputs: number; outputs: number; weights: string }[] };
    expect(state.format).toBe('tfjs-mlp/1');
    expect(state.layers.map((l) => [l.inputs, l.outputs])).toEqual([[2, 16], [16, 8], [8, 1]]);
    expect(Buffer.from(state.layers[0]!.weights, 'base64').byteLength).toBe(2 * 16 * 4);
    // Rows with a missing x are scored (the mean stands in), as probabilities.
    const p = loadModel(stored).predict([{ x: null, y: 0 }, { x: 0, y: 0 }, { x: 1.9, y: 1.9 }]);
    expect([...p].every((v) => v > 0 && v < 1)).toBe(true);
    expect(p[1]!).toBeGreaterThan(0.5);
    expect(p[2]!).toBeLessThan(0.5);
  });

  it('fits a non-linear regression better than the built-in linear learner', async () => {
    const mlp = await s.platform.training.train(actor, { data: 'rings-train', target: 'wave', learner: 'tfjs-mlp', params: { epochs: '40', hidden: '32,16' }, features, test: 'rings-test' });
    const linear = await s.platform.training.train(actor, { data: 'rings-train', target: 'wave', learner: 'linear', features, test: 'rings-test' });
    expect(mlp.artifact.task).toBe('regression');
    expect(linear.metrics.test_r2).toBeLessThan(0.6);
    expect(mlp.metrics.test_r2).toBeGreaterThan(0.9);
  });

  it('learns three classes (K probabilities per row, each row summing to 1), and save → JSON → load predicts bit-identically', async () => {
    const l = learner('tfjs-mlp');
    const train = rings(1500, 11);
    const test = rings(500, 12);
    const params = { ...l.defaults, epochs: 30, hidden: '16' };
    const state = await l.fit({ features: [train.x, train.y], featureNames: ['x', 'y'], target: train.sector, classes: 3 }, 'multiclass', params, {});
    const p = l.predict(state, [test.x, test.y]);
    expect(p.length).toBe(3 * 500);
    const predicted = new Int32Array(500);
    for (let i = 0; i < 500; i++) {
      const row = p.subarray(3 * i, 3 * i + 3);
      expect(row[0]! + row[1]! + row[2]!).toBeCloseTo(1, 5);
      predicted[i] = row.indexOf(Math.max(...row));
    }
    expect(accuracy(Int32Array.from(test.sector), predicted)).toBeGreaterThan(0.9);
    const reloaded = l.load(JSON.parse(JSON.stringify(l.save(state))));
    const again = l.predict(reloaded, [test.x, test.y]);
    expect(again.every((v, i) => Object.is(v, p[i]))).toBe(true);
    // Seeded: the same data and parameters train to the same weights.
    const twin = await l.fit({ features: [train.x, train.y], featureNames: ['x', 'y'], target: train.sector, classes: 3 }, 'multiclass', params, {});
    expect(l.predict(twin, [test.x, test.y]).every((v, i) => Object.is(v, p[i]))).toBe(true);
  });

  it('refuses bad parameters and foreign saved states with the parameter and the fix', async () => {
    const l = learner('tfjs-mlp');
    const data = { features: [Float64Array.of(1, 2)], featureNames: ['x'], target: Float64Array.of(0, 1) };
    await expect(s.platform.training.train(actor, { data: 'rings-train', target: 'inside', learner: 'tfjs-mlp', params: { hidden: '16,0' } })).rejects.toThrow("tfjs-mlp: parameter hidden is '16,0'; expected layer sizes from 1 to 4096");
    await expect(Promise.resolve().then(() => l.fit(data, 'binary', { ...l.defaults, activation: 'gelu' }, {}))).rejects.toThrow("parameter activation is 'gelu'; expected relu or tanh");
    expect(() => l.load({ format: 'keras' })).toThrow('tfjs-mlp: the saved state has format "keras"; this learner reads tfjs-mlp/1.');
    const artifact = readModelArtifact((await s.platform.content.read((await s.platform.training.train(actor, { data: 'rings-train', target: 'inside', learner: 'tfjs-mlp', params: { epochs: '1' }, features })).digest)).toString('utf8'), 'model');
    const broken = { ...artifact, state: { ...(artifact.state as object), layers: [{ inputs: 2, outputs: 32, weights: 'AAAA', bias: '' }] } } as ModelArtifact;
    expect(() => loadModel(broken)).toThrow('tfjs-mlp: saved layer 0 weights has 3 bytes; expected 256 (64 float32 values).');
  });
});
