import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Platform } from '../../src/orchard.js';
import { runFile, statuses, writePipeline } from '../support/pipelines.js';
import { tempDir, tempPlatform } from '../support/temp.js';

/**
 * A command step in Python (Debian's /usr/bin/python3) under the step contract: its
 * input file as an argument, an output file and a value output written where the
 * contract says, its parameter from the environment, and metrics, a param and a tag
 * as JSON lines picked up into tracking.
 */
const PYTHON = '/usr/bin/python3';
const hasPython = existsSync(PYTHON);
if (!hasPython) console.log(`python-step.test.ts skipped: ${PYTHON} is absent (install Debian's python3 to run it)`);

const SCRIPT = `
import csv, json, os, sys
data, out = sys.argv[1], sys.argv[2]
scale = float(os.environ['ORCHARD_PARAM_SCALE'])
with open(data) as f:
    xs = [float(r['x']) for r in csv.DictReader(f)]
mean = sum(xs) / len(xs)
with open(out, 'w') as f:
    json.dump({'n': len(xs), 'mean': mean}, f)
with open(os.environ['ORCHARD_OUTPUT_SCALED'], 'w') as f:
    json.dump(mean * scale, f)
with open(os.environ['ORCHARD_TRACKING'], 'a') as t:
    for i, x in enumerate(xs):
        t.write(json.dumps({'metric': 'x', 'value': x, 'step': i}) + '\\n')
    t.write(json.dumps({'metric': 'mean', 'value': mean}) + '\\n')
    t.write(json.dumps({'param': 'rows', 'value': len(xs)}) + '\\n')
    t.write(json.dumps({'tag': 'language', 'value': 'python'}) + '\\n')
print('read', len(xs), 'rows from', os.path.basename(data))
`;

const PIPELINE = `
import { readFileSync } from 'node:fs';
import { command, pipeline, step, types } from 'orchard';

const stats = command({
  name: 'stats',
  command: ['${PYTHON}', 'stats.py', '{inputs.data}', '{outputs.summary}'],
  inputs: { data: types.file('dataset') },
  outputs: { summary: types.file('report'), scaled: types.number },
  params: { scale: 2 },
});
const check = step({
  name: 'check',
  inputs: { summary: types.file('report'), scaled: types.number },
  outputs: { n: types.number, scaled: types.number },
  run: ({ inputs }) => ({ n: JSON.parse(readFileSync(inputs.summary, 'utf8')).n, scaled: inputs.scaled }),
});

export default pipeline('python', (p) => {
  const s = p.step(stats, { inputs: { data: p.file('values.csv') } });
  p.step(check, { inputs: { summary: s.outputs.summary, scaled: s.outputs.scaled } });
});
`;

describe.skipIf(!hasPython)('a Python command step', () => {
  let platform: Platform;
  let cleanup: () => Promise<void>;
  const dir = tempDir('orchard-python-');

  beforeAll(async () => {
    ({ platform, cleanup } = await tempPlatform());
    writeFileSync(join(dir.path, 'stats.py'), SCRIPT);
    writeFileSync(join(dir.path, 'values.csv'), ['x', ...Array.from({ length: 10 }, (_, i) => String(i + 1))].join('\n') + '\n');
  });
  afterAll(async () => {
    await cleanup();
    dir.cleanup();
  });

  it('reads its input, writes its outputs, and logs metrics, a param and a tag into tracking', async () => {
    const file = writePipeline(dir.path, 'pipeline.ts', PIPELINE);
    const summary = await runFile(platform, file);
    expect(summary.status, JSON.stringify(summary.units)).toBe('FINISHED');
    expect(statuses(summary)).toEqual({ stats: 'SUCCEEDED', check: 'SUCCEEDED' });
    // The mean of 1…10 is 5.5; scaled by the default parameter 2 it is 11.
    const steps = await platform.store.pipelines.listSteps(summary.runId);
    expect(steps.find((s) => s.unit === 'stats')!.outputs!.scaled).toEqual({ kind: 'value', value: 11 });
    expect(steps.find((s) => s.unit === 'check')!.outputs).toEqual({ n: { kind: 'value', value: 10 }, scaled: { kind: 'value', value: 11 } });

    const statsRun = await platform.tracking.getRun(summary.units.find((u) => u.unit === 'stats')!.stepRunId);
    expect(statsRun.metrics.find((m) => m.key === 'mean')?.value).toBe(5.5);
    const history = await platform.tracking.metricHistory(statsRun.info.runId, 'x');
    expect(history.items.map((p) => [p.step, p.value])).toEqual(Array.from({ length: 10 }, (_, i) => [i, i + 1]));
    expect(statsRun.params).toEqual(expect.arrayContaining([{ key: 'scale', value: '2' }, { key: 'rows', value: '10' }]));
    expect(statsRun.tags).toContainEqual({ key: 'language', value: 'python' });
    // The input file keeps its name, and what the script printed is the attempt's stdout.
    const files = await platform.store.artifacts.listByRun(statsRun.info.runId);
    const stdout = files.find((f) => f.path.endsWith('logs/attempt-1/stdout.txt'))!;
    expect((await platform.content.read(stdout.digest)).toString()).toBe('read 10 rows from values.csv\n');
    const report = files.find((f) => f.path.endsWith('outputs/summary'))!;
    expect(JSON.parse((await platform.content.read(report.digest)).toString())).toEqual({ n: 10, mean: 5.5 });

    // Changing the input file's content (not its name) invalidates the cache.
    expect(statuses(await runFile(platform, file))).toEqual({ stats: 'CACHED', check: 'CACHED' });
    writeFileSync(join(dir.path, 'values.csv'), 'x\n1\n2\n3\n');
    const changed = await runFile(platform, file);
    expect(statuses(changed)).toEqual({ stats: 'SUCCEEDED', check: 'SUCCEEDED' });
    expect((await platform.store.pipelines.listSteps(changed.runId)).find((s) => s.unit === 'check')!.outputs!.scaled).toEqual({ kind: 'value', value: 4 });
  });

  it('reports a missing local input file before anything runs', async () => {
    const file = writePipeline(dir.path, 'missing.ts', PIPELINE.replace("p.file('values.csv')", "p.file('nowhere.csv')"));
    await expect(runFile(platform, file)).rejects.toThrow(/Invalid inputs of pipeline 'python': nodes\.stats\.inputs\.data: step 'stats' input 'data' names the file .*nowhere\.csv, which does not exist; fix the path/);
  });
});
