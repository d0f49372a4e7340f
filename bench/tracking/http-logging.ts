import type { Measurement } from '../support/report.js';
import type { BenchHttpClient } from '../support/http-client.js';
import { nowMs, quantile, repeat } from '../support/stats.js';
import { StepCounter, trainingPoints } from './points.js';
import type { TrackingBenchSizes } from './sizes.js';

const MLFLOW = '/api/2.0/mlflow';
const BATCH = 1000;

/** Creates a run over MLflow's runs/create and returns its id. */
export async function createRunOverHttp(client: BenchHttpClient, experimentId: string, runName: string): Promise<string> {
  const res = await client.post<{ run: { info: { run_id: string } } }>(`${MLFLOW}/runs/create`, { experiment_id: experimentId, run_name: runName, start_time: Date.now() });
  return res.run.info.run_id;
}

/**
 * POST runs/log-batch with 1000 metrics per request, from one client and from
 * `concurrency` clients at once (one run each, as parallel training jobs would).
 * Bodies are serialised before the clock starts so the client's JSON work is not timed.
 * Returns the points sent per run, so the caller can check they were all stored.
 */
export async function measureLogBatch(client: BenchHttpClient, sizes: TrackingBenchSizes, runIds: readonly string[]): Promise<{ measurements: Measurement[]; sent: Map<string, number> }> {
  const counters = runIds.map(() => new StepCounter());
  const sent = new Map(runIds.map((id) => [id, 0]));
  const bodies = (clientIndex: number, count: number) =>
    Array.from({ length: count }, () => {
      const runId = runIds[clientIndex]!;
      sent.set(runId, sent.get(runId)! + BATCH);
      return JSON.stringify({ run_id: runId, metrics: trainingPoints(BATCH, counters[clientIndex]!.take(BATCH)) });
    });

  const sequential = await repeat(sizes.reps, async () => {
    const work = bodies(0, sizes.httpRequests);
    const t0 = nowMs();
    for (const body of work) await client.post(`${MLFLOW}/runs/log-batch`, body);
    return (work.length * BATCH * 1000) / (nowMs() - t0);
  });

  const perClient = Math.ceil(sizes.httpRequests / sizes.concurrency);
  const concurrent = await repeat(sizes.reps, async () => {
    const work = Array.from({ length: sizes.concurrency }, (_, c) => bodies(c, perClient));
    const t0 = nowMs();
    await Promise.all(
      work.map(async (list) => {
        for (const body of list) await client.post(`${MLFLOW}/runs/log-batch`, body);
      }),
    );
    return (sizes.concurrency * perClient * BATCH * 1000) / (nowMs() - t0);
  });

  const section = '2 HTTP log-batch';
  return {
    measurements: [
      { section, label: 'runs/log-batch, 1 client, 1000 metrics/request', unit: 'points/s', samples: sequential },
      { section, label: `runs/log-batch, ${sizes.concurrency} concurrent clients`, unit: 'points/s', samples: concurrent },
    ],
    sent,
  };
}

export interface LogMetricResult {
  readonly latencies: readonly number[];
  readonly measurements: Measurement[];
}

/** POST runs/log-metric one call at a time: latency of each call and calls per second of each round. */
export async function measureLogMetric(client: BenchHttpClient, sizes: TrackingBenchSizes, runId: string): Promise<LogMetricResult> {
  let step = 0;
  const call = () => client.post(`${MLFLOW}/runs/log-metric`, JSON.stringify({ run_id: runId, key: 'loss', value: Math.random(), timestamp: Date.now(), step: step++ }));
  for (let i = 0; i < sizes.logMetricWarmup; i++) await call();

  const latencies: number[] = [];
  const rounds: { p50: number; p90: number; p99: number; rate: number }[] = [];
  for (let round = 0; round < sizes.logMetricRounds; round++) {
    const these: number[] = [];
    const t0 = nowMs();
    for (let i = 0; i < sizes.logMetricCalls; i++) {
      const s = nowMs();
      await call();
      these.push(nowMs() - s);
    }
    const rate = (sizes.logMetricCalls * 1000) / (nowMs() - t0);
    rounds.push({ p50: quantile(these, 0.5), p90: quantile(these, 0.9), p99: quantile(these, 0.99), rate });
    latencies.push(...these);
  }
  const section = '3 HTTP log-metric';
  // Each row's samples are per-round values (a round is `logMetricCalls` sequential calls).
  const per = (f: (r: (typeof rounds)[number]) => number) => rounds.map(f);
  return {
    latencies,
    measurements: [
      { section, label: `latency median, rounds of ${sizes.logMetricCalls} calls`, unit: 'ms', samples: per((r) => r.p50) },
      { section, label: 'latency p90', unit: 'ms', samples: per((r) => r.p90) },
      { section, label: 'latency p99', unit: 'ms', samples: per((r) => r.p99) },
      { section, label: 'calls/s (sequential)', unit: 'calls/s', samples: per((r) => r.rate) },
    ],
  };
}
