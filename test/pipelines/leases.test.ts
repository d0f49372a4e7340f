import { writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Platform } from '../../src/orchard.js';
import type { ServiceEvent } from '../../src/pipelines/pipeline-service.js';
import { runFile, statuses, writePipeline } from '../support/pipelines.js';
import { tempDir, tempPlatform } from '../support/temp.js';

/** One run of a pipeline at a time: refused, queued with `wait`, or taken over from a runner that is gone. */
const SOURCE = (release: string) => `
import { existsSync } from 'node:fs';
import { pipeline, step, types } from 'orchard';
const hold = step({ name: 'hold', outputs: { n: types.number }, params: { n: 1 }, run: async ({ params }) => {
  while (!existsSync(${JSON.stringify(release)})) await new Promise((r) => setTimeout(r, 25));
  return { n: params.n };
} });
export default pipeline('held', { params: { n: 1 } }, (p) => { p.step(hold, { params: { n: p.params.n } }); });
`;

describe('pipeline leases', () => {
  let platform: Platform;
  let cleanup: () => Promise<void>;
  const dir = tempDir('orchard-leases-');
  const release = join(dir.path, 'release');
  let file: string;

  beforeAll(async () => {
    ({ platform, cleanup } = await tempPlatform());
    file = writePipeline(dir.path, 'held.ts', SOURCE(release));
  });
  afterAll(async () => {
    await cleanup();
    dir.cleanup();
  });

  it('queue a second run behind the first with wait, and refuse it without', async () => {
    let firstId = '';
    let started!: () => void;
    const running = new Promise<void>((r) => (started = r));
    const first = runFile(platform, file, { onEvent: (e) => (e.type === 'run_started' ? (firstId = e.runId) : e.type === 'step_started' && started()) });
    await running;
    await expect(runFile(platform, file, { params: { n: '2' } })).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringContaining(`Pipeline 'held' already has a run in progress: run ${firstId}, by process ${process.pid} on ${hostname()}`) });
    const events: ServiceEvent[] = [];
    let waiting!: () => void;
    const queuedUp = new Promise<void>((r) => (waiting = r));
    const second = runFile(platform, file, { params: { n: '2' }, wait: true, onEvent: (e) => (events.push(e), e.type === 'waiting' && waiting()) });
    await queuedUp;
    // Waiting: nothing of the second run exists yet, and it cannot start while the first holds the lease.
    expect(events.map((e) => e.type)).toEqual(['waiting']);
    expect(events[0]).toMatchObject({ holder: { runId: firstId, pid: process.pid } });
    writeFileSync(release, '');
    expect((await first).status).toBe('FINISHED');
    const queued = await second;
    expect(queued.status).toBe('FINISHED');
    expect(events.map((e) => e.type)).toEqual(['waiting', 'run_started', 'step_started', 'step_succeeded']);
  });

  it('take over a lease whose holder expired, and refuse one a live runner elsewhere holds', async () => {
    const now = Date.now();
    await platform.store.locks.acquire({ name: 'pipeline:held', owner: 'far-away|4242|nonce|0123456789abcdef0123456789abcdef', expiresAt: now + 60_000, now });
    await expect(runFile(platform, file, { params: { n: '3' } })).rejects.toThrow(
      /^Pipeline 'held' already has a run in progress: run 0123456789abcdef0123456789abcdef, by process 4242 on far-away \(lease until .*\)\. Orchard runs one run of a pipeline at a time: wait for it, pass --wait to queue behind it, or stop it \(Ctrl-C in its terminal\)\.$/,
    );
    // The same holder, its lease run out (no heartbeat for 30 s): the next runner takes over.
    await platform.store.locks.acquire({ name: 'pipeline:held', owner: 'far-away|4242|nonce|0123456789abcdef0123456789abcdef', expiresAt: now - 1, now: now - 2 });
    expect(statuses(await runFile(platform, file, { params: { n: '3' } }))).toEqual({ hold: 'SUCCEEDED' });
    expect(await platform.store.locks.get('pipeline:held')).toBeUndefined();
  });
});
