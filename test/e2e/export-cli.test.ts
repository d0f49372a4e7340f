import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/core/config.js';
import { readModelArtifact, loadModel, type ModelArtifact } from '../../src/learn/model-artifact.js';
import { loadOnnxPredictor } from '../../src/learn/onnx/onnx-predictor.js';
import { nativePredictor } from '../../src/learn/predictor.js';
import { createOrchard, type Platform } from '../../src/orchard.js';
import { tempDir } from '../support/temp.js';

/** `orchard export` through the real CLI: the .onnx file it writes predicts raw rows as the stored model does. Needs dist/. */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'bin', 'orchard.js');

describe('orchard export --format onnx', () => {
  const dir = tempDir();
  const rows: Record<string, unknown>[] = [];
  const run = (...args: string[]) => {
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const key of Object.keys(env)) if (key.startsWith('ORCHARD_')) delete env[key];
    const r = spawnSync(process.execPath, [BIN, ...args], { cwd: dir.path, env: { ...env, ORCHARD_USER: 'e2e' }, encoding: 'utf8', timeout: 60_000 });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  /** The CLI's store, opened in this process between commands. */
  const withPlatform = async <T>(fn: (p: Platform) => Promise<T>): Promise<T> => {
    const platform = await createOrchard(loadConfig({ ORCHARD_USER: 'e2e' }, dir.path));
    try {
      return await fn(platform);
    } finally {
      await platform.close();
    }
  };
  const storedArtifact = (runId: string) => withPlatform(async (p) => (await p.evaluation.artifactOfRun(runId)).artifact);
  let ingestRun = '';

  beforeAll(() => {
    if (!existsSync(join(ROOT, 'dist', 'cli', 'main.js'))) throw new Error('dist/ is missing: run `npm run build` first (`npm test` does).');
    const lines = ['day,shop,visits,spend,sold'];
    for (let i = 0; i < 3000; i++) {
      const visits = i % 11 === 0 ? null : (i * 37) % 200;
      const row = { day: `2024-0${1 + (i % 4)}-${String(1 + (i % 27)).padStart(2, '0')} ${String(i % 24).padStart(2, '0')}:00:00`, shop: `s${i % 5}`, visits, spend: ((i * 53) % 97) + (i % 5) * 10, sold: (visits ?? 150) > 120 ? 1 : 0 };
      rows.push(row);
      lines.push(`${row.day},${row.shop},${visits ?? ''},${row.spend},${row.sold}`);
    }
    writeFileSync(join(dir.path, 'shops.csv'), lines.join('\n'));
    const ingest = run('data', 'ingest', 'shops', 'shops.csv', '--json');
    expect(ingest.code, ingest.stderr).toBe(0);
    ingestRun = (JSON.parse(ingest.stdout) as { runId: string }).runId;
  });
  afterAll(() => dir.cleanup());

  for (const [learner, target] of [['gbdt', 'sold'], ['linear', 'spend']] as const) {
    it(`exports a ${learner} model whose ONNX predictions of raw rows equal the stored model's`, { timeout: 120_000 }, async () => {
      const train = run('train', '--data', 'shops', '--target', target, '--learner', learner, '--param', 'max_iter=20', '--json');
      expect(train.code, train.stderr).toBe(0);
      const { runId } = JSON.parse(train.stdout) as { runId: string };
      const exported = run('export', runId, '--format', 'onnx', '--output', `${learner}.onnx`);
      expect(exported.code, exported.stderr).toBe(0);
      expect(exported.stdout).toContain(`Exported ${learner} (${learner === 'gbdt' ? 'binary' : 'regression'}) of run ${runId}`);
      expect(exported.stdout).toContain('input  features: double [N, 6], features day_month, day_weekday, day_hour, shop, visits');

      const artifact = await storedArtifact(runId);
      const onnx = await loadOnnxPredictor(join(dir.path, `${learner}.onnx`));
      const native = nativePredictor(loadModel(artifact));
      // Raw rows as serving receives them: datetimes as text, categories, missing visits; the target left out.
      const input = rows.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => k !== target)));
      const [a, b] = [await onnx.predict(input), await native.predict(input)];
      expect(a).toHaveLength(rows.length);
      let worst = 0;
      for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(b[i]!)));
      expect(worst).toBeLessThan(1e-9);
      expect(onnx.output).toBe(native.output);
      expect(onnx.featureNames).toEqual(native.featureNames);
      await onnx.close();
    });
  }

  it('refuses to overwrite without --force, a run without a model, an unsupported learner and an unknown format', { timeout: 120_000 }, async () => {
    const train = run('train', '--data', 'shops', '--target', 'sold', '--param', 'max_iter=5', '--json');
    const { runId } = JSON.parse(train.stdout) as { runId: string };
    expect(run('export', runId, '--output', 'again.onnx').code).toBe(0);
    const before = readFileSync(join(dir.path, 'again.onnx'));
    const exists = run('export', runId, '--output', 'again.onnx');
    expect(exists.code).toBe(1);
    expect(exists.stderr).toContain(`${join(dir.path, 'again.onnx')} already exists; pass --force to overwrite it, or choose another --output.`);
    expect(run('export', runId, '--output', 'again.onnx', '--force').code).toBe(0);
    expect(readFileSync(join(dir.path, 'again.onnx')).equals(before)).toBe(true);

    const noModel = run('export', ingestRun, '--output', 'none.onnx');
    expect(noModel.code).toBe(2);
    expect(noModel.stderr).toContain(`Run ${ingestRun} stored no model (it has no orchard.model tag); pass the id of a finished training run.`);

    // A model of a learner registered by a plugin, with no ONNX converter.
    const custom = await withPlatform(async (p) => {
      const artifact: ModelArtifact = { ...(await p.evaluation.artifactOfRun(runId)).artifact, learner: 'knn', state: { k: 5 } };
      const blob = await p.content.put(Buffer.from(JSON.stringify(artifact)));
      const experiment = await p.tracking.ensureExperiment({ name: 'e2e' }, 'train');
      const r = await p.tracking.createRun({ name: 'e2e' }, { experimentId: experiment.experimentId, tags: [{ key: 'orchard.model', value: blob.digest }] });
      expect(readModelArtifact((await p.content.read(blob.digest)).toString('utf8'), blob.digest).learner).toBe('knn');
      return r.info.runId;
    });
    const unsupported = run('export', custom, '--output', 'knn.onnx');
    expect(unsupported.code).toBe(2);
    expect(unsupported.stderr).toContain("Models of learner 'knn' cannot be exported to ONNX; the learners with an ONNX converter are gbdt, linear, logistic.");

    const format = run('export', runId, '--format', 'pmml', '--output', 'model.pmml');
    expect(format.code).toBe(2);
    expect(format.stderr).toContain("Unknown export format 'pmml'; formats are onnx.");
    const folder = run('export', runId, '--output', 'missing/model.onnx');
    expect(folder.code).toBe(2);
    expect(folder.stderr).toContain(`the folder ${join(dir.path, 'missing')} does not exist`);
    // Nothing half-written: no file for any failed export, and no temporary files.
    expect(readdirSync(dir.path).filter((f) => f.endsWith('.onnx') || f.endsWith('.tmp') || f.endsWith('.pmml')).sort()).toEqual(['again.onnx', 'gbdt.onnx', 'linear.onnx']);
  });

  it('loads ONNX Runtime only when an ONNX model is loaded, not for the CLI or the exporter', () => {
    const script = `
      import { readFileSync } from 'node:fs';
      const loaded = () => readFileSync('/proc/self/maps', 'utf8').includes('libonnxruntime');
      await import(${JSON.stringify(join(ROOT, 'dist/cli/main.js'))});
      await import(${JSON.stringify(join(ROOT, 'dist/learn/onnx/export-onnx.js'))});
      const { loadOnnxPredictor } = await import(${JSON.stringify(join(ROOT, 'dist/learn/onnx/onnx-predictor.js'))});
      const before = loaded();
      await (await loadOnnxPredictor(${JSON.stringify(join(dir.path, 'gbdt.onnx'))})).close();
      console.log(JSON.stringify({ before, after: loaded() }));`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ before: false, after: true });
  });
});
