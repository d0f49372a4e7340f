import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Platform } from '../../src/orchard.js';
import { runFile, statuses, writePipeline } from '../support/pipelines.js';
import { tempDir, tempPlatform } from '../support/temp.js';

/**
 * A pipeline run end to end on the local executor: outputs flow between steps as
 * artifacts and values, tracking records a child run per step, lineage links
 * artifacts to the runs that made and read them, and the cache serves unchanged steps.
 * Each step appends its name to a trace file, an account independent of the store.
 */
const SOURCE = (trace: string) => `
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { pipeline, step, types } from 'orchard';

const trace = (name: string) => appendFileSync(${JSON.stringify(trace)}, name + '\\n');

const gen = step({
  name: 'gen',
  outputs: { numbers: types.file('numbers') },
  params: { n: 3 },
  run: ({ outputs, params, log }) => {
    trace('gen');
    writeFileSync(outputs.numbers, Array.from({ length: params.n }, (_, i) => i + 1).join('\\n'));
    log.metric('count', params.n);
    console.log('wrote ' + params.n + ' numbers');
  },
});
const double = step({
  name: 'double',
  inputs: { numbers: types.file('numbers') },
  outputs: { total: types.number },
  run: ({ inputs, log }) => {
    trace('double');
    const total = 2 * readFileSync(inputs.numbers, 'utf8').split('\\n').map(Number).reduce((a, b) => a + b, 0);
    log.metric('total', total);
    log.tag('checked', 'yes');
    return { total };
  },
});
const report = step({
  name: 'report',
  inputs: { total: types.number },
  outputs: { text: types.folder('report') },
  run: ({ inputs, outputs }) => {
    trace('report');
    writeFileSync(outputs.text + '/total.txt', 'total=' + inputs.total);
  },
});
const side = step({ name: 'side', outputs: { word: types.string }, params: { word: 'pear' }, run: ({ params }) => { trace('side'); return { word: params.word }; } });

export default pipeline('chain', { params: { n: 4 } }, (p) => {
  const g = p.step(gen, { params: { n: p.params.n } });
  const d = p.step(double, { inputs: { numbers: g.outputs.numbers } });
  p.step(report, { inputs: { total: d.outputs.total } });
  p.step(side);
});
`;

