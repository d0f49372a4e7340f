import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { literal } from '../../src/data/duckdb-engine.js';
import { computeDrift } from '../../src/monitoring/monitor-computation.js';
import type { FeatureDrift } from '../../src/monitoring/monitor-types.js';
import { predictionLogDay, predictionLogPrefix } from '../../src/serving/prediction-log-schema.js';
import { tempPlatform } from '../support/temp.js';

type Setup = Awaited<ReturnType<typeof tempPlatform>>;
const actor = { name: 'tester' };
const DAY1 = Date.UTC(2026, 2, 1);
const DAY2 = Date.UTC(2026, 2, 2);

// The samples of test/fixtures/drift-scipy-reference.py: sample(n, mul, mod, shift)[i] = (i * mul) % mod + shift.
const refRow = (i: number) => ({
  distance: (i * 7919) % 1000,
  origin: i % 20 < 10 ? 'A' : i % 20 < 16 ? 'B' : i % 20 < 19 ? 'C' : 'D',
  flag: i % 3 === 0 ? 'up' : 'down',
  constant: 7,
  note: 'x',
});
const curRow = (j: number) => ({
  distance: ((j * 104729) % 1000) + 40,
  origin: j % 34 < 14 ? 'A' : j % 34 < 24 ? 'B' : j % 34 < 30 ? 'C' : j % 34 < 33 ? 'D' : 'E',
  flag: j % 17 < 8 ? 'up' : 'down',
  constant: j % 10 === 0 ? 8 : 7,
  note: null,
});

/** Writes one Parquet file of the prediction log exactly as src/serving/prediction-log-schema.ts lays it out. */
async function writeLog(s: Setup, endpoint: string, first: number, rows: { features: Record<string, unknown>; prediction: number; shadow?: boolean; ts: number }[]) {
  const folder = join(s.config.artifacts.replace(/^file:/, ''), predictionLogPrefix(endpoint), predictionLogDay(first));
  mkdirSync(folder, { recursive: true });
  const file = join(folder, `${first}-${Math.random().toString(16).slice(2)}.parquet`);
  const sqlValue = (v: unknown) => (v === null ? 'null' : typeof v === 'number' ? `${v}::double` : literal(String(v)));
  const values = rows
    .map((r, k) => {
      const f = r.features;
      return `('r${first}-${k}', epoch_ms(${r.ts}), ${literal(endpoint)}, 'flights', 1, 'sha256:x', ${r.shadow ? 'true' : 'false'}, ${r.prediction}::double, null::varchar, null::double[], 1.5::double,
        {'distance': ${sqlValue(f.distance)}, 'origin': ${sqlValue(f.origin)}::varchar, 'flag': ${sqlValue(f.flag)}::varchar, 'constant': ${sqlValue(f.constant)}, 'note': ${sqlValue(f.note)}::varchar})`;
    })
    .join(',\n');
  await s.platform.engine.withConnection(async (c) => {
    await c.run(`copy (select * from (values ${values}) t(request_id, ts, endpoint, model, version, digest, shadow, prediction, label, probabilities, latency_ms, features)) to ${literal(file)} (format parquet)`);
  });
}

const byName = (features: FeatureDrift[], name: string) => features.find((f) => f.name === name)!;

