import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Platform } from '../../src/orchard.js';
import { runFile, statuses, writePipeline } from '../support/pipelines.js';
import { tempDir, tempPlatform } from '../support/temp.js';

/**
 * The standard steps in user pipelines, on the real local executor, SQLite and DuckDB.
 * The data is generated here, so expected row counts come from the generator, not the code:
 * 2,000 orders over January–April 2024; `late` is 1 when `x > 0.5` (with 10% of labels flipped),
 * so a model that sees `x` ranks far better than one that sees only `noise`.
 */
const ROWS = 2000;
interface Row { day: string; shop: string; x: number; noise: number; late: number }
function generate(): Row[] {
  let s = 42;
  const rand = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  const rows: Row[] = [];
  for (let i = 0; i < ROWS; i++) {
    const day = new Date(Date.UTC(2024, 0, 1) + Math.floor((i / ROWS) * 121) * 86_400_000).toISOString().slice(0, 10);
    const x = rand();
    const flip = rand() < 0.1;
    rows.push({ day, shop: `s${Math.floor(rand() * 5)}`, x, noise: rand(), late: (x > 0.5) !== flip ? 1 : 0 });
  }
  return rows;
}

const pipelineSource = (o: { features?: string; gate?: string; min?: string; validate?: string } = {}) => `
import { pipeline, steps } from 'orchard';

export default pipeline('orders', { params: { source: 'orders.csv', model: 'orders' } }, (p) => {
  const data = p.step(steps.extract, { params: { dataset: 'orders', source: p.params.source, column: 'day', from: '2024-01-01', until: '2024-05-01' } });
  const ref = p.step(steps.extract, { name: 'reference', params: { dataset: 'orders-ref', source: p.params.source, column: 'day', until: '2024-02-01' } });
  p.step(steps.profile, { inputs: { version: data.outputs.version } });
  const valid = p.step(steps.validate, { inputs: { version: data.outputs.version, reference: ref.outputs.version }, params: { ${o.validate ?? 'maxAnomalies: 5'} } });
  const parts = p.step(steps.split, { inputs: { version: data.outputs.version }, params: { kind: 'time', by: 'day', cuts: ['2024-04-01'], names: ['train', 'test'] }, after: [valid] });
  const model = p.step(steps.train, { inputs: { train: parts.outputs.train, test: parts.outputs.test }, params: { target: 'late', learner: 'logistic'${o.features ? `, features: ${o.features}` : ''} } });
  const ev = p.step(steps.evaluate, { inputs: { model: model.outputs.runId, data: parts.outputs.test } });
  const gate = p.step(steps.gate, { inputs: { model: model.outputs.runId, data: parts.outputs.test }, params: { registeredModel: p.params.model, min: ${o.min ?? '{ auc: 0.55 }'}${o.gate ?? ", onFail: 'skip'"} } });
  const version = p.step(steps.register, { inputs: { model: model.outputs.runId }, params: { name: p.params.model }, when: gate.outputs.passed.truthy() });
  const promoted = p.step(steps.promote, { inputs: { model: version.outputs.ref } });
  p.step(steps.deploy, { inputs: { model: 'orders@champion' }, params: { endpoint: 'orders-api' }, after: [promoted], when: promoted.outputs.status.eq('promoted') });
});
`;

