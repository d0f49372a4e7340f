import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/core/random.js';
import { literal } from '../../src/data/duckdb-engine.js';
import { rocAuc } from '../../src/learn/metrics.js';
import { tempPlatform } from '../support/temp.js';

const actor = { name: 'tester' };

/** Evaluation slices over numeric ranges, checked against plain SQL counts and metrics computed apart from the service. */
describe('evaluation slices by numeric ranges', () => {
  let s: Awaited<ReturnType<typeof tempPlatform>>;
  const rows: { i: number; city: string; distance: number | null; size: number; price: number }[] = [];
  let classifier = '';
  let regressor = '';
  let testPath = '';
  const sql = async (query: string) => s.platform.engine.withConnection(async (c) => (await c.runAndReadAll(query)).getRowObjectsJS());

  beforeAll(async () => {
    s = await tempPlatform();
    const random = seededRandom(31);
    const cities = ['oslo', 'rome', 'lima'];
    for (let i = 0; i < 3000; i++) {
      const size = Math.round(20 + random() * 180);
      const distance = i % 23 === 0 ? null : Math.round(random() * 2000 * 10) / 10;
      const city = cities[i % 3]!;
      rows.push({ i, city, distance, size, price: size * (city === 'oslo' ? 3 : 1) + (distance ?? 1000) / 20 + random() * 60 });
    }
    writeFileSync(join(s.home, 'homes.csv'), ['i,city,distance,size,price', ...rows.map((r) => `${r.i},${r.city},${r.distance ?? ''},${r.size},${r.price}`)].join('\n'));
    await s.platform.datasets.ingest(actor, { name: 'homes', source: 'homes.csv', cwd: s.home });
    await s.platform.derive.split(actor, 'homes', { kind: 'random', fractions: { train: 0.7, test: 0.3 }, seed: 2 });
    const features = { steps: [{ op: 'ordinal' as const, column: 'city' }], features: ['city', 'distance', 'size'] };
    classifier = (await s.platform.training.train(actor, { data: 'homes-train', target: 'pricey=price > 250', learner: 'gbdt', params: { max_iter: '30' }, features })).runId;
    regressor = (await s.platform.training.train(actor, { data: 'homes-train', target: 'price', learner: 'gbdt', params: { max_iter: '30' }, features })).runId;
    testPath = await s.platform.datasets.parquetPath(await s.platform.datasets.resolve('homes-test'));
  });
  afterAll(async () => s.cleanup());

  /** The test rows as ingested, read back with their ids (the split chose them). */
  async function testRows(): Promise<typeof rows> {
    const ids = new Set((await sql(`select i from read_parquet(${literal(testPath)})`)).map((r) => Number(r.i)));
    return rows.filter((r) => ids.has(r.i));
  }

  it('slices by user-given bins [lo, hi): row counts match SQL, AUC per slice matches the model applied to the raw rows', async () => {
    const result = await s.platform.evaluation.evaluate(actor, { model: classifier, data: 'homes-test', sliceBy: 'distance', bins: [0, 500, 1000, 1500, Infinity] });
    expect(result.slices!.edges).toEqual([0, 500, 1000, 1500, Infinity]);
    expect(result.slices!.items.map((i) => i.value)).toEqual(['[0, 500)', '[500, 1000)', '[1000, 1500)', '[1500, inf)', '(null)']);
    const [counts] = await sql(`select
        count(*) filter (where distance >= 0 and distance < 500) as a,
        count(*) filter (where distance >= 500 and distance < 1000) as b,
        count(*) filter (where distance >= 1000 and distance < 1500) as c,
        count(*) filter (where distance >= 1500) as d,
        count(*) filter (where distance is null) as n
      from read_parquet(${literal(testPath)}) where price is not null`);
    expect(result.slices!.items.map((i) => i.rows)).toEqual(['a', 'b', 'c', 'd', 'n'].map((k) => Number(counts![k])));

    const { model } = await s.platform.evaluation.modelOfRun(classifier);
    const test = await testRows();
    const ranges: [number, number][] = [[0, 500], [500, 1000], [1000, 1500], [1500, Infinity]];
    ranges.forEach(([lo, hi], k) => {
      const inRange = test.filter((r) => r.distance !== null && r.distance >= lo && r.distance < hi);
      const y = Float64Array.from(inRange, (r) => (r.price > 250 ? 1 : 0));
      const p = model.predict(inRange.map(({ city, distance, size }) => ({ city, distance, size })));
      expect(result.slices!.items[k]!.metrics.auc).toBeCloseTo(rocAuc(y, p), 12);
    });
    // Logged as metrics under key-friendly names.
    const run = await s.platform.tracking.getRun(result.runId);
    expect(run.metrics.find((m) => m.key === 'slice/500 to 1000/rows')?.value).toBe(Number(counts!.b));
    expect(run.metrics.some((m) => m.key === 'slice/1500 to inf/auc')).toBe(true);
    expect(run.params).toContainEqual({ key: 'slice_bins', value: '0,500,1000,1500,Infinity' });
  });

  it('slices by quantiles at DuckDB quantile_cont cut points, with RMSE per slice matching an independent computation', async () => {
    const result = await s.platform.evaluation.evaluate(actor, { model: regressor, data: 'homes-test', sliceBy: 'distance', quantiles: 4 });
    const [q] = await sql(`select quantile_cont(distance, [0.25, 0.5, 0.75]) as q from read_parquet(${literal(testPath)}) where price is not null`);
    const cuts = (q!.q as number[]).map(Number);
    const edges = result.slices!.edges!;
    expect(edges[0]).toBe(-Infinity);
    expect(edges[4]).toBe(Infinity);
    edges.slice(1, 4).forEach((e, k) => expect(e).toBeCloseTo(cuts[k]!, 9));
    expect(result.slices!.items.map((i) => i.value)).toEqual([`[-inf, ${edges[1]})`, `[${edges[1]}, ${edges[2]})`, `[${edges[2]}, ${edges[3]})`, `[${edges[3]}, inf)`, '(null)']);
    const [counts] = await sql(`select
        count(*) filter (where distance < ${edges[1]}) as a,
        count(*) filter (where distance >= ${edges[1]} and distance < ${edges[2]}) as b,
        count(*) filter (where distance >= ${edges[2]} and distance < ${edges[3]}) as c,
        count(*) filter (where distance >= ${edges[3]}) as d,
        count(*) filter (where distance is null) as n
      from read_parquet(${literal(testPath)}) where price is not null`);
    expect(result.slices!.items.map((i) => i.rows)).toEqual(['a', 'b', 'c', 'd', 'n'].map((k) => Number(counts![k])));
    expect(result.slices!.items.reduce((a, i) => a + i.rows, 0)).toBe(result.rows);

    const { model } = await s.platform.evaluation.modelOfRun(regressor);
    const test = await testRows();
    for (let k = 0; k < 4; k++) {
      const inRange = test.filter((r) => r.distance !== null && r.distance >= edges[k]! && r.distance < edges[k + 1]!);
      const p = model.predict(inRange.map(({ city, distance, size }) => ({ city, distance, size })));
      const rmse = Math.sqrt(inRange.reduce((a, r, i) => a + (r.price - p[i]!) ** 2, 0) / inRange.length);
      expect(result.slices!.items[k]!.metrics.rmse).toBeCloseTo(rmse, 9);
    }
  });

  it('lists empty ranges and rows outside every range', async () => {
    const result = await s.platform.evaluation.evaluate(actor, { model: classifier, data: 'homes-test', sliceBy: 'size', bins: [50, 100, 1000, 2000] });
    const [counts] = await sql(`select count(*) filter (where size < 50) as below, count(*) filter (where size >= 50 and size < 100) as a from read_parquet(${literal(testPath)}) where price is not null`);
    expect(result.slices!.items).toEqual([
      expect.objectContaining({ value: '[50, 100)', rows: Number(counts!.a) }),
      expect.objectContaining({ value: '[100, 1000)' }),
      { value: '[1000, 2000)', rows: 0, metrics: {} },
      expect.objectContaining({ value: '(out of range)', rows: Number(counts!.below) }),
    ]);
  });

  it('refuses bad slicing with every problem named, before starting a run', async () => {
    const experiment = await s.platform.tracking.getExperimentByName('evaluate');
    const before = (await s.platform.tracking.searchRuns({ experimentIds: [experiment.experimentId] })).items.length;
    await expect(s.platform.evaluation.evaluate(actor, { model: classifier, data: 'homes-test', sliceBy: 'city', bins: [0, 1] })).rejects.toThrow(
      'Invalid evaluation slices: sliceBy: `city` is categorical; numeric ranges need a numeric or integer column',
    );
    await expect(s.platform.evaluation.evaluate(actor, { model: classifier, data: 'homes-test', bins: [0, 1], quantiles: 4 })).rejects.toThrow(
      /Invalid evaluation slices \(2 problems\): bins: give bins or quantiles, not both; sliceBy: bins and quantiles slice a numeric column/,
    );
    await expect(s.platform.evaluation.evaluate(actor, { model: classifier, data: 'homes-test', sliceBy: 'size', bins: [100, 50] })).rejects.toThrow(/\[1\]: 50 does not exceed the edge before it, 100/);
    await expect(s.platform.evaluation.evaluate(actor, { model: classifier, data: 'homes-test', sliceBy: 'size', quantiles: 1 })).rejects.toThrow(/quantiles: must be a whole number from 2 to 100, got 1/);
    expect((await s.platform.tracking.searchRuns({ experimentIds: [experiment.experimentId] })).items.length).toBe(before);
  });
});
