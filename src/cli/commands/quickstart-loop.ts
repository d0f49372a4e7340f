import { Agent, request } from 'node:http';
import { createLogger } from '../../core/logger.js';
import { invalidArgument } from '../../core/errors.js';
import { startServer } from '../../server/start-server.js';
import { startSchedulerLoop } from '../../scheduler/scheduler-loop.js';
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
  ctx.out('Orchard quickstart: the closed loop on flights-3m — train, register, serve, replay March–June, watch, alert, retrain, promote.\n');
  const say = stageReporter((line) => ctx.out(line));
  const platform = await ctx.platform();
  const actor = { name: `local:${ctx.config.user}` };
  let hub: ServingHub | undefined;
  let loop: { stop(): Promise<void> } | undefined;
  let server: Awaited<ReturnType<typeof startServer>> | undefined;
  const token = ctx.config.token;
  // One keep-alive connection per request in flight: fetch's per-request cost would dominate single-row requests.
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency });
  try {
    const headers = { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) };
    const post = (url: string, body: unknown, requestId?: string) =>
      new Promise<Record<string, unknown>>((resolve, reject) => {
        const payload = JSON.stringify(body);
        const req = request(url, { method: 'POST', agent, headers: { ...headers, 'content-length': Buffer.byteLength(payload), ...(requestId ? { 'x-request-id': requestId } : {}) } }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            try {
              const answer = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
              if ((res.statusCode ?? 500) >= 300) reject(new Error(`${url} answered ${res.statusCode}: ${String(answer.message ?? JSON.stringify(answer).slice(0, 300))}`));
              else resolve(answer);
            } catch (e) {
              reject(e as Error);
            }
          });
          res.on('error', reject);
        });
        req.on('error', reject);
        req.end(payload);
      });
    const serve = async (model: string): Promise<ReplayTarget> => {
      const spec = parseEndpointSpec({ name: 'flights', model, batching: { maxBatchSize: 256, maxWaitMs: 1, maxQueueRows: 100_000 }, timeoutMs: 30_000, log: true });
      hub = await ServingHub.start(platform, { endpoints: [spec], pollMs: 1000 });
      server = await startServer(platform, { host: '127.0.0.1', port: Number(opts.port), logger: createLogger('warn'), serving: hub });
      say(`  endpoint 'flights' on ${server.url} (POST /predict, /invocations, /v2/models/flights/infer; /feedback; /metrics)`);
      const base = `${server.url}/api/v1/endpoints/flights`;
      return {
        predict: async (rows, requestId) => {
          const body = await post(`${base}/predict`, { rows }, requestId);
          return { predictions: body.predictions as number[], version: (body.version as number | null | undefined) ?? null };
        },
        sendLabels: async (labels) => {
          for (let i = 0; i < labels.length; i += 2000) await post(`${base}/feedback`, { labels: labels.slice(i, i + 2000) });
        },
        flushLog: () => hub!.log.flush(),
        follow: () => hub!.refresh(),
      };
    };
    const result = await runClosedLoop(platform, actor, options, serve, say);

    ctx.out(`\nDone in ${duration(Date.now() - began)}.`);
    ctx.out(table(
      ['MONTH', 'FLIGHTS', 'SERVED BY', 'LIVE AUC', 'LOG LOSS', 'V1 LOG LOSS', 'DELAYED', 'PREDICTED', 'DRIFTED', 'ALERTS FIRED', 'ACTION'],
      result.months.map((m) => [m.month, m.rows.toLocaleString('en-US'), `v${m.version}`, m.auc.toFixed(4), m.logLoss.toFixed(4), m.firstLogLoss.toFixed(4), pct(m.observed), pct(m.expected), m.driftedFeatures.join(', ') || '-', m.fired.join(', ') || '-', m.action]),
    ));
    const champion = result.versions[result.versions.length - 1]!;
    ctx.out(`\n  model versions   ${result.versions.map((v) => `v${v.version} (${v.trainedOn})`).join(', ')}; champion v${champion.version}`);
    ctx.out(`  first model      test AUC ${num(result.trainAuc)} on March (trained on January–February)`);
    ctx.out('  alerts');
    for (const a of result.alerts) ctx.out(`    ${a.rule.padEnd(22)} ${a.state.padEnd(8)} fired ${a.firedAt === null ? '-' : new Date(a.firedAt).toISOString()}, last value ${a.value?.toFixed(4) ?? '-'}`);
    if (result.alerts.length === 0) ctx.out('    none fired');
    ctx.out('  triggered runs');
    for (const r of result.runs) ctx.out(`    ${r.month}  ${r.trigger}: run ${r.runId ?? '-'} ${r.status.toLowerCase()}; ${r.gate}${r.promoted === null ? '' : `; promoted v${r.promoted}`}`);
    if (result.runs.length === 0) ctx.out('    none');
    ctx.out(`  stored in        ${ctx.config.db} and ${ctx.config.artifacts}`);
    ctx.out('\nNext:');
    ctx.out('  npx orchard models show flights                   versions, aliases, lineage to datasets');
    ctx.out('  npx orchard alerts list                           the alerts and their state');
    ctx.out('  npx orchard triggers list                         the triggers and the runs they started');
    ctx.out('  npx orchard runs list -e quickstart               the training runs and the retraining pipeline runs');
    ctx.out('  npx orchard monitor show flights --history 10     drift and live performance per replayed month');
    ctx.out('  npx orchard monitor report flights --output drift.html');
    if (opts.serve && server) {
      // From here on the loop runs on its own: the monitor on its schedule, the alert rules, the triggers.
      loop = startSchedulerLoop({ scheduler: platform.scheduler, alerts: platform.alerts, logger: createLogger('info'), intervalMs: 15_000 });
      ctx.out(`\nServing flights@champion on ${server.url} until Ctrl-C; the scheduler ticks every 15 s (monitor-flights every 5 minutes, alert rules, triggers).`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
    }
  } finally {
    await loop?.stop();
    agent.destroy();
    await server?.close();
    await hub?.close();
  }
}
