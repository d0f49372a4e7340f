import type { ColumnKind, ColumnSchema } from './types.js';
import { ident } from './duckdb-engine.js';

/** Quantiles every numeric profile holds. */
export const QUANTILES = [0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99] as const;
export const QUANTILE_NAMES = ['p1', 'p5', 'p25', 'p50', 'p75', 'p95', 'p99'] as const;
export const HISTOGRAM_BINS = 20;
export const TOP_CATEGORIES = 20;
/** Up to this many rows distinct values are counted exactly; beyond, with HyperLogLog. */
export const EXACT_DISTINCT_ROWS = 100_000;
/** Correlations are computed between at most this many numeric columns. */
export const MAX_CORRELATED = 40;

export interface Histogram {
  /** `bins + 1` edges; bin i counts values in [edges[i], edges[i+1]), the last bin includes its right edge. */
  readonly edges: number[];
  readonly counts: number[];
}

export type Quantiles = Record<(typeof QUANTILE_NAMES)[number], number>;

/** Statistics of the finite values of a column (NaN and ±Infinity are left out). */
export interface NumericStats {
  readonly min: number;
  readonly max: number;
  readonly mean: number;
  /** Sample standard deviation (n − 1); null with fewer than two values. */
  readonly std: number | null;
  readonly quantiles: Quantiles;
  readonly histogram: Histogram;
}

export interface ColumnProfile {
  readonly name: string;
  readonly kind: ColumnKind;
  readonly physicalType: string;
  /** Non-null values. */
  readonly count: number;
  readonly missing: number;
  readonly missingFraction: number;
  /** Distinct non-null values: exact up to `EXACT_DISTINCT_ROWS` rows, approximate (HyperLogLog) beyond. */
  readonly distinct: number;
  /** For integer, numeric and datetime columns (datetimes in epoch milliseconds). */
  readonly numeric?: NumericStats;
  /** Most frequent values with their counts, for categorical, boolean and text columns. */
  readonly top?: { value: string; count: number }[];
  /** Lengths, for text and categorical columns. */
  readonly length?: { min: number; max: number; mean: number };
}

export interface DatasetProfile {
  readonly dataset: string;
  readonly rows: number;
  /** Rows that repeat an earlier row exactly. */
  readonly duplicateRows: number;
  readonly columns: ColumnProfile[];
  /** Pearson correlations between numeric columns (integer, numeric). */
  readonly correlations: { columns: string[]; matrix: (number | null)[][] };
  readonly createdAt: number;
}

export const isNumericKind = (kind: ColumnKind): boolean => kind === 'integer' || kind === 'numeric' || kind === 'datetime';

/**
 * The value a numeric statistic is computed on: datetimes as epoch milliseconds
 * (times of day as milliseconds since midnight). Non-finite values (NaN, ±Infinity,
 * infinite dates) become NULL: they have no place on a histogram's axis, and
 * DuckDB's stddev_samp fails on them.
 */
export function numericExpression(column: ColumnSchema): string {
  const id = ident(column.name);
  // TIME does not cast to TIMESTAMP; epoch() of a TIME is seconds since midnight.
  if (column.kind === 'datetime') return /^TIME$/i.test(column.physicalType) ? `(epoch(${id}) * 1000)::double` : `epoch_ms(${id}::timestamp)::double`;
  return `(case when isfinite(${id}::double) then ${id}::double end)`;
}

/** One scan: counts, distinct, and min/max/mean/std/quantiles or lengths per column. */
export function summarySql(columns: readonly ColumnSchema[], table: string): string {
  const parts: string[] = ['count(*) as rows'];
  columns.forEach((c, i) => {
    const id = ident(c.name);
    parts.push(`count(${id}) as c${i}`, `approx_count_distinct(${id}) as d${i}`);
    if (isNumericKind(c.kind)) {
      const x = numericExpression(c);
      parts.push(`min(${x}) as mn${i}`, `max(${x}) as mx${i}`, `avg(${x}) as av${i}`, `stddev_samp(${x}) as sd${i}`, `quantile_cont(${x}, [${QUANTILES.join(', ')}]) as q${i}`);
    } else if (c.kind === 'text' || c.kind === 'categorical') {
      parts.push(`min(length(${id})) as ln${i}`, `max(length(${id})) as lx${i}`, `avg(length(${id})) as la${i}`);
    }
  });
  return `select ${parts.join(', ')} from ${table}`;
}

