import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { literal, queryRows } from '../../src/data/duckdb-engine.js';
import { loadModel, type ModelArtifact } from '../../src/learn/model-artifact.js';
import { Orchard } from '../../src/sdk/orchard-client.js';
import { BatchScoringService } from '../../src/serving/batch-scoring.js';
import { tempPlatform } from '../support/temp.js';

const actor = { name: 'tester' };
const ROWS = 3000;

/** Shops: a datetime, a category, a numeric column with gaps, a binary and a three-class target. */
function shopsCsv(rows: number, bad?: { row: number; visits: string }): string {
  const lines = ['id,day,shop,visits,spend,sold,tier'];
  for (let i = 0; i < rows; i++) {
    const visits = bad?.row === i ? bad.visits : i % 11 === 0 ? '' : String((i * 37) % 200);
    const spend = ((i * 53) % 97) + (i % 5) * 10;
    const v = visits === '' ? 150 : Number(visits) || 0;
    const sold = v + (i % 7) * 9 > 140 ? 1 : 0;
    const tier = spend > 90 ? 'gold' : spend > 45 ? 'silver' : 'bronze';
    lines.push(`${i},2024-0${1 + (i % 4)}-${String(1 + (i % 27)).padStart(2, '0')} ${String(i % 24).padStart(2, '0')}:00:00,s${i % 5},${visits},${spend},${sold},${tier}`);
  }
  return lines.join('\n');
}

