import type { Command } from 'commander';
import { createLogger } from '../../core/logger.js';
import { gaussian, seededRandom } from '../../core/random.js';
import { Orchard } from '../../sdk/orchard-client.js';
import { startServer } from '../../server/start-server.js';
import { duration, num, table } from '../format.js';
import { withContext } from '../main.js';
import { runLoopQuickstart } from './quickstart-loop.js';

const LEARNING_RATES = [0.003, 0.01, 0.03, 0.1];
const EPOCHS = 200;

/**
 * `orchard quickstart`: the closed loop (quickstart-loop.ts). With `--tracking`, the
 * tracking demo: start the server on the embedded stores, run a tracked
 * learning-rate sweep through the SDK, search the runs, read a metric history
 * back through the MLflow-compatible API, and say what happened.
 */
export function registerQuickstartCommand(program: Command): void {
  program
    .command('quickstart')
    .description('Run the closed loop on flights-3m on the embedded stores (train, serve, replay, monitor, retrain, promote) and print what happened')
    .option('--serve', 'keep the server running afterwards')
    .option('-p, --port <port>', 'server port (default: any free port)', '0')
    .option('--train-rows <n>', 'January–February flights to train on (default 400000)')
    .option('--replay-rows <n>', 'flights replayed through the endpoint per month (default 20000)')
    .option('--tracking', 'instead, the tracking demo: a learning-rate sweep through the SDK and the MLflow-compatible API')
    .action(
      withContext(async (ctx, opts: { serve?: boolean; port: string; trainRows?: string; replayRows?: string; tracking?: boolean }) => {
        if (!opts.tracking) return runLoopQuickstart(ctx, opts);
        const began = Date.now();
        const step = (n: number, text: string) => ctx.out(`[${n}/5] ${text}`);
        ctx.out('Orchard quickstart: tracking server, SDK, MLflow-compatible API, artifacts and audit log.\n');

        step(1, `Opening the embedded stores in ${ctx.config.home}`);
        const platform = await ctx.platform();
        const server = await startServer(platform, { host: '127.0.0.1', port: Number(opts.port), logger: createLogger('warn') });
        ctx.out(`      server listening on ${server.url}`);
        // Once a token exists the server refuses anonymous calls, even on loopback: send ORCHARD_TOKEN.
        const token = ctx.config.token;
        const client = Orchard.remote(server.url, token);
        // Close the server however the demo ends: an open listener would keep the process alive after an error.
        try {
          step(2, `Training a linear model by gradient descent at ${LEARNING_RATES.length} learning rates, ${EPOCHS} epochs each`);
          const data = makeRegressionData(2000, 5, 42);
          const experiment = await client.experiment('quickstart');
          const runIds: string[] = [];
          for (const lr of LEARNING_RATES) {
            const run = await client.startRun({ experiment: 'quickstart', runName: `lr-${lr}`, params: { learner: 'linear-gd', learning_rate: lr, epochs: EPOCHS, features: 5, rows: 2000 } });
            const weights = train(data, lr, EPOCHS, (epoch, trainRmse, valRmse) => run.logMetrics({ train_rmse: trainRmse, val_rmse: valRmse }, { step: epoch }));
            await run.logArtifact(Buffer.from(JSON.stringify({ learner: 'linear-gd', weights }, null, 2)), 'model/weights.json');
            await run.end();
            runIds.push(run.id);
            ctx.out(`      run ${run.id}  learning_rate=${lr}  ${progressBar(runIds.length, LEARNING_RATES.length)}`);
          }

          step(3, 'Searching runs: metrics.val_rmse < 1.5, best first');
          const page = await client.searchRuns({ experimentIds: [experiment.experimentId], filter: `metrics.val_rmse < 1.5 and params.learner = 'linear-gd'`, orderBy: ['metrics.val_rmse ASC'], maxResults: 10 });
          const rows = page.items.map((r) => [r.info.runName, r.params.find((p) => p.key === 'learning_rate')?.value ?? '', num(r.metrics.find((m) => m.key === 'val_rmse')?.value ?? NaN)]);
          ctx.out(indent(table(['RUN', 'LEARNING RATE', 'VAL RMSE'], rows)));

          step(4, 'Reading the best run back through the MLflow REST API');
          const best = page.items[0];
          let historyPoints = 0;
          if (best) {
            const response = await fetch(`${server.url}/api/2.0/mlflow/metrics/get-history?run_id=${best.info.runId}&metric_key=val_rmse`, {
              headers: token ? { authorization: `Bearer ${token}` } : {},
            });
            historyPoints = ((await response.json()) as { metrics: unknown[] }).metrics.length;
            ctx.out(`      GET /api/2.0/mlflow/metrics/get-history -> ${historyPoints} points of val_rmse for ${best.info.runName}`);
          }

          step(5, 'Checking the audit log');
          const events = await platform.store.events.list({ limit: 1000 });
          ctx.out(`      ${events.length} audit events recorded (run.create, run.log_batch, artifact.upload, run.update, …)`);

          ctx.out(`\nDone in ${duration(Date.now() - began)}.`);
          ctx.out(`  experiment  quickstart (id ${experiment.experimentId}), ${runIds.length} new runs, ${runIds.length * EPOCHS * 2} metric points, ${runIds.length} artifacts`);
          if (best) ctx.out(`  best run    ${best.info.runName} (${best.info.runId})`);
          ctx.out(`  stored in   ${ctx.config.db} and ${ctx.config.artifacts}`);
          ctx.out('\nNext:');
          ctx.out('  npx orchard runs list -e quickstart          the runs, with their latest metrics');
          if (best) ctx.out(`  npx orchard runs show ${best.info.runId}`);
          ctx.out('  npx orchard server                           then point MLflow clients at MLFLOW_TRACKING_URI=http://127.0.0.1:5000');
          if (opts.serve) {
            ctx.out(`\nServing on ${server.url} until Ctrl-C.`);
            await new Promise<void>((resolve) => {
              process.once('SIGINT', resolve);
              process.once('SIGTERM', resolve);
            });
          }
        } finally {
          await client.close().catch(() => {});
          await server.close();
        }
      }),
    );
}