describe('MonitorService over a prediction log in Parquet', () => {
  let s: Setup;
  beforeAll(async () => {
    s = await tempPlatform();
    await s.platform.datasets.ingestRows(actor, 'trips', Array.from({ length: 300 }, (_, i) => ({ ...refRow(i), delay: i % 50 })));
    await writeLog(s, 'trips', DAY1, Array.from({ length: 300 }, (_, i) => ({ features: refRow(i), prediction: ((i * 7919) % 1000) / 1000, ts: DAY1 + i * 1000 })));
    await writeLog(s, 'trips', DAY2, [
      ...Array.from({ length: 170 }, (_, j) => ({ features: curRow(j), prediction: (((j * 104729) % 1000) + 300) / 1000, ts: DAY2 + j * 1000 })),
      // Shadow predictions are not served traffic: wild values that must not count.
      ...Array.from({ length: 30 }, (_, k) => ({ features: { ...curRow(k), distance: 99_999 }, prediction: 5, shadow: true, ts: DAY2 + k * 1000 + 500 })),
    ]);
  }, 60_000);
  afterAll(async () => s?.cleanup());

  it('computes drift against a dataset version in DuckDB, matching SciPy, with data quality', async () => {
    const { result, record } = await s.platform.monitoring.run('trips', { reference: 'trips@1', window: { from: DAY2, to: DAY2 + 86_400_000 } });
    expect(result.window.rows).toBe(170);
    expect(result.reference).toEqual({ description: 'trips@1', rows: 300 });
    // Values from test/fixtures/drift-scipy-reference.py (SciPy 1.10.1).
    const distance = byName(result.features, 'distance');
    expect(distance).toMatchObject({ status: 'ok', method: 'ks', threshold: 0.05, drifted: false });
    expect(distance.statistic).toBeCloseTo(0.04490196078431372, 12);
    expect(Math.abs(distance.score! - 0.9721912490321226)).toBeLessThan(1e-6);
    const refDistances = Array.from({ length: 300 }, (_, i) => refRow(i).distance);
    const [lo, hi] = [Math.min(...refDistances), Math.max(...refDistances)];
    expect(distance.current.outOfRange).toBe(Array.from({ length: 170 }, (_, j) => curRow(j).distance).filter((d) => d < lo || d > hi).length);
    const origin = byName(result.features, 'origin');
    expect(origin).toMatchObject({ method: 'chisquare', drifted: true });
    expect(origin.statistic).toBeCloseTo(13.602711993888466, 9);
    expect(Math.abs(origin.score! - 0.008677182215223364)).toBeLessThan(1e-6);
    expect(origin.current).toMatchObject({ unseen: 5, unseenExamples: ['E'] });
    const flag = byName(result.features, 'flag');
    expect(flag.method).toBe("z");
    expect(Math.abs(flag.statistic!)).toBeCloseTo(2.9412140332662595, 9);
    expect(Math.abs(flag.score! - 0.003269285519004953)).toBeLessThan(1e-6);
    // A constant reference column: defined statistics, no NaN.
    const constant = byName(result.features, 'constant');
    // One distinct value (≤ 2): Evidently's z-test for the share of the reference's value.
    expect(constant).toMatchObject({ method: 'z', drifted: true });
    expect(constant.statistic).toBeCloseTo(5.579052591127773, 9);
    expect(Math.abs(constant.score! - 2.418321223403479e-8)).toBeLessThan(1e-6);
    expect(constant.current.outOfRange).toBe(17);
    // An all-null column in the window: no verdict, a quality issue.
    expect(byName(result.features, 'note')).toMatchObject({ status: 'all_null', drifted: false, score: null });
    expect(result.quality.map((q) => q.kind).sort()).toEqual(['null_rate', 'out_of_range', 'out_of_range', 'unseen_category']);
    expect(result.dataset).toMatchObject({ evaluatedFeatures: 4, driftedFeatures: 3, drifted: true });
    expect(result.prediction).toBeNull();
    expect(JSON.stringify(result)).not.toMatch(/NaN|null,"drifted":true/);
    expect(record.reference).toBe('trips@1');
    expect(await s.platform.monitoring.latest('trips')).toEqual(JSON.parse(JSON.stringify(result)));
  });

  it('compares predictions against a window of the log, and takes the last N rows', async () => {
    const reference = `log:${new Date(DAY1).toISOString()}..${new Date(DAY2).toISOString()}`;
    const { result } = await s.platform.monitoring.run('trips', { reference, window: { last: 170 } });
    expect(result.window.rows).toBe(170);
    expect(result.window.from).toBe(DAY2);
    expect(result.prediction).toMatchObject({ method: 'ks', drifted: true });
    expect(result.prediction!.statistic).toBeCloseTo(0.30254901960784314, 12);
    expect(Math.abs(result.prediction!.score! - 2.7888800660344226e-9)).toBeLessThan(1e-6);
    // The same log on both sides: the reference's features come from the log too.
    expect(byName(result.features, 'distance').statistic).toBeCloseTo(0.04490196078431372, 12);
  });

  it('reuses the last reference, and stores an empty window as a result with a message', async () => {
    const { result } = await s.platform.monitoring.run('trips', { window: { from: DAY2 + 10 * 86_400_000, to: DAY2 + 11 * 86_400_000 } });
    expect(result.reference.description).toMatch(/^log:/);
    expect(result.window.rows).toBe(0);
    expect(result.messages[0]).toMatch(/has no predictions/);
    expect(result.features.every((f) => f.status === 'empty' && !f.drifted)).toBe(true);
    expect(result.dataset).toMatchObject({ drifted: false, evaluatedFeatures: 0 });
    expect((await s.platform.monitoring.history('trips')).map((r) => r.windowRows)).toEqual([0, 170, 170]);
  });

  it('reports a feature missing from the log, and refuses bad input clearly', async () => {
    const { result } = await s.platform.monitoring.run('trips', { reference: 'trips@1', window: { last: 50 }, features: ['distance', 'carrier'] });
    expect(byName(result.features, 'carrier')).toMatchObject({ status: 'missing', drifted: false });
    expect(byName(result.features, 'carrier').message).toMatch(/carrier.*missing from the prediction log.*distance/);
    await expect(s.platform.monitoring.run('nobody', { reference: 'trips@1', window: { last: 5 } })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(s.platform.monitoring.run('trips', { reference: 'trips@1', window: { duration: '1week' } })).rejects.toThrow(/1week.*e\.g\. 1h/);
    await expect(s.platform.monitoring.run('trips', { reference: 'log:yesterday..today', window: { last: 5 } })).rejects.toThrow(/log:<from>\.\.<to>/);
    await expect(s.platform.monitoring.run('trips', { reference: 'nothing@1', window: { last: 5 } })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('gives the same statistics when KS, Wasserstein and histograms run as window functions in DuckDB', async () => {
    const version = await s.platform.datasets.resolve('trips@1');
    const path = await s.platform.datasets.parquetPath(version);
    const run = (valueCountsLimit: number, stattest: 'ks' | 'wasserstein') =>
      s.platform.engine.withConnection(async (c) => {
        await c.run(`create temp table w as select * from (values ${Array.from({ length: 170 }, (_, j) => `(${curRow(j).distance}::double)`).join(', ')}) t(distance)`);
        return computeDrift(c, {
          endpoint: 'trips',
          reference: { relation: `read_parquet(${literal(path)})`, columns: version.columns, description: 'trips@1' },
          current: { relation: 'w', columns: [{ name: 'distance', physicalType: 'DOUBLE', kind: 'numeric', nullable: true }], description: 'w', from: null, to: null },
          predictionDrift: false,
          options: { features: { distance: { method: stattest } } },
          now: 0,
          valueCountsLimit,
        });
      });
    const inDuckDb = (await run(0, 'ks')).features[0]!;
    const inJs = (await run(1_000_000, 'ks')).features[0]!;
    expect(inDuckDb.statistic).toBeCloseTo(0.04490196078431372, 12);
    expect(Math.abs(inDuckDb.score! - 0.9721912490321226)).toBeLessThan(1e-6);
    expect(inDuckDb.chart).toEqual(inJs.chart);
    const w = [(await run(0, 'wasserstein')).features[0]!, (await run(1_000_000, 'wasserstein')).features[0]!];
    // scipy.stats.wasserstein_distance(reference, window) / np.std(reference), from the reference script.
    expect(w[0]!.score).toBeCloseTo(0.11754699079672377, 9);
    expect(Math.abs(w[0]!.score! - w[1]!.score!)).toBeLessThan(1e-12);
  });

  it("joins the window with its labels, follows a model's training data, and feeds alert rules", async () => {
    // Labels for the window's served rows (request ids r<DAY2>-<k>), one for a shadow row and one for nobody.
    const label = (k: number) => (k % 3 === 0 || k % 7 === 0 ? 1 : 0);
    const labels = Array.from({ length: 170 }, (_, k) => ({ requestId: `r${DAY2}-${k}`, label: label(k) }));
    await s.platform.feedback.submitLabels(actor, 'trips', [...labels, { requestId: `r${DAY2}-175`, label: 1 }, { requestId: 'nobody', label: 0 }]);
    const trained = await s.platform.training.train(actor, { data: 'trips@1', target: 'delay', learner: 'linear' });
    await s.platform.registry.register(actor, { name: 'trips-model', runId: trained.runId });
    await s.platform.registry.setAlias(actor, 'trips-model', 'champion', 1);
    await expect(s.platform.alerts.createRule(actor, { name: 'no-endpoint', metric: 'drift.share', op: '>', threshold: 0.1 })).rejects.toThrow(/endpoint=<name>/);
    await s.platform.alerts.createRule(actor, { name: 'trips-origin', metric: 'drift.feature', labels: { endpoint: 'trips', feature: 'origin' }, op: '>=', threshold: 1 });
    await s.platform.alerts.createRule(actor, { name: 'trips-auc', metric: 'performance.auc', labels: { endpoint: 'trips' }, op: '<', threshold: 0.99 });

    const { result, record } = await s.platform.monitoring.run('trips', { reference: 'model:trips-model@champion', window: { from: DAY2, to: DAY2 + 86_400_000 } });
    expect(result.reference.description).toBe('trips@1 (training data of trips-model@champion)');
    expect(record.reference).toBe('model:trips-model@champion');
    // Independent computation over the same 170 served rows: AUC by counting ordered pairs, accuracy at 0.5.
    const p = Array.from({ length: 170 }, (_, j) => (((j * 104729) % 1000) + 300) / 1000);
    const y = Array.from({ length: 170 }, (_, k) => label(k));
    let pairs = 0;
    let ordered = 0;
    for (let i = 0; i < 170; i++) for (let j = 0; j < 170; j++) if (y[i] === 1 && y[j] === 0) (pairs++, (ordered += p[i]! > p[j]! ? 1 : p[i] === p[j] ? 0.5 : 0));
    expect(result.performance).toMatchObject({ task: 'binary', predictions: 170, labelled: 170 });
    expect(result.performance!.auc).toBeCloseTo(ordered / pairs, 12);
    expect(result.performance!.accuracy).toBeCloseTo(p.filter((v, i) => (v >= 0.5 ? 1 : 0) === y[i]).length / 170, 12);
    expect(result.performance!.meanLabel).toBeCloseTo(y.reduce((a: number, b) => a + b, 0) / 170, 12);
    // Some predictions exceed 1: they are not probabilities, so no log loss or calibration error.
    expect(result.performance).toMatchObject({ logLoss: null, calibrationError: null });

    const changes = await s.platform.alerts.evaluate(actor);
    expect(changes.map((c) => [c.alert.rule, c.alert.labels, c.transition, c.alert.value])).toEqual([
      ['trips-auc', { endpoint: 'trips' }, 'firing', result.performance!.auc],
      ['trips-origin', { endpoint: 'trips', feature: 'origin' }, 'firing', 1],
    ]);
    // A window no label reaches has no performance (null, not NaN), and its point is left out.
    const empty = await s.platform.monitoring.run('trips', { window: { from: DAY1, to: DAY1 + 86_400_000 } });
    expect(empty.result.performance).toBeNull();
  });

  it('a monitor schedule runs the monitor with its settings, on demand and when the scheduler ticks it', async () => {
    await s.platform.schedules.createSchedule(actor, { name: 'watch-trips', cron: '* * * * *', pipeline: 'monitor:trips', params: { reference: 'trips@1', window: 'last:50', features: 'distance,origin' } });
    const before = (await s.platform.monitoring.history('trips')).length;
    const { record } = await s.platform.scheduler.runMonitor('watch-trips');
    const result = await s.platform.monitoring.latest('trips');
    expect(record.id).toBe((await s.platform.monitoring.history('trips', 1))[0]!.id);
    expect(result.window.rows).toBe(50);
    expect(result.features.map((f) => f.name)).toEqual(['distance', 'origin']);
    expect(result.reference.description).toBe('trips@1');
    expect((await s.platform.monitoring.history('trips')).length).toBe(before + 1);
    await expect(s.platform.scheduler.runMonitor('nothing')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
