import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/core/config.js';
import { createOrchard } from '../../src/orchard.js';
import { tempDir } from '../support/temp.js';

/** Pipelines through the real CLI, as a user runs them. Needs dist/ (`npm test` builds it). */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'bin', 'orchard.js');

const SLOW = (trace: string, release: string) => `
import { appendFileSync, existsSync } from 'node:fs';
import { pipeline, step, types } from 'orchard';

const trace = (name: string) => appendFileSync(${JSON.stringify(trace)}, name + ' ' + process.pid + '\\n');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const extract = step({ name: 'extract', outputs: { v: types.number }, params: { seed: 1 }, run: ({ params }) => { trace('extract'); return { v: params.seed }; } });
const prepare = step({ name: 'prepare', inputs: { v: types.number }, outputs: { v: types.number }, run: ({ inputs }) => { trace('prepare'); return { v: inputs.v + 1 }; } });
const train = step({
  name: 'train',
  inputs: { v: types.number },
  outputs: { v: types.number },
  run: async ({ inputs }) => {
    trace('train');
    while (!existsSync(${JSON.stringify(release)})) await sleep(50);
    return { v: inputs.v * 10 };
  },
});
const register = step({ name: 'register', inputs: { v: types.number }, outputs: { v: types.number }, run: ({ inputs }) => { trace('register'); return { v: inputs.v }; } });

export default pipeline('slow', { params: { seed: 1 } }, (p) => {
  const e = p.step(extract, { params: { seed: p.params.seed } });
  const pr = p.step(prepare, { inputs: { v: e.outputs.v } });
  const t = p.step(train, { inputs: { v: pr.outputs.v } });
  p.step(register, { inputs: { v: t.outputs.v } });
});
`;

