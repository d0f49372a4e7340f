import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { literal, queryRows } from '../../src/data/duckdb-engine.js';
import { transformRows } from '../../src/data/transform.js';
import { gbdtLearner } from '../../src/learn/gbdt/gbdt-learner.js';
import { predictScoresByRow } from '../../src/learn/gbdt/gbdt.js';
import { registerLearner } from '../../src/learn/learner.js';
import { loadModel, type ModelArtifact } from '../../src/learn/model-artifact.js';
import { resolveBatchInput } from '../../src/serving/batch-input.js';
import { batchModelOfRef } from '../../src/serving/batch-model.js';
import { BatchScoringService } from '../../src/serving/batch-scoring.js';
import { featureSql, scoreIntoTable } from '../../src/serving/batch-stream.js';
import { startChunkWorkers, type ChunkWorkers } from '../../src/serving/batch-workers.js';
import { tempPlatform } from '../support/temp.js';

const actor = { name: 'tester' };

/** Shops: a datetime, a category, a numeric column with gaps; `unseen` adds shops and gaps training never had. */
function shopsCsv(rows: number, unseen = false): string {
  const lines = ['id,day,shop,visits,spend,sold'];
  for (let i = 0; i < rows; i++) {
    const visits = i % 11 === 0 ? '' : String((i * 37) % 200);
    const spend = ((i * 53) % 97) + (i % 5) * 10;
    const sold = (visits === '' ? 150 : Number(visits)) + (i % 7) * 9 > 140 ? 1 : 0;
    // Unseen: shops s7 and zz, a missing shop, a missing day.
    const shop = unseen && i % 6 === 0 ? ['s7', 'zz', ''][i % 3] : `s${i % 5}`;
    const day = unseen && i % 13 === 0 ? '' : `2024-0${1 + (i % 4)}-${String(1 + (i % 27)).padStart(2, '0')} ${String(i % 24).padStart(2, '0')}:00:00`;
    lines.push(`${i},${day},${shop},${visits},${spend},${sold}`);
  }
  return lines.join('\n');
}

/** Object.is on every pair. */
function differing(got: readonly unknown[], want: ArrayLike<number>): number {
  expect(got).toHaveLength(want.length);
  return got.filter((g, i) => !Object.is(g, want[i])).length;
}

