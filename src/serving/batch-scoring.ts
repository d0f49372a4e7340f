import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { ContentStore } from '../artifacts/content-store.js';
import type { Clock } from '../core/clock.js';
import { OrchardError, invalidArgument, throwIfIssues, type Issue } from '../core/errors.js';
import type { DatasetService } from '../data/dataset-service.js';
import { ident, literal, queryRows, type DataEngine } from '../data/duckdb-engine.js';
import { kindOfPhysical } from '../data/column-kinds.js';
import { stringStats, withKinds } from '../data/read-source.js';
import type { ColumnSchema, DatasetVersion } from '../data/types.js';
import type { MetadataStore } from '../metadata/metadata-store.js';
import type { RegistryService } from '../registry/registry-service.js';
import type { Actor, TrackingService } from '../tracking/tracking-service.js';
import { countRows, firstLine, inputColumns, resolveBatchInput, type BatchInput } from './batch-input.js';
import { batchModelOfOnnx, batchModelOfRef, type BatchModel } from './batch-model.js';
import { parseBatchOutput, publishFile, tempBeside, type BatchOutput } from './batch-output.js';
import { canScoreInQuery, copyScored } from './batch-in-query.js';
import { startChunkWorkers, type ChunkWorkers } from './batch-workers.js';
import { OUTPUT_COLUMNS, featureSql, outputSql, scoreIntoTable } from './batch-stream.js';

export interface PredictBatchInput {
  /** `flights@champion`, `flights@3` or a training run id; or give `modelFile`. */
  readonly model?: string;
  /** An ONNX model file, instead of `model`. */
  readonly modelFile?: string;
  /** `name@N`, `dataset:name@N`, or a CSV, Parquet or JSON file. */
  readonly input: string;
  /** A .parquet or .csv file, or `dataset:<name>` for a new dataset version. */
  readonly output: string;
  /** Input columns to keep beside the predictions; default all. */
  readonly columns?: readonly string[];
  /** Rows predicted at a time when predictions are streamed (see `threads`); default 65,536. */
  readonly chunkRows?: number;
  /**
   * Worker threads predicting streamed chunks (built-in learners); 0 predicts on the calling thread.
   * Orchard models with one number per row (binary, regression) are scored by default, and with 0,
   * inside the output query (DuckDB hands the calling thread its chunks while it reads and writes);
   * more than 0 streams them to worker threads instead. Multiclass and ONNX models are streamed,
   * by default on up to 2 worker threads (the cores) when the input has at least 100,000 rows or
   * its size is unknown.
   */
  readonly threads?: number;
  /** Overwrite an existing output file. */
  readonly force?: boolean;
  /** Where relative paths start; default the process's working folder. */
  readonly cwd?: string;
}

export interface PredictBatchResult {
  readonly runId: string;
  readonly model: { readonly ref: string; readonly resolved: string };
  readonly input: string;
  readonly output: { readonly kind: 'file'; readonly path: string } | { readonly kind: 'dataset'; readonly version: DatasetVersion };
  readonly columns: readonly string[];
  readonly rows: number;
  readonly seconds: number;
  readonly rowsPerSecond: number;
}

/** Rows scored so far; `total` when known up front (datasets, Parquet files). */
export interface BatchProgress {
  readonly rows: number;
  readonly total: number | null;
  readonly seconds: number;
}

export const PREDICT_EXPERIMENT = 'predict';
export const DEFAULT_CHUNK_ROWS = 65_536;
const MAX_CHUNK_ROWS = 4_194_304;
/** Below this many rows, starting worker threads costs more than it saves. */
const THREADED_MIN_ROWS = 100_000;

export interface BatchScoringDeps {
  readonly store: MetadataStore;
  readonly content: ContentStore;
  readonly engine: DataEngine;
  readonly datasets: DatasetService;
  readonly tracking: TrackingService;
  readonly registry: RegistryService;
  readonly clock: Clock;
}

/**
 * Batch (offline) scoring: the same model version as online serving, run over a
 * dataset version or a file — DuckDB computes the feature transform, the learner
 * predicts each chunk (inside DuckDB's output query, or streamed out and appended),
 * DuckDB writes the Parquet or CSV.
 * Each scoring is a tracked run in the `predict` experiment with lineage; a failed
 * one leaves no output file and no dataset version.
 */
export class BatchScoringService {
  readonly #deps: BatchScoringDeps;

  constructor(deps: BatchScoringDeps) {
    this.#deps = deps;
  }

