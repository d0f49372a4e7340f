import { spawnSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { invalidArgument } from '../../core/errors.js';
import { parseParamArgs } from '../../pipelines/params.js';
import type { RunSummary, ServiceEvent, UnitSummary } from '../../pipelines/pipeline-service.js';
import { duration, json, table, time } from '../format.js';
import { withContext } from '../main.js';

const actorOf = (user: string) => ({ name: `local:${user}` });
const RUN_ID = /^[0-9a-f]{32}$/;

export function registerPipelineCommands(program: Command): void {
  program
    .command('run [pipeline]')
    .description('Run a pipeline: a file (pipeline.ts) or a pushed version (name@3, name@latest); steps run concurrently, cached results are reused')
    .option('-p, --param <key=value...>', 'parameter overrides: <key>=<value> for the pipeline, <step>.<key>=<value> for a step')
    .option('--no-cache', 'run every step, ignoring cached results')
    .option('--resume <run-id>', 'continue a stopped or failed run from its completed steps')
    .option('-c, --concurrency <n>', 'most steps at once (default: the number of cores)')
    .option('--wait', 'queue behind a run of the same pipeline in progress instead of refusing')
    .option('--pipeline <name>', 'which pipeline, when the file exports several')
    .option('--json', 'print the summary as JSON')
    .action(
      withContext(async (ctx, target: string | undefined, opts: { param?: string[]; cache: boolean; resume?: string; concurrency?: string; wait?: boolean; pipeline?: string; json?: boolean }) => {
        if (target === undefined && opts.resume === undefined) throw invalidArgument('Name a pipeline to run (a file such as pipeline.ts, or name@version), or give --resume <run-id>.');
        if (opts.resume !== undefined && !RUN_ID.test(opts.resume)) throw invalidArgument(`--resume takes a run id (32 hex characters), got '${opts.resume}'; the run id is printed when a run starts.`);
        if (opts.resume !== undefined && (opts.param ?? []).length > 0) throw invalidArgument('--param cannot change a resumed run: it continues with the parameters it started with. Start a new run to use other values.');
        const concurrency = opts.concurrency === undefined ? undefined : Number(opts.concurrency);
        if (concurrency !== undefined && (!Number.isInteger(concurrency) || concurrency < 1)) throw invalidArgument(`--concurrency must be a whole number ≥ 1, got '${opts.concurrency}'.`);
        const params = parseParamArgs(opts.param ?? []);
        const platform = await ctx.platform();
        const actor = actorOf(ctx.config.user);
        const controller = new AbortController();
        const onInterrupt = () => {
          if (controller.signal.aborted) process.exit(130);
          ctx.err('Cancelling: stopping running steps (Ctrl-C again to quit at once)…');
          controller.abort();
        };
        process.on('SIGINT', onInterrupt);
        const started = Date.now();
        const options = { params, noCache: opts.cache === false, concurrency, wait: opts.wait, signal: controller.signal, onEvent: progress(ctx.err, started) };
        try {
          let summary: RunSummary;
          if (opts.resume !== undefined) summary = await platform.pipelines.resume(actor, opts.resume, options);
          else {
            const loaded = await platform.pipelines.load(target!, { cwd: process.cwd(), pipeline: opts.pipeline });
            summary = await platform.pipelines.run(actor, loaded, options);
          }
          if (opts.json) ctx.out(json(summary));
          else ctx.out(describeSummary(summary, Date.now() - started));
          return summary.status === 'FINISHED' ? 0 : summary.status === 'KILLED' ? 130 : 1;
        } finally {
          process.off('SIGINT', onInterrupt);
        }
      }),
    );

  const pipelines = program.command('pipeline').description('Push, list and lint pipelines');
  pipelines
    .command('push <file>')
    .description('Bundle a pipeline with its packages and register it as a new version, runnable as `orchard run <name>@<version>` without the source tree')
    .option('--pipeline <name>', 'which pipeline, when the file exports several')
    .option('--json', 'print JSON')
    .action(
      withContext(async (ctx, file: string, opts: { pipeline?: string; json?: boolean }) => {
        const platform = await ctx.platform();
        const path = resolve(file);
        const r = await platform.pipelines.push(actorOf(ctx.config.user), path, { cwd: process.cwd(), pipeline: opts.pipeline, gitCommit: gitCommitOf(dirname(path)) });
        if (opts.json) return ctx.out(json({ name: r.version.name, version: r.version.version, digest: r.version.digest, gitCommit: r.version.gitCommit, created: r.created }));
        const ref = `${r.version.name}@${r.version.version}`;
        ctx.out(r.created ? `Pushed ${ref} (code ${r.version.digest.slice(0, 19)}…${r.version.gitCommit ? `, commit ${r.version.gitCommit}` : ''}); run it with \`orchard run ${ref}\`.` : `Unchanged: the code is already ${ref}.`);
      }),
    );
  pipelines
    .command('list [name]')
    .description('List pushed pipeline versions, newest first')
    .option('--json', 'print JSON')
    .action(
      withContext(async (ctx, name: string | undefined, opts: { json?: boolean }) => {
        const versions = await (await ctx.platform()).pipelines.listVersions(name);
        if (opts.json) return ctx.out(json(versions));
        ctx.out(table(['PIPELINE', 'VERSION', 'CODE', 'COMMIT', 'PUSHED', 'BY'], versions.map((v) => [v.name, String(v.version), v.digest.slice(0, 19), v.gitCommit ?? '-', time(v.createdAt), v.createdBy])));
      }),
    );
  pipelines
    .command('lint <file>')
    .description('Check a pipeline without running it: names, inputs, types, conditions, cycles')
    .option('--pipeline <name>', 'which pipeline, when the file exports several')
    .action(
      withContext(async (ctx, file: string, opts: { pipeline?: string }) => {
        const platform = await ctx.platform();
        const loaded = await platform.pipelines.load(file, { cwd: process.cwd(), pipeline: opts.pipeline });
        const issues = platform.pipelines.lint(loaded);
        if (issues.length === 0) {
          ctx.out(`Pipeline '${loaded.pipeline.name}' is fine: ${loaded.pipeline.nodes.length} steps.`);
          return 0;
        }
        ctx.err(`Pipeline '${loaded.pipeline.name}' has ${issues.length} problem${issues.length === 1 ? '' : 's'}:`);
        for (const i of issues) ctx.err(`  ${i.code}: ${i.message}`);
        return 2;
      }),
    );
}

/** Live progress on stderr, so stdout keeps only the summary. */
function progress(write: (text: string) => void, started: number): (e: ServiceEvent) => void {
  const at = () => `  [${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s]`;
  return (e) => {
    switch (e.type) {
      case 'run_started':
        return write(`${e.resumed ? 'Resuming' : 'Started'} run ${e.runId}`);
      case 'waiting':
        return write(`Waiting: run ${e.holder.runId} of this pipeline is in progress (process ${e.holder.pid} on ${e.holder.host})…`);
      case 'step_started':
        return write(`${at()} ▶ ${e.unit} started${e.attempt > 1 ? ` (attempt ${e.attempt})` : ''}`);
      case 'step_succeeded':
        return write(`${at()} ✓ ${e.unit} finished in ${duration(e.ms)}`);
      case 'step_cached':
        return write(`${at()} = ${e.unit} cached`);
      case 'step_failed':
        return write(`${at()} ✗ ${e.unit} failed: ${e.message}${e.retryInMs === undefined ? '' : ` — retrying in ${duration(e.retryInMs)}`}`);
      case 'step_skipped':
        return write(`${at()} - ${e.unit} ${e.status === 'SKIPPED' ? 'skipped' : 'not run'}: ${e.reason}`);
      case 'step_expanded':
        return write(`${at()} ⋔ ${e.unit} fans out over ${e.count} item${e.count === 1 ? '' : 's'}`);
    }
  };
}

export function describeSummary(s: RunSummary, ms?: number): string {
  const count = (status: string) => s.units.filter((u) => u.status === status && !isFanOut(s, u)).length;
  const head = `Pipeline ${s.pipeline}${s.version === null ? '' : `@${s.version}`}, run ${s.runId}: ${s.status}${ms === undefined ? '' : ` in ${duration(ms)}`} — ${count('SUCCEEDED')} succeeded, ${count('CACHED')} cached, ${count('FAILED')} failed, ${count('SKIPPED')} skipped${count('UPSTREAM_FAILED') ? `, ${count('UPSTREAM_FAILED')} not run` : ''}${count('CANCELLED') ? `, ${count('CANCELLED')} cancelled` : ''}`;
  return `${head}\n${stepTable(s.units)}`;
}

export function stepTable(units: readonly UnitSummary[]): string {
  return table(
    ['STEP', 'STATUS', 'ATTEMPTS', 'STARTED', 'DURATION', 'AFTER', 'NOTE'],
    units.map((u) => [
      u.unit,
      u.status,
      String(u.attempts),
      u.startedAt === null ? '-' : time(u.startedAt).slice(11),
      u.startedAt !== null && u.endedAt !== null ? duration(u.endedAt - u.startedAt) : '-',
      u.after.length === 0 ? '-' : u.after.join(', '),
      (u.reason ?? '').slice(0, 120),
    ]),
  );
}

function isFanOut(s: RunSummary, u: UnitSummary): boolean {
  return u.unit === u.node && s.units.some((o) => o.node === u.node && o.unit !== o.node);
}

/** The commit of the git tree holding `dir` (with `-dirty` when it has uncommitted changes), or null outside git. */
function gitCommitOf(dir: string): string | null {
  const head = spawnSync('git', ['-C', dir, 'rev-parse', 'HEAD'], { encoding: 'utf8' });
  if (head.status !== 0) return null;
  const dirty = spawnSync('git', ['-C', dir, 'status', '--porcelain'], { encoding: 'utf8' });
  return `${head.stdout.trim()}${dirty.status === 0 && dirty.stdout.trim() !== '' ? '-dirty' : ''}`;
}