describe('orchard run from the command line', () => {
  const dir = tempDir('orchard-pipeline-e2e-');
  const home = join(dir.path, 'home');
  const trace = join(dir.path, 'trace.log');
  const release = join(dir.path, 'release');
  const env = () => {
    const e: NodeJS.ProcessEnv = { ...process.env };
    for (const key of Object.keys(e)) if (key.startsWith('ORCHARD_')) delete e[key];
    return { ...e, ORCHARD_HOME: home, ORCHARD_USER: 'e2e' };
  };
  const run = (cwd: string, ...args: string[]) => {
    const r = spawnSync(process.execPath, [BIN, ...args], { cwd, env: env(), encoding: 'utf8', timeout: 120_000 });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const start = (cwd: string, ...args: string[]) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
    const out = { stdout: '', stderr: '' };
    child.stdout!.on('data', (d: Buffer) => (out.stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out.stderr += d.toString()));
    return { child, out, exited: new Promise<number | null>((r) => child.once('exit', (code) => r(code))) };
  };
  const traced = () => (existsSync(trace) ? readFileSync(trace, 'utf8').trim().split('\n').filter(Boolean) : []);
  const until = async (what: string, test: () => boolean) => {
    for (let i = 0; i < 1200 && !test(); i++) await new Promise((r) => setTimeout(r, 50));
    if (!test()) throw new Error(`timed out waiting for ${what}`);
  };
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };

  beforeAll(() => {
    if (!existsSync(join(ROOT, 'dist', 'cli', 'main.js'))) throw new Error('dist/ is missing: run `npm run build` first (`npm test` does).');
    writeFileSync(join(dir.path, 'slow.ts'), SLOW(trace, release));
  });
  afterAll(() => dir.cleanup());

  let runId = '';

  it('resumes a run whose runner was killed with SIGKILL during training, and runs no finished step again', async () => {
    const first = start(dir.path, 'run', 'slow.ts');
    await until('training to start', () => traced().some((l) => l.startsWith('train ')));
    runId = /Started run ([0-9a-f]{32})/.exec(first.out.stderr)?.[1] ?? '';
    expect(runId).toMatch(/^[0-9a-f]{32}$/);
    first.child.kill('SIGKILL');
    await first.exited;
    // The worker training when its runner died ends too: no step keeps running without a runner.
    const trainPid = Number(traced().find((l) => l.startsWith('train '))!.split(' ')[1]);
    await until('the orphaned worker to end', () => !alive(trainPid));

    writeFileSync(release, '');
    const resumed = run(dir.path, 'run', '--resume', runId);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain(`Resuming run ${runId}`);
    expect(resumed.stdout).toMatch(/Pipeline slow, run [0-9a-f]{32}: FINISHED .* — 4 succeeded, 0 cached/);
    expect(traced().map((l) => l.split(' ')[0])).toEqual(['extract', 'prepare', 'train', 'train', 'register']);

    // From the store: every finished step has one attempt and one step run; training has the lost attempt and the one that finished.
    const platform = await createOrchard(loadConfig({ ORCHARD_HOME: home }, dir.path));
    try {
      const attempts = await platform.store.pipelines.listAttempts(runId);
      expect(attempts.map((a) => [a.unit, a.attempt, a.status])).toEqual([
        ['extract', 1, 'SUCCEEDED'],
        ['prepare', 1, 'SUCCEEDED'],
        ['register', 1, 'SUCCEEDED'],
        ['train', 1, 'LOST'],
        ['train', 2, 'SUCCEEDED'],
      ]);
      const parent = await platform.tracking.getRun(runId);
      expect(parent.info.status).toBe('FINISHED');
      const children = await platform.tracking.searchRuns({ experimentIds: [parent.info.experimentId], filter: `tags.mlflow.parentRunId = '${runId}'` });
      expect(children.items.map((r) => r.info.runName).sort()).toEqual(['extract', 'prepare', 'register', 'train']);
      const steps = await platform.store.pipelines.listSteps(runId);
      expect(steps.find((s) => s.unit === 'register')!.outputs).toEqual({ v: { kind: 'value', value: 20 } });
    } finally {
      await platform.close();
    }

    const show = run(dir.path, 'runs', 'show', runId);
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toMatch(/steps \(FINISHED\):/);
    expect(show.stdout).toMatch(/train\s+SUCCEEDED\s+2\s+\S+\s+\S+( ms| s)\s+prepare/);
    expect(show.stdout).toMatch(/register\s+SUCCEEDED\s+1 /);
    const again = run(dir.path, 'run', 'slow.ts');
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/0 succeeded, 4 cached/);
  });

  it('refuses a second run of a pipeline while one is in progress, and cancels a run on Ctrl-C', async () => {
    rmSync(release);
    const before = traced().filter((l) => l.startsWith('train ')).length;
    const first = start(dir.path, 'run', 'slow.ts', '--param', 'seed=2');
    await until('training to start', () => traced().filter((l) => l.startsWith('train ')).length > before);
    const firstId = /Started run ([0-9a-f]{32})/.exec(first.out.stderr)![1]!;
    const second = run(dir.path, 'run', 'slow.ts', '--param', 'seed=3');
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`Pipeline 'slow' already has a run in progress: run ${firstId}, by process ${first.child.pid} on`);
    const resumeTwice = run(dir.path, 'run', '--resume', firstId);
    expect(resumeTwice.code).toBe(1);
    expect(resumeTwice.stderr).toContain(`Run ${firstId} of pipeline 'slow' is already being run by process ${first.child.pid}`);

    first.child.kill('SIGINT');
    expect(await first.exited).toBe(130);
    expect(first.out.stderr).toContain('Cancelling');
    expect(first.out.stdout).toMatch(new RegExp(`run ${firstId}: KILLED`));
    expect(first.out.stdout).toMatch(/train\s+CANCELLED/);
    expect(first.out.stdout).toMatch(/register\s+CANCELLED/);
  });

  it('pushes a pipeline with its packages and runs a version from another folder without the source', async () => {
    const src = join(dir.path, 'src');
    const elsewhere = join(dir.path, 'elsewhere');
    mkdirSync(join(src, 'node_modules', 'tiny-greeting'), { recursive: true });
    mkdirSync(elsewhere);
    writeFileSync(join(src, 'node_modules', 'tiny-greeting', 'package.json'), JSON.stringify({ name: 'tiny-greeting', version: '1.0.0', type: 'module', main: 'index.js' }));
    writeFileSync(join(src, 'node_modules', 'tiny-greeting', 'index.js'), "export const greet = (n) => 'hello ' + n;\n");
    writeFileSync(join(src, 'words.ts'), "export const WORD = 'one';\n");
    writeFileSync(
      join(src, 'hello.ts'),
      `import { greet } from 'tiny-greeting';
       import { pipeline, step, types } from 'orchard';
       import { WORD } from './words.js';
       const say = step({ name: 'say', outputs: { text: types.string }, run: () => ({ text: greet(WORD) }) });
       export default pipeline('hello', (p) => { p.step(say); });`,
    );
    const git = (...args: string[]) => spawnSync('git', ['-C', src, ...args], { encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@e', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@e' } });
    git('init', '-q');
    writeFileSync(join(src, '.gitignore'), 'node_modules\n');
    git('add', '.');
    git('commit', '-qm', 'hello');
    const commit = git('rev-parse', 'HEAD').stdout.trim();

    const pushed = run(src, 'pipeline', 'push', 'hello.ts', '--json');
    expect(pushed.code, pushed.stderr).toBe(0);
    expect(JSON.parse(pushed.stdout)).toMatchObject({ name: 'hello', version: 1, created: true, gitCommit: commit });
    expect(run(src, 'pipeline', 'push', 'hello.ts').stdout).toContain('Unchanged: the code is already hello@1.');
    writeFileSync(join(src, 'words.ts'), "export const WORD = 'two';\n");
    expect(run(src, 'pipeline', 'push', 'hello.ts').stdout).toMatch(/^Pushed hello@2 \(code sha256:[0-9a-f]{12}…, commit [0-9a-f]{40}-dirty\)/);

    rmSync(src, { recursive: true });
    const list = run(elsewhere, 'pipeline', 'list');
    expect(list.stdout).toMatch(/hello\s+2\s+sha256:/);
    expect(list.stdout).toMatch(/hello\s+1\s+sha256:\S+\s+[0-9a-f]{40}\s/);
    const said: Record<string, unknown> = {};
    for (const [version, word] of [['1', 'one'], ['2', 'two'], ['latest', 'two']] as const) {
      const r = run(elsewhere, 'run', `hello@${version}`, '--json');
      expect(r.code, r.stderr).toBe(0);
      const summary = JSON.parse(r.stdout) as { runId: string; status: string; version: number };
      expect(summary).toMatchObject({ status: 'FINISHED', version: version === 'latest' ? 2 : Number(version) });
      said[summary.runId] = `hello ${word}`;
      const show = JSON.parse(run(elsewhere, 'runs', 'show', summary.runId, '--json').stdout) as { steps: { stepRunId: string }[] };
      const step = JSON.parse(run(elsewhere, 'runs', 'show', show.steps[0]!.stepRunId, '--json').stdout) as { tags: { key: string; value: string }[] };
      expect(step.tags).toContainEqual({ key: 'orchard.step.cache_key', value: expect.stringMatching(/^sha256:/) });
      expect(r.stderr).toMatch(/say (finished|cached)/);
      if (version !== 'latest') expect(r.stderr).toContain('say finished');
    }
    // Each version ran its own code: the helper module and the package were bundled in.
    const platform = await createOrchard(loadConfig({ ORCHARD_HOME: home }, elsewhere));
    try {
      for (const [runId, text] of Object.entries(said)) {
        const [say] = await platform.store.pipelines.listSteps(runId);
        expect(say!.outputs).toEqual({ text: { kind: 'value', value: text } });
      }
    } finally {
      await platform.close();
    }
    const missing = run(elsewhere, 'run', 'hello@7');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("Pipeline 'hello' has no version 7; its versions are 2, 1.");
  });

  it('runs the example pipeline, with its condition false when there are few words', () => {
    const example = join(ROOT, 'examples', 'pipelines', 'basics.ts');
    const r = run(dir.path, 'run', example);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Pipeline basics, run [0-9a-f]{32}: FINISHED .* — 6 succeeded, 0 cached, 0 failed, 0 skipped/);
    const few = run(dir.path, 'run', example, '--param', 'words=fig,kiwi');
    expect(few.stdout).toMatch(/total\s+SKIPPED\s+0 .*condition count\.lines >= 3 is false \(the value is 2\)/);
  });

  it('explains bad input with status 2 and runs nothing', () => {
    writeFileSync(join(dir.path, 'broken.ts'), `import { pipeline, step, types } from 'orchard';
      const s = step({ name: 's', inputs: { x: types.number }, run: () => {} });
      export default pipeline('broken', (p) => { p.step(s, { inputs: {} as never }); p.step(s, { inputs: { x: 1 } }); });`);
    const linted = run(dir.path, 'pipeline', 'lint', 'broken.ts');
    expect(linted.code).toBe(2);
    expect(linted.stderr).toContain("Pipeline 'broken' has 2 problems:");
    expect(linted.stderr).toContain("missing_input: step 's' needs input 'x' (number) but nothing feeds it");
    expect(linted.stderr).toContain("duplicate_name: 2 steps are named 's'");
    const broken = run(dir.path, 'run', 'broken.ts');
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/^orchard: Invalid pipeline 'broken' \(2 problems\)/);
    const badParam = run(dir.path, 'run', 'slow.ts', '--param', 'seed=lots');
    expect(badParam.code).toBe(2);
    expect(badParam.stderr).toContain("parameter 'seed' must be a number, e.g. 0.05, got 'lots'");
    expect(run(dir.path, 'run').stderr).toContain('Name a pipeline to run');
    expect(run(dir.path, 'run', 'nothing-here').stderr).toContain("no pushed pipeline named 'nothing-here'");
  });
});

