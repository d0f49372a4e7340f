import { trainingDataOf } from './serving/model-ref.js';
import { AlertService } from './alerts/alert-service.js';
import { CompositeMetricSource, MetricPointsSource, RunMetricsSource } from './alerts/metric-source.js';
import { MonitorMetricsSource } from './alerts/monitor-source.js';
import { StalenessSource } from './alerts/staleness-source.js';
import { FeedbackService } from './feedback/feedback-service.js';
import { LoopScheduler } from './scheduler/loop-scheduler.js';
import { pipelineServiceLauncher } from './scheduler/pipeline-launcher.js';
import { ScheduleService } from './scheduler/schedule-service.js';
import { createBlobStore } from './artifacts/create-blob-store.js';
import { ContentStore } from './artifacts/content-store.js';
import type { BlobStore } from './artifacts/blob-store.js';
import { EndpointService } from './serving/endpoint-service.js';
import { AuthService } from './auth/auth-service.js';
import { systemClock, type Clock } from './core/clock.js';
import type { OrchardConfig } from './core/config.js';
import { DataRuns } from './data/data-runs.js';
import { DatasetService } from './data/dataset-service.js';
import { DeriveService } from './data/derive-service.js';
import { DataEngine } from './data/duckdb-engine.js';
import './learn/builtins.js';
import { EvaluationService } from './learn/evaluation-service.js';
import { loadLearnerPlugins } from './learn/learner-plugins.js';
import { TrainService } from './learn/train-service.js';
import { TuneService } from './learn/tune/tune-service.js';
import { createMetadataStore } from './metadata/create-metadata-store.js';
import type { MetadataStore } from './metadata/metadata-store.js';
import { availableParallelism, hostname } from 'node:os';
import { LocalExecutor } from './pipelines/local-executor.js';
import { PipelineService } from './pipelines/pipeline-service.js';
import { endStaleWorker, isLocalProcessGone } from './pipelines/process-liveness.js';
import { join } from 'node:path';
import { MonitorService } from './monitoring/monitor-service.js';
import { ModelCardService } from './registry/model-card-service.js';
import { predictionLogPrefix } from './serving/prediction-log-schema.js';
import { RegistryService } from './registry/registry-service.js';
import { ArtifactService } from './tracking/artifact-service.js';
import { TrackingService } from './tracking/tracking-service.js';

/** The platform, assembled from configuration: stores, then the use cases over them. */
export interface Platform {
  readonly config: OrchardConfig;
  readonly store: MetadataStore;
  readonly content: ContentStore;
  /** The bare blob store under `content`, for files kept by path (the prediction log). */
  readonly blobs: BlobStore;
  /** Serving endpoints: specs, revisions, rollback. */
  readonly endpoints: EndpointService;
  readonly tracking: TrackingService;
  readonly artifacts: ArtifactService;
  readonly auth: AuthService;
  readonly datasets: DatasetService;
  /** Schemas, validation and splits of dataset versions. */
  readonly derive: DeriveService;
  /** DuckDB, opened on first use. */
  readonly engine: DataEngine;
  /** Training runs: transform, fit, evaluate, store the model artifact. */
  readonly training: TrainService;
  /** Tuning runs: hyper-parameter search on worker threads, trials as child runs, the best model refitted. */
  readonly tuning: TuneService;
  /** Evaluation runs: metrics of a model on a version, per slice, against another model. */
  readonly evaluation: EvaluationService;
  /** Registered models, versions, aliases, approvals. */
  readonly registry: RegistryService;
  /** Model cards, generated or edited. */
  readonly modelCards: ModelCardService;
  /** Pipelines: load, lint, push versions, run on the local executor, resume. */
  readonly pipelines: PipelineService;
  /** Monitor runs: drift and data quality of an endpoint's prediction log, stored as a time series. */
  readonly monitoring: MonitorService;
  /** Cron schedules and triggers (records). */
  readonly schedules: ScheduleService;
  /** Fires due schedules and triggers, each once across processes. */
  readonly scheduler: LoopScheduler;
  /** Alert rules, their evaluation and delivery. */
  readonly alerts: AlertService;
  /** Ground truth and human feedback on logged predictions; live performance. */
  readonly feedback: FeedbackService;
  readonly clock: Clock;
  /** Closes the stores. */
  close(): Promise<void>;
}

