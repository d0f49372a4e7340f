/**
 * Pipeline overhead: a 100-step no-op pipeline through the real CLI
 * (`orchard run noop.ts`), end to end — process start, bundling, lint, tracking of
 * every step, worker processes — fresh (`--no-cache`, every step executes) and
 * fully cached, in two shapes: a chain (each step waits for the one before) and a
 * grid (ten chains of ten side by side). Side by side: the same 100 functions called in a bare
 * loop in one process, and the CLI's own start-up (`orchard --version`).
 * Needs dist/ (`npm run build`). `npm run bench -- pipeline [--reps=N] [--steps=N]`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseOptions, UsageError } from './support/parse-options.js';
import { printTable, progress, type Measurement } from './support/report.js';
import { formatMs, formatRatio, median, nowMs } from './support/stats.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin', 'orchard.js');
const OPTIONS = { reps: 'repetitions of each measurement (default 3)', steps: 'steps in the pipeline (default 100, a multiple of 10)' };
/** Target of issue 5: a 100-step no-op pipeline completes in at most 3 s. */
const TARGET_MS = 3000;

/** The no-op step body, shared by the pipeline and the bare loop so both call the same function. */
const NOOP_SOURCE = 'export const noop = (i: number): { v: number } => ({ v: i });\n';

function pipelineSource(shape: 'chain' | 'grid', steps: number): string {
  return `import { pipeline, step, types } from 'orchard';
import { noop } from './noop-fn.js';
const s = step({ name: 'noop', inputs: { x: types.number }, outputs: { v: types.number }, params: { i: 0 }, run: ({ params }) => noop(params.i) });
export default pipeline('noop-${shape}', (p) => {
  // Step i waits for step i - width: one chain, or ten chains side by side.
  const width = ${shape === 'chain' ? 1 : 10};
  const nodes: { outputs: { v: unknown } }[] = [];
  for (let i = 0; i < ${steps}; i++) {
    const x = i < width ? 0 : nodes[i - width]!.outputs.v;
    nodes.push(p.step(s, { name: 'step-' + i, inputs: { x: x as never }, params: { i } }));
  }
});
`;
}

function cli(home: string, cwd: string, args: string[]): number {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(env)) if (key.startsWith('ORCHARD_')) delete env[key];
  const t0 = nowMs();
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, env: { ...env, ORCHARD_HOME: home, ORCHARD_USER: 'bench' }, encoding: 'utf8' });
  const ms = nowMs() - t0;
  if (r.status !== 0) throw new Error(`orchard ${args.join(' ')} failed (${r.status}): ${r.stderr.slice(-2000)}`);
  return ms;
}

export async function run(args: string[]): Promise<void> {
  const options = parseOptions(args, OPTIONS, 'pipeline');
  const reps = Number(options.get('reps') ?? 3);
  const steps = Number(options.get('steps') ?? 100);
  if (!Number.isInteger(reps) || reps < 1) throw new UsageError(`--reps must be a whole number ≥ 1, got '${String(options.get('reps'))}'.`);
  if (!Number.isInteger(steps) || steps < 10 || steps % 10 !== 0) throw new UsageError(`--steps must be a multiple of 10, got '${String(options.get('steps'))}'.`);
  if (!existsSync(join(ROOT, 'dist', 'cli', 'main.js'))) throw new UsageError('dist/ is missing: run `npm run build` first; this bench runs the real CLI.');

  const dir = mkdtempSync(join(tmpdir(), 'orchard-bench-pipeline-'));
  const rows: Measurement[] = [];
  try {
    writeFileSync(join(dir, 'noop-fn.ts'), NOOP_SOURCE);
    const { noop } = (await import(pathToFileURL(join(dir, 'noop-fn.ts')).href)) as { noop: (i: number) => { v: number } };
    const loop: number[] = [];
    for (let r = 0; r < reps; r++) {
      const t0 = nowMs();
      let sink = 0;
      for (let i = 0; i < steps; i++) sink += noop(i).v;
      loop.push(nowMs() - t0);
      if (sink < 0) throw new Error('unreachable');
    }
    rows.push({ section: 'baseline', label: `bare loop over ${steps} functions`, unit: 'ms', samples: loop });
    progress('CLI start-up');
    const home = join(dir, 'home');
    rows.push({ section: 'baseline', label: 'orchard --version (process start)', unit: 'ms', samples: Array.from({ length: reps }, () => cli(home, dir, ['--version'])) });

    const perStep: { shape: string; fresh: number; cached: number }[] = [];
    for (const shape of ['chain', 'grid'] as const) {
      const file = `${shape}.ts`;
      writeFileSync(join(dir, file), pipelineSource(shape, steps));
      progress(`${shape}: warm-up run`);
      cli(home, dir, ['run', file, '--no-cache']);
      const fresh: number[] = [];
      const cached: number[] = [];
      for (let r = 0; r < reps; r++) {
        progress(`${shape}: repetition ${r + 1} of ${reps}`);
        fresh.push(cli(home, dir, ['run', file, '--no-cache']));
        cached.push(cli(home, dir, ['run', file]));
      }
      rows.push({ section: shape, label: `${steps} steps, every step executes`, unit: 'ms', samples: fresh, note: 'end to end' });
      rows.push({ section: shape, label: `${steps} steps, all cached`, unit: 'ms', samples: cached });
      perStep.push({ shape, fresh: median(fresh), cached: median(cached) });
    }

    process.stdout.write(`pipeline bench: ${steps} no-op steps, ${reps} repetitions, ${cpus().length} cores, load ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n\n`);
    printTable(rows);
    const startup = median(rows[1]!.samples);
    const bare = median(loop);
    process.stdout.write('\nper-step overhead (median end to end, minus the CLI start-up, over the number of steps):\n');
    for (const p of perStep) {
      const executed = (p.fresh - startup) / steps;
      const cachedStep = (p.cached - startup) / steps;
      process.stdout.write(
        `  ${p.shape.padEnd(5)}  executed ${formatMs(executed)} ms/step, cached ${formatMs(cachedStep)} ms/step; the bare call ${((bare / steps) * 1000).toFixed(3)} µs → ${formatRatio(executed / (bare / steps))} of it\n`,
      );
    }
    const worst = Math.max(...perStep.map((p) => p.fresh));
    process.stdout.write(`\ntarget: ${steps === 100 ? `100 steps in at most ${TARGET_MS} ms — slowest shape ${formatMs(worst)} ms: ${worst <= TARGET_MS ? 'met' : 'NOT met'}` : 'the 3 s target applies to 100 steps'}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
