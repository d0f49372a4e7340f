import { DOUBLE, DuckDBDataChunk, type DuckDBConnection, type DuckDBDoubleVector } from '@duckdb/node-api';
import { ident, literal } from '../data/duckdb-engine.js';
import { chainSql } from '../data/transform.js';
import type { BatchModel } from './batch-model.js';
import type { ChunkWorkers } from './batch-workers.js';

/** The names batch scoring adds to the kept input columns. */
export const OUTPUT_COLUMNS = ['prediction', 'label', 'probabilities'] as const;

/** DuckDB's vector size: the most rows one data chunk holds. */
const VECTOR_SIZE = 2048;

/**
 * The query giving the model's feature columns as DOUBLE, missing values as NaN
 * (what the learners take), computed by DuckDB from `table`.
 */
export function featureSql(model: BatchModel, table: string): string {
  const cols = featureList(model);
  if (!model.transform) return `select ${cols} from ${table}`;
  const { ctes, last } = chainSql(model.transform.steps, table);
  return `${ctes} select ${cols} from ${last}`;
}

/** The model's feature columns as DOUBLE, missing values as NaN, comma-separated. */
export function featureList(model: BatchModel): string {
  return model.features.map((f) => `coalesce(${ident(f)}::double, 'NaN'::double)`).join(', ');
}

/**
 * Streams the feature query on `read` chunk by chunk, predicts every `chunkRows`
 * rows, and appends the predictions, in input order, to a new table `table` made on
 * `write` (a second connection: a pending stream is closed by any other statement
 * on its own connection). No array ever holds more than one chunk.
 *
 * The table has `prediction` (a probability, value or, for multiclass, the class
 * index) and for multiclass `p0 … p{K−1}`.
 * @returns rows scored and scores per row (K).
 */
export async function scoreIntoTable(
  read: DuckDBConnection,
  write: DuckDBConnection,
  sql: string,
  model: BatchModel,
  table: string,
  chunkRows: number,
  onChunk: (rows: number) => void,
  workers?: ChunkWorkers,
): Promise<{ rows: number; width: number }> {
  const F = model.features.length;
  const fresh = () => model.features.map(() => new Float64Array(chunkRows));
  let buffers = fresh();
  // Chunks predicted by workers are appended, in order, when their turn comes; chunks
  // predicted here wait behind them. Bounded, so no more than a few chunks are held.
  const most = workers ? workers.size * 2 + 2 : 0;
  const pending: { predictions: Promise<Float64Array>; n: number; done: boolean }[] = [];
  let appender: Awaited<ReturnType<DuckDBConnection['createAppender']>> | undefined;
  let out: DuckDBDataChunk | undefined;
  let width = model.predictor.width;
  let fill = 0;
  let rows = 0;

  const open = async (K: number) => {
    width = K;
    const probabilities = model.output === 'probabilities' ? Array.from({ length: K }, (_, k) => `, p${k} DOUBLE`).join('') : '';
    await write.run(`create table ${ident(table)} (prediction DOUBLE${probabilities})`);
    appender = await write.createAppender(table);
    out = DuckDBDataChunk.create(Array.from({ length: model.output === 'probabilities' ? K + 1 : 1 }, () => DOUBLE), VECTOR_SIZE);
  };

  const append = async (predictions: Float64Array, n: number) => {
    if (!appender) await open(model.output === 'probabilities' ? Math.max(1, Math.round(predictions.length / Math.max(1, n))) : 1);
    appendPredictions(appender!, out!, predictions, n, model.output === 'probabilities' ? width : 0);
    rows += n;
    onChunk(rows);
  };
  const drain = async (keep: number) => {
    while (pending.length > keep) {
      const { predictions, n } = pending.shift()!;
      await append(await predictions, n);
    }
  };
  const flush = async () => {
    const features = buffers.map((b) => b.subarray(0, fill));
    const n = fill;
    fill = 0;
    if (workers?.hasRoom()) {
      // The buffers move to the worker; the next chunk fills new ones.
      const entry = { predictions: workers.predict(features), n, done: false };
      // Awaited in order by drain; a failure while an earlier chunk is awaited must not go unhandled.
      entry.predictions.then(
        () => (entry.done = true),
        () => (entry.done = true),
      );
      pending.push(entry);
      buffers = fresh();
    } else {
      // No worker ready with room (still starting, all busy, or none): predict here.
      const predictions = await model.predictor.predictFeatures(features);
      if (pending.length === 0) return append(predictions, n);
      pending.push({ predictions: Promise.resolve(predictions), n, done: true });
    }
    // Completed chunks at the head go out now; never more than `most` wait.
    while (pending.length > 0 && (pending.length > most || pending[0]!.done)) await drain(pending.length - 1);
  };

  const result = await read.stream(sql);
  // DuckDB computes the next chunk (on its own threads) while this one is copied and predicted.
  let next = result.fetchChunk();
  for (;;) {
    const chunk = await next;
    if (!chunk || chunk.rowCount === 0) break;
    next = result.fetchChunk();
    // A failed prefetch is thrown by the await above; one left pending when a prediction fails must not go unhandled.
    next.catch(() => {});
    const n = chunk.rowCount;
    const vectors = Array.from({ length: F }, (_, j) => chunk.getColumnVector(j) as DuckDBDoubleVector);
    let offset = 0;
    while (offset < n) {
      const take = Math.min(n - offset, chunkRows - fill);
      for (let j = 0; j < F; j++) {
        const v = vectors[j]!;
        const b = buffers[j]!;
        // The query coalesces nulls to NaN, so every item is valid: copy the vector's
        // values in one block when its typed array is reachable (getItem per value is
        // several times slower over millions of rows), else item by item.
        const items = (v as unknown as { items?: unknown }).items;
        if (items instanceof Float64Array) b.set(items.subarray(offset, offset + take), fill);
        else for (let i = 0; i < take; i++) b[fill + i] = v.getItem(offset + i) ?? Number.NaN;
      }
      fill += take;
      offset += take;
      if (fill === chunkRows) await flush();
    }
  }
  if (fill > 0) await flush();
  await drain(0);
  if (!appender) await open(Math.max(1, width));
  appender!.closeSync();
  return { rows, width };
}

