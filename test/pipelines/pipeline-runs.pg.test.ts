import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isolatedPostgres, postgresUrl } from '../support/postgres.js';
import { runFile, statuses, writePipeline } from '../support/pipelines.js';
import { tempDir, tempPlatform } from '../support/temp.js';

/** A pipeline run on PostgreSQL: the runner and the workers (through ctx.orchard()) share the store. */
const SOURCE = `
import { writeFileSync } from 'node:fs';
import { pipeline, step, types } from 'orchard';
const make = step({ name: 'make', outputs: { data: types.file(), n: types.number }, params: { n: 3 }, run: ({ outputs, params, log }) => {
  writeFileSync(outputs.data, 'x'.repeat(params.n));
  log.metric('n', params.n);
  return { n: params.n };
} });
const look = step({ name: 'look', inputs: { n: types.number }, outputs: { experiments: types.number }, run: async ({ orchard }) => {
  const platform = await orchard();
  return { experiments: (await platform.tracking.searchExperiments({})).items.length };
} });
const sq = step({ name: 'sq', inputs: { x: types.number }, outputs: { y: types.number }, run: ({ inputs }) => ({ y: inputs.x * inputs.x }) });
export default pipeline('pg-chain', (p) => {
  const m = p.step(make);
  p.step(look, { inputs: { n: m.outputs.n } });
  p.map(sq, { over: [1, 2, 3], item: 'x' });
});
`;

describe.runIf(postgresUrl)('pipelines on PostgreSQL', () => {
  let db: ReturnType<typeof isolatedPostgres>;
  let setup: Awaited<ReturnType<typeof tempPlatform>>;
  const dir = tempDir('orchard-pg-pipeline-');

  beforeAll(async () => {
    db = isolatedPostgres();
    setup = await tempPlatform({ db: db.uri });
  });
  afterAll(async () => {
    await setup?.cleanup();
    await db?.drop();
    dir.cleanup();
  });

  it('runs, tracks, caches and records attempts', async () => {
    const { platform } = setup;
    const file = writePipeline(dir.path, 'pg.ts', SOURCE);
    const first = await runFile(platform, file);
    expect(first.status, JSON.stringify(first.units.map((u) => u.reason))).toBe('FINISHED');
    expect(statuses(first)).toEqual({ make: 'SUCCEEDED', look: 'SUCCEEDED', sq: 'SUCCEEDED', 'sq[0]': 'SUCCEEDED', 'sq[1]': 'SUCCEEDED', 'sq[2]': 'SUCCEEDED' });
    const steps = await platform.store.pipelines.listSteps(first.runId);
    // Default and pg-chain: the worker sees the experiment the runner created, in the same database.
    expect(steps.find((s) => s.unit === 'look')!.outputs).toEqual({ experiments: { kind: 'value', value: 2 } });
    expect(steps.find((s) => s.unit === 'sq')!.outputs).toEqual({ y: { kind: 'value', value: [1, 4, 9] } });
    expect((await platform.tracking.getRun(first.units[0]!.stepRunId)).metrics.map((m) => [m.key, m.value])).toEqual([['n', 3]]);
    expect(await platform.store.pipelines.listAttempts(first.runId)).toHaveLength(5);
    const second = await runFile(platform, file);
    expect(statuses(second)).toEqual({ make: 'CACHED', look: 'CACHED', sq: 'CACHED', 'sq[0]': 'CACHED', 'sq[1]': 'CACHED', 'sq[2]': 'CACHED' });
  });
});
