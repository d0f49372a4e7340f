import { OrchardError } from '../core/errors.js';
import { loadConfig, type ConfigOverrides, type OrchardConfig } from '../core/config.js';
import { createOrchard, type Platform } from '../orchard.js';
import type { Experiment, MetricPoint, Page, Run, ViewType } from '../tracking/types.js';
import { ActiveRun, type ActiveRunOptions } from './active-run.js';
import { embeddedTransport } from './embedded-transport.js';
import { httpTransport } from './http-transport.js';
import type { TrackingTransport } from './transport.js';
import { embeddedDataClient, httpDataClient, type DataClient } from './data-client.js';
import type { PredictBatchInput, PredictBatchResult } from '../serving/batch-scoring.js';
import { embeddedModelsClient, httpModelsClient, type ModelsClient } from './models-client.js';
import { embeddedEndpointsClient, httpEndpointsClient, type EndpointsClient } from './endpoints-client.js';
import { loadEmbeddedModel, type EmbeddedModel, type LoadModelOptions } from '../serving/embedded-model.js';

export interface StartRunOptions extends ActiveRunOptions {
  /** Experiment name (created when missing) or `{ id }`; default the `Default` experiment. */
  readonly experiment?: string | { id: string };
  readonly runName?: string;
  readonly params?: Record<string, string | number | boolean>;
  readonly tags?: Record<string, string>;
  readonly parentRunId?: string;
}

/**
 * The Orchard SDK. `Orchard.connect()` reads the configuration: with `ORCHARD_URL`
 * set it talks to that server, otherwise it opens the stores in this process.
 *
 * @example
 * import { Orchard } from 'orchard';
 * const orchard = await Orchard.connect();
 * const run = await orchard.startRun({ experiment: 'flights', params: { learner: 'gbdt' } });
 * run.logMetric('auc', 0.71, { step: 1 });
 * await run.end();
 * await orchard.close();
 */
export class Orchard {
  readonly #transport: TrackingTransport;
  readonly #runs = new Set<ActiveRun>();
  /** Datasets: ingest, profile, validate, split. */
  readonly data: DataClient;
  /** The model registry: register, aliases, approvals, model cards. */
  readonly models: ModelsClient;
  /** Serving endpoints: specs, traffic splits, rollback. */
  readonly endpoints: EndpointsClient;
  readonly #platform: Platform | undefined;

  /** The platform in this process, for embedded-only operations (batch scoring). */
  readonly #local: { readonly platform: Platform; readonly actor: string } | undefined;

  private constructor(transport: TrackingTransport, data: DataClient, models: ModelsClient, endpoints: EndpointsClient, local?: { platform: Platform; actor: string }) {
    this.#transport = transport;
    this.#local = local;
    this.data = data;
    this.models = models;
    this.endpoints = endpoints;
    this.#platform = local?.platform;
  }

  /** Connects as configured (environment, `<home>/config.json`, then `overrides`). */
  static async connect(overrides: ConfigOverrides = {}): Promise<Orchard> {
    const config = loadConfig(process.env, process.cwd(), overrides);
    if (config.url) return Orchard.remote(config.url, config.token);
    const platform = await createOrchard(config);
    return new Orchard(embeddedTransport(platform, { name: config.user }, true), embeddedDataClient(platform, { name: config.user }), embeddedModelsClient(platform, config.user), embeddedEndpointsClient(platform, config.user), { platform, actor: config.user });
  }

  /** Uses an already open platform in this process (servers, tests, pipelines). */
  static embedded(platform: Platform, actor = platform.config.user): Orchard {
    return new Orchard(embeddedTransport(platform, { name: actor }, false), embeddedDataClient(platform, { name: actor }), embeddedModelsClient(platform, actor), embeddedEndpointsClient(platform, actor), { platform, actor });
  }

  /** Talks to a server at `url`. */
  static remote(url: string, token?: string): Orchard {
    const base = url.replace(/\/+$/, '');
    return new Orchard(httpTransport(base, token), httpDataClient(base, token), httpModelsClient(base, token), httpEndpointsClient(base, token));
  }

