import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/core/config.js';
import { literal, queryRows } from '../../src/data/duckdb-engine.js';
import { loadModel } from '../../src/learn/model-artifact.js';
import { createOrchard } from '../../src/orchard.js';
import { ROOT, killChildren, orchard, userEnv } from '../support/cli.js';
import { tempDir } from '../support/temp.js';

/**
 * `orchard predict` as users type it: train, register, promote, score a dataset
 * version into a file and into a new dataset version, and the refusals. Needs dist/.
 */
describe('orchard predict', () => {
  const home = tempDir();
  const env = userEnv({ ORCHARD_HOME: home.path });
  const rows: { id: number; shop: string; visits: number; sold: number }[] = [];
  beforeAll(() => {
    if (!existsSync(join(ROOT, 'dist', 'cli', 'main.js'))) throw new Error('dist/ is missing: run `npm run build` first (`npm test` does).');
    const lines = ['id,shop,visits,sold'];
    for (let i = 0; i < 2500; i++) {
      const row = { id: i, shop: `s${i % 5}`, visits: (i * 37) % 200, sold: ((i * 37) % 200) + (i % 5) * 20 > 140 ? 1 : 0 };
      rows.push(row);
      lines.push(`${row.id},${row.shop},${row.visits},${row.sold}`);
    }
    writeFileSync(join(home.path, 'shops.csv'), lines.join('\n'));
  });
  afterEach(() => killChildren());
  afterAll(() => home.cleanup());

  it('scores a dataset version into Parquet and into a new dataset version, with a progress line, and refuses bad input', { timeout: 180_000 }, async () => {
    const run = (args: string[]) => orchard(args, { env, cwd: home.path, timeoutMs: 60_000 });
    const ok = async (args: string[]) => {
      const r = await run(args);
      expect(r.code, `orchard ${args.join(' ')}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`).toBe(0);
      return r;
    };
    await ok(['data', 'ingest', 'shops', 'shops.csv']);
    const runId = (JSON.parse((await ok(['train', '--data', 'shops', '--target', 'sold', '--param', 'max_iter=10', '--json'])).stdout) as { runId: string }).runId;
    await ok(['models', 'register', 'shops', runId]);
    await ok(['models', 'promote', 'shops', '1', '--alias', 'champion']);

    const scored = await ok(['predict', 'shops@champion', '--input', 'shops@1', '--output', 'scores.parquet', '--columns', 'id,shop', '--chunk-rows', '600', '--json']);
    const result = JSON.parse(scored.stdout) as { rows: number; runId: string; model: { resolved: string }; columns: string[] };
    expect(result).toMatchObject({ rows: 2500, model: { resolved: 'shops@1' }, columns: ['id', 'shop', 'prediction', 'label'] });
    expect(scored.stderr).toMatch(/scoring .*2,500 \/ 2,500 rows, [\d,]+ rows\/s/);

    // The file's predictions equal the stored model's on the same rows (the artifact's JavaScript path).
    const platform = await createOrchard(loadConfig({ ORCHARD_HOME: home.path, ORCHARD_USER: 'e2e' }, home.path));
    try {
      const artifact = (await platform.evaluation.artifactOfRun(runId)).artifact;
      const expected = loadModel(artifact).predict(rows);
      const out = await platform.engine.withConnection((c) => queryRows(c, `select * from read_parquet(${literal(join(home.path, 'scores.parquet'))})`));
      expect(out).toHaveLength(2500);
      expect(out.every((r) => Object.is(r.prediction, expected[Number(r.id)]) && r.label === (expected[Number(r.id)]! > 0.5 ? 1 : 0))).toBe(true);
      // The compiled worker (dist/serving/batch-worker.js, found beside the compiled pool) loads the model and predicts the same.
      const compiled = (await import(join(ROOT, 'dist', 'serving', 'batch-workers.js'))) as typeof import('../../src/serving/batch-workers.js');
      const workers = compiled.startChunkWorkers(JSON.stringify(artifact), 1);
      try {
        await workers.ready();
        const features = (await import('../../src/data/transform.js')).transformRows(artifact.transform, rows);
        const predicted = await workers.predict(features);
        expect([...predicted].every((p, i) => Object.is(p, expected[i]))).toBe(true);
      } finally {
        await workers.close();
      }
    } finally {
      await platform.close();
    }

    const toDataset = await ok(['predict', runId, '--input', 'shops@1', '--output', 'dataset:shops-scored']);
    expect(toDataset.stdout).toMatch(/Scored 2,500 rows of shops@1 with [0-9a-f]{32} .*dataset shops-scored@1, run [0-9a-f]{32}\./);
    const shown = JSON.parse((await ok(['data', 'show', 'shops-scored@1', '--json'])).stdout) as { rows: number; lineage: { upstream: { srcKind: string; srcId: string; relation: string }[] } };
    expect(shown.rows).toBe(2500);
    expect(shown.lineage.upstream).toEqual(expect.arrayContaining([expect.objectContaining({ srcKind: 'run', relation: 'produced' }), expect.objectContaining({ srcId: 'shops@1', relation: 'derived_from' })]));

    const taken = await run(['predict', 'shops@champion', '--input', 'shops@1', '--output', 'scores.parquet']);
    expect(taken.code).not.toBe(0);
    expect(taken.stderr).toContain('already exists; pass --force to overwrite it');
    expect((await run(['predict', 'shops@champion', '--input', 'shops@1', '--output', 'scores.parquet', '--force'])).code).toBe(0);

    // Streamed to worker threads (the compiled batch-worker.js), written as CSV.
    const fromCsv = await ok(['predict', 'shops@1', '--input', 'shops.csv', '--output', 'from-csv.csv', '--columns', 'id', '--chunk-rows', '500', '--threads', '2', '--json']);
    const csvRun = JSON.parse(fromCsv.stdout) as { rows: number; runId: string };
    expect(csvRun.rows).toBe(2500);
    const shownRun = JSON.parse((await ok(['runs', 'show', csvRun.runId, '--json'])).stdout) as { params: { key: string; value: string }[] };
    expect(shownRun.params).toEqual(expect.arrayContaining([{ key: 'threads', value: '2' }, { key: 'scoring', value: 'streamed' }]));

    writeFileSync(join(home.path, 'partial.csv'), 'id\n1\n2\n');
    const missing = await run(['predict', 'shops@champion', '--input', 'partial.csv', '--output', 'partial.parquet']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('lacks the column(s) shop, visits the model reads');
    const unknown = await run(['predict', 'shops@nope', '--input', 'shops@1', '--output', 'x.parquet']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/orchard: .*nope/);
    expect(readdirSync(home.path).filter((f) => f.endsWith('.parquet') || f.endsWith('.tmp')).sort()).toEqual(['scores.parquet']);
    expect(readdirSync(home.path).filter((f) => f.startsWith('from-csv'))).toEqual(['from-csv.csv']);
  });
});
