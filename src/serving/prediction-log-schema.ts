/**
 * The prediction log's format, shared by its writer (serving) and its readers
 * (monitoring, feedback joins). Each endpoint's log is a set of Parquet files in
 * the blob store under `prediction-log/<endpoint>/date=<YYYY-MM-DD>/<first ts ms>-<uuid>.parquet`,
 * written whole and renamed into place (a reader never sees half a file), so
 * DuckDB reads an endpoint's log, or a time range of it, with one glob.
 *
 * Columns of every file, in this order:
 * - `request_id` VARCHAR — the id returned to the caller (feedback joins on it)
 * - `ts` TIMESTAMP (UTC, millisecond precision) — when the request arrived
 * - `endpoint` VARCHAR, `model` VARCHAR (registered name or run id), `version` INTEGER (null for runs),
 *   `digest` VARCHAR (model artifact digest) — which model answered
 * - `shadow` BOOLEAN — true for a shadow model's prediction (not returned to the caller)
 * - `prediction` DOUBLE — probability of class 1 (binary), the value (regression), or the
 *   most probable class's index (multiclass)
 * - `label` VARCHAR — the predicted class's label (classification), else null
 * - `probabilities` DOUBLE[] — every class's probability (multiclass), else null
 * - `latency_ms` DOUBLE — time spent answering the request, per row
 * - `features` STRUCT(...) — the request row's input columns as validated against the
 *   model's signature, each typed by its signature kind (numbers DOUBLE, categories and
 *   text VARCHAR, datetimes TIMESTAMP, booleans BOOLEAN), missing values null
 */
export const PREDICTION_LOG_ROOT = 'prediction-log';

export const PREDICTION_LOG_COLUMNS = ['request_id', 'ts', 'endpoint', 'model', 'version', 'digest', 'shadow', 'prediction', 'label', 'probabilities', 'latency_ms', 'features'] as const;

/** One logged prediction, as the writer receives it. */
export interface PredictionRecord {
  readonly requestId: string;
  /** Milliseconds since the epoch. */
  readonly ts: number;
  readonly endpoint: string;
  readonly model: string;
  readonly version: number | null;
  readonly digest: string;
  readonly shadow: boolean;
  readonly prediction: number;
  readonly label: string | null;
  readonly probabilities: readonly number[] | null;
  readonly latencyMs: number;
  readonly features: Readonly<Record<string, unknown>>;
}

/** The blob-store folder of an endpoint's log (files below it by date). */
export function predictionLogPrefix(endpoint: string): string {
  return `${PREDICTION_LOG_ROOT}/${endpoint}`;
}

/** The file name part for a day, `date=YYYY-MM-DD` (UTC). */
export function predictionLogDay(ts: number): string {
  return `date=${new Date(ts).toISOString().slice(0, 10)}`;
}