describe('batch scoring', () => {
  let s: Awaited<ReturnType<typeof tempPlatform>>;
  let batch: BatchScoringService;
  const models: Record<string, { runId: string; artifact: ModelArtifact }> = {};
  /** The input rows as DuckDB reads them from the dataset version (timestamps as epoch ms). */
  let inputRows: Record<string, unknown>[] = [];

  beforeAll(async () => {
    s = await tempPlatform();
    batch = new BatchScoringService(s.platform);
    writeFileSync(join(s.home, 'shops.csv'), shopsCsv(ROWS));
    await s.platform.datasets.ingest(actor, { name: 'shops', source: 'shops.csv', cwd: s.home });
    const train = async (key: string, target: string, learner: string) => {
      const r = await s.platform.training.train(actor, { data: 'shops@1', target, learner, params: learner === 'gbdt' ? { max_iter: 25 } : {} });
      models[key] = { runId: r.runId, artifact: r.artifact };
    };
    await train('gbdt', 'sold', 'gbdt');
    await train('multiclass', 'tier', 'gbdt');
    await train('linear', 'spend', 'linear');
    await train('logistic', 'sold', 'logistic');
    const path = await s.platform.datasets.parquetPath(await s.platform.datasets.resolve('shops@1'));
    inputRows = await s.platform.engine.withConnection((c) => queryRows(c, `select * from read_parquet(${literal(path)})`));
    await s.platform.registry.register(actor, { name: 'shops-sold', runId: models.gbdt!.runId });
    await s.platform.registry.setAlias(actor, 'shops-sold', 'champion', 1);
  }, 120_000);
  afterAll(async () => s.cleanup());

  const readOutput = (file: string) => s.platform.engine.withConnection((c) => queryRows(c, `select * from read_parquet(${literal(file)})`));

  const variants = [['gbdt', 0], ['gbdt', 2], ['linear', 0], ['logistic', 2], ['multiclass', 0], ['multiclass', 2]] as const;
  for (const [key, threads] of variants) {
    it(`streams several chunks whose predictions equal loadModel(…).predict on the same rows: ${key}, ${threads} worker threads`, { timeout: 60_000 }, async () => {
      const { runId, artifact } = models[key]!;
      const file = join(s.home, `${key}-${threads}.parquet`);
      const r = await batch.predict(actor, { model: runId, input: 'shops@1', output: file, chunkRows: 700, threads, cwd: s.home });
      expect(Number((await s.platform.tracking.getRun(r.runId)).params.find((p) => p.key === 'threads')?.value)).toBe(threads);
      expect(r.rows).toBe(ROWS);
      const out = await readOutput(file);
      expect(out).toHaveLength(ROWS);
      // The reference: the model artifact's own row path (JavaScript transform, then the learner) on the same rows.
      const expected = loadModel(artifact).predict(inputRows);
      const K = artifact.classes?.length ?? 1;
      const byId = new Map(inputRows.map((row, i) => [Number(row.id), i]));
      let differ = 0;
      for (const row of out) {
        const i = byId.get(Number(row.id))!;
        // Kept columns travel unchanged beside their own prediction.
        expect(row.shop).toBe(inputRows[i]!.shop);
        if (artifact.signature.output === 'probabilities') {
          const probs = (row.probabilities as number[]).map(Number);
          const want = Array.from(expected.subarray(i * K, (i + 1) * K));
          if (probs.some((p, k) => !Object.is(p, want[k]))) differ++;
          const best = want.indexOf(Math.max(...want));
          expect(row.prediction).toBe(best);
          expect(row.label).toBe(artifact.classes![best]);
        } else {
          if (!Object.is(row.prediction, expected[i])) differ++;
          if (artifact.signature.output === 'probability') expect(row.label).toBe(expected[i]! > 0.5 ? 1 : 0);
          else expect(row).not.toHaveProperty('label');
        }
      }
      expect(differ).toBe(0);
      expect(r.columns).toEqual(['id', 'day', 'shop', 'visits', 'spend', 'sold', 'tier', ...(K > 1 ? ['prediction', 'label', 'probabilities'] : key === 'linear' ? ['prediction'] : ['prediction', 'label'])]);
    });
  }

  it('writes a new dataset version with lineage, as a tracked run with params and metrics', async () => {
    const r = await batch.predict(actor, { model: 'shops-sold@champion', input: 'shops@1', output: 'dataset:shops-scored', columns: ['id', 'shop'], chunkRows: 1000, cwd: s.home });
    expect(r.output.kind).toBe('dataset');
    const version = r.output.kind === 'dataset' ? r.output.version : undefined;
    expect(version).toMatchObject({ name: 'shops-scored', version: 1, rows: ROWS, runId: r.runId });
    expect(version!.columns.map((c) => c.name)).toEqual(['id', 'shop', 'prediction', 'label']);
    const lineage = s.platform.store.lineage;
    const into = await lineage.edges('run', r.runId, 'upstream');
    expect(into.map((e) => `${e.srcKind}:${e.srcId}`).sort()).toEqual([`dataset_version:shops@1`, `model_artifact:${(await s.platform.tracking.getRun(models.gbdt!.runId)).tags.find((t) => t.key === 'orchard.model')!.value}`].sort());
    const out = await lineage.edges('run', r.runId, 'downstream');
    expect(out).toEqual([expect.objectContaining({ dstKind: 'dataset_version', dstId: 'shops-scored@1', relation: 'produced' })]);
    const derived = await lineage.edges('dataset_version', 'shops-scored@1', 'upstream');
    expect(derived.some((e) => e.srcId === 'shops@1' && e.relation === 'derived_from')).toBe(true);
    const run = await s.platform.tracking.getRun(r.runId);
    const params = Object.fromEntries(run.params.map((p) => [p.key, p.value]));
    expect(params).toMatchObject({ model: 'shops-sold@champion', model_version: 'shops-sold@1', input: 'shops@1', output: 'dataset:shops-scored', rows: String(ROWS) });
    expect(run.info.status).toBe('FINISHED');
    const metrics = Object.fromEntries(run.metrics.map((m) => [m.key, m.value]));
    expect(metrics.rows).toBe(ROWS);
    expect(metrics.rows_per_second).toBeGreaterThan(0);
    expect(run.info.experimentId).toBe((await s.platform.tracking.getExperimentByName('predict')).experimentId);
  });

  it('leaves no output file, temporary file or dataset version when scoring fails midway', async () => {
    // Text in the visits column at row 2,500: DuckDB reads the column as text and the cast fails after several chunks.
    writeFileSync(join(s.home, 'broken.csv'), shopsCsv(ROWS, { row: 2500, visits: 'lots' }));
    const folder = join(s.home, 'out');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(folder);
    const file = join(folder, 'scores.parquet');
    await expect(batch.predict(actor, { model: models.gbdt!.runId, input: 'broken.csv', output: file, chunkRows: 500, cwd: s.home })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/Cannot score broken\.csv: .*lots/) });
    expect(readdirSync(folder)).toEqual([]);
    await expect(batch.predict(actor, { model: models.gbdt!.runId, input: 'broken.csv', output: 'dataset:never', chunkRows: 500, cwd: s.home })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(s.platform.datasets.resolve('never')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(readdirSync(join(s.home, 'tmp')).filter((f) => f.startsWith('predict-'))).toEqual([]);
    const experiment = await s.platform.tracking.ensureExperiment(actor, 'predict');
    const runs = await s.platform.tracking.searchRuns({ experimentIds: [experiment.experimentId], filter: "attributes.status = 'FAILED'" });
    expect(runs.items.length).toBeGreaterThanOrEqual(2);
  });

  it('refuses bad input clearly before writing anything', async () => {
    const file = join(s.home, 'refused.parquet');
    await expect(batch.predict(actor, { model: 'nope@champion', input: 'shops@1', output: file, cwd: s.home })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    writeFileSync(join(s.home, 'partial.csv'), 'id,spend\n1,10\n2,20\n');
    // Every column the model needs and the input lacks is named, with the unknown --columns, in one error.
    await expect(batch.predict(actor, { model: models.gbdt!.runId, input: 'partial.csv', output: file, columns: ['id', 'colour'], cwd: s.home })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringMatching(/lacks the column\(s\) day, shop, visits, tier the model reads.*no column\(s\) colour to keep/),
    });
    writeFileSync(join(s.home, 'taken.parquet'), 'x');
    await expect(batch.predict(actor, { model: models.gbdt!.runId, input: 'shops@1', output: 'taken.parquet', cwd: s.home })).rejects.toMatchObject({ code: 'ALREADY_EXISTS', message: expect.stringContaining('--force') });
    await expect(batch.predict(actor, { model: models.gbdt!.runId, input: 'shops@1', output: 'scores.txt', cwd: s.home })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('.parquet or .csv') });
    await expect(batch.predict(actor, { model: models.gbdt!.runId, input: 'shops@9', output: file, cwd: s.home })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(existsSync(file)).toBe(false);
  });

  it('refuses a corrupted model artifact', async () => {
    const digest = (await s.platform.tracking.getRun(models.logistic!.runId)).tags.find((t) => t.key === 'orchard.model')!.value;
    const hex = digest.replace(/^sha256:/, '');
    const blob = join(s.home, 'artifacts', 'sha256', hex.slice(0, 2), hex);
    expect(existsSync(blob)).toBe(true);
    writeFileSync(blob, '{"orchardModel": 1, "learner": "logistic"}');
    const file = join(s.home, 'corrupt.parquet');
    await expect(batch.predict(actor, { model: models.logistic!.runId, input: 'shops@1', output: file, cwd: s.home })).rejects.toMatchObject({ code: 'INTEGRITY_ERROR' });
    expect(existsSync(file)).toBe(false);
  });

  it('scores with a plugin learner on the calling thread (worker threads load built-in learners only)', { timeout: 60_000 }, async () => {
    const { loadLearnerPlugin } = await import('../../src/learn/learner-plugins.js');
    const file = join(s.home, 'shift-learner.ts');
    writeFileSync(
      file,
      `import { registerLearner } from 'orchard';
registerLearner({
  name: 'batch-shift', tasks: ['regression'], defaults: {},
  fit: (data) => ({ mean: data.target.reduce((a, b) => a + b, 0) / data.target.length }),
  predict: (s, features) => Float64Array.from(features[0], (v, i) => s.mean + (Number.isNaN(v) ? 0 : v) + (features[1]?.[i] ?? 0) / 1000),
  save: (s) => s, load: (saved) => saved,
});\n`,
    );
    await loadLearnerPlugin(file);
    const trained = await s.platform.training.train(actor, { data: 'shops@1', target: 'spend', learner: 'batch-shift' });
    const out = join(s.home, 'plugin.parquet');
    const r = await batch.predict(actor, { model: trained.runId, input: 'shops@1', output: out, columns: ['id'], chunkRows: 800, threads: 2, cwd: s.home });
    expect((await s.platform.tracking.getRun(r.runId)).params.find((p) => p.key === 'threads')?.value).toBe('0');
    const expected = loadModel(trained.artifact).predict(inputRows);
    expect((await readOutput(out)).every((row) => Object.is(row.prediction, expected[Number(row.id)]))).toBe(true);
  });

  it('scores with an ONNX model file (an Orchard export: its transform runs in SQL)', { timeout: 60_000 }, async () => {
    const { exportOnnx } = await import('../../src/learn/onnx/export-onnx.js');
    const onnx = join(s.home, 'sold.onnx');
    writeFileSync(onnx, exportOnnx(models.gbdt!.artifact, { producerVersion: 'test' }).bytes);
    const file = join(s.home, 'onnx.parquet');
    const r = await batch.predict(actor, { modelFile: 'sold.onnx', input: 'shops@1', output: file, columns: ['id'], chunkRows: 900, cwd: s.home });
    expect(r.model.resolved).toBe(`file:${onnx}`);
    const expected = loadModel(models.gbdt!.artifact).predict(inputRows);
    const out = await readOutput(file);
    // ONNX Runtime sums the trees in its own order: equal to 1e-9, as the export's own tests check.
    const worst = Math.max(...out.map((row) => Math.abs(Number(row.prediction) - expected[Number(row.id)]!)));
    expect(worst).toBeLessThan(1e-9);
    expect(out.every((row) => row.label === (Number(row.prediction) > 0.5 ? 1 : 0))).toBe(true);
  });

  it('is orchard.predictBatch in the SDK, writing CSV', async () => {
    const orchard = Orchard.embedded(s.platform, 'sdk-user');
    const r = await orchard.predictBatch('shops-sold@1', join(s.home, 'shops.csv'), join(s.home, 'sdk.csv'), { columns: ['id'] });
    expect(r.rows).toBe(ROWS);
    expect(r.input).toBe(`file:${join(s.home, 'shops.csv')}`);
    const out = await s.platform.engine.withConnection((c) => queryRows(c, `select * from read_csv(${literal(join(s.home, 'sdk.csv'))}) order by id`));
    expect(Object.keys(out[0]!)).toEqual(['id', 'prediction', 'label']);
    const expected = loadModel(models.gbdt!.artifact).predict(inputRows);
    // CSV holds the shortest round-trip decimal, so the numbers read back are the same doubles.
    expect(out.every((row) => Object.is(Number(row.prediction), expected[Number(row.id)]))).toBe(true);
    await expect(Orchard.remote('http://127.0.0.1:9').predictBatch('m@1', 'a', 'b.parquet')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
