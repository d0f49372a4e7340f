import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/temp.js';

/** `orchard tune` as a user types it: the built CLI, whose trial workers run dist/learn/tune/trial-worker.js. Needs dist/. */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'bin', 'orchard.js');

describe('orchard tune from the command line', () => {
  const dir = tempDir();
  const run = (...args: string[]) => {
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const key of Object.keys(env)) if (key.startsWith('ORCHARD_')) delete env[key];
    const r = spawnSync(process.execPath, [BIN, ...args], { cwd: dir.path, env: { ...env, ORCHARD_USER: 'e2e' }, encoding: 'utf8', timeout: 120_000 });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  beforeAll(() => {
    if (!existsSync(join(ROOT, 'dist', 'learn', 'tune', 'trial-worker.js'))) throw new Error('dist/ is missing: run `npm run build` first (`npm test` does).');
    const lines = ['visits,shop,sold'];
    for (let i = 0; i < 3000; i++) lines.push(`${(i * 37) % 200},s${i % 5},${((i * 37) % 200) + (i % 5) * 10 > 130 ? 1 : 0}`);
    writeFileSync(join(dir.path, 'shops.csv'), lines.join('\n'));
    expect(run('data', 'ingest', 'shops', 'shops.csv').code).toBe(0);
  });
  afterAll(() => dir.cleanup());

  it('halves a grid and random space on 2 workers, printing progress and the leaderboard', { timeout: 120_000 }, () => {
    const args = ['tune', '--data', 'shops', '--target', 'sold', '--grid', 'max_depth=2,3,4', '--random', 'learning_rate=loguniform:0.05:0.3', '--trials', '6', '--halving', '--workers', '2', '--param', 'max_iter=20', '--seed', '3'];
    const table = run(...args);
    expect(table.code, table.stderr).toBe(0);
    // 6 candidates, factor 3: rungs of 6 and 2 candidates (scikit-learn: n_required_iterations = 1 + floor(log3 6) = 2).
    expect(table.stderr).toContain('rung 1/2: 6 candidate(s)');
    expect(table.stderr).toMatch(/rung 2\/2 · trial \d+ \(8 of 8 done\) · .*auc [\d.]+ · best so far/);
    expect(table.stdout).toMatch(/Best: trial \d+ \(run [0-9a-f]{32}\), auc [\d.]+ \(maximized\)/);
    expect(table.stdout).toMatch(/RANK\s+TRIAL\s+RUNG\s+RESOURCE\s+AUC\s+STATUS\s+PARAMS/);
    const out = run(...args, '--json');
    expect(out.code, out.stderr).toBe(0);
    const result = JSON.parse(out.stdout) as { runId: string; best: { runId: string; value: number }; trials: { rank: number; rung: number; runId: string; value: number }[]; schedule: { candidates: number[] } };
    expect(result.schedule.candidates).toEqual([6, 2]);
    expect(result.trials).toHaveLength(8);
    expect(result.trials[0]!.runId).toBe(result.best.runId);
    expect(result.trials[0]!.rung).toBe(2);
    const shown = run('runs', 'show', result.runId);
    expect(shown.stdout).toContain('model/');
    expect(shown.stdout).toContain('leaderboard.json');
  });

  it('explains bad options and exits with status 2', () => {
    const noHalving = run('tune', '--data', 'shops', '--target', 'sold', '--grid', 'max_depth=2,3', '--factor', '2');
    expect(noHalving.code).toBe(2);
    expect(noHalving.stderr).toContain('--factor applies to successive halving; add --halving');
    const badSpace = run('tune', '--data', 'shops', '--target', 'sold', '--random', 'learning_rate=lognormal:0:1', '--trials', '3');
    expect(badSpace.code).toBe(2);
    expect(badSpace.stderr).toContain("'lognormal:0:1' for learning_rate is not a distribution; accepted forms: uniform:LOW:HIGH");
    const badWorkers = run('tune', '--data', 'shops', '--target', 'sold', '--grid', 'max_depth=2,3', '--workers', '0');
    expect(badWorkers.code).toBe(2);
    expect(badWorkers.stderr).toContain("--workers must be a whole number ≥ 1, got '0'");
  });
});