interface Data {
  readonly x: Float64Array[];
  readonly y: Float64Array;
  readonly split: number;
}

function makeRegressionData(rows: number, features: number, seed: number): Data {
  const random = seededRandom(seed);
  const normal = gaussian(random);
  const truth = Array.from({ length: features }, () => normal() * 2);
  const x = Array.from({ length: features }, () => new Float64Array(rows));
  const y = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    let target = 1.5;
    for (let j = 0; j < features; j++) {
      x[j]![i] = normal();
      target += truth[j]! * x[j]![i]!;
    }
    y[i] = target + normal();
  }
  return { x, y, split: Math.floor(rows * 0.8) };
}

/** Full-batch gradient descent on squared error; reports train and validation RMSE each epoch. */
function train(data: Data, lr: number, epochs: number, report: (epoch: number, trainRmse: number, valRmse: number) => void): number[] {
  const p = data.x.length;
  const w = new Float64Array(p + 1);
  const predict = (i: number) => {
    let s = w[p]!;
    for (let j = 0; j < p; j++) s += w[j]! * data.x[j]![i]!;
    return s;
  };
  const rmse = (from: number, to: number) => {
    let s = 0;
    for (let i = from; i < to; i++) s += (predict(i) - data.y[i]!) ** 2;
    return Math.sqrt(s / (to - from));
  };
  for (let epoch = 1; epoch <= epochs; epoch++) {
    const grad = new Float64Array(p + 1);
    for (let i = 0; i < data.split; i++) {
      const err = predict(i) - data.y[i]!;
      for (let j = 0; j < p; j++) grad[j]! += err * data.x[j]![i]!;
      grad[p]! += err;
    }
    for (let j = 0; j <= p; j++) w[j]! -= (lr * 2 * grad[j]!) / data.split;
    report(epoch, rmse(0, data.split), rmse(data.split, data.y.length));
  }
  return [...w];
}

function progressBar(done: number, total: number): string {
  const width = 20;
  const filled = Math.round((done / total) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`;
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `      ${l}`)
    .join('\n');
}
