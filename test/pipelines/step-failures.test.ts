import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Platform } from '../../src/orchard.js';
import { runFile, statuses, writePipeline } from '../support/pipelines.js';
import { tempDir, tempPlatform } from '../support/temp.js';

/**
 * Steps that go wrong in every way the executor must survive: each fails only its own
 * attempt with a clear status and message, independent steps still run, and the
 * metadata records every attempt.
 */
const SOURCE = (dir: string) => `
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { command, pipeline, step, types } from 'orchard';

const counter = ${JSON.stringify(join(dir, 'flaky-count'))};

const throws = step({ name: 'throws', outputs: { x: types.number }, retries: 1, retryDelayMs: 10, run: () => { throw new Error('the data is upside down'); } });
const exits = step({ name: 'exits', run: () => { process.exit(3); } });
const spins = step({ name: 'spins', timeoutMs: 300, run: () => { for (;;) {} } });
const silent = step({ name: 'silent', outputs: { model: types.file('model') }, retries: 2, run: () => {} });
const wrong = step({ name: 'wrong', outputs: { n: types.number }, run: () => ({ n: 'seven' as unknown as number }) });
const fails = command({ name: 'cmd-fails', command: ['sh', '-c', 'echo "cannot read input" >&2; exit 4'] });
const flaky = step({
  name: 'flaky',
  outputs: { tries: types.number },
  retries: 2,
  retryDelayMs: 10,
  run: () => {
    const n = existsSync(counter) ? Number(readFileSync(counter, 'utf8')) + 1 : 1;
    writeFileSync(counter, String(n));
    if (n < 3) throw new Error('not yet (try ' + n + ')');
    return { tries: n };
  },
});
const healthy = step({ name: 'healthy', outputs: { ok: types.boolean }, run: () => ({ ok: true }) });
const downstream = step({ name: 'downstream', inputs: { x: types.number }, run: () => {} });

export default pipeline('trouble', { concurrency: 2 }, (p) => {
  const t = p.step(throws);
  p.step(downstream, { inputs: { x: t.outputs.x } });
  p.step(exits);
  p.step(spins);
  p.step(silent);
  p.step(wrong);
  p.step(fails);
  p.step(flaky);
  p.step(healthy);
});
`;

