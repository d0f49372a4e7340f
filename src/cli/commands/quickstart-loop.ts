import { createLogger } from '../../core/logger.js';
import { invalidArgument } from '../../core/errors.js';
import { startServer } from '../../server/start-server.js';
import { parseEndpointSpec } from '../../serving/endpoint-spec.js';
import { ServingHub } from '../../serving/serving-hub.js';
import { CLOSED_LOOP_DEFAULTS, runClosedLoop, type ReplayTarget } from '../../quickstart/closed-loop.js';
import type { CliContext } from '../context.js';
import { duration, num, table } from '../format.js';

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
import { stageReporter } from '../progress.js';

export interface LoopQuickstartOptions {
  readonly serve?: boolean;
  readonly port: string;
  readonly trainRows?: string;
  readonly replayRows?: string;
}

/**
 * `orchard quickstart`: the closed loop on flights-3m with the real services —
 * datasets, training, the registry, an HTTP endpoint following `flights@champion`,
 * the prediction log and drift monitor, retraining, the gate and promotion.
 */
export async function runLoopQuickstart(ctx: CliContext, opts: LoopQuickstartOptions): Promise<void> {
  const began = Date.now();
  const count = (text: string | undefined, fallback: number, what: string) => {
    if (text === undefined) return fallback;
    const n = Number(text);
    if (!Number.isInteger(n) || n < 1000) throw invalidArgument(`--${what} must be a whole number ≥ 1000, got '${text}'.`);
    return n;
  };
  const options = { ...CLOSED_LOOP_DEFAULTS, trainRows: count(opts.trainRows, CLOSED_LOOP_DEFAULTS.trainRows, 'train-rows'), replayRows: count(opts.replayRows, CLOSED_LOOP_DEFAULTS.replayRows, 'replay-rows') };
  ctx.out('Orchard quickstart: the closed loop on flights-3m — train, register, serve, replay March–June, watch, retrain, promote.\n');
  const say = stageReporter((line) => ctx.out(line));
  const platform = await ctx.platform();
  const actor = { name: `local:${ctx.config.user}` };
  let hub: ServingHub | undefined;
  let server: Awaited<ReturnType<typeof startServer>> | undefined;
  const token = ctx.config.token;
  try {
    const serve = async (model: string): Promise<ReplayTarget> => {
      const spec = parseEndpointSpec({ name: 'flights', model, batching: { maxBatchSize: 1024, maxWaitMs: 0, maxQueueRows: 100_000 }, timeoutMs: 30_000, log: true });
      hub = await ServingHub.start(platform, { endpoints: [spec], pollMs: 1000 });
      server = await startServer(platform, { host: '127.0.0.1', port: Number(opts.port), logger: createLogger('warn'), serving: hub });
      say(`  endpoint 'flights' on ${server.url} (POST /predict, /invocations, /v2/models/flights/infer; /metrics)`);
      const url = `${server.url}/api/v1/endpoints/flights/predict`;
      return {
        predict: async (rows, requestId) => {
          const response = await fetch(url, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-request-id': requestId, ...(token ? { authorization: `Bearer ${token}` } : {}) },
            body: JSON.stringify({ rows }),
          });
          const body = (await response.json()) as { predictions?: number[]; version?: number | null; message?: string };
          if (!response.ok) throw new Error(`The endpoint answered ${response.status}: ${body.message ?? JSON.stringify(body).slice(0, 300)}`);
          return { predictions: body.predictions!, version: body.version ?? null };
        },
        flushLog: () => hub!.log.flush(),
        follow: () => hub!.refresh(),
      };
    };
    const result = await runClosedLoop(platform, actor, options, serve, say);

    ctx.out(`\nDone in ${duration(Date.now() - began)}.`);
    ctx.out(table(
      ['MONTH', 'ROWS', 'SERVED BY', 'LIVE AUC', 'LOG LOSS', 'DELAYED', 'PREDICTED', 'DRIFTED FEATURES', 'ACTION'],
      result.months.map((m) => [m.month, m.rows.toLocaleString('en-US'), `v${m.version}`, m.auc.toFixed(4), m.logLoss.toFixed(4), pct(m.observed), pct(m.expected), `${Math.round(m.driftedShare * 100)}%`, m.action.replace(/ \(.*\)$/, '')]),
    ));
    ctx.out(`\n  model versions  ${result.versions.map((v) => `v${v.version} (${v.trainedOn})`).join(', ')}; champion v${result.versions[result.versions.length - 1]!.version}`);
    ctx.out(`  training AUC    ${num(result.trainAuc)} (January–February model on March)`);
    ctx.out(`  alerts          ${result.alerts.length ? result.alerts.join('; ') : 'none'}`);
    ctx.out(`  stored in       ${ctx.config.db} and ${ctx.config.artifacts}`);
    ctx.out('\nNext:');
    ctx.out('  npx orchard models show flights                   versions, aliases, lineage to datasets');
    ctx.out('  npx orchard runs list -e quickstart               the training runs and their metrics');
    ctx.out('  npx orchard monitor show flights --history 10     drift per replayed month');
    ctx.out('  npx orchard monitor report flights --output drift.html');
    ctx.out('  npx orchard run examples/flights/pipeline.ts      the same path as a cached, resumable pipeline');
    if (opts.serve && server) {
      ctx.out(`\nServing flights@champion on ${server.url} until Ctrl-C.`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
    }
  } finally {
    await server?.close();
    await hub?.close();
  }
}
