import type { Command } from 'commander';
import { createLogger } from '../../core/logger.js';
import { startSchedulerLoop } from '../../scheduler/scheduler-loop.js';
import { withContext } from '../main.js';
import { runServing } from './serve.js';

export function registerServerCommand(program: Command): void {
  program
    .command('server')
    .description('Run the Orchard server (REST API, MLflow-compatible tracking API, artifact proxy) hosting every stored endpoint')
    .option('--host <host>', 'address to listen on (ORCHARD_HOST)')
    .option('-p, --port <port>', 'port to listen on (ORCHARD_PORT, default 5000)')
    .option('--tick <seconds>', 'how often the scheduler evaluates alert rules and fires schedules and triggers', '15')
    .option('--no-scheduler', 'do not run the scheduler in this process')
    .action(
      withContext(async (ctx, opts: { host?: string; port?: string; tick: string; scheduler: boolean }) => {
        const tick = Number(opts.tick);
        if (!(tick > 0)) {
          ctx.err(`orchard: --tick is '${opts.tick}'; expected a number of seconds above 0.`);
          return 2;
        }
        const platform = await ctx.platform();
        // Every server process may tick: claims in the metadata store make each firing happen once.
        const loop = opts.scheduler ? startSchedulerLoop({ scheduler: platform.scheduler, alerts: platform.alerts, logger: createLogger('info'), intervalMs: tick * 1000 }) : undefined;
        try {
          return await runServing(ctx, opts, { endpoints: 'stored' }, (server, hub) => [
            `Orchard server listening on ${server.url}`,
            `  metadata   ${ctx.config.db}`,
            `  artifacts  ${ctx.config.artifacts}`,
            `  endpoints  ${hub.names().join(', ') || '(none)'}${hub.failures.size ? `; not serving: ${[...hub.failures.keys()].join(', ')} (see /readyz)` : ''}`,
            `  scheduler  ${loop ? `every ${tick} s` : 'off'}`,
            `  MLflow clients: export MLFLOW_TRACKING_URI=${server.url}`,
          ]);
        } finally {
          await loop?.stop();
        }
      }),
    );
}
