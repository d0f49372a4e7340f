import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Platform } from '../../src/orchard.js';
import { runFile, statuses, writePipeline } from '../support/pipelines.js';
import { tempDir, tempPlatform } from '../support/temp.js';

/** Orchard's dataset steps in a user pipeline: real ingest through the platform, inside a worker. */
const PIPELINE = `
import { statSync } from 'node:fs';
import { pipeline, step, steps, types } from 'orchard';

const count = step({
  name: 'count',
  inputs: { version: types.string, data: types.file('dataset') },
  outputs: { rows: types.number, bytes: types.number },
  run: async ({ inputs, orchard }) => {
    const platform = await orchard();
    const v = await platform.datasets.resolve(inputs.version);
    return { rows: v.rows, bytes: statSync(inputs.data).size };
  },
});

export default pipeline('shops', (p) => {
  const v = p.step(steps.ingest, { inputs: { source: p.file('shops.csv') }, params: { dataset: 'shops' } });
  const f = p.step(steps.datasetFile, { inputs: { version: v.outputs.version } });
  p.step(count, { inputs: { version: v.outputs.version, data: f.outputs.data } });
});
`;

describe('dataset steps', () => {
  let platform: Platform;
  let cleanup: () => Promise<void>;
  const dir = tempDir('orchard-dataset-steps-');

  beforeAll(async () => {
    ({ platform, cleanup } = await tempPlatform());
    const lines = ['shop,visits'];
    for (let i = 0; i < 250; i++) lines.push(`s${i % 7},${(i * 13) % 90}`);
    writeFileSync(join(dir.path, 'shops.csv'), lines.join('\n') + '\n');
  });
  afterAll(async () => {
    await cleanup();
    dir.cleanup();
  });

  it('ingest a local file as a dataset version and hand its Parquet file to the next step', async () => {
    const file = writePipeline(dir.path, 'shops.ts', PIPELINE);
    const summary = await runFile(platform, file);
    expect(summary.status, JSON.stringify(summary.units.map((u) => u.reason))).toBe('FINISHED');
    const [version] = await platform.datasets.versions('shops');
    expect(version).toMatchObject({ name: 'shops', version: 1, rows: 250 });
    const csv = await platform.content.put(readFileSync(join(dir.path, 'shops.csv')));
    expect(version!.source).toBe(`artifact:shops.csv@${csv.digest}`);
    const steps = await platform.store.pipelines.listSteps(summary.runId);
    expect(steps.find((s) => s.unit === 'ingest')!.outputs).toEqual({ version: { kind: 'value', value: 'shops@1' }, rows: { kind: 'value', value: 250 } });
    // The file handed on is the version's snapshot itself.
    const data = steps.find((s) => s.unit === 'dataset-file')!.outputs!.data as { digest: string; size: number };
    expect(data.digest).toBe(version!.digest);
    expect(steps.find((s) => s.unit === 'count')!.outputs).toEqual({ rows: { kind: 'value', value: 250 }, bytes: { kind: 'value', value: version!.bytes } });
    const ingestRun = await platform.tracking.getRun(summary.units.find((u) => u.unit === 'ingest')!.stepRunId);
    expect(ingestRun.tags).toContainEqual({ key: 'orchard.dataset_version', value: 'shops@1' });
    expect(ingestRun.metrics.find((m) => m.key === 'rows')?.value).toBe(250);
    // The data run that made the version is tracked with its lineage, as any ingest is.
    expect(version!.runId).not.toBeNull();

    expect(statuses(await runFile(platform, file))).toEqual({ ingest: 'CACHED', 'dataset-file': 'CACHED', count: 'CACHED' });
    expect(await platform.datasets.versions('shops')).toHaveLength(1);
  });

  it('fail with the fix when the dataset name is missing', async () => {
    const file = writePipeline(dir.path, 'unnamed.ts', PIPELINE.replace(", params: { dataset: 'shops' }", ''));
    const summary = await runFile(platform, file);
    expect(summary.units.find((u) => u.unit === 'ingest')!.reason).toBe("step 'ingest' (attempt 1) threw INVALID_ARGUMENT: The ingest step needs the dataset's name: params: { dataset: 'flights' }.");
  });
});
