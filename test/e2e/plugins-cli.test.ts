import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/core/random.js';
import { tempDir } from '../support/temp.js';

/** Learner plugins through the real CLI: --plugin, ORCHARD_PLUGINS, config.json, and the errors. Needs dist/. */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'bin', 'orchard.js');
const TFJS = join(ROOT, 'examples', 'tfjs-learner', 'learner.ts');

describe('learner plugins from the command line', () => {
  const dir = tempDir();
  const run = (args: string[], extraEnv: NodeJS.ProcessEnv = {}) => {
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const key of Object.keys(env)) if (key.startsWith('ORCHARD_')) delete env[key];
    const r = spawnSync(process.execPath, [BIN, ...args], { cwd: dir.path, env: { ...env, ORCHARD_USER: 'e2e', ...extraEnv }, encoding: 'utf8', timeout: 120_000 });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  let modelRun = '';
  beforeAll(() => {
    if (!existsSync(join(ROOT, 'dist', 'cli', 'main.js'))) throw new Error('dist/ is missing: run `npm run build` first (`npm test` does).');
    const random = seededRandom(21);
    const lines = ['x,y,inside'];
    for (let i = 0; i < 1200; i++) {
      const x = random() * 4 - 2;
      const y = random() * 4 - 2;
      lines.push(`${x},${y},${x * x + y * y < 1.8 ? 1 : 0}`);
    }
    writeFileSync(join(dir.path, 'rings.csv'), lines.join('\n'));
    expect(run(['data', 'ingest', 'rings', 'rings.csv']).code).toBe(0);
    expect(run(['data', 'split', 'rings', '--random', 'train=0.8,test=0.2']).code).toBe(0);
  });
  afterAll(() => dir.cleanup());

  it('trains with `--plugin examples/tfjs-learner/learner.ts --learner tfjs-mlp` and records the plugin', () => {
    const train = run(['train', '--plugin', TFJS, '--learner', 'tfjs-mlp', '--data', 'rings-train', '--target', 'inside', '--test', 'rings-test', '--param', 'epochs=25', '--json']);
    expect(train.code, train.stderr).toBe(0);
    expect(train.stderr).toContain('training tfjs-mlp (binary)');
    const result = JSON.parse(train.stdout) as { runId: string; metrics: Record<string, number> };
    expect(result.metrics.test_auc).toBeGreaterThan(0.95);
    modelRun = result.runId;
    const show = run(['runs', 'show', modelRun]);
    expect(show.stdout).toContain(`orchard.plugin = ${TFJS} sha256:`);
  });

  it('evaluating that model needs the plugin: without it the error names learner, plugin and flag; with it, from --plugin, ORCHARD_PLUGINS or config.json, it works', () => {
    const without = run(['evaluate', '--model', modelRun, '--data', 'rings-test']);
    expect(without.code).toBe(2);
    expect(without.stderr).toContain(`The model needs learner 'tfjs-mlp' from plugin ${TFJS} (bundle sha256:`);
    expect(without.stderr).toContain(`load it with --plugin ${TFJS}`);
    const flag = run(['evaluate', '--plugin', TFJS, '--model', modelRun, '--data', 'rings-test', '--json']);
    expect(flag.code, flag.stderr).toBe(0);
    const auc = (JSON.parse(flag.stdout) as { metrics: { auc: number } }).metrics.auc;
    expect(auc).toBeGreaterThan(0.95);
    const env = run(['evaluate', '--model', modelRun, '--data', 'rings-test', '--json'], { ORCHARD_PLUGINS: TFJS });
    expect(env.code, env.stderr).toBe(0);
    expect((JSON.parse(env.stdout) as { metrics: { auc: number } }).metrics.auc).toBe(auc);
    // Paths in config.json are relative to the file.
    const home = join(dir.path, 'confhome');
    mkdirSync(home);
    writeFileSync(join(home, 'config.json'), JSON.stringify({ db: `sqlite:${join(dir.path, '.orchard', 'orchard.db')}`, artifacts: `file:${join(dir.path, '.orchard', 'artifacts')}`, plugins: [relative(home, TFJS)] }));
    const config = run(['evaluate', '--model', modelRun, '--data', 'rings-test', '--json'], { ORCHARD_HOME: home });
    expect(config.code, config.stderr).toBe(0);
  });

  it('evaluates by numeric ranges: `--slice x --bins -2,0,inf` and `--slice-by y --quantiles 4`', () => {
    const bins = run(['evaluate', '--plugin', TFJS, '--model', modelRun, '--data', 'rings-test', '--slice', 'x', '--bins', '-2,0,inf']);
    expect(bins.code, bins.stderr).toBe(0);
    expect(bins.stdout).toMatch(/by x:\n.*VALUE +ROWS +AUC/);
    expect(bins.stdout).toMatch(/^\[-2, 0\) +\d+ +(1|0\.9\d*) /mu);
    expect(bins.stdout).toMatch(/^\[0, inf\) +\d+ +(1|0\.9\d*) /mu);
    const quantiles = run(['evaluate', '--plugin', TFJS, '--model', modelRun, '--data', 'rings-test', '--slice-by', 'y', '--quantiles', '4', '--json']);
    expect(quantiles.code, quantiles.stderr).toBe(0);
    const slices = (JSON.parse(quantiles.stdout) as { slices: { edges: unknown[]; items: { value: string; rows: number }[] } }).slices;
    expect(slices.edges).toHaveLength(5);
    expect(slices.items.map((i) => i.value)[0]).toMatch(/^\[-inf, -?[\d.]+\)$/u);
    // Quartiles of the test rows: four slices of about a quarter each.
    const total = slices.items.reduce((a, i) => a + i.rows, 0);
    for (const item of slices.items) expect(Math.abs(item.rows - total / 4)).toBeLessThanOrEqual(1);
    const bad = run(['evaluate', '--plugin', TFJS, '--model', modelRun, '--data', 'rings-test', '--slice-by', 'x', '--bins', '0,oops']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("Invalid bin edges '0,oops': [1]: 'oops' is not a number");
  });

  it('reports a plugin that throws, exports nothing, or offers a learner without predict/save/load, naming the file; exit status 2', () => {
    const throws = join(dir.path, 'throws.ts');
    writeFileSync(throws, "throw new Error('CUDA not found');\n");
    const r1 = run(['train', '--plugin', throws, '--learner', 'x', '--data', 'rings-train', '--target', 'inside']);
    expect(r1.code).toBe(2);
    expect(r1.stderr).toContain(`orchard: Plugin ${throws} failed while loading: Error: CUDA not found.`);
    const empty = join(dir.path, 'empty.ts');
    writeFileSync(empty, 'export {};\n');
    const r2 = run(['train', '--plugin', empty, '--learner', 'x', '--data', 'rings-train', '--target', 'inside']);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toContain(`Plugin ${empty} registered no learner and exports nothing`);
    const shape = join(dir.path, 'shape.ts');
    writeFileSync(shape, "import { registerLearner } from 'orchard';\nregisterLearner({ name: 'half', tasks: ['binary'], defaults: {}, fit: () => ({}) } as never);\n");
    const r3 = run(['train', '--plugin', shape, '--learner', 'half', '--data', 'rings-train', '--target', 'inside']);
    expect(r3.code).toBe(2);
    expect(r3.stderr).toContain(`Plugin ${shape} failed while loading: Invalid learner 'half' (3 problems): predict: must be a function`);
    const missing = run(['train', '--plugin', 'nope.ts', '--learner', 'x', '--data', 'rings-train', '--target', 'inside']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('No file');
    // A broken plugin in the config stops every command that opens the platform, naming it.
    const bad = run(['data', 'list'], { ORCHARD_PLUGINS: throws });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(`Plugin ${throws} failed while loading`);
  });
});
