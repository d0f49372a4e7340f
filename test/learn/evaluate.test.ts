import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gaussian, seededRandom } from '../../src/core/random.js';
import { bootstrapInterval, take } from '../../src/learn/bootstrap.js';
import { logLoss, rocAuc } from '../../src/learn/metrics.js';
import { tempPlatform } from '../support/temp.js';

const actor = { name: 'tester' };

describe('bootstrap', () => {
  it('gives an interval for a mean close to the normal approximation mean ± 1.96 σ/√n', () => {
    const normal = gaussian(seededRandom(4));
    const x = Float64Array.from({ length: 2000 }, () => normal() * 2 + 10);
    const mean = (v: Float64Array) => v.reduce((a, b) => a + b, 0) / v.length;
    const ci = bootstrapInterval(x.length, (idx) => mean(take(x, idx)), { rounds: 1000, seed: 1 });
    const m = mean(x);
    const sd = Math.sqrt(x.reduce((a, v) => a + (v - m) ** 2, 0) / (x.length - 1));
    const half = (1.96 * sd) / Math.sqrt(x.length);
    expect(ci.low).toBeCloseTo(m - half, 1);
    expect(ci.high).toBeCloseTo(m + half, 1);
    expect(ci.rounds).toBe(1000);
  });
});

describe('evaluation runs', () => {
  let s: Awaited<ReturnType<typeof tempPlatform>>;
  const csvRows: { day: string; city: string; size: number; price: number }[] = [];
  let gbdt = '';
  let logistic = '';
  beforeAll(async () => {
    s = await tempPlatform();
    const random = seededRandom(12);
    const cities = ['oslo', 'rome', 'lima', 'pune'];
    for (let i = 0; i < 4000; i++) {
      const city = cities[i % 4]!;
      const size = Math.round(20 + random() * 180);
      csvRows.push({ day: `2024-0${1 + (i % 6)}-${String(1 + (i % 28)).padStart(2, '0')} 10:00:00`, city, size, price: size * (city === 'oslo' ? 3 : 1) + random() * 40 });
    }
    writeFileSync(join(s.home, 'homes.csv'), ['day,city,size,price', ...csvRows.map((r) => `${r.day},${r.city},${r.size},${r.price}`)].join('\n'));
    await s.platform.datasets.ingest(actor, { name: 'homes', source: 'homes.csv', cwd: s.home });
    await s.platform.derive.split(actor, 'homes', { kind: 'time', by: 'day', cuts: ['2024-05-01'], names: ['train', 'test'] });
    gbdt = (await s.platform.training.train(actor, { data: 'homes-train', target: 'pricey=price > 250', learner: 'gbdt', params: { max_iter: '40' } })).runId;
    logistic = (await s.platform.training.train(actor, { data: 'homes-train', target: 'pricey=price > 250', learner: 'logistic' })).runId;
  });
  afterAll(async () => s.cleanup());

  it('evaluates per slice, matching the model applied to raw rows in JavaScript', async () => {
    const result = await s.platform.evaluation.evaluate(actor, { model: gbdt, data: 'homes-test', sliceBy: 'city' });
    expect(result.slices!.items.map((i) => i.value)).toEqual(['lima', 'oslo', 'pune', 'rome']);
    expect(result.slices!.items.reduce((a, i) => a + i.rows, 0)).toBe(result.rows);
    // Independent path: the stored model on the raw CSV rows of May and June, per city.
    const { model } = await s.platform.evaluation.modelOfRun(gbdt);
    const test = csvRows.filter((r) => r.day >= '2024-05-01');
    for (const item of result.slices!.items) {
      const rows = test.filter((r) => r.city === item.value);
      const y = Float64Array.from(rows, (r) => (r.price > 250 ? 1 : 0));
      const p = model.predict(rows.map(({ day, city, size }) => ({ day, city, size })));
      if (Number.isNaN(item.metrics.auc!)) expect(new Set(y).size).toBe(1);
      else expect(item.metrics.auc!).toBeCloseTo(rocAuc(y, p), 12);
    }
    const run = await s.platform.tracking.getRun(result.runId);
    expect(run.metrics.find((m) => m.key === 'slice/oslo/accuracy')).toBeDefined();
  });

  it('compares two models on the same rows with a bootstrap interval of the AUC difference', async () => {
    const vs = await s.platform.evaluation.evaluate(actor, { model: gbdt, data: 'homes-test', against: logistic, rounds: 100 });
    expect(vs.comparison!.metric).toBe('auc');
    expect(vs.comparison!.difference).toBeGreaterThan(0);
    expect(vs.comparison!.low).toBeGreaterThan(0);
    expect(vs.comparison!.low).toBeLessThanOrEqual(vs.comparison!.difference);
    expect(vs.comparison!.high).toBeGreaterThanOrEqual(vs.comparison!.difference);
    const self = await s.platform.evaluation.evaluate(actor, { model: gbdt, data: 'homes-test', against: gbdt, rounds: 20 });
    expect([self.comparison!.difference, self.comparison!.low, self.comparison!.high]).toEqual([0, 0, 0]);
  });

  it('compares on a chosen metric: log loss difference equals the two models scored apart', async () => {
    const vs = await s.platform.evaluation.evaluate(actor, { model: gbdt, data: 'homes-test', against: logistic, compareOn: 'log_loss', rounds: 50 });
    const test = csvRows.filter((r) => r.day >= '2024-05-01');
    const y = Float64Array.from(test, (r) => (r.price > 250 ? 1 : 0));
    const rows = test.map(({ day, city, size }) => ({ day, city, size }));
    const [a, b] = await Promise.all([gbdt, logistic].map(async (run) => (await s.platform.evaluation.modelOfRun(run)).model.predict(rows)));
    expect(vs.comparison!.metric).toBe('log_loss');
    expect(vs.comparison!.difference).toBeCloseTo(logLoss(y, a!) - logLoss(y, b!), 12);
    expect(vs.comparison!.low).toBeLessThanOrEqual(vs.comparison!.difference);
    await expect(s.platform.evaluation.evaluate(actor, { model: gbdt, data: 'homes-test', against: logistic, compareOn: 'rmse' })).rejects.toThrow(/binary model cannot be compared on 'rmse'; use one of auc, log_loss/);
  });

  it('refuses a run without a model, an unknown slice column and models of different targets', async () => {
    const plain = await s.platform.tracking.createRun(actor, {});
    await expect(s.platform.evaluation.evaluate(actor, { model: plain.info.runId, data: 'homes-test' })).rejects.toThrow(/stored no model/);
    await expect(s.platform.evaluation.evaluate(actor, { model: gbdt, data: 'homes-test', sliceBy: 'colour' })).rejects.toThrow(/no such column; columns are day, city, size, price/);
    const regressor = (await s.platform.training.train(actor, { data: 'homes-train', target: 'price', learner: 'linear' })).runId;
    await expect(s.platform.evaluation.evaluate(actor, { model: gbdt, data: 'homes-test', against: regressor })).rejects.toThrow(/different targets/);
  });
});
