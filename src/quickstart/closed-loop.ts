import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { literal } from '../data/duckdb-engine.js';
import { flightsPath } from '../data/sample-data.js';
import type { DatasetVersion } from '../data/types.js';
import { logLoss, rocAuc } from '../learn/metrics.js';
import type { AlertRecord } from '../metadata/loop-repositories.js';
import type { Platform } from '../orchard.js';
import { performanceLine } from '../monitoring/drift-report.js';
import { runSummary } from '../pipelines/run-summary.js';
import type { Fired } from '../scheduler/loop-scheduler.js';
import { monitorParams, monitorTarget } from '../scheduler/monitor-schedule.js';
import type { Actor } from '../tracking/tracking-service.js';

/**
 * The closed loop on flights-3m, as a user of the platform would wire it (MLOps level 2):
 * ingest; train on January–February, register and promote a champion; serve it on an
 * endpoint that follows `flights@champion`; alert rules on the endpoint's monitor (input
 * drift, and the observed delay rate against the predicted one once labels arrive) — the
 * monitor itself a schedule — each
 * with a trigger that runs the `flights-retrain` pipeline. Then March–June are replayed
 * through the endpoint one request per flight; after each month its labels come in through
 * the feedback API and its labelled flights land as a new version of `flights-recent`, the
 * monitor runs, and the scheduler ticks: a firing alert starts the retraining pipeline,
 * whose gate compares the challenger with the champion on held-out fresh rows and promotes
 * it, and the endpoint hot-swaps to it.
 */
export interface ClosedLoopOptions {
  /** Rows of January–February to train the first model on, and rows of each month's labelled data (seeded samples). */
  readonly trainRows: number;
  /** Flights replayed per month, one request each. */
  readonly replayRows: number;
  /** Requests in flight at once. */
  readonly concurrency: number;
  /** The concept-drift rule: fire when the observed delay rate and the mean predicted probability differ by more than this. */
  readonly calibrationTolerance: number;
  readonly gbdtIterations: number;
}

export const CLOSED_LOOP_DEFAULTS: ClosedLoopOptions = Object.freeze({ trainRows: 400_000, replayRows: 20_000, concurrency: 32, calibrationTolerance: 0.03, gbdtIterations: 60 });

export interface MonthOutcome {
  readonly month: string;
  readonly rows: number;
  /** The version that answered the month's requests. */
  readonly version: number;
  readonly auc: number;
  readonly logLoss: number;
  /** The first model's log loss on the same flights: what the month would have been without the loop. */
  readonly firstLogLoss: number;
  /** Delayed share in the month's labels, and the mean predicted probability. */
  readonly observed: number;
  readonly expected: number;
  readonly driftedFeatures: readonly string[];
  /** Alerts that fired after the month's monitor run. */
  readonly fired: readonly string[];
  /** What the triggered runs did. */
  readonly action: string;
}

export interface TriggeredRun {
  readonly month: string;
  readonly trigger: string;
  /** What fired it: `alert:<rule>{labels}@<time>`. */
  readonly source: string;
  readonly runId: string | null;
  readonly status: string;
  /** The version the run promoted, or null. */
  readonly promoted: number | null;
  readonly gate: string;
}

export interface ClosedLoopResult {
  readonly dataset: string;
  readonly trainAuc: number;
  readonly months: readonly MonthOutcome[];
  readonly versions: readonly { version: number; trainedOn: string; runId: string }[];
  readonly alerts: readonly AlertRecord[];
  readonly runs: readonly TriggeredRun[];
}

