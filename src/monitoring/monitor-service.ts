import { existsSync, readdirSync } from 'node:fs';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Clock } from '../core/clock.js';
import { invalidArgument, notFound, OrchardError } from '../core/errors.js';
import { kindOfPhysical } from '../data/column-kinds.js';
import type { DatasetService } from '../data/dataset-service.js';
import { literal, queryRows, type DataEngine } from '../data/duckdb-engine.js';
import type { ColumnSchema } from '../data/types.js';
import type { MetadataStore } from '../metadata/metadata-store.js';
import type { MonitorResultRecord } from '../metadata/monitor-repository.js';
import type { DriftOptions } from './drift-methods.js';
import { computeDrift, type MonitorSample } from './monitor-computation.js';
import type { MonitorResult, WindowLabelledPerformance } from './monitor-types.js';
import { loadLabelTable } from '../feedback/label-table.js';
import { inferTask, labelledMetrics, type LabelledPrediction } from '../feedback/live-performance.js';
import type { FeedbackRecord } from '../metadata/loop-repositories.js';

const MODEL_PREFIX = 'model:';
const ENDPOINT = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const DURATION = /^(\d+)(s|m|h|d)$/;
const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Which rows of the log form the current window: the last `duration` before now, the last `count` rows, or an explicit range. */
export type WindowSpec = { readonly duration: string } | { readonly last: number } | { readonly from: number; readonly to: number };

export interface MonitorRunInput {
  /**
   * `name@version` of a dataset; `model:<name>@<alias|version>` for the training data of a
   * registered model version, resolved at each run (so `model:flights@champion` follows the
   * champion); or `log:<ISO from>..<ISO to>` for a window of the same log. Default: the
   * endpoint's last reference.
   */
  readonly reference?: string;
  readonly window: WindowSpec;
  readonly features?: readonly string[];
  readonly options?: DriftOptions;
}

export interface MonitorServiceDeps {
  readonly store: MetadataStore;
  readonly engine: DataEngine;
  readonly datasets: DatasetService;
  readonly clock: Clock;
  /** The local folder holding an endpoint's prediction log, or undefined when the artifact store is not local. */
  readonly logFolder: (endpoint: string) => string | undefined;
  /** The training dataset version (`name@N`) of a registered model version (`name@alias|version`): what `model:` references resolve to. */
  readonly trainingDataOf: (modelRef: string) => Promise<string>;
}

/**
 * Monitor runs: drift and data quality of a window of an endpoint's prediction log against a
 * reference, computed in DuckDB over the Parquet log, stored as the endpoint's time series.
 */
export class MonitorService {
  readonly #deps: MonitorServiceDeps;

  constructor(deps: MonitorServiceDeps) {
    this.#deps = deps;
  }