  /**
   * Scores `input` with the model and writes `output`.
   * @throws OrchardError INVALID_ARGUMENT (bad options, input missing the model's columns — all named —, unreadable input),
   *   NOT_FOUND (unknown model, dataset or learner), ALREADY_EXISTS (output file without `force`), INTEGRITY_ERROR (corrupted model).
   */
  async predict(actor: Actor, request: PredictBatchInput, progress: (p: BatchProgress) => void = () => {}): Promise<PredictBatchResult> {
    const { engine, datasets, clock } = this.#deps;
    const cwd = request.cwd ?? process.cwd();
    const chunkRows = request.chunkRows ?? DEFAULT_CHUNK_ROWS;
    if (!Number.isInteger(chunkRows) || chunkRows < 1 || chunkRows > MAX_CHUNK_ROWS) throw invalidArgument(`The chunk size must be a whole number of rows from 1 to ${MAX_CHUNK_ROWS}, got ${chunkRows}.`, { chunkRows });
    if ((request.model === undefined) === (request.modelFile === undefined)) throw invalidArgument('Give a model reference (flights@champion, flights@3, a run id) or an ONNX model file, not both and not neither.');
    const output = parseBatchOutput(request.output, cwd, request.force === true);
    const model = request.model !== undefined ? await batchModelOfRef(this.#deps, request.model) : await batchModelOfOnnx(request.modelFile!, cwd);
    try {
      const input = await resolveBatchInput(datasets, request.input, cwd);
      return await engine.withConnection((read) =>
        engine.withConnection(async (write) => {
          const available = await inputColumns(read, input);
          const keep = checkColumns(model, input, available, request.columns);
          const total = await countRows(read, input);
          if (request.threads !== undefined && (!Number.isInteger(request.threads) || request.threads < 0 || request.threads > 64)) {
            throw invalidArgument(`threads must be a whole number from 0 to 64, got ${request.threads}.`, { threads: request.threads });
          }
          // Scored inside the output query unless worker threads are asked for and can load the model.
          const inQuery = canScoreInQuery(model) && (request.threads === undefined || request.threads === 0 || model.artifactJson === null);
          const threads = inQuery ? 0 : (request.threads ?? (total === null || total >= THREADED_MIN_ROWS ? Math.min(2, availableParallelism()) : 0));
          const started = clock.now();
          const workers = threads > 0 && model.artifactJson !== null ? startChunkWorkers(model.artifactJson, threads) : undefined;
          try {
            return await this.#score(actor, { model, input, output, keep, chunkRows, total, read, write, workers, inQuery }, progress, started);
          } finally {
            await workers?.close();
          }
        }),
      );
    } finally {
      await model.predictor.close();
    }
  }

  async #score(
    actor: Actor,
    job: {
      model: BatchModel;
      input: BatchInput;
      output: BatchOutput;
      keep: string[];
      chunkRows: number;
      total: number | null;
      workers: ChunkWorkers | undefined;
      inQuery: boolean;
      read: Parameters<typeof scoreIntoTable>[0];
      write: Parameters<typeof scoreIntoTable>[1];
    },
    progress: (p: BatchProgress) => void,
    started: number,
  ): Promise<PredictBatchResult> {
    const { tracking, clock } = this.#deps;
    const { model, input, output, keep } = job;
    const outputLabel = output.kind === 'file' ? `file:${output.path}` : `dataset:${output.name}`;
    const experiment = await tracking.ensureExperiment(actor, PREDICT_EXPERIMENT);
    const run = await tracking.createRun(actor, { experimentId: experiment.experimentId, runName: `predict ${model.resolved} on ${input.label}`, tags: [{ key: 'orchard.kind', value: 'predict' }] });
    const runId = run.info.runId;
    const table = `batch_predictions_${randomBytes(6).toString('hex')}`;
    const temp = output.kind === 'file' ? tempBeside(output.path) : join(this.#deps.engine.tempDir, `predict-${randomBytes(8).toString('hex')}.parquet`);
    try {
      await tracking.logBatch(actor, runId, {
        params: [
          { key: 'model', value: model.ref },
          { key: 'model_version', value: model.resolved },
          { key: 'input', value: input.label },
          { key: 'output', value: outputLabel },
          { key: 'chunk_rows', value: String(job.chunkRows) },
          { key: 'threads', value: String(job.workers?.size ?? 0) },
          { key: 'scoring', value: job.inQuery ? 'in-query' : 'streamed' },
        ],
      });
      const report = (rows: number) => progress({ rows, total: job.total, seconds: (clock.now() - started) / 1000 });
      report(0);
      let scored: { rows: number; width: number };
      try {
        const format = output.kind === 'file' && output.format === 'csv' ? '(format csv, header true)' : '(format parquet, compression zstd)';
        if (job.inQuery) scored = { rows: await copyScored(job.write, model, input.table, keep, `${literal(temp)} ${format}`, report), width: 1 };
        else {
          scored = await scoreIntoTable(job.read, job.write, featureSql(model, input.table), model, table, job.chunkRows, report, job.workers);
          await job.write.run(`copy (${outputSql(model, table, input.table, keep, scored.width)}) to ${literal(temp)} ${format}`);
        }
      } catch (cause) {
        if (cause instanceof OrchardError) throw cause;
        throw invalidArgument(`Cannot score ${input.given}: ${firstLine(cause)}`, { input: input.given });
      }
      const seconds = (clock.now() - started) / 1000;
      const published = output.kind === 'file' ? (await publishFile(temp, output), { kind: 'file' as const, path: output.path }) : { kind: 'dataset' as const, version: await this.#addVersion(actor, runId, temp, output.name, input, scored.rows, job.write) };
      const now = clock.now();
      await this.#deps.store.lineage.add([
        { srcKind: input.version ? 'dataset_version' : 'source', srcId: input.label, dstKind: 'run', dstId: runId, relation: 'consumed', createdAt: now },
        { srcKind: model.node.kind, srcId: model.node.id, dstKind: 'run', dstId: runId, relation: 'consumed', createdAt: now },
      ]);
      const rowsPerSecond = seconds > 0 ? scored.rows / seconds : 0;
      await tracking.logBatch(actor, runId, {
        params: [{ key: 'rows', value: String(scored.rows) }],
        metrics: [
          { key: 'rows', value: scored.rows },
          { key: 'seconds', value: seconds },
          { key: 'rows_per_second', value: rowsPerSecond },
        ],
        tags: published.kind === 'dataset' ? [{ key: 'orchard.dataset_version', value: `${published.version.name}@${published.version.version}` }] : [],
      });
      await tracking.updateRun(actor, runId, { status: 'FINISHED' });
      return { runId, model: { ref: model.ref, resolved: model.resolved }, input: input.label, output: published, columns: [...keep, ...outputNames(model)], rows: scored.rows, seconds, rowsPerSecond };
    } catch (error) {
      await tracking.logBatch(actor, runId, { tags: [{ key: 'orchard.error', value: String((error as Error)?.message ?? error).slice(0, 8000) }] }).catch(() => {});
      await tracking.updateRun(actor, runId, { status: 'FAILED' }).catch(() => {});
      throw error;
    } finally {
      await rm(temp, { force: true });
      await job.write.run(`drop table if exists ${ident(table)}`).catch(() => {});
    }
  }