/** The running endpoint, as the quickstart reaches it over HTTP. */
export interface ReplayTarget {
  predict(rows: Record<string, unknown>[], requestId: string): Promise<{ predictions: number[]; version: number | null }>;
  /** Sends ground truth by request id (the feedback API). */
  sendLabels(labels: readonly { request_id: string; label: number }[]): Promise<void>;
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
const MODEL = 'flights';
const ENDPOINT = 'flights';
const INPUTS = ['date', 'distance', 'origin', 'destination'];
/** Where the month's labelled flights land, as the warehouse would load them. */
const RECENT = 'flights-recent';
export const RETRAIN_PIPELINE_FILE = fileURLToPath(new URL('../../examples/flights/retrain.ts', import.meta.url));

/** A value as a JSON request carries it: dates as ISO text, big integers as numbers. */
const json = (v: unknown): unknown => (v instanceof Date ? v.toISOString() : typeof v === 'bigint' ? Number(v) : v);
const isDelayed = (r: Record<string, unknown>) => (Number(r.delay) > 15 ? 1 : 0);
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

export async function runClosedLoop(platform: Platform, actor: Actor, options: ClosedLoopOptions, serve: (modelRef: string) => Promise<ReplayTarget>, say: (line: string) => void): Promise<ClosedLoopResult> {
  await mkdir(join(platform.config.home, 'tmp'), { recursive: true });
  const scratch = await mkdtemp(join(platform.config.home, 'tmp', 'quickstart-'));
  try {
    return await loop(platform, actor, options, serve, say, scratch);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

async function loop(platform: Platform, actor: Actor, options: ClosedLoopOptions, serve: (modelRef: string) => Promise<ReplayTarget>, say: (line: string) => void, scratch: string): Promise<ClosedLoopResult> {
  say('Ingesting flights-3m (3,000,000 US flights, January–June 2001)');
  const ingested = await platform.datasets.ingest(actor, { name: 'flights', source: flightsPath(), cwd: process.cwd() });
  const dataset = `${ingested.version.name}@${ingested.version.version}`;
  say(`  ${dataset}: ${ingested.version.rows.toLocaleString('en-US')} rows`);

  say('Splitting by month: January–February for training, then March, April, May, June');
  const split = await platform.derive.split(actor, dataset, { kind: 'time', by: 'date', cuts: ['2001-03-01', '2001-04-01', '2001-05-01', '2001-06-01'], names: ['jan-feb', 'mar', 'apr', 'may', 'jun'] }, { output: 'flights-month' });
  const part = (name: string) => split.parts[name]!;
  // A seeded sample of a part, drawn in DuckDB and stored as a version of `name`.
  const sampleInto = async (from: DatasetVersion, rows: number, name: string): Promise<string> => {
    const file = join(scratch, `${name}.parquet`);
    const path = await platform.datasets.parquetPath(from);
    await platform.engine.withConnection((c) => c.run(`copy (select * from read_parquet(${literal(path)}) using sample reservoir(${rows} rows) repeatable (7)) to ${literal(file)} (format parquet)`));
    const r = await platform.datasets.ingest(actor, { name, source: file, cwd: scratch });
    return `${r.version.name}@${r.version.version}`;
  };
  const replayRowsOf = async (from: DatasetVersion) => {
    const path = await platform.datasets.parquetPath(from);
    return platform.engine.withConnection(async (c) => {
      const reader = await c.runAndReadAll(`select * from read_parquet(${literal(path)}) using sample reservoir(${options.replayRows} rows) repeatable (3)`);
      return reader.getRowObjectsJS() as Record<string, unknown>[];
    });
  };

  say(`Training gbdt on ${options.trainRows.toLocaleString('en-US')} January–February flights (target ${TARGET}), testing on March`);
  const train = await sampleInto(part('jan-feb'), options.trainRows, 'flights-train');
  const first = await platform.training.train(actor, { data: train, target: TARGET, learner: 'gbdt', params: { max_iter: options.gbdtIterations }, test: `${part('mar').name}@${part('mar').version}`, experiment: 'quickstart' });
  const trainAuc = first.metrics.test_auc!;
  say(`  run ${first.runId}: test AUC ${trainAuc.toFixed(4)}`);
  const v1 = await platform.registry.register(actor, { name: MODEL, runId: first.runId, description: 'trained on January–February' });
  await platform.registry.setAlias(actor, MODEL, 'champion', v1.version);
  const versions = [{ version: v1.version, trainedOn: 'jan-feb', runId: first.runId }];
  say(`  registered ${MODEL} version ${v1.version}, alias champion`);
  const { model: firstModel } = await platform.evaluation.modelOfRun(first.runId);

  say('Wiring the loop: a scheduled monitor, alert rules on it, triggers that run a retraining pipeline');
  await removeEarlierLoop(platform, actor, say);
  const monitor = await platform.schedules.createSchedule(actor, { name: LOOP_SCHEDULE, cron: '*/5 * * * *', pipeline: monitorTarget(ENDPOINT), params: monitorParams({ reference: `model:${MODEL}@champion`, window: { last: options.replayRows }, features: INPUTS }) });
  say(`  schedule ${monitor.name}: the monitor of endpoint ${ENDPOINT} every 5 minutes (last ${options.replayRows.toLocaleString('en-US')} predictions against the champion's training data); here it runs at each month's end`);
  const pushed = await platform.pipelines.push(actor, RETRAIN_PIPELINE_FILE, { cwd: process.cwd(), gitCommit: null });
  say(`  pipeline ${pushed.version.name}@${pushed.version.version}: pin ${RECENT} → split → train → gate against the champion → register → promote`);
  const rules = [
    { name: 'flights-data-drift', metric: 'drift.features', op: '>=', threshold: 1, what: 'an input feature drifted from the champion’s training data' },
    { name: 'flights-concept-drift', metric: 'performance.calibration_error', op: '>', threshold: options.calibrationTolerance, what: `the observed delay rate is more than ${pct(options.calibrationTolerance)} off the predicted one` },
  ];
  for (const r of rules) {
    await platform.alerts.createRule(actor, { name: r.name, metric: r.metric, labels: { endpoint: ENDPOINT }, op: r.op, threshold: r.threshold });
    await platform.schedules.createTrigger(actor, { name: `retrain-on-${r.name.replace(/^flights-/, '')}`, kind: 'alert', pattern: r.name, pipeline: pushed.version.name, params: { data: RECENT, gbdt: JSON.stringify({ max_iter: options.gbdtIterations }) } });
    say(`  alert ${r.name}: ${r.metric} ${r.op} ${r.threshold} (${r.what}) → trigger retrain-on-${r.name.replace(/^flights-/, '')}`);
  }

  say(`Serving ${MODEL}@champion`);
  const endpoint = await serve(`${MODEL}@champion`);

  const months: MonthOutcome[] = [];
  const runs: TriggeredRun[] = [];
  // Request ids unique to this run, so a later quickstart's labels never land on this one's predictions.
  const session = Date.now().toString(36);
  for (const [name, label] of MONTHS) {
    const rows = await replayRowsOf(part(name));
    say(`${label}: replaying ${rows.length.toLocaleString('en-US')} flights, one request each`);
    const served = await replay(endpoint, rows, `${session}-${name}`, options.concurrency);
    await endpoint.flushLog();

    // The month's outcomes arrive after its flights: ground truth through the feedback API,
    // and the labelled flights as a new version of the recent data.
    await endpoint.sendLabels(rows.map((r, i) => ({ request_id: `${session}-${name}-${i}`, label: isDelayed(r) })));
    const recent = await sampleInto(part(name), options.trainRows, RECENT);
    say(`  labels for ${label} arrived: ${rows.length.toLocaleString('en-US')} through the feedback API; ${recent} holds ${options.trainRows.toLocaleString('en-US')} labelled flights`);

    await platform.scheduler.runMonitor(monitor.name);
    const result = await platform.monitoring.latest(ENDPOINT);
    const drifted = result.features.filter((f) => f.drifted).map((f) => f.name);
    const perf = result.performance;
    const y = Float64Array.from(rows, isDelayed);
    const firstLoss = logLoss(y, firstModel.predict(rows.map((r) => Object.fromEntries(INPUTS.map((k) => [k, typeof r[k] === 'bigint' ? Number(r[k]) : r[k]])))));
    say(`  monitor (reference ${result.reference.description}): drift in ${drifted.length} of ${result.features.length} features${drifted.length ? ` (${drifted.join(', ')})` : ''}; ${performanceLine(result)}`);

    // The scheduler's tick, as the server runs it every few seconds: evaluate alert rules, then fire triggers.
    const changes = await platform.alerts.evaluate(actor);
    const fired = changes.filter((c) => c.transition === 'firing').map((c) => c.alert.rule);
    for (const c of changes) say(`  alert ${c.alert.rule} ${c.transition} (value ${c.alert.value?.toFixed(4) ?? '-'})`);
    const started = await platform.scheduler.tick(actor);
    const actions: string[] = [];
    for (const f of started) {
      const run = await followRun(platform, f, label, say);
      runs.push(run);
      if (run.promoted !== null) {
        await endpoint.follow();
        versions.push({ version: run.promoted, trainedOn: label, runId: (await platform.registry.getVersion(MODEL, run.promoted)).runId ?? '' });
        actions.push(`retrained; v${run.promoted} promoted`);
      } else actions.push(run.status === 'FINISHED' ? 'retrained; challenger kept out' : `retraining ${run.status.toLowerCase()}`);
    }
    months.push({ month: label, rows: rows.length, version: served.version, auc: perf?.auc ?? rocAuc(y, served.scores), logLoss: perf?.logLoss ?? logLoss(y, served.scores), firstLogLoss: firstLoss, observed: perf?.meanLabel ?? NaN, expected: perf?.meanPrediction ?? NaN, driftedFeatures: drifted, fired, action: actions.join('; ') || 'none' });
  }
  return { dataset, trainAuc, months, versions, alerts: await platform.alerts.listAlerts(), runs };
}

const LOOP_SCHEDULE = `monitor-${ENDPOINT}`;
const LOOP_RULES = ['flights-data-drift', 'flights-concept-drift'];
const LOOP_TRIGGERS = ['retrain-on-data-drift', 'retrain-on-concept-drift'];

/** A second quickstart in the same home starts its loop afresh: the earlier run's schedule, rules (with their alerts) and triggers go. */
async function removeEarlierLoop(platform: Platform, actor: Actor, say: (line: string) => void): Promise<void> {
  const removed: string[] = [];
  for (const t of await platform.schedules.listTriggers()) if (LOOP_TRIGGERS.includes(t.name)) (await platform.schedules.deleteTrigger(actor, t.name), removed.push(`trigger ${t.name}`));
  for (const r of await platform.alerts.listRules()) if (LOOP_RULES.includes(r.name)) (await platform.alerts.deleteRule(actor, r.name), removed.push(`rule ${r.name}`));
  if ((await platform.schedules.listSchedules()).some((x) => x.name === LOOP_SCHEDULE)) (await platform.schedules.deleteSchedule(actor, LOOP_SCHEDULE), removed.push(`schedule ${LOOP_SCHEDULE}`));
  if (removed.length > 0) say(`  replaced the earlier quickstart's ${removed.join(', ')}`);
}

/** Sends each row as its own request, `concurrency` at a time; returns the scores in row order and the version that answered last. */
async function replay(endpoint: ReplayTarget, rows: readonly Record<string, unknown>[], name: string, concurrency: number): Promise<{ scores: Float64Array; version: number }> {
  const scores = new Float64Array(rows.length);
  let version = 0;
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < rows.length; i = next++) {
      const row = Object.fromEntries(INPUTS.map((k) => [k, json(rows[i]![k])]));
      const answer = await endpoint.predict([row], `${name}-${i}`);
      scores[i] = answer.predictions[0]!;
      version = answer.version ?? version;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, rows.length) }, worker));
  return { scores, version };
}

