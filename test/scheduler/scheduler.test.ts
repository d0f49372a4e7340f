import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Clock } from '../../src/core/clock.js';
import { loadConfig } from '../../src/core/config.js';
import { createOrchard, type Platform } from '../../src/orchard.js';
import { buildServer } from '../../src/server/app.js';
import { LoopScheduler } from '../../src/scheduler/loop-scheduler.js';
import { writePipeline } from '../support/pipelines.js';
import { tempDir, tempPlatform } from '../support/temp.js';
import { countingLauncher, exactlyOnceSuite } from './exactly-once.js';

describe('scheduler on one SQLite file shared by two platforms', () => {
  let dir: ReturnType<typeof tempDir>;
  exactlyOnceSuite(
    async (clock: Clock) => {
      dir = tempDir();
      const config = loadConfig({ ORCHARD_HOME: dir.path, ORCHARD_USER: 'tester' }, dir.path);
      return [await createOrchard(config, { clock }), await createOrchard(config, { clock })];
    },
    async (ps) => {
      for (const p of ps) await p.close();
      dir.cleanup();
    },
  );
});

describe('triggers', () => {
  let t: Awaited<ReturnType<typeof tempPlatform>>;
  let p: Platform;
  beforeAll(async () => {
    t = await tempPlatform();
    p = t.platform;
  });
  afterAll(async () => t.cleanup());

  it('a triggered pipeline run records what triggered it', async () => {
    const trace = join(t.home, 'trace.txt');
    const file = writePipeline(t.home, 'hello.ts', `
import { appendFileSync } from 'node:fs';
import { pipeline, step } from 'orchard';
const hello = step({ name: 'hello', run: () => { appendFileSync(${JSON.stringify(trace)}, 'hello\\n'); } });
export default pipeline('hello', {}, (p) => {
  p.step(hello);
});
`);
    await p.schedules.createTrigger({ name: 'tester' }, { name: 'ci', kind: 'webhook', pipeline: file });
    const f = await p.scheduler.fire({ name: 'tester' }, 'ci', { key: 'build-7', source: 'ci' });
    expect(f.error).toBeNull();
    await f.finished;
    expect(readFileSync(trace, 'utf8')).toBe('hello\n');
    const run = await p.tracking.getRun(f.runId!);
    const tags = Object.fromEntries(run.tags.map((x) => [x.key, x.value]));
    expect(tags['orchard.trigger']).toBe('webhook');
    expect(tags['orchard.trigger.source']).toBe('webhook:ci:ci');
    expect(run.info.runName).toBe('ci (webhook)');
    expect(run.info.status).toBe('FINISHED');
    // The same key again starts nothing and points at the first run.
    const again = await p.scheduler.fire({ name: 'tester' }, 'ci', { key: 'build-7' });
    expect(again).toMatchObject({ duplicate: true, runId: f.runId });
    expect(readFileSync(trace, 'utf8')).toBe('hello\n');
  });

  it('fires on a new dataset version matching the pattern, once per version', async () => {
    const launcher = countingLauncher();
    const s = new LoopScheduler({ store: p.store, schedules: p.schedules, launcher, clock: p.clock, owner: 'test' });
    await p.schedules.createTrigger({ name: 'tester' }, { name: 'fresh-data', kind: 'dataset', pattern: 'sales-*', pipeline: 'train@latest' });
    const csv = join(t.home, 'a.csv');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(csv, 'x,y\n1,2\n3,4\n');
    await p.datasets.ingest({ name: 'tester' }, { name: 'sales-eu', source: csv, cwd: t.home });
    await p.datasets.ingest({ name: 'tester' }, { name: 'other', source: csv, cwd: t.home });
    await s.tick({ name: 'scheduler' });
    await s.tick({ name: 'scheduler' });
    expect(launcher.calls.map((c) => c.tags.find((x) => x.key === 'orchard.trigger.source')!.value)).toEqual(['dataset:sales-eu@1']);
    writeFileSync(csv, 'x,y\n1,2\n3,5\n');
    await p.datasets.ingest({ name: 'tester' }, { name: 'sales-eu', source: csv, cwd: t.home });
    await s.tick({ name: 'scheduler' });
    expect(launcher.calls.map((c) => c.tags.find((x) => x.key === 'orchard.trigger.source')!.value)).toEqual(['dataset:sales-eu@1', 'dataset:sales-eu@2']);
  });

  it('fires on an alert firing, once per firing', async () => {
    const launcher = countingLauncher();
    const s = new LoopScheduler({ store: p.store, schedules: p.schedules, launcher, clock: p.clock, owner: 'test' });
    await p.alerts.createRule({ name: 'tester' }, { name: 'drift-high', metric: 'drift_share', op: '>', threshold: 0.5 });
    await p.schedules.createTrigger({ name: 'tester' }, { name: 'retrain', kind: 'alert', pattern: 'drift-high', pipeline: 'train@latest' });
    const now = p.clock.now();
    await p.alerts.recordPoints([{ metric: 'drift_share', labels: { endpoint: 'flights' }, value: 0.8, at: now + 1 }]);
    await p.alerts.evaluate({ name: 'tester' });
    await s.tick({ name: 'scheduler' });
    await s.tick({ name: 'scheduler' });
    expect(launcher.calls).toHaveLength(1);
    expect(launcher.calls[0]!.tags).toContainEqual({ key: 'orchard.trigger', value: 'alert' });
  });

  it('refuses bad schedules and triggers with every problem at once', async () => {
    await expect(p.schedules.createSchedule({ name: 'tester' }, { name: 'bad name', cron: '99 * * * *', pipeline: '' })).rejects.toThrow(/3 problems.*not a valid schedule name.*the pipeline to run is missing.*'99 \* \* \* \*' is not a cron expression/);
    await expect(p.schedules.createTrigger({ name: 'tester' }, { name: 'x', kind: 'dataset', pipeline: 'p' })).rejects.toThrow(/needs a dataset name pattern/);
    await expect(p.scheduler.fire({ name: 'tester' }, 'fresh-data')).rejects.toThrow(/is a dataset trigger and fires on its own/);
    expect(await p.store.schedules.listSchedules()).toEqual([]);
  });

  it('the webhook route needs an editor token and fires the trigger', async () => {
    await p.schedules.createTrigger({ name: 'tester' }, { name: 'hook', kind: 'webhook', pipeline: 'missing@latest' });
    const app = await buildServer(p);
    const viewer = await p.auth.createToken({ name: 'tester' }, { role: 'viewer', name: 'dash' });
    const editor = await p.auth.createToken({ name: 'tester' }, { role: 'editor', name: 'ci' });
    const denied = await app.inject({ method: 'POST', url: '/api/v1/triggers/hook/fire', headers: { authorization: `Bearer ${viewer.secret}` }, payload: {} });
    expect(denied.statusCode).toBe(403);
    const none = await app.inject({ method: 'POST', url: '/api/v1/triggers/hook/fire', payload: {} });
    expect(none.statusCode).toBe(401);
    const ok = await app.inject({ method: 'POST', url: '/api/v1/triggers/hook/fire', headers: { authorization: `Bearer ${editor.secret}` }, payload: { key: 'b1' } });
    expect(ok.statusCode).toBe(200);
    // The pipeline does not exist: the firing is recorded with the reason, not lost.
    expect(ok.json()).toMatchObject({ key: 'b1', runId: null, duplicate: false });
    expect(ok.json().error).toMatch(/no pushed pipeline named 'missing'/);
    await app.close();
  });
});