  /** Stores the scored file as a new version of `name`, with lineage, in one transaction. */
  async #addVersion(actor: Actor, runId: string, file: string, name: string, input: BatchInput, rows: number, connection: Parameters<typeof scoreIntoTable>[1]): Promise<DatasetVersion> {
    const { content, store, clock } = this.#deps;
    const described = await queryRows(connection, `describe select * from read_parquet(${literal(file)})`);
    const columns: ColumnSchema[] = described.map((d) => ({ name: String(d.column_name), physicalType: String(d.column_type), kind: 'text', nullable: true }));
    const strings = columns.filter((c) => kindOfPhysical(c.physicalType) === 'string');
    const typed = withKinds(columns, await stringStats(connection, file, strings));
    const blob = await content.put(createReadStream(file));
    return store.transaction(async (tx) => {
      const now = clock.now();
      const r = await tx.datasets.addVersion({ name, digest: blob.digest, source: `predict:${input.label}`, rows, bytes: blob.size, columns: typed, profileDigest: null, runId, createdBy: actor.name, createdAt: now });
      const ref = `${name}@${r.version.version}`;
      await tx.lineage.add([
        { srcKind: 'run', srcId: runId, dstKind: 'dataset_version', dstId: ref, relation: r.created ? 'produced' : 'reproduced', createdAt: now },
        ...(input.version ? [{ srcKind: 'dataset_version', srcId: input.label, dstKind: 'dataset_version', dstId: ref, relation: 'derived_from', createdAt: now }] : []),
      ]);
      if (r.created) await tx.events.append({ at: now, actor: actor.name, action: 'dataset.version.create', entityKind: 'dataset_version', entityId: ref, before: null, after: { digest: blob.digest, rows, source: `predict:${input.label}` } });
      return r.version;
    });
  }
}

function outputNames(model: BatchModel): string[] {
  return model.output === 'value' ? ['prediction'] : model.output === 'probability' ? ['prediction', 'label'] : ['prediction', 'label', 'probabilities'];
}

/**
 * The input columns to keep; every problem at once: columns the model needs that
 * the input lacks, unknown `--columns`, kept columns named like an output column.
 */
function checkColumns(model: BatchModel, input: BatchInput, available: readonly string[], requested: readonly string[] | undefined): string[] {
  const issues: Issue[] = [];
  const missing = model.inputs.filter((c) => !available.includes(c));
  if (missing.length > 0) issues.push({ code: 'missing_column', path: ['input'], message: `${input.given} lacks the column(s) ${missing.join(', ')} the model reads (its columns: ${available.join(', ')})` });
  const unknown = (requested ?? []).filter((c) => !available.includes(c));
  if (unknown.length > 0) issues.push({ code: 'unknown_column', path: ['columns'], message: `${input.given} has no column(s) ${unknown.join(', ')} to keep` });
  const keep = [...new Set(requested ?? available)].filter((c) => available.includes(c));
  const clash = keep.filter((c) => (OUTPUT_COLUMNS as readonly string[]).includes(c));
  if (clash.length > 0) issues.push({ code: 'column_clash', path: ['columns'], message: `the input column(s) ${clash.join(', ')} would clash with the output's ${outputNames(model).join(', ')}; keep the other columns with --columns` });
  throwIfIssues('batch scoring', issues);
  return keep;
}
