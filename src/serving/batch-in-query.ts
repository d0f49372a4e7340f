import { randomBytes } from 'node:crypto';
import { DOUBLE, DuckDBScalarFunction, INTEGER, type DuckDBConnection, type DuckDBDoubleVector, type DuckDBIntegerVector } from '@duckdb/node-api';
import { ident } from '../data/duckdb-engine.js';
import { chainSql } from '../data/transform.js';
import type { BatchModel } from './batch-model.js';
import { featureList, predictionColumns } from './batch-stream.js';

/**
 * Scoring inside the output query: DuckDB calls a scalar function, chunk by chunk,
 * with the feature columns it computed, and writes the predictions it returns
 * beside the kept input columns in the same `COPY` — the input is read once, no
 * prediction table is appended and no join follows. The function runs the model
 * on the calling thread (DuckDB's threads hand it their chunks and go on reading,
 * transforming and writing meanwhile), and the rows keep their input order.
 *
 * For models that predict synchronously in this process (Orchard model artifacts)
 * with one number per row (a probability or a value).
 */
export function canScoreInQuery(model: BatchModel): boolean {
  return model.predictSync !== null && model.output !== 'probabilities';
}

/** Scalar function name, distinct per loaded copy of this module (the registry below is per module). */
const FUNCTION = `orchard_predict_${randomBytes(4).toString('hex')}`;
/** Models being scored, by the handle their query passes as the function's first argument. */
const scoring = new Map<number, { predict: (features: readonly Float64Array[]) => Float64Array; features: number; rows: number; onRows: (rows: number) => void }>();
let nextHandle = 1;

/** Registers the function on the connection's database; registering it again is harmless. */
function register(connection: DuckDBConnection): void {
  connection.registerScalarFunction(
    DuckDBScalarFunction.create({
      name: FUNCTION,
      returnType: DOUBLE,
      parameterTypes: [INTEGER],
      varArgsType: DOUBLE,
      // Volatile: evaluated once per row where it stands, never copied into the label's expression.
      volatile: true,
      mainFunction: (info, input, output) => {
        try {
          const n = input.rowCount;
          const handle = Number((input.getColumnVector(0) as DuckDBIntegerVector).getItem(0));
          const job = scoring.get(handle);
          if (!job) throw new Error(`no model is being scored under handle ${handle}`);
          const features = Array.from({ length: job.features }, (_, j) => {
            const v = input.getColumnVector(j + 1) as DuckDBDoubleVector;
            // The arguments are coalesced to NaN, so every item is valid.
            return items(v) ?? Float64Array.from({ length: n }, (_, i) => v.getItem(i) ?? Number.NaN);
          });
          const predictions = job.predict(features);
          const out = output as DuckDBDoubleVector;
          const into = items(out);
          if (into) into.set(predictions);
          else for (let i = 0; i < n; i++) out.setItem(i, predictions[i]!);
          out.flush();
          job.rows += n;
          job.onRows(job.rows);
        } catch (error) {
          info.setError(`prediction failed: ${String((error as Error)?.message ?? error)}`);
        }
      },
    }),
  );
}

/**
 * A double vector's values as one typed array, when reachable: copying them in one
 * block is several times faster than item by item over millions of rows.
 */
function items(v: DuckDBDoubleVector): Float64Array | null {
  const all = (v as unknown as { items?: unknown }).items;
  return all instanceof Float64Array ? all : null;
}

/**
 * Writes the kept input columns and the predictions of `model` over `table` with one
 * `COPY … TO target (options)` on `connection`.
 * @returns the rows scored.
 */
export async function copyScored(connection: DuckDBConnection, model: BatchModel, table: string, keep: readonly string[], target: string, onRows: (rows: number) => void): Promise<number> {
  if (!model.predictSync) throw new Error('copyScored needs a model that predicts in this process');
  register(connection);
  const handle = nextHandle++;
  const job = { predict: model.predictSync, features: model.features.length, rows: 0, onRows };
  scoring.set(handle, job);
  try {
    await connection.run(`copy (${inQuerySql(model, table, keep, handle)}) to ${target}`);
    return job.rows;
  } finally {
    scoring.delete(handle);
  }
}

/**
 * The output query: the transform's CTE chain over the input, which carries the kept
 * columns along under private names (a transform step may replace a column in place,
 * as ordinal coding does), the function over the features, then the label in SQL.
 */
export function inQuerySql(model: BatchModel, table: string, keep: readonly string[], handle: number): string {
  const token = FUNCTION.slice('orchard_predict_'.length);
  const carried = keep.map((c, i) => [c, `__orchard_keep_${token}_${i}`] as const);
  const source = carried.length > 0 ? `(select *, ${carried.map(([c, a]) => `${ident(c)} as ${ident(a)}`).join(', ')} from ${table})` : table;
  const { ctes, last } = model.transform ? chainSql(model.transform.steps, source) : { ctes: `with t0 as (select * from ${source})`, last: 't0' };
  const inner = `${ctes} select ${[...carried.map(([, a]) => ident(a)), `${FUNCTION}(${handle}, ${featureList(model)}) as prediction`].join(', ')} from ${last}`;
  const outer = [...carried.map(([c, a]) => `${ident(a)} as ${ident(c)}`), ...predictionColumns(model, 'prediction', 1)];
  return `select ${outer.join(', ')} from (${inner})`;
}
