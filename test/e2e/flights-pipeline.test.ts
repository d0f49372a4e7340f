import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/core/config.js';
import { createOrchard } from '../../src/orchard.js';
import { tempDir } from '../support/temp.js';

/** The flagship pipeline through the real CLI, on a sample of flights-3m. Needs dist/ (`npm test` builds it). */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'bin', 'orchard.js');

describe('examples/flights/pipeline.ts', () => {
  const dir = tempDir('orchard-flights-e2e-');
  const home = join(dir.path, 'home');
  afterAll(() => dir.cleanup());
  const run = (...args: string[]) => {
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const key of Object.keys(env)) if (key.startsWith('ORCHARD_')) delete env[key];
    const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...env, ORCHARD_HOME: home, ORCHARD_USER: 'e2e' }, encoding: 'utf8', timeout: 300_000 });
    return { code: r.status, out: r.stdout + r.stderr };
  };

  it('registers a champion, and a second run is fully cached', async () => {
    const first = run('run', 'examples/flights/pipeline.ts', '--param', 'sample=20000');
    expect(first.code, first.out).toBe(0);
    expect(first.out).toMatch(/FINISHED in .* — 10 succeeded, 0 cached, 0 failed, 0 skipped/);

    const second = run('run', 'examples/flights/pipeline.ts', '--param', 'sample=20000');
    expect(second.code, second.out).toBe(0);
    expect(second.out).toMatch(/FINISHED in .* — 0 succeeded, 10 cached, 0 failed, 0 skipped/);

    const platform = await createOrchard(loadConfig({ ORCHARD_HOME: home }, dir.path));
    try {
      const champion = await platform.registry.getByAlias('flights', 'champion');
      expect(champion.version).toBe(1);
      // The champion was trained on January–April and its lineage names the training part.
      expect(champion.datasets).toContain('flights-train@1');
      expect((await platform.datasets.resolve('flights@1')).rows).toBe(20000);
    } finally {
      await platform.close();
    }
  });
});
