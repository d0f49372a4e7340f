import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/core/random.js';
import { registerLearner, type Learner } from '../../src/learn/learner.js';
import { loadModel, readModelArtifact, type ModelArtifact } from '../../src/learn/model-artifact.js';
import { tempPlatform } from '../support/temp.js';

const actor = { name: 'tester' };

describe('training runs', () => {
  let s: Awaited<ReturnType<typeof tempPlatform>>;
  const rows: { day: string; city: string; size: number; price: number }[] = [];
  beforeAll(async () => {
    s = await tempPlatform();
    const random = seededRandom(9);
    const cities = ['oslo', 'rome', 'lima', 'pune'];
    for (let i = 0; i < 4000; i++) {
      const city = cities[i % 4]!;
      const size = Math.round(20 + random() * 180);
      const price = size * (city === 'oslo' ? 3 : 1) + random() * 40 + (i % 7 === 0 ? NaN : 0);
      rows.push({ day: `2024-0${1 + (i % 6)}-${String(1 + (i % 28)).padStart(2, '0')} ${String(i % 24).padStart(2, '0')}:00:00`, city, size, price });
    }
    const csv = ['day,city,size,price', ...rows.map((r) => `${r.day},${r.city},${r.size},${Number.isNaN(r.price) ? '' : r.price}`)].join('\n');
    writeFileSync(join(s.home, 'homes.csv'), csv);
    await s.platform.datasets.ingest(actor, { name: 'homes', source: 'homes.csv', cwd: s.home });
    await s.platform.derive.split(actor, 'homes', { kind: 'random', fractions: { train: 0.75, test: 0.25 }, seed: 1 });
  });
  afterAll(async () => s.cleanup());

  it('trains a classifier on a derived target, logs it as a run, and stores a model that predicts rows the same way', async () => {
    const result = await s.platform.training.train(actor, { data: 'homes-train', target: 'pricey=price > 250', learner: 'gbdt', params: { max_iter: '30' }, test: 'homes-test' });
    expect(result.artifact.task).toBe('binary');
    expect(result.metrics.test_auc).toBeGreaterThan(0.9);
    // The target's own column is not a feature; categories and date parts are.
    expect(result.artifact.transform.features).toEqual(['day_month', 'day_weekday', 'day_hour', 'city', 'size']);
    const run = await s.platform.tracking.getRun(result.runId);
    expect(run.info.status).toBe('FINISHED');
    expect(run.params).toEqual(expect.arrayContaining([{ key: 'learner', value: 'gbdt' }, { key: 'max_iter', value: '30' }, { key: 'target', value: 'pricey=price > 250' }]));
    expect(run.metrics.find((m) => m.key === 'test_auc')?.value).toBe(result.metrics.test_auc);
    expect((await s.platform.tracking.metricHistory(result.runId, 'loss')).items.length).toBeGreaterThan(0);
    expect((await s.platform.artifacts.list(`${await s.platform.artifacts.runRoot(result.runId)}/model`)).map((f) => f.path)).toEqual(['model.json']);

    // Reloaded from the stored bytes, the model predicts raw rows (the serving path) exactly as training scored them.
    const stored = readModelArtifact((await s.platform.content.read(result.digest)).toString('utf8'), result.digest);
    const model = loadModel(stored);
    const again = loadModel(JSON.parse(JSON.stringify(stored)) as ModelArtifact);
    const sample = rows.slice(0, 200).map(({ day, city, size }) => ({ day, city, size }));
    const p1 = model.predict(sample);
    const p2 = again.predict(sample);
    expect([...p1]).toEqual([...p2]);
    expect(p1.every((p) => p > 0 && p < 1)).toBe(true);
    // Categories never seen in training share one code (the transform's "other"), so any two give the same prediction.
    const [paris, quito] = [...model.predict([{ ...sample[0]!, city: 'paris' }, { ...sample[0]!, city: 'quito' }])];
    expect(paris).toBe(quito);
    expect(paris! > 0 && paris! < 1).toBe(true);
    expect(stored.signature).toEqual({ inputs: [{ name: 'day', kind: 'datetime' }, { name: 'city', kind: 'categorical' }, { name: 'size', kind: 'integer' }], target: 'pricey', output: 'probability' });
  });

  it('trains a multiclass classifier on a categorical target, with classes in the artifact and per-class probabilities', async () => {
    // city is predictable from price per size (oslo is three times dearer) only partly; the classes are the four cities.
    const result = await s.platform.training.train(actor, { data: 'homes-train', target: 'city', learner: 'gbdt', params: { max_iter: '20' }, test: 'homes-test' });
    expect(result.artifact.task).toBe('multiclass');
    expect(result.artifact.classes).toEqual(['lima', 'oslo', 'pune', 'rome']);
    expect(result.artifact.signature.output).toBe('probabilities');
    expect(result.metrics.test_accuracy).toBeGreaterThan(0.25);
    expect(result.metrics.test_f1_macro).toBeGreaterThan(0);
    expect(Number.isFinite(result.metrics.test_log_loss)).toBe(true);
    const model = loadModel(result.artifact);
    const p = model.predict(rows.slice(0, 10).map(({ day, size, price }) => ({ day, size, price: Number.isNaN(price) ? null : price })));
    expect(p.length).toBe(40);
    for (let i = 0; i < 10; i++) expect(p[4 * i]! + p[4 * i + 1]! + p[4 * i + 2]! + p[4 * i + 3]!).toBeCloseTo(1, 12);
    // A two-label text target is binary, the second label (sorted) being class 1.
    const two = await s.platform.training.train(actor, { data: 'homes-train', target: 'big=size > 100', learner: 'logistic' });
    expect(two.artifact.task).toBe('binary');
  });

  it('refuses targets nothing can be learnt from: one class, more than 1000 classes, categories for regression', async () => {
    const big = ['id,x', ...Array.from({ length: 1500 }, (_, i) => `c${i},${i}`)].join('\n');
    writeFileSync(join(s.home, 'ids.csv'), big);
    await s.platform.datasets.ingest(actor, { name: 'ids', source: 'ids.csv', cwd: s.home });
    await expect(s.platform.training.train(actor, { data: 'ids', target: 'id', learner: 'gbdt', experiment: 'refusals' })).rejects.toThrow(/more than 1000 classes; group rare ones/);
    const one = ['kind,x', ...Array.from({ length: 50 }, (_, i) => `same,${i}`)].join('\n');
    writeFileSync(join(s.home, 'one.csv'), one);
    await s.platform.datasets.ingest(actor, { name: 'one', source: 'one.csv', cwd: s.home });
    await expect(s.platform.training.train(actor, { data: 'one', target: 'kind', learner: 'gbdt', experiment: 'refusals' })).rejects.toThrow(/a single class \(same\); a classifier needs at least two/);
    await expect(s.platform.training.train(actor, { data: 'homes-train', target: 'city', learner: 'gbdt', task: 'regression', experiment: 'refusals' })).rejects.toThrow(/holds categories; regression needs numbers/);
    await expect(s.platform.training.train(actor, { data: 'homes-train', target: 'size', learner: 'gbdt', task: 'binary', experiment: 'refusals' })).rejects.toThrow(/A binary target must be 0 or 1; `size` is/);
  });

  it('trains a regressor on a numeric column and drops rows whose target is missing', async () => {
    const result = await s.platform.training.train(actor, { data: 'homes-train', target: 'price', learner: 'gbdt', test: 'homes-test' });
    expect(result.artifact.task).toBe('regression');
    expect(result.metrics.test_r2).toBeGreaterThan(0.9);
    const train = await s.platform.datasets.resolve('homes-train');
    expect(result.metrics.train_rows).toBeLessThan(train.rows);
  });

  it('trains the built-in logistic and linear learners through the same path', async () => {
    const logistic = await s.platform.training.train(actor, { data: 'homes-train', target: 'pricey=price > 250', learner: 'logistic', test: 'homes-test' });
    // The target depends on size × city, which a linear model only approximates.
    expect(logistic.metrics.test_auc).toBeGreaterThan(0.75);
    const linear = await s.platform.training.train(actor, { data: 'homes-train', target: 'price', learner: 'linear', test: 'homes-test' });
    expect(linear.metrics.test_r2).toBeGreaterThan(0.3);
    await expect(s.platform.training.train(actor, { data: 'homes-train', target: 'price', learner: 'logistic' })).rejects.toThrow(/Learner logistic does not do regression; it does binary/);
    const model = loadModel(readModelArtifact((await s.platform.content.read(logistic.digest)).toString('utf8'), logistic.digest));
    // Bigger homes are likelier to be pricey, whatever else the model learnt.
    const [small, big] = model.predict([
      { day: '2024-01-01 10:00:00', city: 'oslo', size: 30 },
      { day: '2024-01-01 10:00:00', city: 'oslo', size: 200 },
    ]);
    expect(big!).toBeGreaterThan(small!);
  });

  it('uses a registered custom learner wherever a built-in one is used', async () => {
    const meanLearner: Learner<{ mean: number }> = {
      name: 'mean-test',
      tasks: ['binary', 'regression'],
      defaults: { shrink: 0 },
      fit: (data) => ({ mean: data.target.reduce((a, b) => a + b, 0) / data.target.length }),
      predict: (state, features) => new Float64Array(features[0]!.length).fill(state.mean),
      save: (state) => state,
      load: (saved) => saved as { mean: number },
    };
    registerLearner(meanLearner);
    const result = await s.platform.training.train(actor, { data: 'homes-train', target: 'price', learner: 'mean-test', test: 'homes-test' });
    expect(result.artifact.learner).toBe('mean-test');
    expect(Math.abs(result.metrics.test_r2!)).toBeLessThan(0.05);
  });

  it('refuses unknown learners, parameters and targets with the fix, and marks nothing as trained', async () => {
    await expect(s.platform.training.train(actor, { data: 'homes-train', target: 'price', learner: 'xgboost' })).rejects.toThrow(/No learner named 'xgboost'; known learners: gbdt/);
    await expect(s.platform.training.train(actor, { data: 'homes-train', target: 'price', learner: 'gbdt', params: { depth: '3' } })).rejects.toThrow(/no parameter 'depth'; its parameters are loss, huber_alpha, learning_rate, max_iter/);
    await expect(s.platform.training.train(actor, { data: 'homes-train', target: 'price', learner: 'gbdt', params: { max_iter: 'lots' } })).rejects.toThrow(/max_iter of gbdt must be a number, got 'lots'/);
    await expect(s.platform.training.train(actor, { data: 'homes-train', target: 'cost', learner: 'gbdt' })).rejects.toThrow(/target `cost` is not a column; columns are day, city, size, price/);
    await expect(s.platform.training.train(actor, { data: 'homes-train', target: 'one=size > 100000', learner: 'gbdt' })).rejects.toThrow(/single class \(all 0\)/);
    const failed = await s.platform.tracking.searchRuns({ experimentIds: [(await s.platform.tracking.getExperimentByName('train')).experimentId], filter: "attributes.status = 'FAILED'" });
    // The single-class target and the earlier regression-with-logistic attempt failed as runs; the rest failed before starting one.
    expect(failed.items.length).toBe(2);
  });
});