describe('batch scoring paths: in the output query, streamed on worker threads', () => {
  let s: Awaited<ReturnType<typeof tempPlatform>>;
  let batch: BatchScoringService;
  let model: { runId: string; artifact: ModelArtifact };
  /** The unseen-category input as batch scoring reads it, and the model's predictions for it, row by row. */
  let rows: Record<string, unknown>[];
  let expected: Float64Array;

  beforeAll(async () => {
    s = await tempPlatform();
    batch = new BatchScoringService(s.platform);
    writeFileSync(join(s.home, 'shops.csv'), shopsCsv(2000));
    writeFileSync(join(s.home, 'unseen.csv'), shopsCsv(3000, true));
    await s.platform.datasets.ingest(actor, { name: 'shops', source: 'shops.csv', cwd: s.home });
    const r = await s.platform.training.train(actor, { data: 'shops@1', target: 'sold', learner: 'gbdt', params: { max_iter: 30 } });
    model = { runId: r.runId, artifact: r.artifact };
    const input = await resolveBatchInput(s.platform.datasets, 'unseen.csv', s.home);
    rows = await s.platform.engine.withConnection((c) => queryRows(c, `select * from ${input.table}`));
    // The reference, independent of the batch kernels: the fitted transform in JavaScript, then every tree walked node by node.
    const features = transformRows(r.artifact.transform, rows);
    const scores = predictScoresByRow(gbdtLearner.load(r.artifact.state), features);
    expected = Float64Array.from(scores, (x) => 1 / (1 + Math.exp(-x)));
    // The model's own row path agrees with it.
    expect(differing([...loadModel(r.artifact).predict(rows)], expected)).toBe(0);
  }, 120_000);
  afterAll(async () => s.cleanup());

  const readOutput = (file: string) => s.platform.engine.withConnection((c) => queryRows(c, `select * from read_parquet(${literal(file)})`));

  for (const threads of [0, 2]) {
    it(`scores unseen categories and missing values as the tree walk does, bit for bit: ${threads === 0 ? 'in the output query' : 'streamed to 2 worker threads'}`, { timeout: 60_000 }, async () => {
      const file = join(s.home, `unseen-${threads}.parquet`);
      const r = await batch.predict(actor, { model: model.runId, input: 'unseen.csv', output: file, chunkRows: 256, threads, cwd: s.home });
      const params = Object.fromEntries((await s.platform.tracking.getRun(r.runId)).params.map((p) => [p.key, p.value]));
      expect(params).toMatchObject({ scoring: threads === 0 ? 'in-query' : 'streamed', threads: String(threads), rows: '3000' });
      const out = await readOutput(file);
      // In input order, each row beside its own kept columns.
      expect(out.map((o) => Number(o.id))).toEqual(rows.map((row) => Number(row.id)));
      expect(out.map((o) => o.shop)).toEqual(rows.map((row) => row.shop));
      expect(differing(out.map((o) => o.prediction), expected)).toBe(0);
      expect(out.every((o, i) => o.label === (expected[i]! > 0.5 ? 1 : 0))).toBe(true);
    });
  }

  it('appends chunks predicted partly on a worker thread and partly on the calling thread in input order', { timeout: 60_000 }, async () => {
    const m = await batchModelOfRef(s.platform, model.runId);
    const input = await resolveBatchInput(s.platform.datasets, 'unseen.csv', s.home);
    // One worker holding one chunk at a time: while it predicts, the next chunks are predicted here.
    const started = startChunkWorkers(m.artifactJson!, 1, 1);
    await started.ready();
    let onWorker = 0;
    const counting: ChunkWorkers = { ...started, size: 1, hasRoom: () => started.hasRoom(), predict: (f) => (onWorker++, started.predict(f)) };
    try {
      const scored = await s.platform.engine.withConnection((read) => s.platform.engine.withConnection((write) => scoreIntoTable(read, write, featureSql(m, input.table), m, 'mixed_predictions', 100, () => {}, counting)));
      expect(scored.rows).toBe(3000);
      expect(onWorker).toBeGreaterThan(0);
      expect(onWorker).toBeLessThan(30);
      const table = await s.platform.engine.withConnection((c) => queryRows(c, 'select prediction from mixed_predictions'));
      expect(differing(table.map((t) => t.prediction), expected)).toBe(0);
    } finally {
      await started.close();
    }
  });

  it('fails clearly when a worker thread cannot load the model', async () => {
    const workers = startChunkWorkers(JSON.stringify({ ...model.artifact, learner: 'no-such-learner' }), 1);
    try {
      await expect(workers.ready()).rejects.toMatchObject({ code: 'INTERNAL', message: expect.stringContaining("learner 'no-such-learner'") });
      expect(() => workers.hasRoom()).toThrow(/no-such-learner/);
    } finally {
      await workers.close();
    }
  });

  it('fails the scoring, naming the cause, when the model throws inside the output query; no file is left', { timeout: 60_000 }, async () => {
    registerLearner({
      name: 'paths-throws',
      tasks: ['regression'],
      defaults: {},
      // Remembers each feature's largest training value; a row beyond it (ids past 1999 here) throws.
      fit: (data) => ({ max: data.features.map((c) => Math.max(...Array.from(c).filter((v) => !Number.isNaN(v)))) }),
      predict: (state, features) => {
        features.forEach((c, f) => {
          for (let i = 0; i < c.length; i++) if (c[i]! > state.max[f]!) throw new Error(`feature ${f} is ${c[i]}, beyond anything seen in training`);
        });
        return new Float64Array(features[0]!.length);
      },
      save: (state) => state,
      load: (saved) => saved as { max: number[] },
    });
    const trained = await s.platform.training.train(actor, { data: 'shops@1', target: 'spend', learner: 'paths-throws' });
    const folder = join(s.home, 'throws');
    (await import('node:fs')).mkdirSync(folder);
    await expect(batch.predict(actor, { model: trained.runId, input: 'unseen.csv', output: join(folder, 'scores.parquet'), cwd: s.home })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringMatching(/prediction failed: feature \d+ is \d+, beyond anything seen in training/),
    });
    expect(readdirSync(folder)).toEqual([]);
  });
});
