import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { invalidArgument } from '../../core/errors.js';
import { parseDriftOptions } from '../../monitoring/drift-methods.js';
import { FEATURE_HEADERS, featureRows, renderDriftHtml, performanceLine, renderDriftJson, summaryLine } from '../../monitoring/drift-report.js';
import type { WindowSpec } from '../../monitoring/monitor-service.js';
import { monitorParams, monitorTarget } from '../../scheduler/monitor-schedule.js';
import type { MonitorResult } from '../../monitoring/monitor-types.js';
import { json, table, time } from '../format.js';
import { withContext } from '../main.js';

const collect = (value: string, previous: string[]) => [...previous, value];

function windowOf(opts: { window?: string; last?: string }): WindowSpec {
  if (opts.window !== undefined && opts.last !== undefined) throw invalidArgument('Give either --window (a duration such as 1h) or --last (a number of predictions), not both.');
  if (opts.last !== undefined) {
    if (!/^[1-9]\d*$/.test(opts.last)) throw invalidArgument(`--last must be a positive whole number of predictions, got '${opts.last}'.`);
    return { last: Number(opts.last) };
  }
  return { duration: opts.window ?? '1h' };
}

function printResult(out: (text: string) => void, result: MonitorResult): void {
  out(summaryLine(result));
  out(performanceLine(result));
  for (const m of result.messages) out(`  ${m}`);
  out('');
  out(table(FEATURE_HEADERS, featureRows(result)));
  if (result.quality.length > 0) {
    out('\ndata quality:');
    for (const q of result.quality) out(`  ${q.kind}: ${q.message}`);
  }
}