/** Appends `n` rows of predictions: one value per row, or (K > 0) the arg-max index and K probabilities. */
function appendPredictions(appender: { appendDataChunk(c: DuckDBDataChunk): void }, out: DuckDBDataChunk, predictions: Float64Array, n: number, K: number): void {
  for (let start = 0; start < n; start += VECTOR_SIZE) {
    const m = Math.min(VECTOR_SIZE, n - start);
    out.rowCount = m;
    const prediction = out.getColumnVector(0) as DuckDBDoubleVector;
    if (K === 0) {
      for (let i = 0; i < m; i++) prediction.setItem(i, predictions[start + i]!);
    } else {
      const columns = Array.from({ length: K }, (_, k) => out.getColumnVector(k + 1) as DuckDBDoubleVector);
      for (let i = 0; i < m; i++) {
        const base = (start + i) * K;
        // The first largest probability wins, as NumPy's argmax; a row of NaN has no class.
        let best = -1;
        for (let k = 0; k < K; k++) {
          const p = predictions[base + k]!;
          columns[k]!.setItem(i, p);
          if (p === p && (best < 0 || p > predictions[base + best]!)) best = k;
        }
        prediction.setItem(i, best < 0 ? null : best);
      }
      for (const c of columns) c.flush();
    }
    prediction.flush();
    appender.appendDataChunk(out);
  }
}

/**
 * The output query: the kept input columns beside the predictions, joined by
 * position (both sides read in the same order), with the label and the
 * probability list computed in SQL.
 */
export function outputSql(model: BatchModel, table: string, input: string, keep: readonly string[], width: number): string {
  const select = [...keep.map((c) => `s.${ident(c)}`), ...predictionColumns(model, 'p.prediction', width, 'p')];
  const left = keep.length > 0 ? `(select ${keep.map(ident).join(', ')} from ${input}) s positional join ` : '';
  return `select ${select.join(', ')} from ${left}${ident(table)} p`;
}

/**
 * The output's prediction columns from the prediction `p` (and, for multiclass,
 * `${table}.p0 …`): the prediction, the label (class 1 above 0.5, or the arg-max
 * class) and the probability list.
 */
export function predictionColumns(model: BatchModel, p: string, width: number, table = 'p'): string[] {
  const select: string[] = [];
  const classes = model.classes && model.classes.length > 0 ? `[${model.classes.map(literal).join(', ')}]` : null;
  if (model.output === 'probability') {
    select.push(`${p} as prediction`);
    // DuckDB orders NaN above every number; a missing probability has no label.
    const positive = `case when isnan(${p}) then null else ${p} > 0.5 end`;
    select.push(classes && model.classes!.length === 2 ? `case when ${positive} then ${literal(model.classes![1]!)} when not ${positive} then ${literal(model.classes![0]!)} end as label` : `(${positive})::integer as label`);
  } else if (model.output === 'probabilities') {
    select.push(`${p}::integer as prediction`);
    select.push(classes ? `${classes}[${p}::integer + 1] as label` : `${p}::integer as label`);
    select.push(`[${Array.from({ length: width }, (_, k) => `${table}.p${k}`).join(', ')}]::double[] as probabilities`);
  } else {
    select.push(`${p} as prediction`);
  }
  return select;
}

