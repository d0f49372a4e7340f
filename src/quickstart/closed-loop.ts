import { literal } from '../data/duckdb-engine.js';
import { flightsPath } from '../data/sample-data.js';
import { logLoss, rocAuc } from '../learn/metrics.js';
import type { Platform } from '../orchard.js';
import type { DatasetVersion } from '../data/types.js';
import type { Actor } from '../tracking/tracking-service.js';

/**
 * The closed loop on flights-3m, as a user of the platform would run it:
 * ingest, train on January–February, register and promote a champion, serve it,
 * replay March–June through the endpoint, and each month — once that month's
 * labels arrive — measure live AUC and drift; when the model has decayed,
 * retrain on the latest labelled month, gate the challenger against the champion
 * on the same rows, promote it, and let the endpoint hot-swap to it.
 */
export interface ClosedLoopOptions {
  /** Rows of January–February to train on (a seeded sample). */
  readonly trainRows: number;
  /** Requests replayed per month, as rows. */
  readonly replayRows: number;
  /** Rows per request. */
  readonly requestRows: number;
  /** Retrain when a month's live AUC falls this far below the training-time test AUC … */
  readonly decayTolerance: number;
  /** … or its delayed share differs from the mean prediction by more than this (the model's calibration broke). */
  readonly calibrationTolerance: number;
  readonly gbdtIterations: number;
}

export const CLOSED_LOOP_DEFAULTS: ClosedLoopOptions = Object.freeze({ trainRows: 400_000, replayRows: 20_000, requestRows: 200, decayTolerance: 0.02, calibrationTolerance: 0.03, gbdtIterations: 60 });

export interface MonthOutcome {
  readonly month: string;
  readonly rows: number;
  readonly version: number;
  readonly auc: number;
  readonly logLoss: number;
  /** Delayed share seen in the month's labels, and the mean predicted probability. */
  readonly observed: number;
  readonly expected: number;
  /** Share of features that drifted against the training data. */
  readonly driftedShare: number;
  readonly datasetDrift: boolean;
  /** What the loop did after the month's labels came in. */
  readonly action: string;
}

export interface ClosedLoopResult {
  readonly dataset: string;
  readonly trainAuc: number;
  readonly months: readonly MonthOutcome[];
  readonly versions: readonly { version: number; trainedOn: string; runId: string }[];
  readonly alerts: readonly string[];
}

/** Where the quickstart posts requests: the running endpoint's predict URL. */
export interface ReplayTarget {
  predict(rows: Record<string, unknown>[], requestId: string): Promise<{ predictions: number[]; version: number | null }>;
  /** Writes logged predictions out now (monitoring reads the log's files). */
  flushLog(): Promise<void>;
  /** Re-reads the alias now instead of at the next poll. */
  follow(): Promise<void>;
}

const MONTHS = [
  ['mar', '2001-03'],
  ['apr', '2001-04'],
  ['may', '2001-05'],
  ['jun', '2001-06'],
] as const;
const TARGET = 'delayed=delay > 15';

/** A value as a JSON request carries it: dates as ISO text, big integers as numbers. */
const json = (v: unknown): unknown => (v instanceof Date ? v.toISOString() : typeof v === 'bigint' ? Number(v) : v);
const MODEL = 'flights';

