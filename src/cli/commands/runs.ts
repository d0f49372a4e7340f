import type { Command } from 'commander';
import { OrchardError } from '../../core/errors.js';
import type { Orchard } from '../../sdk/orchard-client.js';
import type { Run } from '../../tracking/types.js';
import { duration, json, num, table, time } from '../format.js';
import { withContext } from '../main.js';
import { stepTable } from './pipeline.js';

export function registerRunCommands(program: Command): void {
  const runs = program.command('runs').description('List, search and inspect runs');
  runs
    .command('list')
    .description('List runs of an experiment, optionally filtered')
    .option('-e, --experiment <name-or-id>', 'experiment name or id', 'Default')
    .option('-f, --filter <filter>', "filter, e.g. \"metrics.auc > 0.8 and params.learner = 'gbdt'\"")
    .option('-o, --order-by <key...>', 'order, e.g. "metrics.auc DESC"')
    .option('-n, --max <count>', 'at most this many runs', '50')
    .option('--all', 'include deleted runs')
    .option('--json', 'print JSON')
    .action(
      withContext(async (ctx, opts: { experiment: string; filter?: string; orderBy?: string[]; max: string; all?: boolean; json?: boolean }) => {
        const client = await ctx.client();
        const experimentId = /^\d+$/.test(opts.experiment) ? opts.experiment : await experimentIdByName(client, opts.experiment);
        const page = await client.searchRuns({
          experimentIds: [experimentId],
          filter: opts.filter,
          orderBy: opts.orderBy,
          maxResults: Number(opts.max),
          viewType: opts.all ? 'ALL' : 'ACTIVE_ONLY',
        });
        if (opts.json) return ctx.out(json(page.items));
        const metricKeys = [...new Set(page.items.flatMap((r) => r.metrics.map((m) => m.key)))].sort().slice(0, 4);
        ctx.out(
          table(
            ['RUN ID', 'NAME', 'STATUS', 'STARTED', 'DURATION', ...metricKeys],
            page.items.map((r) => [
              r.info.runId,
              r.info.runName,
              r.info.status,
              time(r.info.startTime),
              r.info.endTime === null ? '-' : duration(r.info.endTime - r.info.startTime),
              ...metricKeys.map((k) => {
                const m = r.metrics.find((x) => x.key === k);
                return m ? num(m.value) : '';
              }),
            ]),
          ),
        );
        if (page.nextPageToken) ctx.out(`(more runs: raise --max)`);
      }),
    );
  runs
    .command('show <run-id>')
    .description('Show a run: info, params, latest metrics, tags and artifacts; for a pipeline run, its steps with status and timings')
    .option('--json', 'print JSON')
    .action(
      withContext(async (ctx, runId: string, opts: { json?: boolean }) => {
        const client = await ctx.client();
        const run = await client.getRun(runId);
        const artifacts = await client.listArtifacts(runId);
        const isPipeline = run.tags.some((t) => t.key === 'orchard.kind' && t.value === 'pipeline');
        // The step graph lives in the store; through a server, the step runs (children) stand in for it.
        const steps = !isPipeline ? undefined : ctx.config.url === undefined ? await (await ctx.platform()).pipelines.summary(runId) : await childRuns(client, run);
        if (opts.json) return ctx.out(json({ ...run, artifacts, ...(steps ? { steps: 'units' in steps ? steps.units : steps } : {}) }));
        ctx.out(describeRun(run));
        ctx.out(`\nartifacts:\n${artifacts.length === 0 ? '  (none)' : artifacts.map((a) => `  ${a.path}${a.isDir ? '/' : `  (${a.size} bytes)`}`).join('\n')}`);
        if (steps && 'units' in steps) ctx.out(`\nsteps (${steps.status}):\n${indent(stepTable(steps.units))}`);
        else if (steps) {
          ctx.out(`\nstep runs:\n${indent(table(['RUN ID', 'STEP', 'STATUS', 'DURATION'], steps.map((r) => [r.info.runId, r.info.runName, r.info.status, r.info.endTime === null ? '-' : duration(r.info.endTime - r.info.startTime)])))}`);
        }
      }),
    );
}

const indent = (text: string) => text.split('\n').map((l) => `  ${l}`).join('\n');

async function childRuns(client: Orchard, run: Run): Promise<readonly Run[]> {
  const page = await client.searchRuns({ experimentIds: [run.info.experimentId], filter: `tags.mlflow.parentRunId = '${run.info.runId}'`, orderBy: ['attributes.start_time ASC'], maxResults: 10_000 });
  return page.items;
}

async function experimentIdByName(client: Orchard, name: string): Promise<string> {
  const found = await client.findExperiment(name);
  if (!found) throw new OrchardError('NOT_FOUND', `No experiment named '${name}'; see \`orchard experiments list\`.`);
  return found.experimentId;
}

function describeRun(run: Run): string {
  const i = run.info;
  const lines = [
    `run ${i.runId}  ${i.runName}`,
    `  experiment  ${i.experimentId}`,
    `  status      ${i.status}${i.lifecycleStage === 'deleted' ? ' (deleted)' : ''}`,
    `  user        ${i.userId}`,
    `  started     ${time(i.startTime)}`,
    `  ended       ${time(i.endTime)}${i.endTime === null ? '' : `  (${duration(i.endTime - i.startTime)})`}`,
    `  artifacts   ${i.artifactUri}`,
    ...(i.parentRunId ? [`  parent      ${i.parentRunId}`] : []),
    '',
    'params:',
    ...(run.params.length === 0 ? ['  (none)'] : run.params.map((p) => `  ${p.key} = ${p.value}`)),
    '',
    'metrics (latest):',
    ...(run.metrics.length === 0 ? ['  (none)'] : run.metrics.map((m) => `  ${m.key} = ${num(m.value)}  (step ${m.step})`)),
    '',
    'tags:',
    ...(run.tags.length === 0 ? ['  (none)'] : run.tags.map((t) => `  ${t.key} = ${t.value}`)),
  ];
  return lines.join('\n');
}