  /** Computes and stores one monitor result. An empty window is a stored result with a message, not an error. */
  async run(endpoint: string, input: MonitorRunInput): Promise<{ result: MonitorResult; record: MonitorResultRecord }> {
    checkEndpoint(endpoint);
    const now = this.#deps.clock.now();
    const glob = this.#logGlob(endpoint);
    const referenceSpec = input.reference ?? (await this.#deps.store.monitors.latest(endpoint))?.reference;
    if (referenceSpec === undefined) {
      throw invalidArgument(`Endpoint ${endpoint} has no monitor reference yet; name one with --reference (a dataset version such as flights@1, or log:<from>..<to> for a window of its log).`, { endpoint });
    }
    const datasetRef = referenceSpec.startsWith('log:') ? undefined : referenceSpec.startsWith(MODEL_PREFIX) ? await this.#deps.trainingDataOf(referenceSpec.slice(MODEL_PREFIX.length)) : referenceSpec;
    const dataset = datasetRef === undefined ? undefined : await this.#deps.datasets.resolve(datasetRef);
    const referencePath = dataset ? await this.#deps.datasets.parquetPath(dataset) : undefined;
    const window = resolveWindow(input.window, now);
    const labels = (await this.#deps.store.feedback.list(endpoint, 'label')).filter((l) => l.value !== null);

    const result = await this.#deps.engine.withConnection(async (c) => {
      const current = await logSample(c, 'monitor_window', glob, window, describeWindow(input.window, window));
      let reference: MonitorSample;
      if (dataset) {
        const described = `${dataset.name}@${dataset.version}${referenceSpec.startsWith(MODEL_PREFIX) ? ` (training data of ${referenceSpec.slice(MODEL_PREFIX.length)})` : ''}`;
        reference = { relation: `read_parquet(${literal(referencePath!)})`, columns: dataset.columns, description: described };
      } else {
        const range = parseLogRange(referenceSpec);
        reference = await logSample(c, 'monitor_reference', glob, range, referenceSpec);
      }
      const drift = await computeDrift(c, { endpoint, reference, current, features: input.features, predictionDrift: dataset === undefined, options: input.options ?? {}, now });
      return { ...drift, performance: await windowPerformance(c, 'monitor_window', labels, drift.window.rows) };
    });
    // A `model:` reference is kept as given, so the next run resolves it again.
    const reference = dataset && !referenceSpec.startsWith(MODEL_PREFIX) ? `${dataset.name}@${dataset.version}` : referenceSpec;
    const record = await this.#deps.store.monitors.add({
      endpoint,
      computedAt: now,
      windowFrom: result.window.from,
      windowTo: result.window.to,
      windowRows: result.window.rows,
      reference,
      datasetDrifted: result.dataset.drifted,
      driftedShare: result.dataset.driftedShare,
      resultJson: JSON.stringify(result),
    });
    return { result, record };
  }

  /** The endpoint's newest stored result. @throws NOT_FOUND when the endpoint was never monitored. */
  async latest(endpoint: string): Promise<MonitorResult> {
    checkEndpoint(endpoint);
    const record = await this.#deps.store.monitors.latest(endpoint);
    if (!record) throw notFound(`Endpoint ${endpoint} has no monitor results yet; run \`orchard monitor run ${endpoint} --reference <dataset@version>\`.`, { endpoint });
    return JSON.parse(record.resultJson) as MonitorResult;
  }

  /** The endpoint's results, newest first: its drift time series. */
  async history(endpoint: string, limit = 100): Promise<MonitorResultRecord[]> {
    checkEndpoint(endpoint);
    return this.#deps.store.monitors.list(endpoint, { limit });
  }

  #logGlob(endpoint: string): string {
    const folder = this.#deps.logFolder(endpoint);
    if (folder === undefined) throw new OrchardError('CONFIG_ERROR', `Monitoring reads the prediction log from a local artifact store; ORCHARD_ARTIFACTS is not a file: URI.`);
    if (!existsSync(folder) || !hasParquet(folder)) {
      throw notFound(`Endpoint ${endpoint} has no prediction log at ${folder}; it is written as the endpoint serves predictions — check the endpoint name.`, { endpoint });
    }
    return `${folder}/**/*.parquet`;
  }
}

function hasParquet(folder: string): boolean {
  return readdirSync(folder, { recursive: true }).some((f) => String(f).endsWith('.parquet'));
}

function checkEndpoint(endpoint: string): void {
  if (!ENDPOINT.test(endpoint)) throw invalidArgument(`Endpoint name '${endpoint}' is not valid; use letters, digits, '_', '-' and '.', starting with a letter or digit.`, { endpoint });
}

type ResolvedWindow = { from: number; to: number } | { last: number };

function resolveWindow(spec: WindowSpec, now: number): ResolvedWindow {
  if ('duration' in spec) {
    const m = DURATION.exec(spec.duration);
    if (!m || Number(m[1]) === 0) throw invalidArgument(`Window '${spec.duration}' is not a duration; use a number with s, m, h or d (e.g. 1h, 30m, 7d).`, { window: spec.duration });
    return { from: now - Number(m[1]) * UNIT_MS[m[2]!]!, to: now };
  }
  if ('last' in spec) {
    if (!Number.isInteger(spec.last) || spec.last < 1) throw invalidArgument(`--last must be a positive whole number of rows, got ${spec.last}.`, { last: spec.last });
    return spec;
  }
  if (!(spec.to > spec.from)) throw invalidArgument(`The window's end (${new Date(spec.to).toISOString()}) must be after its start (${new Date(spec.from).toISOString()}).`);
  return spec;
}

