import type { Command } from 'commander';
import { table, time, json } from '../format.js';
import { withContext } from '../main.js';

export function registerExperimentCommands(program: Command): void {
  const experiments = program.command('experiments').description('List and create experiments');
  experiments
    .command('list')
    .description('List experiments')
    .option('--all', 'include deleted experiments')
    .option('--json', 'print JSON')
    .action(
      withContext(async (ctx, opts: { all?: boolean; json?: boolean }) => {
        const client = await ctx.client();
        const items = [];
        let pageToken: string | undefined;
        do {
          const page = await client.listExperiments({ viewType: opts.all ? 'ALL' : 'ACTIVE_ONLY', pageToken });
          items.push(...page.items);
          pageToken = page.nextPageToken;
        } while (pageToken);
        if (opts.json) return ctx.out(json(items));
        ctx.out(table(['ID', 'NAME', 'STAGE', 'CREATED', 'ARTIFACTS'], items.map((e) => [e.experimentId, e.name, e.lifecycleStage, time(e.creationTime), e.artifactLocation])));
      }),
    );
  experiments
    .command('create <name>')
    .description('Create an experiment (or show the existing one with that name)')
    .option('--json', 'print JSON')
    .action(
      withContext(async (ctx, name: string, opts: { json?: boolean }) => {
        const exp = await (await ctx.client()).experiment(name);
        ctx.out(opts.json ? json(exp) : `experiment ${exp.experimentId}: ${exp.name}`);
      }),
    );
}
