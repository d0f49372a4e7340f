import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rm } from 'node:fs/promises';
import type { DuckDBAppender } from '@duckdb/node-api';
import { join } from 'node:path';
import type { BlobStore } from '../artifacts/blob-store.js';
import { OrchardError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { DataEngine } from '../data/duckdb-engine.js';
import type { ColumnKind } from '../data/types.js';
import type { InputSignature } from './input-validation.js';
import { predictionLogDay, predictionLogPrefix, type PredictionRecord } from './prediction-log-schema.js';

export interface PredictionLogOptions {
  /** Rows that make a file: reaching it starts a flush. */
  readonly flushRows: number;
  /** Longest time a logged row waits in memory before its flush. */
  readonly flushIntervalMs: number;
  /** Most rows held in memory (including a flush in progress); past it `accepting` is false. */
  readonly maxBufferedRows: number;
}

export const DEFAULT_LOG_OPTIONS: PredictionLogOptions = Object.freeze({ flushRows: 20_000, flushIntervalMs: 5_000, maxBufferedRows: 200_000 });

interface Group {
  readonly endpoint: string;
  readonly day: string;
  readonly features: InputSignature;
  readonly records: PredictionRecord[];
}

/**
 * The prediction log's writer: records are buffered in memory (bounded by `maxBufferedRows`)
 * and written to Parquet in the blob store (layout and columns in prediction-log-schema.ts)
 * when `flushRows` are waiting, every `flushIntervalMs`, and on `close()`. A file holds one
 * endpoint, one UTC day and one feature layout (a new model version may have other inputs).
 * DuckDB writes each file from the records appended to a temporary table (its appender), typed explicitly; the
 * blob store puts it whole (temp file, rename), so readers never see half a file. A failed write
 * keeps its records for the next flush: nothing acknowledged is dropped.
 */
export class PredictionLogWriter {
  readonly #blobs: BlobStore;
  readonly #engine: DataEngine;
  readonly #options: PredictionLogOptions;
  readonly #logger: Logger | undefined;
  #groups = new Map<string, Group>();
  #buffered = 0;
  #flushing: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  #dayNumber = Number.NaN;
  #day = '';
  /** Rows written to Parquet so far, for metrics. */
  written = 0;

  constructor(deps: { blobs: BlobStore; engine: DataEngine; logger?: Logger }, options: PredictionLogOptions = DEFAULT_LOG_OPTIONS) {
    this.#blobs = deps.blobs;
    this.#engine = deps.engine;
    this.#options = options;
    this.#logger = deps.logger;
  }

  /** Whether there is room for more rows; when false, callers should refuse work (backpressure). */
  get accepting(): boolean {
    return !this.#closed && this.#buffered < this.#options.maxBufferedRows;
  }

  /** Rows held in memory, written or not. */
  get buffered(): number {
    return this.#buffered;
  }

  /** Adds records whose features follow `features`. Synchronous: once it returns, a flush will write them. */
  append(records: readonly PredictionRecord[], features: InputSignature): void {
    if (this.#closed) throw new OrchardError('NOT_READY', 'The prediction log is closed; the server is shutting down.');
    if (records.length === 0) return;
    const layout = features.map((f) => `${f.name}:${f.kind}`).join(',');
    for (const r of records) {
      // One date string per UTC day, not one per record (toISOString is costly at thousands of rows a second).
      const dayNumber = Math.floor(r.ts / 86_400_000);
      if (dayNumber !== this.#dayNumber) [this.#dayNumber, this.#day] = [dayNumber, predictionLogDay(r.ts)];
      const day = this.#day;
      const key = `${r.endpoint}\u0000${day}\u0000${layout}`;
      let g = this.#groups.get(key);
      if (!g) this.#groups.set(key, (g = { endpoint: r.endpoint, day, features, records: [] }));
      g.records.push(r);
    }
    this.#buffered += records.length;
    if (this.#pendingRows() >= this.#options.flushRows) void this.flush();
    else this.#timer ??= setTimeout(() => void this.flush(), this.#options.flushIntervalMs);
  }

  /** Writes every buffered record; resolves once they are in the blob store. */
  async flush(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    while (this.#flushing) await this.#flushing;
    if (this.#groups.size === 0) return;
    const groups = [...this.#groups.values()];
    this.#groups = new Map();
    this.#flushing = this.#write(groups).finally(() => (this.#flushing = undefined));
    await this.#flushing;
  }

  /** Flushes and refuses further records. */
  async close(): Promise<void> {
    await this.flush();
    this.#closed = true;
  }

  #pendingRows(): number {
    let n = 0;
    for (const g of this.#groups.values()) n += g.records.length;
    return n;
  }

  async #write(groups: Group[]): Promise<void> {
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i]!;
      try {
        await this.#writeGroup(g);
        this.#buffered -= g.records.length;
        this.written += g.records.length;
      } catch (error) {
        // Put back what was not written, so the next flush tries again and nothing is lost.
        for (const rest of groups.slice(i)) {
          const key = `${rest.endpoint}\u0000${rest.day}\u0000${rest.features.map((f) => `${f.name}:${f.kind}`).join(',')}`;
          const g2 = this.#groups.get(key);
          if (g2) g2.records.unshift(...rest.records);
          else this.#groups.set(key, rest);
        }
        this.#logger?.error(`Writing the prediction log failed; ${this.#buffered} rows stay buffered for the next flush: ${(error as Error).message}`);
        this.#timer ??= setTimeout(() => void this.flush(), this.#options.flushIntervalMs);
        throw error;
      }
    }
  }

  async #writeGroup(g: Group): Promise<void> {
    const dir = join(this.#engine.tempDir, 'prediction-log');
    await mkdir(dir, { recursive: true });
    const id = randomUUID();
    const parquetPath = join(dir, `${id}.parquet`);
    const table = `prediction_log_${id.replaceAll('-', '')}`;
    try {
      await this.#engine.withConnection(async (c) => {
        // The records go in through DuckDB's appender into a flat table (times as epoch milliseconds,
        // one column per feature), and DuckDB shapes them into the log's columns while writing Parquet.
        const featureColumns = g.features.map((f, i) => `f${i} ${f.kind === 'datetime' ? 'BIGINT' : sqlType(f.kind)}`);
        await c.run(`CREATE TEMP TABLE ${table} (request_id VARCHAR, ts BIGINT, endpoint VARCHAR, model VARCHAR, version INTEGER, digest VARCHAR, shadow BOOLEAN, prediction DOUBLE, label VARCHAR, probabilities VARCHAR, latency_ms DOUBLE${featureColumns.map((x) => `, ${x}`).join('')})`);
        try {
          const appender = await c.createAppender(table, 'main', 'temp');
          try {
            appendRecords(appender, g.records, g.features);
          } finally {
            appender.closeSync();
          }
          const features = g.features.length ? `struct_pack(${g.features.map((f, i) => `${quote(f.name)} := ${f.kind === 'datetime' ? `epoch_ms(f${i})` : `f${i}`}`).join(', ')})` : `'{}'::JSON`;
          await c.run(`COPY (SELECT request_id, epoch_ms(ts) AS ts, endpoint, model, version, digest, shadow, prediction, label, probabilities::DOUBLE[] AS probabilities, latency_ms, ${features} AS features FROM ${table}) TO ${literal(parquetPath)} (FORMAT parquet, COMPRESSION zstd)`);
        } finally {
          await c.run(`DROP TABLE IF EXISTS temp.${table}`);
        }
      });
      const first = g.records.reduce((m, r) => Math.min(m, r.ts), Infinity);
      await this.#blobs.put(`${predictionLogPrefix(g.endpoint)}/${g.day}/${first}-${id}.parquet`, await readFile(parquetPath));
    } finally {
      await rm(parquetPath, { force: true });
    }
  }
}

/** Appends records row by row in the flat table's column order; a missing or non-finite value is null. */
function appendRecords(a: DuckDBAppender, records: readonly PredictionRecord[], features: InputSignature): void {
  const text = (v: string | null) => (v === null ? a.appendNull() : a.appendVarchar(v));
  const number = (v: number | null) => (v === null || !Number.isFinite(v) ? a.appendNull() : a.appendDouble(v));
  // How each feature's value goes in, chosen once per flush rather than per value.
  const appendFeature = features.map((f): ((v: unknown) => void) => {
    if (f.kind === 'datetime') return (v) => (Number.isFinite(v) ? a.appendBigInt(BigInt(Math.round(v as number))) : a.appendNull());
    if (f.kind === 'boolean') return (v) => a.appendBoolean(Boolean(v));
    if (sqlType(f.kind) === 'DOUBLE') return (v) => number(typeof v === 'number' ? v : Number(v));
    return (v) => a.appendVarchar(String(v));
  });
  for (const r of records) {
    a.appendVarchar(r.requestId);
    a.appendBigInt(BigInt(Math.round(r.ts)));
    a.appendVarchar(r.endpoint);
    a.appendVarchar(r.model);
    if (r.version === null) a.appendNull();
    else a.appendInteger(r.version);
    a.appendVarchar(r.digest);
    a.appendBoolean(r.shadow);
    number(r.prediction);
    text(r.label);
    text(r.probabilities === null ? null : JSON.stringify(r.probabilities));
    number(r.latencyMs);
    for (let i = 0; i < features.length; i++) {
      const v = r.features[features[i]!.name];
      if (v === null || v === undefined) a.appendNull();
      else appendFeature[i]!(v);
    }
    a.endRow();
  }
}

function sqlType(kind: ColumnKind): string {
  switch (kind) {
    case 'numeric':
    case 'integer':
      return 'DOUBLE';
    case 'boolean':
      return 'BOOLEAN';
    case 'datetime':
      return 'TIMESTAMP';
    default:
      return 'VARCHAR';
  }
}

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;
const literal = (text: string) => `'${text.replaceAll("'", "''")}'`;

/**
 * The glob that reads an endpoint's whole log with DuckDB
 * (`SELECT … FROM read_parquet('<glob>', union_by_name = true)`), for a file: artifact store.
 * @throws OrchardError STORE_UNAVAILABLE when the blob store has no local files (S3).
 */
export function predictionLogGlob(blobs: BlobStore, endpoint: string): string {
  if (!blobs.localPath) throw new OrchardError('STORE_UNAVAILABLE', `The artifact store at ${blobs.location} has no local files; read the prediction log of '${endpoint}' through the blob store's own URLs.`);
  return join(blobs.location, predictionLogPrefix(endpoint), '*', '*.parquet');
}
