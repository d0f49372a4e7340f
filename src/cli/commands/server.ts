import type { Command } from 'commander';
import { createLogger } from '../../core/logger.js';
import { startServer } from '../../server/start-server.js';
import { startSchedulerLoop } from '../../scheduler/scheduler-loop.js';
import { withContext } from '../main.js';

export function registerServerCommand(program: Command): void {
  program
    .command('server')
    .description('Run the Orchard server (REST API, MLflow-compatible tracking API, artifact proxy)')
    .option('--host <host>', 'address to listen on (ORCHARD_HOST)')
    .option('-p, --port <port>', 'port to listen on (ORCHARD_PORT, default 5000)')
    .option('--tick <seconds>', 'how often the scheduler evaluates alert rules and fires schedules and triggers', '15')
    .option('--no-scheduler', 'do not run the scheduler in this process')
    .action(
      withContext(async (ctx, opts: { host?: string; port?: string; tick: string; scheduler: boolean }) => {
        const logger = createLogger('info');
        const platform = await ctx.platform();
        const port = opts.port === undefined ? ctx.config.server.port : Number(opts.port);
        if (!Number.isInteger(port) || port < 0 || port > 65535) {
          ctx.err(`orchard: --port is '${opts.port}'; expected a number from 0 to 65535.`);
          return 2;
        }
        const tick = Number(opts.tick);
        if (!(tick > 0)) {
          ctx.err(`orchard: --tick is '${opts.tick}'; expected a number of seconds above 0.`);
          return 2;
        }
        const server = await startServer(platform, { host: opts.host ?? ctx.config.server.host, port, logger });
        // Every server process may tick: claims in the metadata store make each firing happen once.
        const loop = opts.scheduler ? startSchedulerLoop({ scheduler: platform.scheduler, alerts: platform.alerts, logger, intervalMs: tick * 1000 }) : undefined;
        ctx.out(`Orchard server listening on ${server.url}`);
        ctx.out(`  metadata   ${ctx.config.db}`);
        ctx.out(`  artifacts  ${ctx.config.artifacts}`);
        ctx.out(`  MLflow clients: export MLFLOW_TRACKING_URI=${server.url}`);
        await new Promise<void>((resolve) => {
          const stop = (signal: string) => {
            logger.info(`${signal} received; finishing requests in flight and closing`);
            resolve();
          };
          process.once('SIGINT', () => stop('SIGINT'));
          process.once('SIGTERM', () => stop('SIGTERM'));
        });
        await loop?.stop();
        await server.close();
      }),
    );
}