describe('steps that fail', () => {
  let platform: Platform;
  let cleanup: () => Promise<void>;
  const dir = tempDir('orchard-failures-');

  beforeAll(async () => {
    ({ platform, cleanup } = await tempPlatform());
  });
  afterAll(async () => {
    await cleanup();
    dir.cleanup();
  });

  it('fail alone, with a status and a message per failure, while the runner and other steps carry on', async () => {
    const file = writePipeline(dir.path, 'trouble.ts', SOURCE(dir.path));
    const retries: [string, number | undefined][] = [];
    const summary = await runFile(platform, file, { onEvent: (e) => e.type === 'step_failed' && retries.push([e.unit, e.retryInMs]) });
    expect(summary.status).toBe('FAILED');
    // Exponential backoff from retryDelayMs (10 ms): 10, then 20; the last failure is not retried.
    expect(retries.filter(([u]) => u === 'flaky')).toEqual([['flaky', 10], ['flaky', 20]]);
    expect(retries.filter(([u]) => u === 'throws')).toEqual([['throws', 10], ['throws', undefined]]);
    expect(statuses(summary)).toEqual({
      throws: 'FAILED',
      downstream: 'UPSTREAM_FAILED',
      exits: 'FAILED',
      spins: 'FAILED',
      silent: 'FAILED',
      wrong: 'FAILED',
      'cmd-fails': 'FAILED',
      flaky: 'SUCCEEDED',
      healthy: 'SUCCEEDED',
    });
    const attempts = await platform.store.pipelines.listAttempts(summary.runId);
    // Every attempt records where it ran (host:pid), also after it ended.
    expect(attempts.filter((a) => !/^.+:\d+$/.test(a.worker ?? ''))).toEqual([]);
    const of = (unit: string) => attempts.filter((a) => a.unit === unit).map((a) => [a.status, a.failureKind]);
    // A thrown error is retried (retries: 1); a missing output is not, whatever retries allow.
    expect(of('throws')).toEqual([['FAILED', 'error'], ['FAILED', 'error']]);
    expect(of('exits')).toEqual([['FAILED', 'crash']]);
    expect(of('spins')).toEqual([['FAILED', 'timeout']]);
    expect(of('silent')).toEqual([['FAILED', 'missing_output']]);
    expect(of('wrong')).toEqual([['FAILED', 'bad_output']]);
    expect(of('cmd-fails')).toEqual([['FAILED', 'exit_code']]);
    expect(of('flaky')).toEqual([['FAILED', 'error'], ['FAILED', 'error'], ['SUCCEEDED', null]]);
    expect(readFileSync(join(dir.path, 'flaky-count'), 'utf8')).toBe('3');

    const reason = (unit: string) => summary.units.find((u) => u.unit === unit)!.reason;
    expect(reason('throws')).toBe("step 'throws' (attempt 2) threw the data is upside down");
    expect(reason('downstream')).toBe("upstream step 'throws' failed");
    expect(reason('exits')).toMatch(/^step 'exits' \(attempt 1\) crashed: its process exited with code 3/);
    expect(reason('spins')).toBe("step 'spins' (attempt 1) ran past its timeout of 300 ms and was stopped");
    expect(reason('silent')).toBe("step 'silent' (attempt 1) wrote no output 'model' (file (model)); write the file to ctx.outputs.model, or remove 'model' from the step's outputs");
    expect(reason('wrong')).toBe("step 'wrong' (attempt 1) gave output 'n' a wrong value: expected a finite number, got \"seven\"; it is declared as number");
    expect(reason('cmd-fails')).toBe("command step 'cmd-fails' (sh) exited with code 4; stderr ends: cannot read input");

    // The failed step's run is FAILED with the error as a tag, and its stderr is kept per attempt.
    const throwsRun = await platform.tracking.getRun(summary.units.find((u) => u.unit === 'throws')!.stepRunId);
    expect(throwsRun.info.status).toBe('FAILED');
    expect(throwsRun.tags).toContainEqual({ key: 'orchard.error', value: "step 'throws' (attempt 2) threw the data is upside down" });
    const files = await platform.store.artifacts.listByRun(throwsRun.info.runId);
    expect(files.map((f) => f.path.split('/artifacts/')[1]).sort()).toEqual(['logs/attempt-1/stderr.txt', 'logs/attempt-2/stderr.txt']);
    const cmdRun = summary.units.find((u) => u.unit === 'cmd-fails')!.stepRunId!;
    const cmdErr = (await platform.store.artifacts.listByRun(cmdRun)).find((f) => f.path.endsWith('stderr.txt'))!;
    expect((await platform.content.read(cmdErr.digest)).toString()).toBe('cannot read input\n');
    expect((await platform.tracking.getRun(summary.runId)).info.status).toBe('FAILED');
    // No worker outlives the run, and attempt folders are cleaned up.
    expect(existsSync(join(platform.config.home, 'tmp', 'pipeline-runs', summary.runId))).toBe(true);
    expect(readdirDeep(join(platform.config.home, 'tmp', 'pipeline-runs', summary.runId))).toEqual([]);
  });

  it('cancels: a running step is terminated, the rest never start, and the run ends KILLED', async () => {
    const file = writePipeline(
      dir.path,
      'slow.ts',
      `import { pipeline, step } from 'orchard';
       const wait = step({ name: 'wait', run: () => new Promise<void>(() => {}) });
       const later = step({ name: 'later', run: () => {} });
       export default pipeline('slow', (p) => { const w = p.step(wait); p.step(later, { after: [w] }); });`,
    );
    const controller = new AbortController();
    const summary = await runFile(platform, file, { signal: controller.signal, onEvent: (e) => e.type === 'step_started' && controller.abort() });
    expect(summary.status).toBe('KILLED');
    expect(statuses(summary)).toEqual({ wait: 'CANCELLED', later: 'CANCELLED' });
    const waitRun = await platform.tracking.getRun(summary.units.find((u) => u.unit === 'wait')!.stepRunId);
    expect(waitRun.info.status).toBe('KILLED');
    expect((await platform.tracking.getRun(summary.runId)).info.status).toBe('KILLED');
    expect((await platform.store.pipelines.listAttempts(summary.runId)).map((a) => a.failureKind)).toEqual(['cancelled']);
  });
});

function readdirDeep(path: string): string[] {
  return readdirSync(path).flatMap((e) => (statSync(join(path, e)).isDirectory() ? readdirDeep(join(path, e)) : [join(path, e)]));
}
