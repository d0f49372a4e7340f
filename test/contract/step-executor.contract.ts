import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Platform } from '../../src/orchard.js';
import type { ExecutorEvent, StepExecutor, StepModule, StepTask } from '../../src/pipelines/step-executor.js';
import { writePipeline } from '../support/pipelines.js';
import { tempDir, tempPlatform } from '../support/temp.js';

export interface ExecutorTarget {
  /** An executor with `slots` slots over the platform's stores. */
  create(platform: Platform, slots: number): StepExecutor;
}

const STEPS = `
import { writeFileSync } from 'node:fs';
import { pipeline, step, types } from 'orchard';
const ok = step({ name: 'ok', inputs: { x: types.number }, outputs: { out: types.file(), y: types.number }, run: ({ inputs, outputs, log }) => {
  writeFileSync(outputs.out, 'x=' + inputs.x);
  log.metric('x', inputs.x, 4);
  console.log('hello from ok');
  return { y: inputs.x + 1 };
} });
const crash = step({ name: 'crash', run: () => { process.exit(7); } });
const hang = step({ name: 'hang', run: () => new Promise<void>(() => {}) });
const fail = step({ name: 'fail', run: () => { throw Object.assign(new Error('permanent'), { retryable: false }); } });
export default pipeline('contract', (p) => { p.step(ok, { inputs: { x: 1 } }); p.step(crash); p.step(hang); p.step(fail); });
`;

/**
 * The executor contract: every executor (local now, a queue executor later) runs these.
 * Attempts are launched directly, without the runner.
 */
export function stepExecutorContract(name: string, target: ExecutorTarget): void {
  describe(`StepExecutor contract: ${name}`, () => {
    let platform: Platform;
    let cleanup: () => Promise<void>;
    let module: StepModule;
    const dir = tempDir('orchard-executor-');
    let n = 0;
    const task = (node: string, inputs: StepTask['inputs'] = {}): StepTask => {
      n += 1;
      return { attemptId: `contract/${node}-${n}/1`, pipelineRunId: 'contract', stepRunId: '0'.repeat(32), unit: `${node}-${n}`, node, attempt: 1, module, inputs, params: {}, sourceDir: dir.path, actor: 'tester' };
    };
    const final = async (executor: StepExecutor, attemptId: string): Promise<ExecutorEvent> => {
      for (;;) {
        const events = await executor.check(attemptId);
        const end = events.find((e) => e.type !== 'launched');
        if (end) return end;
        await executor.wait(5_000);
      }
    };

    beforeAll(async () => {
      ({ platform, cleanup } = await tempPlatform());
      const loaded = await platform.pipelines.load(writePipeline(dir.path, 'contract.ts', STEPS), { cwd: dir.path });
      module = loaded.module;
    });
    afterAll(async () => {
      await cleanup();
      dir.cleanup();
    });

    it('launches an attempt and reports its outputs, tracking lines and logs in one final event', async () => {
      const executor = target.create(platform, 2);
      try {
        const t = task('ok', { x: { kind: 'value', value: 41 } });
        const launched = await executor.launch(t);
        expect(launched).toEqual([{ type: 'launched', attemptId: t.attemptId, at: expect.any(Number), worker: expect.stringMatching(/^.+:\d+$/) }]);
        const end = await final(executor, t.attemptId);
        expect(end).toMatchObject({ type: 'succeeded', attemptId: t.attemptId, outputs: { out: { kind: 'file', size: 4, name: 'out' }, y: { kind: 'value', value: 42 } } });
        if (end.type !== 'succeeded') return;
        expect((await platform.content.read((end.outputs.out as { digest: string }).digest)).toString()).toBe('x=41');
        expect(end.records.metrics).toEqual([{ key: 'x', value: 41, step: 4, timestamp: expect.any(Number) }]);
        expect((await platform.content.read(end.logs.stdout!.digest)).toString()).toBe('hello from ok\n');
        expect(end.logs.stderr).toBeUndefined();
        expect(await executor.check(t.attemptId)).toEqual([]);
        expect(await executor.check('never/launched/1')).toEqual([]);
      } finally {
        await executor.destroy();
      }
    });

    it('reports a crash and a throw as failures, and keeps serving attempts afterwards', async () => {
      const executor = target.create(platform, 1);
      try {
        const c = task('crash');
        await executor.launch(c);
        expect(await final(executor, c.attemptId)).toMatchObject({ type: 'failed', failure: { kind: 'crash', retryable: true, message: expect.stringContaining('exited with code 7') } });
        const f = task('fail');
        await executor.launch(f);
        expect(await final(executor, f.attemptId)).toMatchObject({ type: 'failed', failure: { kind: 'error', retryable: false, message: expect.stringContaining('threw permanent') } });
        const ok = task('ok', { x: { kind: 'value', value: 1 } });
        await executor.launch(ok);
        expect(await final(executor, ok.attemptId)).toMatchObject({ type: 'succeeded' });
      } finally {
        await executor.destroy();
      }
    });

    it('never runs more attempts than its slots, and terminates on request with the reason as the kind', async () => {
      const executor = target.create(platform, 1);
      try {
        const h = task('hang');
        await executor.launch(h);
        await expect(executor.launch(task('ok', { x: { kind: 'value', value: 1 } }))).rejects.toMatchObject({ code: 'CONFLICT' });
        expect(await executor.terminate(h.attemptId, 'timeout')).toEqual([expect.objectContaining({ type: 'failed', failure: expect.objectContaining({ kind: 'timeout', retryable: true }) })]);
        const h2 = task('hang');
        const [launched] = await executor.launch(h2);
        const pid = Number((launched as { worker: string }).worker.split(':').pop());
        expect(await executor.terminate(h2.attemptId, 'cancelled')).toEqual([expect.objectContaining({ type: 'failed', failure: expect.objectContaining({ kind: 'cancelled', retryable: false }) })]);
        expect(() => process.kill(pid, 0)).toThrow();
      } finally {
        await executor.destroy();
      }
    });

    it('ends every worker on destroy', async () => {
      const executor = target.create(platform, 2);
      const h = task('hang');
      const [launched] = await executor.launch(h);
      const pid = Number((launched as { worker: string }).worker.split(':').pop());
      await executor.destroy();
      expect(() => process.kill(pid, 0)).toThrow();
    });
  });
}