/** Waits for a triggered pipeline run and reads what its gate decided and what it promoted. */
async function followRun(platform: Platform, f: Fired, month: string, say: (line: string) => void): Promise<TriggeredRun> {
  const trigger = f.source.replace(/^trigger:/, '');
  if (f.runId === null) {
    say(`  trigger ${trigger} could not start its run: ${f.error}`);
    return { month, trigger, source: f.key, runId: null, status: 'NOT_STARTED', promoted: null, gate: f.error ?? '' };
  }
  say(`  trigger ${trigger} started pipeline run ${f.runId} (fired by ${f.key})`);
  const before = (await platform.registry.getByAlias(MODEL, 'champion')).version;
  await f.finished?.catch(() => undefined);
  const summary = await runSummary(platform.store, f.runId);
  const status = (await platform.tracking.getRun(f.runId)).info.status;
  const gateUnit = summary.units.find((u) => u.node === 'gate');
  let gate = 'gate did not run';
  if (gateUnit?.stepRunId) {
    const g = await platform.tracking.getRun(gateUnit.stepRunId);
    const passed = g.tags.find((t) => t.key === 'orchard.gate')?.value ?? '?';
    // The evaluation behind the verdict: the candidate's metrics and its difference with the champion.
    const evaluation = g.tags.find((t) => t.key === 'orchard.evaluation_run')?.value;
    const e = evaluation ? await platform.tracking.getRun(evaluation) : g;
    const metric = (k: string) => e.metrics.find((m) => m.key === k)?.value;
    const diff = e.metrics.find((m) => m.key.startsWith('diff_') && !m.key.endsWith('_low') && !m.key.endsWith('_high'));
    const name = diff?.key.slice('diff_'.length);
    const mine = name === undefined ? undefined : metric(name);
    const versus = diff && mine !== undefined ? `${name!.replace(/_/g, ' ')} ${mine.toFixed(4)} vs champion v${before} ${(mine - diff.value).toFixed(4)}, ` : '';
    gate = `gate ${passed}: ${versus}AUC ${metric('auc')?.toFixed(4) ?? '-'} on the latest fifth of ${month}`;
  }
  const after = (await platform.registry.getByAlias(MODEL, 'champion')).version;
  const promoted = after !== before ? after : null;
  say(`  run ${f.runId} ${status.toLowerCase()}: ${gate}${promoted !== null ? `; ${MODEL}@champion is now v${promoted}` : ''}`);
  return { month, trigger, source: f.key, runId: f.runId, status, promoted, gate };
}