describe('pipeline runs on the local executor', () => {
  let platform: Platform;
  let cleanup: () => Promise<void>;
  const dir = tempDir('orchard-pipeline-');
  const trace = join(dir.path, 'trace.log');
  let file: string;
  const traced = () => readFileSync(trace, 'utf8').trim().split('\n');

  beforeAll(async () => {
    ({ platform, cleanup } = await tempPlatform());
    file = writePipeline(dir.path, 'chain.ts', SOURCE(trace));
  });
  afterAll(async () => {
    await cleanup();
    dir.cleanup();
  });

  let first: Awaited<ReturnType<typeof runFile>>;

  it('runs every step once, passing artifacts and values along, and tracks each step as a child run', async () => {
    first = await runFile(platform, file);
    expect(first.status).toBe('FINISHED');
    expect(statuses(first)).toEqual({ gen: 'SUCCEEDED', double: 'SUCCEEDED', report: 'SUCCEEDED', side: 'SUCCEEDED' });
    expect(traced().sort()).toEqual(['double', 'gen', 'report', 'side']);
    // 1+2+3+4 = 10, doubled: worked by hand.
    const steps = await platform.store.pipelines.listSteps(first.runId);
    expect(steps.find((s) => s.unit === 'double')!.outputs).toEqual({ total: { kind: 'value', value: 20 } });

    const parent = await platform.tracking.getRun(first.runId);
    expect(parent.info.status).toBe('FINISHED');
    expect(parent.params).toEqual([{ key: 'n', value: '4' }]);
    expect(parent.tags).toEqual(expect.arrayContaining([{ key: 'orchard.kind', value: 'pipeline' }, { key: 'orchard.pipeline', value: 'chain' }]));
    expect(parent.metrics.find((m) => m.key === 'steps_succeeded')?.value).toBe(4);

    const genRun = await platform.tracking.getRun(first.units.find((u) => u.unit === 'gen')!.stepRunId);
    expect(genRun.info.parentRunId).toBe(first.runId);
    expect(genRun.info.status).toBe('FINISHED');
    expect(genRun.params).toEqual([{ key: 'n', value: '4' }]);
    expect(genRun.metrics.map((m) => [m.key, m.value])).toEqual([['count', 4]]);
    const doubleRun = await platform.tracking.getRun(first.units.find((u) => u.unit === 'double')!.stepRunId);
    expect(doubleRun.metrics.map((m) => [m.key, m.value])).toEqual([['total', 20]]);
    expect(doubleRun.tags).toEqual(expect.arrayContaining([{ key: 'checked', value: 'yes' }, { key: 'mlflow.parentRunId', value: first.runId }]));

    // stdout of each attempt and each output are artifacts of the step run.
    const root = `${genRun.info.experimentId}/${genRun.info.runId}/artifacts`;
    const log = await platform.artifacts.open(`${root}/logs/attempt-1/stdout.txt`);
    expect((await streamText(log.stream)).trim()).toBe('wrote 4 numbers');
    const numbers = await platform.artifacts.open(`${root}/outputs/numbers`);
    expect(await streamText(numbers.stream)).toBe('1\n2\n3\n4');
    const reportRun = first.units.find((u) => u.unit === 'report')!.stepRunId!;
    const reportFile = await platform.artifacts.open(`${genRun.info.experimentId}/${reportRun}/artifacts/outputs/text/total.txt`);
    expect(await streamText(reportFile.stream)).toBe('total=20');

    // Lineage: gen produced the numbers file, double consumed it.
    const produced = await platform.store.lineage.edges('run', genRun.info.runId, 'downstream');
    expect(produced).toHaveLength(1);
    expect(produced[0]).toMatchObject({ relation: 'produced', dstKind: 'artifact', dstId: numbers.record.digest });
    const consumers = await platform.store.lineage.edges('artifact', numbers.record.digest, 'downstream');
    expect(consumers.map((e) => [e.relation, e.dstId])).toEqual([['consumed', doubleRun.info.runId]]);
  });

  it('runs nothing again when nothing changed, and reports every step cached', async () => {
    const before = traced().length;
    const again = await runFile(platform, file);
    expect(again.status).toBe('FINISHED');
    expect(statuses(again)).toEqual({ gen: 'CACHED', double: 'CACHED', report: 'CACHED', side: 'CACHED' });
    expect(traced()).toHaveLength(before);
    expect(await platform.store.pipelines.listAttempts(again.runId)).toEqual([]);
    // A cached step still has its run, pointing at the one that computed the result.
    const cachedGen = await platform.tracking.getRun(again.units.find((u) => u.unit === 'gen')!.stepRunId);
    expect(cachedGen.info).toMatchObject({ status: 'FINISHED', parentRunId: again.runId, endTime: cachedGen.info.startTime });
    expect(cachedGen.params).toEqual([{ key: 'n', value: '4' }]);
    expect(cachedGen.tags).toEqual(expect.arrayContaining([{ key: 'orchard.step.cached', value: 'true' }, { key: 'orchard.step.cached_from', value: first.units.find((u) => u.unit === 'gen')!.stepRunId! }]));
  });

  it('reruns only the steps downstream of a changed parameter', async () => {
    const before = traced().length;
    const changed = await runFile(platform, file, { params: { n: '5' } });
    expect(statuses(changed)).toEqual({ gen: 'SUCCEEDED', double: 'SUCCEEDED', report: 'SUCCEEDED', side: 'CACHED' });
    expect(traced().slice(before).sort()).toEqual(['double', 'gen', 'report']);
    const steps = await platform.store.pipelines.listSteps(changed.runId);
    expect(steps.find((s) => s.unit === 'double')!.outputs).toEqual({ total: { kind: 'value', value: 30 } });
    // A step parameter set for one step only reruns that step and what follows it.
    const sideOnly = await runFile(platform, file, { params: { n: '5', 'side.word': 'plum' } });
    expect(statuses(sideOnly)).toEqual({ gen: 'CACHED', double: 'CACHED', report: 'CACHED', side: 'SUCCEEDED' });
  });

  it('runs everything with noCache, and never caches a step with cache: false', async () => {
    const before = traced().length;
    const fresh = await runFile(platform, file, { noCache: true });
    expect(statuses(fresh)).toEqual({ gen: 'SUCCEEDED', double: 'SUCCEEDED', report: 'SUCCEEDED', side: 'SUCCEEDED' });
    expect(traced()).toHaveLength(before + 4);
    const uncached = writePipeline(dir.path, 'uncached.ts', SOURCE(trace).replace("p.step(side);", "p.step(side, { cache: false });"));
    await runFile(platform, uncached);
    const second = await runFile(platform, uncached);
    expect(statuses(second)).toMatchObject({ gen: 'CACHED', side: 'SUCCEEDED' });
  });

  it('refuses unknown and badly typed parameters, listing every problem, before anything runs', async () => {
    const before = traced().length;
    await expect(runFile(platform, file, { params: { n: 'many', size: '3', 'gen.n': 'x', 'nope.k': '1' } })).rejects.toThrow(
      /Invalid parameters of pipeline 'chain' \(4 problems\): param\.n: parameter 'n' must be a number, e\.g\. 0\.05, got 'many'; param\.size: pipeline 'chain' has no parameter 'size'; its parameters are n .*; param\.nope\.k: 'nope\.k' names step 'nope', which pipeline 'chain' does not have; its steps are gen, double, report, side; param\.gen\.n: parameter 'gen\.n' must be a number/,
    );
    expect(traced()).toHaveLength(before);
  });
});

async function streamText(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
