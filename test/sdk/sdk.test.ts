import { spawn } from 'node:child_process';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Orchard } from '../../src/sdk/orchard-client.js';
import { startServer, type RunningServer } from '../../src/server/start-server.js';
import { silentLogger } from '../../src/core/logger.js';
import { tempPlatform } from '../support/temp.js';

type Setup = Awaited<ReturnType<typeof tempPlatform>>;

async function text(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString();
}

/** The same SDK scenario, embedded (straight to the stores) and remote (over HTTP). */
describe.each(['embedded', 'remote'] as const)('SDK %s', (mode) => {
  let setup: Setup;
  let server: RunningServer | undefined;
  let orchard: Orchard;

  beforeAll(async () => {
    setup = await tempPlatform();
    if (mode === 'remote') {
      server = await startServer(setup.platform, { host: '127.0.0.1', port: 0, logger: silentLogger });
      orchard = Orchard.remote(server.url);
    } else orchard = Orchard.embedded(setup.platform);
  });
  afterAll(async () => {
    await orchard.close();
    await server?.close();
    await setup.cleanup();
  });

  it('starts a run, buffers params and metrics, and stores them all by end()', async () => {
    const run = await orchard.startRun({ experiment: `sdk-${mode}`, runName: 'first', params: { learner: 'gbdt', depth: 6 }, tags: { stage: 'dev' }, batchSize: 500 });
    for (let step = 0; step < 2500; step++) run.logMetric('loss', 1 / (step + 1), { step });
    run.logMetrics({ auc: 0.8, acc: 0.7 }, { step: 3 });
    run.setTag('note', 'hi');
    await run.end();
    const stored = await orchard.getRun(run.id);
    expect(stored.info).toMatchObject({ runName: 'first', status: 'FINISHED' });
    expect(stored.info.endTime).not.toBeNull();
    expect(stored.params).toEqual([{ key: 'depth', value: '6' }, { key: 'learner', value: 'gbdt' }]);
    expect(stored.tags).toEqual(expect.arrayContaining([{ key: 'stage', value: 'dev' }, { key: 'note', value: 'hi' }]));
    const history = await orchard.metricHistory(run.id, 'loss');
    expect(history).toHaveLength(2500);
    expect(history[2499]).toMatchObject({ step: 2499, value: 1 / 2500 });
    expect(stored.metrics.find((m) => m.key === 'auc')?.value).toBe(0.8);
    expect(() => run.logMetric('late', 1)).toThrow(/has ended/);
  });

  it('sends in the background before end()', async () => {
    const run = await orchard.startRun({ experiment: `sdk-${mode}`, flushIntervalMs: 20 });
    run.logMetric('early', 1);
    await new Promise((r) => setTimeout(r, 300));
    expect((await orchard.getRun(run.id)).metrics.map((m) => m.key)).toEqual(['early']);
    await run.end();
  });

  it('surfaces a rejected send (param overwrite) on flush, naming the values', async () => {
    const run = await orchard.startRun({ experiment: `sdk-${mode}`, params: { lr: 0.1 } });
    await run.flush();
    run.logParam('lr', 0.2);
    await expect(run.flush()).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining("is already '0.1' and cannot change to '0.2'") });
    await run.end('FAILED');
    expect((await orchard.getRun(run.id)).info.status).toBe('FAILED');
  });

  it('logs, lists and downloads artifacts', async () => {
    const run = await orchard.startRun({ experiment: `sdk-${mode}` });
    const blob = await run.logArtifact(Buffer.from('{"w":[1,2]}'), 'model/weights.json');
    expect(blob.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    await run.logArtifact(Readable.from([Buffer.from('a,b\n1,2\n')]), 'data.csv');
    await expect(run.logArtifact('/no/such/file.txt')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    const root = await orchard.listArtifacts(run.id);
    expect(root.map((f) => [f.path, f.isDir])).toEqual([
      ['model', true],
      ['data.csv', false],
    ]);
    expect((await orchard.listArtifacts(run.id, 'model')).map((f) => f.path)).toEqual(['weights.json']);
    expect(await text(await orchard.downloadArtifact(run.id, 'model/weights.json'))).toBe('{"w":[1,2]}');
    await run.end();
  });

  it('searches runs with the filter language', async () => {
    const exp = await orchard.experiment(`search-${mode}`);
    for (const [lr, auc] of [[0.1, 0.7], [0.3, 0.9], [0.5, 0.8]] as const) {
      const run = await orchard.startRun({ experiment: { id: exp.experimentId }, params: { lr } });
      run.logMetric('auc', auc);
      await run.end();
    }
    const page = await orchard.searchRuns({ experimentIds: [exp.experimentId], filter: 'metrics.auc > 0.75', orderBy: ['metrics.auc DESC'] });
    expect(page.items.map((r) => r.params[0]?.value)).toEqual(['0.3', '0.5']);
    await expect(orchard.searchRuns({ experimentIds: [exp.experimentId], filter: 'metrics.auc >' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});

describe('SDK at process exit', () => {
  it('flushes metrics a script logged but never ended before the process exits', async () => {
    const setup = await tempPlatform();
    try {
      const script = `
        import { Orchard } from ${JSON.stringify(new URL('../../src/sdk/orchard-client.ts', import.meta.url).pathname)};
        const orchard = await Orchard.connect();
        const run = await orchard.startRun({ experiment: 'exit', flushIntervalMs: 60000 });
        for (let i = 0; i < 1234; i++) run.logMetric('x', i, { step: i });
        console.log(run.id);
      `;
      const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        env: { ...process.env, ORCHARD_HOME: setup.home, ORCHARD_URL: '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d));
      child.stderr.on('data', (d: Buffer) => (err += d));
      const code = await new Promise((resolve) => child.on('close', resolve));
      expect(err).toBe('');
      expect(code).toBe(0);
      const history = await setup.platform.tracking.metricHistory(out.trim(), 'x', { maxResults: 5000 });
      expect(history.items).toHaveLength(1234);
    } finally {
      await setup.cleanup();
    }
  });
});