/**
 * Builds and opens the platform: loads the configured learner plugins, picks adapters
 * by URI scheme (loading only the chosen ones), connects, migrates, and wires the services.
 */
export async function createOrchard(config: OrchardConfig, options: { clock?: Clock } = {}): Promise<Platform> {
  const clock = options.clock ?? systemClock;
  // Before any store opens, so a broken plugin fails fast and leaves nothing open.
  await loadLearnerPlugins(config.plugins);
  const store = await createMetadataStore(config.db);
  const blobs = await createBlobStore(config.artifacts);
  await store.init();
  try {
    await blobs.init();
  } catch (error) {
    await store.destroy();
    throw error;
  }
  const content = new ContentStore(blobs);
  const tracking = new TrackingService(store, clock);
  const runs = new DataRuns(tracking);
  const engine = new DataEngine({ tempDir: join(config.home, 'tmp'), memoryLimit: config.data.memoryLimit, threads: config.data.threads ?? availableParallelism() });
  const datasets = new DatasetService(store, content, engine, runs, clock);
  const artifacts = new ArtifactService(store, content, clock);
  const pipelines = new PipelineService({
    store,
    content,
    tracking,
    clock,
    scratchDir: join(config.home, 'tmp', 'pipelines'),
    cores: availableParallelism(),
    createExecutor: (slots) =>
      new LocalExecutor({ slots, workDir: join(config.home, 'tmp', 'pipeline-runs'), content, clock, config: { home: config.home, db: config.db, artifacts: config.artifacts, user: config.user } }),
    host: hostname(),
    pid: process.pid,
    isGone: isLocalProcessGone,
    endStaleWorker,
  });
  const registry = new RegistryService(store, clock);
  const schedules = new ScheduleService(store, clock);
  const monitoring = new MonitorService({
    store,
    engine,
    datasets,
    clock,
    // The log is a folder of Parquet files DuckDB globs in place; only a local blob store (whose location is its root folder) has one.
    logFolder: (endpoint) => (blobs.localPath ? join(blobs.location, ...predictionLogPrefix(endpoint).split('/')) : undefined),
    trainingDataOf: (model) => trainingDataOf({ registry, tracking }, model),
  });
  const scheduler = new LoopScheduler({ store, schedules, clock, monitors: monitoring, launcher: pipelineServiceLauncher(pipelines, config.home), owner: `${hostname()}:${process.pid}` });
  const source = new CompositeMetricSource([new StalenessSource(store), new RunMetricsSource(store), new MonitorMetricsSource(store), new MetricPointsSource(store)]);
  return {
    pipelines,
    schedules,
    scheduler,
    alerts: new AlertService({ store, source, clock }),
    feedback: new FeedbackService({ store, blobs, content, engine, clock }),
    config,
    store,
    content,
    blobs,
    clock,
    tracking,
    engine,
    artifacts,
    training: new TrainService({ store, content, engine, datasets, tracking, artifacts, clock }),
    tuning: new TuneService({ store, content, engine, datasets, tracking, artifacts, clock }),
    evaluation: new EvaluationService({ store, content, engine, datasets, tracking, clock }),
    auth: new AuthService(store, clock),
    datasets,
    derive: new DeriveService({ store, content, engine, datasets, runs, clock }),
    registry,
    endpoints: new EndpointService(store, { registry, tracking, content }, clock),
    modelCards: new ModelCardService(store, content, clock),
    monitoring,
    async close() {
      await engine.close();
      await store.destroy();
      await blobs.destroy();
    },
  };
}
