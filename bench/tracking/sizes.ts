/** How much work each section of the tracking bench does; `--quick` picks the small set. */
export interface TrackingBenchSizes {
  /** Measured repetitions per throughput number (after one discarded warm-up). */
  readonly reps: number;
  /** 1000-point batches per repetition of the raw store and bare SQLite baselines. */
  readonly rawBatches: number;
  /** 1000-metric log-batch requests per repetition over HTTP (split over the clients when concurrent). */
  readonly httpRequests: number;
  readonly concurrency: number;
  /** Single log-metric calls: warm-up, then `rounds` of `calls` each (latencies pooled). */
  readonly logMetricWarmup: number;
  readonly logMetricCalls: number;
  readonly logMetricRounds: number;
  /** Points one SDK run logs per repetition. */
  readonly sdkPoints: number;
  /** Points of the one long run, and runs (each with a short history) in its experiment. */
  readonly bigRunPoints: number;
  readonly historyRuns: number;
  readonly pointsPerRun: number;
  /** Timed runs/search and runs/get calls. */
  readonly queryReps: number;
}

export const FULL: TrackingBenchSizes = Object.freeze({
  reps: 5,
  rawBatches: 50,
  httpRequests: 40,
  concurrency: 4,
  logMetricWarmup: 300,
  logMetricCalls: 1000,
  logMetricRounds: 3,
  sdkPoints: 100_000,
  bigRunPoints: 1_000_000,
  historyRuns: 10_000,
  pointsPerRun: 30,
  queryReps: 15,
});

export const QUICK: TrackingBenchSizes = Object.freeze({
  reps: 3,
  rawBatches: 20,
  httpRequests: 20,
  concurrency: 4,
  logMetricWarmup: 100,
  logMetricCalls: 500,
  logMetricRounds: 1,
  sdkPoints: 20_000,
  bigRunPoints: 200_000,
  historyRuns: 2_000,
  pointsPerRun: 30,
  queryReps: 7,
});