/**
 * Histogram bin edges: equal-width bins between the 1st and 99th percentiles, plus
 * one bin each for the tails below and above them, so a few outliers do not squeeze
 * the bulk of the data into one bin. A constant column gets one bin. Edges are
 * strictly increasing when `max > min`: `bins + 1` of them unless rounding merged some.
 */
export function binEdges(min: number, max: number, p1: number, p99: number, bins = HISTOGRAM_BINS): number[] {
  if (!(max > min)) return [min, max];
  const lo = Math.max(min, p1);
  const hi = Math.min(max, p99);
  const inner = (lo > min ? 1 : 0) + (hi < max ? 1 : 0);
  const n = hi > lo ? bins - inner : bins;
  const [from, to] = hi > lo ? [lo, hi] : [min, max];
  const edges = Array.from({ length: n + 1 }, (_, i) => (i === n ? to : from + (i * (to - from)) / n));
  if (hi > lo && lo > min) edges.unshift(min);
  if (hi > lo && hi < max) edges.push(max);
  // A range narrow for its magnitude (1e15 to 1e15 + 1) rounds neighbouring edges together; keep edges strictly increasing.
  return edges.filter((e, i) => i === 0 || e > edges[i - 1]!);
}

/** The bin of a value: the last edge at or below it; the top edge belongs to the last bin. */
export function binIndex(edges: readonly number[], value: number): number {
  let lo = 0;
  let hi = edges.length - 2;
  if (value >= edges[hi + 1]!) return hi;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (edges[mid]! <= value) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** One scan: the histogram bin counts of every numeric column, as DuckDB maps bin → count. */
export function histogramSql(columns: readonly { column: ColumnSchema; edges: number[] }[], table: string): string {
  const values = columns.map(({ column }, i) => `${numericExpression(column)} as v${i}`);
  const parts = columns.map(({ edges }, i) => `histogram(case when v${i} is not null then ${binCase(`v${i}`, edges, 0, edges.length - 2)} end) as h${i}`);
  return `select ${parts.join(', ')} from (select ${values.join(', ')} from ${table})`;
}

/**
 * The bin of `x` among bins `lo..hi` as a binary search of nested CASEs, the same
 * rule as `binIndex` (a few comparisons a row; a lambda over the edge list was
 * tens of times slower). Edges are written as strings cast to DOUBLE so that
 * DuckDB reads back exactly the JavaScript number (a bare literal is a DECIMAL).
 */
function binCase(x: string, edges: readonly number[], lo: number, hi: number): string {
  if (lo >= hi) return String(lo);
  const mid = (lo + hi + 1) >> 1;
  return `case when ${x} >= '${edges[mid]!}'::double then ${binCase(x, edges, mid, hi)} else ${binCase(x, edges, lo, mid - 1)} end`;
}

/** Counts per bin from DuckDB's histogram map, in bin order. */
export function histogramCounts(map: unknown, bins: number): number[] {
  const counts = new Array<number>(Math.max(bins, 1)).fill(0);
  const entries: [unknown, unknown][] = map instanceof Map ? [...map.entries()] : Array.isArray(map) ? (map as { key: unknown; value: unknown }[]).map((e) => [e.key, e.value]) : Object.entries((map ?? {}) as object);
  for (const [k, v] of entries) {
    const index = Number(k);
    if (Number.isInteger(index) && index >= 0 && index < counts.length) counts[index]! += Number(v);
  }
  return counts;
}

export function topSql(column: ColumnSchema, table: string, limit = TOP_CATEGORIES): string {
  const id = ident(column.name);
  // Ties broken by value, so the list is the same on every run.
  return `select ${id}::varchar as value, count(*) as n from ${table} where ${id} is not null group by ${id} order by n desc, value asc limit ${limit}`;
}

export function correlationSql(columns: readonly ColumnSchema[], table: string): string {
  const parts: string[] = [];
  for (let i = 0; i < columns.length; i++) {
    for (let j = i + 1; j < columns.length; j++) parts.push(`corr(${numericExpression(columns[i]!)}, ${numericExpression(columns[j]!)}) as r${i}_${j}`);
  }
  return `select ${parts.join(', ')} from ${table}`;
}

/** One scan: exact distinct counts (`e<i>`) of every column. */
export function exactDistinctSql(columns: readonly ColumnSchema[], table: string): string {
  return `select ${columns.map((c, i) => `count(distinct ${ident(c.name)}) as e${i}`).join(', ')} from ${table}`;
}

export function duplicateSql(table: string): string {
  return `select count(*) - (select count(*) from (select distinct * from ${table})) as duplicates from ${table}`;
}