export async function runClosedLoop(platform: Platform, actor: Actor, options: ClosedLoopOptions, serve: (modelRef: string) => Promise<ReplayTarget>, say: (line: string) => void): Promise<ClosedLoopResult> {
  say('Ingesting flights-3m (3,000,000 US flights, January–June 2001)');
  const ingested = await platform.datasets.ingest(actor, { name: 'flights', source: flightsPath(), cwd: process.cwd() });
  const dataset = `${ingested.version.name}@${ingested.version.version}`;
  say(`  ${dataset}: ${ingested.version.rows.toLocaleString('en-US')} rows`);

  say('Splitting by month: January–February for training, then March, April, May, June');
  const split = await platform.derive.split(actor, dataset, { kind: 'time', by: 'date', cuts: ['2001-03-01', '2001-04-01', '2001-05-01', '2001-06-01'], names: ['jan-feb', 'mar', 'apr', 'may', 'jun'] }, { output: 'flights-month' });
  const ref = (part: string) => `${split.parts[part]!.name}@${split.parts[part]!.version}`;
  const sample = (part: string, rows: number, name: string) => sampleOf(split.parts[part]!, rows, name);
  const sampleOf = async (version: DatasetVersion, rows: number, name: string) => {
    const path = await platform.datasets.parquetPath(version);
    const copy = await platform.engine.withConnection(async (c) => {
      const reader = await c.runAndReadAll(`select * from read_parquet(${literal(path)}) using sample reservoir(${rows} rows) repeatable (7)`);
      return reader.getRowObjectsJS() as Record<string, unknown>[];
    });
    const result = await platform.datasets.ingestRows(actor, name, copy);
    return { ref: `${result.version.name}@${result.version.version}`, rows: copy };
  };

  say(`Training gbdt on ${options.trainRows.toLocaleString('en-US')} January–February flights (target ${TARGET}), testing on March`);
  const train = await sample('jan-feb', options.trainRows, 'flights-train');
  const first = await platform.training.train(actor, { data: train.ref, target: TARGET, learner: 'gbdt', params: { max_iter: options.gbdtIterations }, test: ref('mar'), experiment: 'quickstart' });
  const trainAuc = first.metrics.test_auc!;
  const trainLoss = first.metrics.test_log_loss!;
  say(`  run ${first.runId}: test AUC ${trainAuc.toFixed(4)}`);
  const v1 = await platform.registry.register(actor, { name: MODEL, runId: first.runId, description: 'trained on January–February' });
  await platform.registry.setAlias(actor, MODEL, 'champion', v1.version);
  const versions = [{ version: v1.version, trainedOn: 'jan-feb', runId: first.runId }];
  say(`  registered ${MODEL} version ${v1.version}, alias champion`);

  say(`Serving ${MODEL}@champion`);
  const endpoint = await serve(`${MODEL}@champion`);

  const months: MonthOutcome[] = [];
  const alerts: string[] = [];
  for (const [part, label] of MONTHS) {
    const replay = await sample(part, options.replayRows, `flights-replay-${part}`);
    say(`Replaying ${label}: ${replay.rows.length.toLocaleString('en-US')} flights in requests of ${options.requestRows}`);
    const inputs = ['date', 'distance', 'origin', 'destination'];
    const scores: number[] = [];
    const labels: number[] = [];
    let servedBy = 0;
    for (let i = 0; i < replay.rows.length; i += options.requestRows) {
      const chunk = replay.rows.slice(i, i + options.requestRows);
      const rows = chunk.map((r) => Object.fromEntries(inputs.map((k) => [k, json(r[k])])));
      const answer = await endpoint.predict(rows, `${part}-${i / options.requestRows}`);
      scores.push(...answer.predictions);
      labels.push(...chunk.map((r) => (Number(r.delay) > 15 ? 1 : 0)));
      servedBy = answer.version ?? servedBy;
    }
    // The month's labels arrive after its flights: live AUC of what the endpoint answered.
    const y = Float64Array.from(labels);
    const p = Float64Array.from(scores);
    const auc = rocAuc(y, p);
    const loss = logLoss(y, p);
    const observed = y.reduce((a, b) => a + b, 0) / y.length;
    const expected = p.reduce((a, b) => a + b, 0) / p.length;
    await endpoint.flushLog();
    const monitor = await platform.monitoring.run(MODEL, { reference: train.ref, window: { last: replay.rows.length }, features: inputs });
    const drifted = monitor.result.features.filter((f) => f.drifted).map((f) => f.name);
    say(`  served by version ${servedBy}: live AUC ${auc.toFixed(4)} (trained ${trainAuc.toFixed(4)}), log loss ${loss.toFixed(4)} (trained ${trainLoss.toFixed(4)}), delayed ${(observed * 100).toFixed(1)}% vs predicted ${(expected * 100).toFixed(1)}%; drift in ${drifted.length} of ${monitor.result.features.length} features${drifted.length ? ` (${drifted.join(', ')})` : ''}`);
    let action = 'none';
    // Decay: the month's labels disagree with the model's probabilities (the delay rate moved),
    // or its ranking got worse; drift alone (the date always drifts) only informs.
    const gap = observed - expected;
    const decayed = Math.abs(gap) > options.calibrationTolerance || auc < trainAuc - options.decayTolerance;
    if (decayed && part !== 'jun') {
      const why = Math.abs(gap) > options.calibrationTolerance ? `delayed ${(observed * 100).toFixed(1)}% but predicted ${(expected * 100).toFixed(1)}%` : `AUC ${auc.toFixed(4)} < ${(trainAuc - options.decayTolerance).toFixed(4)}`;
      alerts.push(`${label}: ${why}`);
      say(`  alert: ${why} → retraining on ${label}`);
      const parts = await platform.derive.split(actor, ref(part), { kind: 'random', fractions: { train: 0.8, holdout: 0.2 }, seed: 11 }, { output: `flights-${part}` });
      const monthTrain = await sampleOf(parts.parts.train!, options.trainRows, `flights-${part}-train`);
      const retrain = await platform.training.train(actor, { data: monthTrain.ref, target: TARGET, learner: 'gbdt', params: { max_iter: options.gbdtIterations }, experiment: 'quickstart', runName: `retrain on ${label}` });
      // Gate: on held-out rows of the same month the challenger must have the lower log loss and an AUC no worse than 0.005 below the champion's.
      const holdout = await sampleOf(parts.parts.holdout!, options.replayRows, `flights-${part}-holdout`);
      const champion = versions[versions.length - 1]!;
      const [c, h] = await Promise.all([scoreOn(platform, retrain.runId, holdout.rows), scoreOn(platform, champion.runId, holdout.rows)]);
      const passed = c.logLoss < h.logLoss && c.auc >= h.auc - 0.005;
      const result = `log loss ${c.logLoss.toFixed(4)} vs champion ${h.logLoss.toFixed(4)}, AUC ${c.auc.toFixed(4)} vs ${h.auc.toFixed(4)} on ${label} holdout`;
      if (passed) {
        const v = await platform.registry.register(actor, { name: MODEL, runId: retrain.runId, description: `retrained on ${label}` });
        await platform.registry.setAlias(actor, MODEL, 'champion', v.version);
        versions.push({ version: v.version, trainedOn: label, runId: retrain.runId });
        await endpoint.follow();
        action = `retrained; v${v.version} promoted (${result})`;
      } else action = `retrained; challenger kept out (${result})`;
      say(`  gate: ${action}`);
    }
    months.push({ month: label, rows: replay.rows.length, version: servedBy, auc, logLoss: loss, observed, expected, driftedShare: monitor.result.dataset.driftedShare, datasetDrift: monitor.result.dataset.drifted, action });
  }
  return { dataset, trainAuc, months, versions, alerts };
}

/** AUC and log loss of a training run's model on rows (the target computed as in training). */
async function scoreOn(platform: Platform, runId: string, rows: readonly Record<string, unknown>[]): Promise<{ auc: number; logLoss: number }> {
  const { model } = await platform.evaluation.modelOfRun(runId);
  const p = model.predict(rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v]))));
  const y = Float64Array.from(rows, (r) => (Number(r.delay) > 15 ? 1 : 0));
  return { auc: rocAuc(y, p), logLoss: logLoss(y, p) };
}