describe('standard steps', () => {
  let platform: Platform;
  let cleanup: () => Promise<void>;
  const dir = tempDir('orchard-standard-steps-');
  const rows = generate();

  beforeAll(async () => {
    ({ platform, cleanup } = await tempPlatform());
    writeFileSync(join(dir.path, 'orders.csv'), ['day,shop,x,noise,late', ...rows.map((r) => `${r.day},${r.shop},${r.x},${r.noise},${r.late}`)].join('\n') + '\n');
  });
  afterAll(async () => {
    await cleanup();
    dir.cleanup();
  });

  const outputsOf = async (runId: string) => Object.fromEntries((await platform.store.pipelines.listSteps(runId)).map((s) => [s.unit, Object.fromEntries(Object.entries(s.outputs ?? {}).map(([k, v]) => [k, (v as { value?: unknown }).value ?? v]))]));

  it('run extract → profile → validate → split → train → evaluate → gate → register → promote → deploy, then all cached', async () => {
    const file = writePipeline(dir.path, 'orders.ts', pipelineSource());
    const summary = await runFile(platform, file);
    expect(summary.status, JSON.stringify(summary.units.map((u) => u.reason))).toBe('FINISHED');
    const out = await outputsOf(summary.runId);
    const january = rows.filter((r) => r.day < '2024-02-01').length;
    const train = rows.filter((r) => r.day < '2024-04-01').length;
    expect(out.extract).toMatchObject({ version: 'orders@1', rows: ROWS });
    expect(out.reference).toMatchObject({ version: 'orders-ref@1', rows: january });
    expect(out.profile!.rows).toBe(ROWS);
    expect(out.split).toMatchObject({ train: 'orders-train@1', test: 'orders-test@1' });
    expect((await platform.datasets.resolve('orders-train@1')).rows).toBe(train);
    expect((await platform.datasets.resolve('orders-test@1')).rows).toBe(ROWS - train);
    // `x` explains the label (10% flipped): AUC on April well above chance.
    expect(out.evaluate!.metric).toBe('auc');
    expect(out.evaluate!.score as number).toBeGreaterThan(0.8);
    expect(out.gate).toMatchObject({ passed: true, champion: '' });
    expect(out.gate!.reasons).toContain('no champion yet: the first model passes');
    expect(out.register).toMatchObject({ ref: 'orders@1', version: 1 });
    expect(out.promote).toMatchObject({ status: 'promoted', ref: 'orders@champion' });
    const champion = await platform.registry.getByAlias('orders', 'champion');
    expect(champion).toMatchObject({ version: 1, runId: out.train!.runId, digest: out.train!.digest, pipelineVersionId: null });
    expect(champion.tags).toContainEqual({ key: 'orchard.pipeline_run', value: summary.runId });
    // Deploy hands the model reference to serving through the endpoints table.
    const endpoint = await platform.store.endpoints.get('orders-api');
    expect(JSON.parse(endpoint!.specJson)).toMatchObject({ name: 'orders-api', routes: [{ model: 'orders@champion', weight: 100 }] });
    const events = await platform.store.events.list({ entityKind: 'endpoint', entityId: 'orders-api', limit: 10 });
    expect(events.map((e) => [e.action, e.actor])).toEqual([['endpoint.deploy', 'tester']]);

    const again = await runFile(platform, file);
    expect(Object.values(statuses(again)).every((s) => s === 'CACHED'), JSON.stringify(statuses(again))).toBe(true);
    expect(await platform.registry.latestVersions('orders')).toHaveLength(1);
  });

  it('gate: a model that does not beat the champion fails the run with the reasons, or skips what follows', async () => {
    // Only `noise` as a feature: no better than chance, so worse than the champion on the same rows.
    const weak = "{ steps: [], features: ['noise'] }";
    const failing = await runFile(platform, writePipeline(dir.path, 'weak-fail.ts', pipelineSource({ features: weak, min: '{}', gate: ", onFail: 'fail'" })));
    const units = Object.fromEntries(failing.units.map((u) => [u.unit, u]));
    expect(units.gate!.status).toBe('FAILED');
    expect(units.gate!.reason).toMatch(/did not pass the gate on orders-test@1: auc worse than champion orders@1 by 0\.\d+/);
    expect(units.register!.status).toBe('UPSTREAM_FAILED');

    const skipping = await runFile(platform, writePipeline(dir.path, 'weak-skip.ts', pipelineSource({ features: weak })));
    expect(statuses(skipping)).toMatchObject({ gate: 'SUCCEEDED', register: 'SKIPPED', promote: 'SKIPPED', deploy: 'SKIPPED' });
    const out = await outputsOf(skipping.runId);
    expect(out.gate!.passed).toBe(false);
    // Both the threshold and the champion comparison fail, failures listed first.
    expect((out.gate!.reasons as string[])[0]).toMatch(/^auc 0\.\d+ < 0\.5500 \(min\)$/);
    expect((await platform.registry.getByAlias('orders', 'champion')).version).toBe(1);
  });

  it('validate fails the run above the threshold, listing every anomaly', async () => {
    const summary = await runFile(platform, writePipeline(dir.path, 'strict.ts', pipelineSource({ validate: 'maxAnomalies: 0' })));
    const unit = summary.units.find((u) => u.unit === 'validate')!;
    expect(unit.status).toBe('FAILED');
    // February–April bring values of x and noise outside January's ranges; the generator says how many.
    const outside = (key: 'x' | 'noise') => {
      const jan = rows.filter((r) => r.day < '2024-02-01').map((r) => r[key]);
      const [lo, hi] = [Math.min(...jan), Math.max(...jan)];
      return rows.filter((r) => r[key] < lo || r[key] > hi).length;
    };
    expect(unit.reason).toContain('orders@1 has 2 anomalies against the schema of orders-ref@1 (at most 0 allowed)');
    expect(unit.reason).toMatch(new RegExp(`out_of_range\\s+column \`x\` has values outside .* — ${outside('x')} rows`));
    expect(unit.reason).toMatch(new RegExp(`out_of_range\\s+column \`noise\` has values outside .* — ${outside('noise')} rows`));
    expect(unit.reason).toContain('--param validate.maxAnomalies=<n>');
    expect(statuses(summary).split).toBe('UPSTREAM_FAILED');
  });

  it('promote requests approval instead of failing when the alias needs it', async () => {
    await platform.registry.createModel({ name: 'tester' }, { name: 'guarded', requiresApproval: true });
    const summary = await runFile(platform, writePipeline(dir.path, 'guarded.ts', pipelineSource().replace("model: 'orders'", "model: 'guarded'")));
    expect(summary.status, JSON.stringify(summary.units.map((u) => u.reason))).toBe('FINISHED');
    const out = await outputsOf(summary.runId);
    expect(out.promote).toMatchObject({ status: 'waiting_for_approval', ref: 'guarded@champion' });
    expect(statuses(summary).deploy).toBe('SKIPPED');
    const v = await platform.registry.getVersion('guarded', 1);
    expect(v.approval).toBe('pending');
    expect(v.aliases).toEqual([]);
  });

  it('register records the pipeline version of a pushed pipeline; transform and tune run as steps', async () => {
    const file = writePipeline(dir.path, 'pushed.ts', `
import { pipeline, steps } from 'orchard';
export default pipeline('pushed', (p) => {
  const data = p.step(steps.extract, { params: { dataset: 'pushed', source: 'orders.csv', sample: 500, seed: 7 } });
  const parts = p.step(steps.split, { inputs: { version: data.outputs.version }, params: { kind: 'random', fractions: { train: 0.75, test: 0.25 }, seed: 1 } });
  p.step(steps.transform, { inputs: { version: parts.outputs.train }, params: { spec: { steps: [{ op: 'onehot', column: 'shop' }, { op: 'scale', columns: ['x'], method: 'standard' }], features: ['x', 'shop=s0'] } } });
  const t = p.step(steps.tune, { inputs: { train: parts.outputs.train }, params: { target: 'late', learner: 'logistic', grid: ['C=0.1,1'] } });
  p.step(steps.register, { inputs: { model: t.outputs.runId }, params: { name: 'pushed-model' } });
});
`);
    const pushed = await platform.pipelines.push({ name: 'tester' }, file, { cwd: dir.path, gitCommit: null });
    const loaded = await platform.pipelines.load(`pushed@${pushed.version.version}`, { cwd: dir.path });
    const summary = await platform.pipelines.run({ name: 'tester' }, loaded);
    expect(summary.status, JSON.stringify(summary.units.map((u) => u.reason))).toBe('FINISHED');
    const out = await outputsOf(summary.runId);
    expect(out.extract!.rows).toBe(500);
    const train = await platform.datasets.resolve(out.split!.train as string);
    expect(train.rows + (await platform.datasets.resolve(out.split!.test as string)).rows).toBe(500);
    // The fitted transform: x's mean and population std over the training rows, computed here from the file.
    const fitted = JSON.parse((await platform.content.read(out.transform!.digest as string)).toString('utf8'));
    expect(fitted.features).toEqual(['x', 'shop=s0']);
    const xs = (await platform.engine.withConnection(async (c) => (await c.runAndReadAll(`select x from read_parquet('${await platform.datasets.parquetPath(train)}')`)).getColumns()[0])) as number[];
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    const scale = fitted.steps.find((s: { op: string }) => s.op === 'scale').params.x;
    expect(scale.center).toBeCloseTo(mean, 10);
    expect(scale.scale).toBeCloseTo(Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length), 10);
    expect(Object.keys(out.tune!.bestParams as object)).toContain('C');
    const v = await platform.registry.getVersion('pushed-model', 1);
    expect(v).toMatchObject({ runId: out.tune!.runId, pipelineVersionId: `pushed@${pushed.version.version}` });
  });
});