function describeWindow(spec: WindowSpec, w: ResolvedWindow): string {
  if ('last' in w) return `last ${w.last.toLocaleString('en-US')} predictions`;
  const range = `${new Date(w.from).toISOString()}..${new Date(w.to).toISOString()}`;
  return 'duration' in spec ? `last ${spec.duration} (${range})` : range;
}

/** `log:<ISO>..<ISO>`: a time range of the endpoint's own log as the reference. */
export function parseLogRange(spec: string): { from: number; to: number } {
  const m = /^log:(.+)\.\.(.+)$/.exec(spec);
  const from = m ? Date.parse(m[1]!) : Number.NaN;
  const to = m ? Date.parse(m[2]!) : Number.NaN;
  if (Number.isNaN(from) || Number.isNaN(to) || !(to > from)) {
    throw invalidArgument(`Reference '${spec}' is not log:<from>..<to> with ISO times, start before end (e.g. log:2026-01-01T00:00Z..2026-02-01T00:00Z).`, { reference: spec });
  }
  return { from, to };
}

/**
 * Materialises a window of the log as a temporary table of its features and predictions
 * (shadow predictions left out) and returns it with its columns. The table dies with the connection.
 */
async function logSample(c: DuckDBConnection, table: string, glob: string, w: ResolvedWindow, description: string): Promise<MonitorSample & { from: number | null; to: number | null }> {
  const source = `read_parquet(${literal(glob)}, union_by_name = true, hive_partitioning = false)`;
  const rows =
    'last' in w
      ? `select * from ${source} where not coalesce(shadow, false) order by ts desc limit ${w.last}`
      : `select * from ${source} where not coalesce(shadow, false) and ts >= epoch_ms(${w.from}) and ts < epoch_ms(${w.to})`;
  await c.run(`create or replace temp table ${table} as select unnest(features), prediction, request_id, ts from (${rows})`);
  const described = await queryRows(c, `describe ${table}`);
  const columns: ColumnSchema[] = described
    .filter((r) => r.column_name !== 'ts' && r.column_name !== 'request_id')
    .map((r) => {
      const physicalType = String(r.column_type);
      const kind = kindOfPhysical(physicalType);
      return { name: String(r.column_name), physicalType, kind: kind === 'string' ? 'categorical' : kind, nullable: true };
    });
  let span = { from: null as number | null, to: null as number | null };
  if ('last' in w) {
    const [r = {}] = await queryRows(c, `select epoch_ms(min(ts)) as f, epoch_ms(max(ts)) as t from ${table}`);
    span = { from: r.f === null || r.f === undefined ? null : Number(r.f), to: r.t === null || r.t === undefined ? null : Number(r.t) };
  } else span = { from: w.from, to: w.to };
  return { relation: table, columns, description, ...span };
}

/** The window's predictions joined with their labels (by request id); null when none has a label yet. */
async function windowPerformance(c: DuckDBConnection, table: string, labels: readonly FeedbackRecord[], predictions: number): Promise<WindowLabelledPerformance | null> {
  if (labels.length === 0 || predictions === 0) return null;
  await loadLabelTable(c, 'monitor_labels', labels);
  const rows = await queryRows(c, `select epoch_ms(w.ts) as ts, w.prediction, l.value, l.received_at from ${table} w join monitor_labels l using (request_id)`);
  if (rows.length === 0) return null;
  const labelled: LabelledPrediction[] = rows.map((r) => ({ ts: Number(r.ts), prediction: Number(r.prediction), label: Number(r.value), receivedAt: Number(r.received_at) }));
  const task = inferTask(labelled);
  return { task, predictions, ...labelledMetrics(labelled, task) };
}
