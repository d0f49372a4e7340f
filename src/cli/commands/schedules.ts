import type { Command } from 'commander';
import { createLogger } from '../../core/logger.js';
import { runTick } from '../../scheduler/scheduler-loop.js';
import type { CliContext } from '../context.js';
import { json, table, time } from '../format.js';
import { withContext } from '../main.js';

const collect = (v: string, prev: string[]) => [...prev, v];

/** `key=value` pairs → a record; bad pairs are reported together. */
function paramsOf(ctx: CliContext, pairs: readonly string[]): Record<string, string> | undefined {
  const bad = pairs.filter((p) => !p.includes('='));
  if (bad.length > 0) {
    ctx.err(`orchard: --param ${bad.map((b) => `'${b}'`).join(', ')} must be key=value, e.g. --param rows=100.`);
    return undefined;
  }
  return Object.fromEntries(pairs.map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)]));
}

/** Schedules, triggers and the scheduler's tick, on the local store (triggers fire through the server with ORCHARD_URL). */
export function registerScheduleCommands(program: Command): void {
  const schedules = program.command('schedules').description('Cron schedules that run pipelines');
  schedules
    .command('create <name>')
    .description('Run a pipeline (file or pushed name@version) on a cron schedule')
    .requiredOption('--cron <expression>', "five cron fields, e.g. '0 3 * * *'")
    .requiredOption('--pipeline <pipeline>', 'a pipeline file or a pushed name@version (name@latest)')
    .option('--timezone <tz>', 'IANA time zone the expression is read in', 'UTC')
    .option('--param <key=value>', 'a pipeline parameter (repeatable)', collect, [])
    .action(
      withContext(async (ctx, name: string, opts: { cron: string; pipeline: string; timezone: string; param: string[] }) => {
        const params = paramsOf(ctx, opts.param);
        if (!params) return 2;
        const p = await ctx.platform();
        const s = await p.schedules.createSchedule({ name: ctx.config.user }, { name, cron: opts.cron, timezone: opts.timezone, pipeline: opts.pipeline, params });
        ctx.out(`Created schedule ${s.name}: ${s.pipeline} at '${s.cron}' (${s.timezone}). The scheduler runs in \`orchard server\`.`);
      }),
    );
  schedules
    .command('list')
    .option('--json', 'print JSON')
    .action(
      withContext(async (ctx, opts: { json?: boolean }) => {
        const items = await (await ctx.platform()).schedules.listSchedules();
        if (opts.json) return ctx.out(json(items));
        ctx.out(table(['NAME', 'CRON', 'TZ', 'PIPELINE', 'NEXT', 'LAST'], items.map((s) => [s.name, s.cron, s.timezone, s.pipeline, s.nextAt === undefined ? '-' : time(s.nextAt), s.lastClaim ? `${s.lastClaim.key} ${s.lastClaim.runId ?? s.lastClaim.error ?? ''}` : '-'])));
      }),
    );
  schedules
    .command('delete <name>')
    .action(
      withContext(async (ctx, name: string) => {
        await (await ctx.platform()).schedules.deleteSchedule({ name: ctx.config.user }, name);
        ctx.out(`Deleted schedule ${name}.`);
      }),
    );

  const triggers = program.command('triggers').description('Run pipelines on a new dataset version, an alert firing, or a webhook call');
  triggers
    .command('create <name>')
    .requiredOption('--on <kind>', 'dataset, alert or webhook')
    .requiredOption('--pipeline <pipeline>', 'a pipeline file or a pushed name@version (name@latest)')
    .option('--match <pattern>', 'dataset name pattern (* for any characters), or the alert rule name')
    .option('--param <key=value>', 'a pipeline parameter (repeatable)', collect, [])
    .action(
      withContext(async (ctx, name: string, opts: { on: string; pipeline: string; match?: string; param: string[] }) => {
        const params = paramsOf(ctx, opts.param);
        if (!params) return 2;
        const t = await (await ctx.platform()).schedules.createTrigger({ name: ctx.config.user }, { name, kind: opts.on, pattern: opts.match ?? null, pipeline: opts.pipeline, params });
        ctx.out(`Created ${t.kind} trigger ${t.name} → ${t.pipeline}.`);
        if (t.kind === 'webhook') ctx.out(`Fire it with: curl -X POST -H "Authorization: Bearer $ORCHARD_TOKEN" <server>/api/v1/triggers/${t.name}/fire`);
      }),
    );
  triggers
    .command('list')
    .option('--json', 'print JSON')
    .action(
      withContext(async (ctx, opts: { json?: boolean }) => {
        const items = await (await ctx.platform()).schedules.listTriggers();
        if (opts.json) return ctx.out(json(items));
        const last = (t: (typeof items)[number]) => (t.lastClaim === undefined ? '-' : `${time(t.lastClaim.claimedAt)} ${t.lastClaim.runId ? `run ${t.lastClaim.runId}` : `failed: ${t.lastClaim.error ?? '?'}`}`);
        ctx.out(table(['NAME', 'ON', 'MATCH', 'PIPELINE', 'CREATED', 'LAST FIRED'], items.map((t) => [t.name, t.kind, t.pattern ?? '-', t.pipeline, time(t.createdAt), last(t)])));
      }),
    );
  triggers
    .command('delete <name>')
    .action(
      withContext(async (ctx, name: string) => {
        await (await ctx.platform()).schedules.deleteTrigger({ name: ctx.config.user }, name);
        ctx.out(`Deleted trigger ${name}.`);
      }),
    );
  triggers
    .command('fire <name>')
    .description('Fire a webhook trigger (through the server when ORCHARD_URL is set) and wait for its run locally')
    .option('--key <key>', 'an idempotency key (e.g. the CI build id): firing the same key again starts nothing')
    .action(
      withContext(async (ctx, name: string, opts: { key?: string }) => {
        if (ctx.config.url) {
          const res = await fetch(`${ctx.config.url.replace(/\/$/, '')}/api/v1/triggers/${encodeURIComponent(name)}/fire`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', ...(ctx.config.token ? { authorization: `Bearer ${ctx.config.token}` } : {}) },
            body: JSON.stringify({ key: opts.key, source: 'cli' }),
          });
          const body = (await res.json()) as { runId?: string; message?: string; duplicate?: boolean; error?: string | null };
          if (!res.ok) {
            ctx.err(`orchard: ${body.message ?? `HTTP ${res.status}`}`);
            return 1;
          }
          ctx.out(body.duplicate ? `Key already fired: run ${body.runId ?? '-'}` : body.error ? `Trigger ${name} failed to start: ${body.error}` : `Trigger ${name} started run ${body.runId}.`);
          return body.error ? 1 : 0;
        }
        const f = await (await ctx.platform()).scheduler.fire({ name: ctx.config.user }, name, { key: opts.key, source: 'cli' });
        if (f.duplicate) return ctx.out(`Key ${f.key} already fired: run ${f.runId ?? '-'}`);
        if (f.error) {
          ctx.err(`orchard: trigger ${name} failed to start: ${f.error}`);
          return 1;
        }
        ctx.out(`Trigger ${name} started run ${f.runId}; waiting for it to end.`);
        await f.finished?.catch(() => {});
      }),
    );

  program
    .command('scheduler')
    .description('The scheduler outside the server')
    .command('run-once')
    .description('Evaluate alert rules, fire what is due once, and wait for the runs it started')
    .option('--json', 'print JSON')
    .action(
      withContext(async (ctx, opts: { json?: boolean }) => {
        const p = await ctx.platform();
        const fired = await runTick(p.scheduler, p.alerts, { name: ctx.config.user }, createLogger(opts.json ? 'silent' : 'info'));
        await Promise.all(fired.map((f) => f.finished?.catch(() => {})));
        if (opts.json) return ctx.out(json(fired.map(({ finished: _f, ...rest }) => rest)));
        ctx.out(fired.length === 0 ? 'Nothing was due.' : table(['SOURCE', 'KEY', 'RUN', 'ERROR'], fired.map((f) => [f.source, f.key, f.runId ?? '-', f.error ?? ''])));
      }),
    );
}
