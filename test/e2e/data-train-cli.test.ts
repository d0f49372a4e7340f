import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/temp.js';

/** The data → train → evaluate path through the real CLI, as a user types it. Needs dist/. */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'bin', 'orchard.js');

describe('orchard data, train and evaluate from the command line', () => {
  const dir = tempDir();
  const run = (...args: string[]) => {
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const key of Object.keys(env)) if (key.startsWith('ORCHARD_')) delete env[key];
    const r = spawnSync(process.execPath, [BIN, ...args], { cwd: dir.path, env: { ...env, ORCHARD_USER: 'e2e' }, encoding: 'utf8', timeout: 60_000 });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  beforeAll(() => {
    if (!existsSync(join(ROOT, 'dist', 'cli', 'main.js'))) throw new Error('dist/ is missing: run `npm run build` first (`npm test` does).');
    const lines = ['day,shop,visits,sold'];
    for (let i = 0; i < 3000; i++) lines.push(`2024-0${1 + (i % 4)}-${String(1 + (i % 27)).padStart(2, '0')} 09:00:00,s${i % 5},${(i * 37) % 200},${((i * 37) % 200) > 120 ? 1 : 0}`);
    writeFileSync(join(dir.path, 'shops.csv'), lines.join('\n'));
  });
  afterAll(() => dir.cleanup());

  it('ingests, splits, trains with parameters, and evaluates by slice', () => {
    const ingest = run('data', 'ingest', 'shops', 'shops.csv', '--json');
    expect(ingest.code, ingest.stderr).toBe(0);
    expect(JSON.parse(ingest.stdout)).toMatchObject({ created: true, profiled: true, version: { name: 'shops', version: 1, rows: 3000 } });
    expect(run('data', 'split', 'shops', '--time', 'day', '--cuts', '2024-04-01', '--names', 'train,test').code).toBe(0);
    writeFileSync(join(dir.path, 'features.json'), JSON.stringify({ steps: [{ op: 'ordinal', column: 'shop' }], features: ['shop', 'visits'] }));
    const train = run('train', '--data', 'shops-train', '--target', 'sold', '--param', 'max_iter=20', 'learning_rate=0.2', '--features', 'features.json', '--test', 'shops-test', '--json');
    expect(train.code, train.stderr).toBe(0);
    const trained = JSON.parse(train.stdout) as { runId: string; metrics: Record<string, number> };
    expect(trained.metrics.test_auc).toBeGreaterThan(0.95);
    expect(train.stderr).toContain('training gbdt (binary)');
    const evaluation = run('evaluate', '--model', trained.runId, '--data', 'shops-test', '--slice-by', 'shop');
    expect(evaluation.code, evaluation.stderr).toBe(0);
    expect(evaluation.stdout).toMatch(/by shop:/);
    expect(evaluation.stdout).toMatch(/s0 /);
    const show = run('runs', 'show', trained.runId);
    expect(show.stdout).toContain('learning_rate = 0.2');
    expect(show.stdout).toContain('model/');
  });

  it('explains bad options and exits with status 2', () => {
    const badParam = run('train', '--data', 'shops-train', '--target', 'sold', '--param', 'depth');
    expect(badParam.code).toBe(2);
    expect(badParam.stderr).toContain("--param 'depth' is not key=value");
    const badTarget = run('train', '--data', 'shops-train', '--target', 'revenue');
    expect(badTarget.code).toBe(2);
    expect(badTarget.stderr).toContain('The target `revenue` is not a column; columns are day, shop, visits, sold');
    const noData = run('data', 'profile', 'nothing@1');
    expect(noData.code).toBe(2);
    expect(noData.stderr).toContain("No dataset named 'nothing'");
    expect(readFileSync(join(dir.path, 'shops.csv'), 'utf8').length).toBeGreaterThan(0);
  });
});