export function registerMonitorCommands(program: Command): void {
  const monitor = program.command('monitor').description("Drift and data quality of an endpoint's predictions against a reference");

  monitor
    .command('run <endpoint>')
    .description("Compare a window of the endpoint's prediction log with a reference and store the result")
    .option('--reference <ref>', 'a dataset version (flights@1) or a window of the log (log:<ISO from>..<ISO to>); default: the last one used')
    .option('--window <duration>', 'the last duration of the log, e.g. 30m, 1h, 7d (default 1h)')
    .option('--last <n>', 'the last n predictions instead of a duration')
    .option('--feature <name>', 'compare only this feature (repeatable; default: every logged feature)', collect, [])
    .option('--stattest <feature=method[:threshold]>', 'override the drift method of a feature: ks, chisquare, z, wasserstein, jensenshannon, psi, linf (repeatable)', collect, [])
    .option('--drift-share <share>', 'share of drifting features that makes the dataset drift (default 0.5)')
    .option('--json', 'print JSON')
    .action(
      withContext(async (ctx, endpoint: string, opts: { reference?: string; window?: string; last?: string; feature: string[]; stattest: string[]; driftShare?: string; json?: boolean }) => {
        const window = windowOf(opts);
        const options = parseDriftOptions(opts.stattest, opts.driftShare);
        const platform = await ctx.platform();
        const { result, record } = await platform.monitoring.run(endpoint, { reference: opts.reference, window, features: opts.feature.length > 0 ? opts.feature : undefined, options });
        if (opts.json) return ctx.out(renderDriftJson(result));
        printResult(ctx.out, result);
        ctx.out(`\nstored as result ${record.id}; report: orchard monitor report ${endpoint} --output drift.html`);
      }),
    );

  monitor
    .command('schedule <endpoint>')
    .description("Run the endpoint's monitor on a cron schedule (in `orchard server`'s scheduler, exactly once per tick across servers)")
    .requiredOption('--cron <expression>', "five cron fields, e.g. '*/15 * * * *'")
    .option('--name <name>', 'the schedule name (default monitor-<endpoint>)')
    .option('--timezone <tz>', 'IANA time zone the expression is read in', 'UTC')
    .option('--reference <ref>', 'a dataset version, model:<name>@<alias> (its training data) or log:<from>..<to>; default: the last one used')
    .option('--window <duration>', 'the last duration of the log at each run, e.g. 15m, 1h (default 1h)')
    .option('--last <n>', 'the last n predictions at each run instead of a duration')
    .option('--feature <name>', 'compare only this feature (repeatable)', collect, [])
    .action(
      withContext(async (ctx, endpoint: string, opts: { cron: string; name?: string; timezone: string; reference?: string; window?: string; last?: string; feature: string[] }) => {
        const params = monitorParams({ reference: opts.reference, window: windowOf(opts), features: opts.feature });
        const s = await (await ctx.platform()).schedules.createSchedule({ name: ctx.config.user }, { name: opts.name ?? `monitor-${endpoint}`, cron: opts.cron, timezone: opts.timezone, pipeline: monitorTarget(endpoint), params });
        ctx.out(`Created schedule ${s.name}: the monitor of ${endpoint} at '${s.cron}' (${s.timezone}), window ${s.params.window}${s.params.reference ? `, reference ${s.params.reference}` : ''}. The scheduler runs in \`orchard server\` (or once: \`orchard scheduler run-once\`).`);
      }),
    );

  monitor
    .command('show <endpoint>')
    .description("Print the endpoint's latest monitor result, per feature; --history lists earlier ones")
    .option('--history <n>', 'list the last n results instead (the drift time series)')
    .option('--json', 'print JSON')
    .action(
      withContext(async (ctx, endpoint: string, opts: { history?: string; json?: boolean }) => {
        const platform = await ctx.platform();
        if (opts.history !== undefined) {
          if (!/^[1-9]\d*$/.test(opts.history)) throw invalidArgument(`--history must be a positive whole number, got '${opts.history}'.`);
          const records = await platform.monitoring.history(endpoint, Number(opts.history));
          // The series with each window's live performance (null until its labels arrive).
          const series = records.map(({ resultJson, ...r }) => ({ ...r, performance: (JSON.parse(resultJson) as MonitorResult).performance ?? null }));
          if (opts.json) return ctx.out(json(series));
          const f = (x: number | null | undefined) => (x === null || x === undefined ? '-' : x.toFixed(4));
          return ctx.out(
            table(
              ['ID', 'COMPUTED', 'WINDOW FROM', 'WINDOW TO', 'ROWS', 'REFERENCE', 'DRIFTED SHARE', 'DATASET DRIFT', 'LABELLED', 'LIVE AUC', 'LOG LOSS'],
              series.map((r) => [String(r.id), time(r.computedAt), time(r.windowFrom), time(r.windowTo), r.windowRows.toLocaleString('en-US'), r.reference, r.driftedShare.toFixed(2), r.datasetDrifted ? 'yes' : 'no', r.performance ? r.performance.labelled.toLocaleString('en-US') : '-', f(r.performance?.auc), f(r.performance?.logLoss)]),
            ),
          );
        }
        const result = await platform.monitoring.latest(endpoint);
        if (opts.json) return ctx.out(renderDriftJson(result));
        printResult(ctx.out, result);
      }),
    );

  monitor
    .command('report <endpoint>')
    .description("Write the endpoint's latest monitor result as a self-contained HTML report (charts of aggregates, no rows) or JSON")
    .requiredOption('--output <file>', 'where to write it; .json writes JSON, anything else HTML')
    .action(
      withContext(async (ctx, endpoint: string, opts: { output: string }) => {
        const platform = await ctx.platform();
        const result = await platform.monitoring.latest(endpoint);
        // The last 50 runs as the report's history charts (drift share and live performance over time).
        const history = (await platform.monitoring.history(endpoint, 50)).map((r) => ({ computedAt: r.computedAt, driftedShare: r.driftedShare, performance: (JSON.parse(r.resultJson) as MonitorResult).performance ?? null }));
        const file = resolve(opts.output);
        writeFileSync(file, file.endsWith('.json') ? renderDriftJson(result) + '\n' : renderDriftHtml(result, history));
        ctx.out(`Wrote ${file}`);
      }),
    );
}
