import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, killChildren, orchard, userEnv } from '../support/cli.js';
import { tempDir } from '../support/temp.js';

/**
 * The loop's commands as users type them: a schedule, a webhook trigger fired from the
 * command line, a dataset trigger fired by `scheduler run-once`, an alert rule and its list.
 * Needs dist/ (`npm test` builds it first).
 */
describe('orchard schedules, triggers, scheduler, alerts', () => {
  const home = tempDir();
  const env = userEnv({ ORCHARD_HOME: home.path });
  beforeAll(() => {
    if (!existsSync(join(ROOT, 'dist', 'cli', 'main.js'))) throw new Error('dist/ is missing: run `npm run build` first (`npm test` does).');
    writeFileSync(
      join(home.path, 'hello.ts'),
      `import { appendFileSync } from 'node:fs';
import { pipeline, step } from 'orchard';
const hello = step({ name: 'hello', run: () => { appendFileSync(${JSON.stringify(join(home.path, 'trace.txt'))}, 'ran\\n'); } });
export default pipeline('hello', {}, (p) => { p.step(hello); });
`,
    );
    writeFileSync(join(home.path, 'new.csv'), 'a,b\n1,2\n');
  });
  afterEach(() => killChildren());
  afterAll(() => home.cleanup());

  it('creates, fires and lists', { timeout: 120_000 }, async () => {
    const ok = async (args: string[]) => {
      const r = await orchard(args, { env, cwd: home.path });
      expect(r.code, `orchard ${args.join(' ')}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`).toBe(0);
      return r.stdout;
    };
    expect(await ok(['schedules', 'create', 'nightly', '--cron', '0 3 * * *', '--pipeline', 'hello.ts'])).toMatch(/Created schedule nightly/);
    expect(await ok(['schedules', 'list'])).toMatch(/nightly\s+0 3 \* \* \*\s+UTC\s+hello\.ts/);
    const bad = await orchard(['schedules', 'create', 'x', '--cron', 'every day', '--pipeline', 'hello.ts'], { env, cwd: home.path });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/'every day' is not a cron expression/);

    await ok(['triggers', 'create', 'ci', '--on', 'webhook', '--pipeline', 'hello.ts']);
    expect(await ok(['triggers', 'fire', 'ci'])).toMatch(/Trigger ci started run [0-9a-f]+/);
    expect(readFileSync(join(home.path, 'trace.txt'), 'utf8')).toBe('ran\n');

    await ok(['triggers', 'create', 'fresh', '--on', 'dataset', '--match', 'new*', '--pipeline', 'hello.ts']);
    await ok(['data', 'ingest', 'new-data', 'new.csv']);
    const tick = await ok(['scheduler', 'run-once', '--json']);
    const fired = JSON.parse(tick);
    expect(fired).toMatchObject([{ source: 'trigger:fresh', key: 'new-data@1', error: null }]);
    expect(fired[0].runId).toMatch(/^[0-9a-f]{32}$/);
    expect(JSON.parse(await ok(['scheduler', 'run-once', '--json']))).toEqual([]);

    await ok(['alerts', 'rules', 'create', 'stale', '--metric', 'model_age_days', '--condition', '> 30', '--for', '2']);
    expect(await ok(['alerts', 'rules', 'list'])).toMatch(/stale\s+model_age_days\s+\{\}\s+> 30\s+2×/);
    expect(await ok(['alerts', 'list', '--json'])).toMatch(/^\[\]/);
  });
});
