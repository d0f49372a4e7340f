import type { Command } from 'commander';
import { createLogger } from '../../core/logger.js';
import { startServer } from '../../server/start-server.js';
import { withContext } from '../main.js';

export function registerServerCommand(program: Command): void {
  program
    .command('server')
    .description('Run the Orchard server (REST API, MLflow-compatible tracking API, artifact proxy)')
    .option('--host <host>', 'address to listen on (ORCHARD_HOST)')
    .option('-p, --port <port>', 'port to listen on (ORCHARD_PORT, default 5000)')
    .action(
      withContext(async (ctx, opts: { host?: string; port?: string }) => {
        const logger = createLogger('info');
        const platform = await ctx.platform();
        const port = opts.port === undefined ? ctx.config.server.port : Number(opts.port);
        if (!Number.isInteger(port) || port < 0 || port > 65535) {
          ctx.err(`orchard: --port is '${opts.port}'; expected a number from 0 to 65535.`);
          return 2;
        }
        const server = await startServer(platform, { host: opts.host ?? ctx.config.server.host, port, logger });
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
        await server.close();
      }),
    );
}
