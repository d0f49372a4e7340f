import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, orchard, userEnv } from '../support/cli.js';
import { tempDir } from '../support/temp.js';

/**
 * Monitoring as users type it: a reference dataset ingested from CSV, a prediction log written
 * in the serving layout (src/serving/prediction-log-schema.ts), then `monitor run`, `show`, `report`.
 * Needs dist/ (`npm test` builds it first).
 */
describe('orchard monitor', () => {
  const home = tempDir();
  const env = userEnv({ ORCHARD_HOME: home.path });
  const day = Date.UTC(2026, 2, 2);

  beforeAll(async () => {
    if (!existsSync(join(ROOT, 'dist', 'cli', 'main.js'))) throw new Error('dist/ is missing: run `npm run build` first (`npm test` does).');
    const lines = ['shop,visits,sold'];
    for (let i = 0; i < 2000; i++) lines.push(`s${i % 5},${(i * 37) % 200},${(i * 37) % 200 > 120 ? 1 : 0}`);
    writeFileSync(join(home.path, 'shops.csv'), lines.join('\n'));
    const folder = join(home.path, 'artifacts', 'prediction-log', 'shops-api', 'date=2026-03-02');
    mkdirSync(folder, { recursive: true });
    const db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    // Traffic that drifted: visits shifted up by 150, a new shop s9.
    await c.run(`copy (select 'r' || i as request_id, epoch_ms(${day} + i * 1000) as ts, 'shops-api' as endpoint, 'shops' as model, 1 as version, 'sha256:x' as digest, false as shadow,
        (i % 10) / 10.0 as prediction, null::varchar as label, null::double[] as probabilities, 2.0 as latency_ms,
        {'shop': case when i % 7 = 0 then 's9' else 's' || (i % 5) end, 'visits': ((i * 37) % 200 + 150)::double} as features
      from range(500) t(i)) to '${join(folder, `${day}-a.parquet`)}' (format parquet)`);
    c.closeSync();
    db.closeSync();
  });
  afterAll(() => home.cleanup());

  it('runs a monitor, shows the latest result and writes an HTML report', { timeout: 120_000 }, async () => {
    const ok = async (args: string[]) => {
      const r = await orchard(args, { env, cwd: home.path });
      expect(r.code, `orchard ${args.join(' ')}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`).toBe(0);
      return r.stdout;
    };
    const first = await orchard(['monitor', 'run', 'shops-api', '--last', '100'], { env, cwd: home.path });
    expect(first.code).toBe(2);
    expect(first.stderr).toMatch(/no monitor reference yet; name one with --reference/);

    await ok(['data', 'ingest', 'shops', 'shops.csv', '--no-profile']);
    const run = await ok(['monitor', 'run', 'shops-api', '--reference', 'shops@1', '--last', '400', '--stattest', 'shop=psi:0.2']);
    expect(run).toMatch(/shops-api: DATASET DRIFT — 2 of 2 features drifted/);
    expect(run).toMatch(/visits\s+numeric\s+wasserstein d=\S+ \(drift if ≥ 0\.1\)\s+DRIFT/);
    expect(run).toMatch(/shop\s+categorical\s+psi d=\S+ \(drift if ≥ 0\.2\)\s+DRIFT/);
    expect(run).toMatch(/unseen_category: .*'s9'/);

    const shown = JSON.parse(await ok(['monitor', 'show', 'shops-api', '--json'])) as { window: { rows: number }; features: { name: string; drifted: boolean }[] };
    expect(shown.window.rows).toBe(400);
    expect(shown.features.map((f) => [f.name, f.drifted])).toEqual([['shop', true], ['visits', true]]);
    expect(await ok(['monitor', 'show', 'shops-api', '--history', '5'])).toMatch(/shops@1\s+1\.00\s+yes/);

    await ok(['monitor', 'report', 'shops-api', '--output', 'drift.html']);
    const html = readFileSync(join(home.path, 'drift.html'), 'utf8');
    expect(html).toContain('Drift of endpoint shops-api');
    expect(html.match(/<svg/g)).toHaveLength(2);

    const missing = await orchard(['monitor', 'show', 'nobody'], { env, cwd: home.path });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/nobody has no monitor results yet; run `orchard monitor run nobody/);
    const bad = await orchard(['monitor', 'run', 'shops-api', '--window', '1h', '--last', '5'], { env, cwd: home.path });
    expect(bad.stderr).toMatch(/either --window .* or --last/);
  });
});
