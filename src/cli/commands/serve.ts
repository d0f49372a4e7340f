import type { Command } from 'commander';
import { createLogger, type Logger } from '../../core/logger.js';
import type { Platform } from '../../orchard.js';
import { startServer, type RunningServer } from '../../server/start-server.js';
import { parseEndpointSpec } from '../../serving/endpoint-spec.js';
import { parseModelRef } from '../../serving/model-ref.js';
import { ServingHub, type ServingHubOptions } from '../../serving/serving-hub.js';
import type { CliContext } from '../context.js';
import { withContext } from '../main.js';

interface ServeOptions {
  host?: string;
  port?: string;
  name?: string;
  maxBatch?: string;
  maxWait?: string;
  maxQueue?: string;
  timeout?: string;
  log: boolean;
  poll?: string;
}

/** `orchard serve <model>@<alias|version>`: one endpoint, not stored, on its own server. */
export function registerServeCommand(program: Command): void {
  program
    .command('serve <model>')
    .description('Serve a model (flights@champion, flights@3 or a run id) over HTTP: Orchard JSON, MLflow /invocations, Open Inference Protocol v2; follows its alias')
    .option('--host <host>', 'address to listen on (ORCHARD_HOST)')
    .option('-p, --port <port>', 'port to listen on (ORCHARD_PORT, default 5000)')
    .option('--name <name>', 'endpoint name (default: the model name)')
    .option('--max-batch <rows>', 'most rows per model call', '256')
    .option('--max-wait <ms>', 'how long a lone request waits for company', '0')
    .option('--max-queue <rows>', 'most rows waiting; past it requests get 429', '20000')
    .option('--timeout <ms>', 'per-request timeout', '10000')
    .option('--poll <ms>', 'how often the alias is re-read', '2000')
    .option('--no-log', 'do not write the prediction log')
    .action(
      withContext(async (ctx, model: string, opts: ServeOptions) => {
        const ref = parseModelRef(model);
        const spec = parseEndpointSpec({
          name: opts.name ?? (ref.kind === 'run' ? `run-${ref.runId.slice(0, 8)}` : ref.name),
          model,
          batching: { maxBatchSize: Number(opts.maxBatch), maxWaitMs: Number(opts.maxWait), maxQueueRows: Number(opts.maxQueue) },
          timeoutMs: Number(opts.timeout),
          log: opts.log,
        });
        return runServing(ctx, opts, { endpoints: [spec], pollMs: Number(opts.poll ?? 2000) }, (server, hub) => [
          `Serving ${model} as endpoint '${spec.name}' on ${server.url}`,
          ...hub.get(spec.name).loaded().map((m) => `  ${m.role}  ${m.served.model} version ${m.served.version ?? '-'} (${m.served.digest.slice(0, 19)}…)`),
          `  POST ${server.url}/predict  {"rows":[{…}]}    POST ${server.url}/invocations    POST ${server.url}/v2/models/${spec.name}/infer`,
        ]);
      }),
    );
}

/**
 * Starts a server with a serving hub, prints `banner`, waits for SIGINT or SIGTERM, then shuts
 * down in order: stop taking requests and finish those in flight, close the models, flush the
 * prediction log — so every prediction answered with a 2xx is in the log before exit.
 */
export async function runServing(ctx: CliContext, opts: { host?: string; port?: string }, hubOptions: ServingHubOptions, banner: (server: RunningServer, hub: ServingHub) => string[]): Promise<number | void> {
  const logger = createLogger('info');
  const port = opts.port === undefined ? ctx.config.server.port : Number(opts.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    ctx.err(`orchard: --port is '${opts.port}'; expected a number from 0 to 65535.`);
    return 2;
  }
  const platform = await ctx.platform();
  const hub = await ServingHub.start(platform, { ...hubOptions, logger });
  let server: RunningServer;
  try {
    server = await startServer(platform, { host: opts.host ?? ctx.config.server.host, port, logger, serving: hub });
  } catch (error) {
    await hub.close();
    throw error;
  }
  for (const line of banner(server, hub)) ctx.out(line);
  await waitForSignal(logger);
  await shutdown(server, hub, platform, logger);
}

async function shutdown(server: RunningServer, hub: ServingHub, _platform: Platform, logger: Logger): Promise<void> {
  await server.close();
  const buffered = hub.log.buffered;
  await hub.close();
  logger.info(`Stopped; ${buffered} buffered prediction log rows written (${hub.log.written} in total)`);
}

function waitForSignal(logger: Logger): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      logger.info(`${signal} received; finishing requests in flight, then writing the prediction log`);
      resolve();
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
}
