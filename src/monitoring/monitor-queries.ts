import type { DuckDBConnection } from '@duckdb/node-api';
import { ident, queryRows } from '../data/duckdb-engine.js';
import { isNumericKind, numericExpression } from '../data/profile.js';
import type { ColumnSchema } from '../data/types.js';
import type { FeatureType } from './drift-methods.js';
import type { HistogramChart } from './monitor-types.js';

/**
 * The DuckDB queries of a monitor run. Each returns aggregates only: summaries per side, distinct
 * values with both sides' counts, CDF distances, histogram bins, category counts.
 */

export const CHART_BINS = 20;
/** Categories beyond the most frequent ones are summed into one bucket, so a text column cannot flood memory. */
export const MAX_CATEGORIES = 1000;

export const featureType = (c: ColumnSchema): FeatureType => (isNumericKind(c.kind) ? 'numeric' : 'categorical');
const valueExpr = (c: ColumnSchema): string => (isNumericKind(c.kind) ? numericExpression(c) : `${ident(c.name)}::varchar`);

export interface Sides {
  readonly type: FeatureType;
  /** A datetime column, compared as epoch milliseconds. */
  readonly datetime: boolean;
  /** The value as compared, on each side: a finite double (datetimes as epoch ms) or text. */
  readonly ref: string;
  readonly cur: string;
}

export function sides(r: ColumnSchema, c: ColumnSchema): Sides {
  const type = featureType(r);
  const datetime = r.kind === 'datetime';
  if (type === 'categorical') return { type, datetime, ref: valueExpr(r), cur: `${ident(c.name)}::varchar` };
  // A log column that is not numeric where the reference is (a type mismatch) is read as numbers where it can be.
  return { type, datetime, ref: valueExpr(r), cur: isNumericKind(c.kind) ? numericExpression(c) : `try_cast(${ident(c.name)} as double)` };
}

export interface ColumnSummary {
  readonly n: number;
  readonly min: number | null;
  readonly max: number | null;
  readonly std: number | null;
  readonly distinct: number;
}

/** One scan of a side: its row count and, per feature, non-null count, min, max, population std, distinct values. */
export async function summaries(connection: DuckDBConnection, relation: string, exprs: readonly string[], types: readonly FeatureType[]): Promise<{ rows: number; columns: ColumnSummary[] }> {
  const parts = ['count(*) as rows'];
  exprs.forEach((x, i) => {
    parts.push(`count(${x}) as n${i}`, `approx_count_distinct(${x}) as d${i}`);
    if (types[i] === 'numeric') parts.push(`min(${x}) as mn${i}`, `max(${x}) as mx${i}`, `stddev_pop(${x}) as sd${i}`);
  });
  const [row = {}] = await queryRows(connection, `select ${parts.join(', ')} from ${relation}`);
  const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return {
    rows: Number(row.rows ?? 0),
    columns: exprs.map((_, i) => ({ n: Number(row[`n${i}`] ?? 0), min: num(row[`mn${i}`]), max: num(row[`mx${i}`]), std: num(row[`sd${i}`]), distinct: Number(row[`d${i}`] ?? 0) })),
  };
}

/** Distinct values in order with both samples' counts: exact input for KS and Wasserstein. */
export async function valueCounts(connection: DuckDBConnection, refSide: string, curSide: string) {
  const reader = await connection.runAndReadAll(
    `select v, sum(r)::double as r, sum(c)::double as c from (select v, 1 as r, 0 as c from ${refSide} where v is not null union all select v, 0, 1 from ${curSide} where v is not null) group by v order by v`,
  );
  const [values, reference, current] = reader.getColumns() as unknown as [number[], number[], number[]];
  return { values, reference, current };
}

/** Distinct values up to which value counts are read into JavaScript (three doubles each). */
export const VALUE_COUNTS_IN_JS = 500_000;

export async function exactDistinct(connection: DuckDBConnection, side: string): Promise<number> {
  return Number((await queryRows(connection, `select count(distinct v) as d from ${side}`))[0]?.d ?? 0);
}

