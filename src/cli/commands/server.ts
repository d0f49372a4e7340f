import type { Command } from 'commander';
import { withContext } from '../main.js';
import { runServing } from './serve.js';

export function registerServerCommand(program: Command): void {
  program
    .command('server')
    .description('Run the Orchard server (REST API, MLflow-compatible tracking API, artifact proxy) hosting every stored endpoint')
    .option('--host <host>', 'address to listen on (ORCHARD_HOST)')
    .option('-p, --port <port>', 'port to listen on (ORCHARD_PORT, default 5000)')
    .action(
      withContext(async (ctx, opts: { host?: string; port?: string }) =>
        runServing(ctx, opts, { endpoints: 'stored' }, (server, hub) => [
          `Orchard server listening on ${server.url}`,
          `  metadata   ${ctx.config.db}`,
          `  artifacts  ${ctx.config.artifacts}`,
          `  endpoints  ${hub.names().join(', ') || '(none)'}${hub.failures.size ? `; not serving: ${[...hub.failures.keys()].join(', ')} (see /readyz)` : ''}`,
          `  MLflow clients: export MLFLOW_TRACKING_URI=${server.url}`,
        ]),
      ),
    );
}
