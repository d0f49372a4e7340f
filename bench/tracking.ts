/**
 * Tracking throughput and latency on the embedded default (SQLite + file
 * artifacts), in one process: the store's raw insert rate as the baseline, then
 * the MLflow HTTP endpoints over a real socket, the SDK, and run listings over a
 * long history. `npm run bench -- tracking [--quick] [--keep]`.
 */
import { cpus, loadavg } from 'node:os';
import { createLogger } from '../src/core/logger.js';
import type { Platform } from '../src/orchard.js';
import { startServer, type RunningServer } from '../src/server/start-server.js';
import { BenchHttpClient } from './support/http-client.js';
import { printTable, progress, type Measurement } from './support/report.js';
import { formatMs, formatRate, formatRatio, median, nowMs, quantile } from './support/stats.js';
import { tempPlatform } from './support/temp-home.js';
import { parseOptions } from './support/parse-options.js';
import { buildHistory, measureHistoryQueries } from './tracking/history.js';
import { createRunOverHttp, measureLogBatch, measureLogMetric } from './tracking/http-logging.js';
import { measureSdk } from './tracking/sdk-logging.js';
import { FULL, QUICK } from './tracking/sizes.js';
import { measureStoreBaseline } from './tracking/store-baseline.js';

/** Targets from the tracking issue. */
const TARGET_LOG_BATCH_POINTS_PER_S = 100_000;
const TARGET_LOG_METRIC_MEDIAN_MS = 2;
/** runs/get of the long run may cost at most this multiple of a short run's: it must not read the history. */
const HISTORY_INDEPENDENCE_FACTOR = 2;

const OPTIONS = { quick: 'smaller sizes and fewer repetitions (about a third of the time)', keep: 'keep the temporary ORCHARD_HOME and print its path' };

/** Other processes on the machine skew every number; the load average says how much to trust them. */
const loadText = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

/** Every point sent over HTTP must be in the history: a fast endpoint that drops points proves nothing. */
async function checkStored(platform: Platform, sent: ReadonlyMap<string, number>): Promise<void> {
  for (const [runId, points] of sent) {
    // Ten keys per step, so each key holds a tenth of the points.
    const stored = (await platform.store.metrics.history(runId, 'metric_0', { offset: 0, limit: points })).length;
    if (stored !== points / 10) throw new Error(`Run ${runId} holds ${stored} points of metric_0 after log-batch; ${points / 10} were sent.`);
  }
}