  /**
   * Loads a model into this process, with the server's validation and (optionally) micro-batching.
   * @throws OrchardError NOT_FOUND, INTEGRITY_ERROR (corrupted artifact); CONFIG_ERROR for a remote client.
   * @example
   * const model = await orchard.loadModel('flights@champion');
   * const { predictions, labels } = await model.predict([{ distance: 500, origin: 'SFO', destination: 'LAX' }]);
   */
  async loadModel(ref: string, options: LoadModelOptions = {}): Promise<EmbeddedModel> {
    if (!this.#platform) throw new OrchardError('CONFIG_ERROR', `loadModel('${ref}') loads the model's artifact from the stores in this process; this client talks to ${this.target}. Unset ORCHARD_URL (or use Orchard.embedded) to load models, or send rows to an endpoint of that server.`);
    return loadEmbeddedModel(this.#platform, ref, options);
  }

  /** Where this client sends its calls. */
  get target(): string {
    return this.#transport.target;
  }

  /** The experiment with this name, created if it does not exist. */
  async experiment(name: string): Promise<Experiment> {
    const found = await this.#transport.findExperiment(name);
    if (found) return found;
    try {
      return await this.#transport.createExperiment({ name });
    } catch (error) {
      // Another client created it between our lookup and create.
      if (error instanceof OrchardError && error.code === 'ALREADY_EXISTS') return (await this.#transport.findExperiment(name))!;
      throw error;
    }
  }

  /** The experiment with this name, or undefined. */
  findExperiment(name: string): Promise<Experiment | undefined> {
    return this.#transport.findExperiment(name);
  }

  listExperiments(query: { viewType?: ViewType; maxResults?: number; pageToken?: string } = {}): Promise<Page<Experiment>> {
    return this.#transport.searchExperiments(query);
  }

  /** Creates a run and returns a handle that logs to it. */
  async startRun(options: StartRunOptions = {}): Promise<ActiveRun> {
    const experimentId =
      options.experiment === undefined ? '0' : typeof options.experiment === 'string' ? (await this.experiment(options.experiment)).experimentId : options.experiment.id;
    const run = await this.#transport.createRun({
      experimentId,
      runName: options.runName,
      parentRunId: options.parentRunId,
      tags: Object.entries(options.tags ?? {}).map(([key, value]) => ({ key, value })),
    });
    const active = new ActiveRun(run, this.#transport, options);
    if (options.params) active.logParams(options.params);
    this.#runs.add(active);
    return active;
  }

  getRun(runId: string): Promise<Run> {
    return this.#transport.getRun(runId);
  }

  /**
   * Runs of the given experiments matching `filter` (e.g. `metrics.auc > 0.8 and params.learner = 'gbdt'`),
   * ordered by `orderBy` (e.g. `['metrics.auc DESC']`), one page at a time.
   */
  searchRuns(query: { experimentIds: string[]; filter?: string; orderBy?: string[]; viewType?: ViewType; maxResults?: number; pageToken?: string }): Promise<Page<Run>> {
    return this.#transport.searchRuns(query);
  }

  /** Every point of a metric, following pages. */
  async metricHistory(runId: string, key: string): Promise<MetricPoint[]> {
    const points: MetricPoint[] = [];
    let pageToken: string | undefined;
    do {
      const page = await this.#transport.metricHistory(runId, key, { pageToken });
      points.push(...page.items);
      pageToken = page.nextPageToken;
    } while (pageToken);
    return points;
  }

  listArtifacts(runId: string, dir?: string) {
    return this.#transport.listArtifacts(runId, dir);
  }

  downloadArtifact(runId: string, path: string) {
    return this.#transport.downloadArtifact(runId, path);
  }

  /**
   * Batch scoring in this process (embedded only): predicts every row of `input` (a dataset
   * version such as `flights@3`, or a CSV, Parquet or JSON file) with the model and writes
   * `output` (a .parquet or .csv file, or `dataset:<name>` for a new dataset version), streamed
   * in chunks, as a tracked run in the `predict` experiment. A failure leaves no output.
   * @throws OrchardError INVALID_ARGUMENT, NOT_FOUND, ALREADY_EXISTS, INTEGRITY_ERROR (see BatchScoringService.predict).
   * @example
   * const r = await orchard.predictBatch('flights@champion', 'flights@7', 'dataset:flights-scored');
   * console.log(r.rows, r.output);
   */
  async predictBatch(modelRef: string, input: string, output: string, options: Omit<PredictBatchInput, 'model' | 'input' | 'output'> = {}): Promise<PredictBatchResult> {
    if (!this.#local) throw new OrchardError('INVALID_ARGUMENT', `predictBatch runs in this process and reads local files; this client talks to ${this.target}. Connect without ORCHARD_URL (Orchard.connect() on the machine with the data), or run \`orchard predict\` there.`);
    const { BatchScoringService } = await import('../serving/batch-scoring.js');
    return new BatchScoringService(this.#local.platform).predict({ name: this.#local.actor }, { ...options, model: modelRef, input, output });
  }

  /** Flushes every open run, then releases connections (and the stores, when embedded). */
  async close(): Promise<void> {
    for (const run of this.#runs) await run.flush().catch(() => {});
    await this.#transport.close();
  }
}

export type { OrchardConfig };