/** KS statistic and Wasserstein distance from the two empirical CDFs, by window functions over the distinct values. */
export async function cdfDistances(connection: DuckDBConnection, refSide: string, curSide: string): Promise<{ d: number; w: number }> {
  const [row = {}] = await queryRows(
    connection,
    `with g as (select v, sum(r)::double as r, sum(c)::double as c from (select v, 1 as r, 0 as c from ${refSide} where v is not null union all select v, 0, 1 from ${curSide} where v is not null) group by v),
     t as (select sum(r) as n1, sum(c) as n2 from g),
     s as (select sum(r) over w / n1 - sum(c) over w / n2 as diff, lead(v) over (order by v) - v as dv from g, t window w as (order by v rows between unbounded preceding and current row))
     select max(abs(diff)) as d, sum(abs(diff) * dv) as w from s`,
  );
  return { d: Number(row.d ?? 0), w: Number(row.w ?? 0) };
}

/** The chart's bins from exact value counts, by the same rule as the SQL histogram. */
export function histogramOf(counts: { values: ArrayLike<number>; reference: ArrayLike<number>; current: ArrayLike<number> }, min: number, max: number): HistogramChart {
  const { bins, width, edges } = binsOf(min, max);
  const reference = new Array<number>(bins).fill(0);
  const current = new Array<number>(bins).fill(0);
  let currentBelow = 0;
  let currentAbove = 0;
  for (let i = 0; i < counts.values.length; i++) {
    const v = counts.values[i]!;
    const r = counts.reference[i]!;
    const c = counts.current[i]!;
    if (v < min) currentBelow += c;
    else if (v > max) currentAbove += c;
    else {
      const b = Math.min(Math.floor((v - min) / width), bins - 1);
      reference[b]! += r;
      current[b]! += c;
    }
  }
  return { kind: 'histogram', edges, reference, current, currentBelow, currentAbove };
}

function binsOf(min: number, max: number): { bins: number; width: number; edges: number[] } {
  const bins = max > min ? CHART_BINS : 1;
  const width = max > min ? (max - min) / bins : 1;
  return { bins, width, edges: Array.from({ length: bins + 1 }, (_, i) => (i === bins ? max : min + i * width)) };
}

export async function histogram(connection: DuckDBConnection, refSide: string, curSide: string, min: number, max: number): Promise<HistogramChart> {
  const { bins, width, edges } = binsOf(min, max);
  const lo = `'${min}'::double`;
  const hi = `'${max}'::double`;
  // Bin -1 is below the reference's minimum, `bins` above its maximum; the maximum itself is in the last bin.
  const bin = `case when v < ${lo} then -1 when v > ${hi} then ${bins} else least(floor((v - ${lo}) / '${width}'::double)::int, ${bins - 1}) end`;
  const rows = await queryRows(connection, `select s, b, count(*) as n from (select 'r' as s, ${bin} as b from ${refSide} where v is not null union all select 'c', ${bin} from ${curSide} where v is not null) group by s, b`);
  const reference = new Array<number>(bins).fill(0);
  const current = new Array<number>(bins).fill(0);
  let currentBelow = 0;
  let currentAbove = 0;
  for (const row of rows) {
    const b = Number(row.b);
    const n = Number(row.n);
    if (b < 0) currentBelow += row.s === 'c' ? n : 0;
    else if (b >= bins) currentAbove += row.s === 'c' ? n : 0;
    else (row.s === 'r' ? reference : current)[b]! += n;
  }
  return { kind: 'histogram', edges, reference, current, currentBelow, currentAbove };
}

export async function categories(connection: DuckDBConnection, refSide: string, curSide: string) {
  const grouped = `select v, sum(r) as r, sum(c) as c from (select v, 1 as r, 0 as c from ${refSide} where v is not null union all select v, 0, 1 from ${curSide} where v is not null) group by v`;
  const rows = await queryRows(
    connection,
    `with g as (${grouped}), ranked as (select *, row_number() over (order by r desc, c desc, v) as k from g)
     select case when k <= ${MAX_CATEGORIES} then v end as v, sum(r) as r, sum(c) as c, min(k) as k,
            sum(c) filter (where r = 0) as unseen, list(v order by c desc) filter (where r = 0)[1:5] as examples
     from ranked group by 1 order by min(k)`,
  );
  const values: string[] = [];
  const reference: number[] = [];
  const current: number[] = [];
  let unseen = 0;
  const unseenExamples: string[] = [];
  for (const row of rows) {
    values.push(row.v === null ? '(other)' : String(row.v));
    reference.push(Number(row.r));
    current.push(Number(row.c));
    unseen += Number(row.unseen ?? 0);
    for (const e of (row.examples as string[] | null) ?? []) if (unseenExamples.length < 5) unseenExamples.push(String(e));
  }
  return { values, reference, current, unseen, unseenExamples };
}