export async function run(args: string[]): Promise<void> {
  const options = parseOptions(args, OPTIONS, 'tracking');
  const sizes = options.has('quick') ? QUICK : FULL;
  const started = nowMs();
  const { platform, home, cleanup } = await tempPlatform('orchard-bench-tracking-');
  const out = (line = '') => process.stdout.write(`${line}\n`);
  out(`tracking bench${options.has('quick') ? ' (--quick)' : ''}: node ${process.version}, ${cpus().length} cores, store ${platform.config.db}`);
  out(`medians over ${sizes.reps} repetitions after one warm-up; client and server share this process; load average ${loadText()} at start`);
  out();

  let server: RunningServer | undefined;
  let client: BenchHttpClient | undefined;
  try {
    const actor = { name: 'bench' };
    const experiment = await platform.tracking.createExperiment(actor, { name: 'bench-logging' });
    const experimentId = experiment.experimentId;

    progress(`raw store baseline: ${sizes.reps} × ${sizes.rawBatches} batches of 1000 points`);
    const rawRunId = (await platform.tracking.createRun(actor, { experimentId, runName: 'raw-store' })).info.runId;
    const baseline = await measureStoreBaseline(platform, home, sizes, rawRunId);

    server = await startServer(platform, { host: '127.0.0.1', port: 0, logger: createLogger('warn') });
    client = new BenchHttpClient(server.url, sizes.concurrency * 2);
    progress(`HTTP log-batch at ${server.url}: ${sizes.httpRequests} requests per repetition, 1 and ${sizes.concurrency} clients`);
    const batchRuns: string[] = [];
    for (let c = 0; c < sizes.concurrency; c++) batchRuns.push(await createRunOverHttp(client, experimentId, `log-batch-${c}`));
    const logBatch = await measureLogBatch(client, sizes, batchRuns);
    await checkStored(platform, logBatch.sent);

    progress(`HTTP log-metric: ${sizes.logMetricWarmup} warm-up calls, then ${sizes.logMetricRounds} × ${sizes.logMetricCalls}`);
    const logMetric = await measureLogMetric(client, sizes, await createRunOverHttp(client, experimentId, 'log-metric'));

    progress(`SDK: ${sizes.sdkPoints.toLocaleString('en-US')} points per run, remote and embedded`);
    const sdk = await measureSdk(platform, server.url, experimentId, sizes);

    progress(`history fixture: ${sizes.historyRuns.toLocaleString('en-US')} runs, one with ${sizes.bigRunPoints.toLocaleString('en-US')} points`);
    const fixture = await buildHistory(platform, sizes);
    progress(`fixture written in ${(fixture.setupMs / 1000).toFixed(1)} s; timing runs/search and runs/get`);
    const history = await measureHistoryQueries(client, platform, fixture, sizes);

    const all: Measurement[] = [...baseline, ...logBatch.measurements, ...logMetric.measurements, ...sdk, ...history.measurements];
    printTable(all);
    out();

    const m = (label: string) => median(all.find((x) => x.label.startsWith(label))!.samples);
    const raw = m('store.transaction');
    const bareInsert = m('bare better-sqlite3 insert (history only)');
    const bareLatest = m('bare better-sqlite3 insert + latest');
    const batch1 = m('runs/log-batch, 1 client');
    const batchN = m(`runs/log-batch, ${sizes.concurrency} concurrent`);
    const remote = m('Orchard.remote');
    const embedded = m('Orchard.embedded');
    const lat = logMetric.latencies;
    const callsPerS = m('calls/s');
    const rawLine = `(raw ${formatRate(raw)} points/s)`;

    out(`raw store: ${formatRate(raw)} points/s = ${formatRatio(raw / bareLatest)} bare better-sqlite3 doing the same rows + latest upsert (${formatRate(bareLatest)} points/s); history rows alone ${formatRate(bareInsert)} points/s`);
    out(`log-batch over HTTP: ${formatRate(batch1)} points/s = ${formatRatio(batch1 / raw)} raw store ${rawLine}`);
    out(`log-batch over HTTP, ${sizes.concurrency} clients: ${formatRate(batchN)} points/s = ${formatRatio(batchN / raw)} raw store ${rawLine}`);
    out(
      `log-metric over HTTP: median ${formatMs(quantile(lat, 0.5))} ms, p90 ${formatMs(quantile(lat, 0.9))} ms, p99 ${formatMs(quantile(lat, 0.99))} ms over ${lat.length} calls; ` +
        `${formatRate(callsPerS)} calls/s = ${formatRatio(callsPerS / raw)} raw store ${rawLine}`,
    );
    out(`SDK remote (Orchard.remote → startRun → logMetric × ${sizes.sdkPoints.toLocaleString('en-US')} → end): ${formatRate(remote)} points/s = ${formatRatio(remote / raw)} raw store ${rawLine}`);
    out(`SDK embedded (Orchard.embedded, same loop): ${formatRate(embedded)} points/s = ${formatRatio(embedded / raw)} raw store ${rawLine}`);
    out(
      `runs/search over ${fixture.runs.toLocaleString('en-US')} runs (100/page, order_by metrics.metric_0): ${formatMs(history.searchMs)} ms = ` +
        `${formatRatio(history.searchMs / history.scanExperimentMs)} one SQLite pass over the experiment's ${fixture.points.toLocaleString('en-US')}-point history (${formatMs(history.scanExperimentMs)} ms)`,
    );
    out(
      `runs/get of the ${sizes.bigRunPoints.toLocaleString('en-US')}-point run: ${formatMs(history.getBigMs)} ms = ${formatRatio(history.getBigMs / history.getSmallMs)} runs/get of a ` +
        `${sizes.pointsPerRun}-point run (${formatMs(history.getSmallMs)} ms); one SQLite pass over its history takes ${formatMs(history.scanBigRunMs)} ms`,
    );
    out();

    const verdict = (ok: boolean) => (ok ? 'MET' : 'MISSED');
    const latMedian = quantile(lat, 0.5);
    out(`target: ≥ ${formatRate(TARGET_LOG_BATCH_POINTS_PER_S)} metric points/s through log-batch over HTTP on SQLite — 1 client ${formatRate(batch1)} ${verdict(batch1 >= TARGET_LOG_BATCH_POINTS_PER_S)}, ${sizes.concurrency} clients ${formatRate(batchN)} ${verdict(batchN >= TARGET_LOG_BATCH_POINTS_PER_S)}`);
    out(`target: single log-metric median ≤ ${TARGET_LOG_METRIC_MEDIAN_MS} ms — ${formatMs(latMedian)} ms ${verdict(latMedian <= TARGET_LOG_METRIC_MEDIAN_MS)}`);
    out(
      `check: listing does not read the metric history — runs/get long/short ${formatRatio(history.getBigMs / history.getSmallMs)} (≤ ${HISTORY_INDEPENDENCE_FACTOR}x) ${verdict(history.getBigMs <= HISTORY_INDEPENDENCE_FACTOR * history.getSmallMs)}, ` +
        `runs/search below one history pass ${verdict(history.searchMs < history.scanExperimentMs)}`,
    );
    out(`total ${((nowMs() - started) / 1000).toFixed(0)} s, load average ${loadText()} at the end${options.has('keep') ? `; ORCHARD_HOME kept at ${home}` : ''}`);
  } finally {
    client?.close();
    await server?.close();
    await cleanup(options.has('keep'));
  }
}
