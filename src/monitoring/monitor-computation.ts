import type { DuckDBConnection } from '@duckdb/node-api';
import { ident, queryRows } from '../data/duckdb-engine.js';
import { isNumericKind, numericExpression } from '../data/profile.js';
import type { ColumnSchema } from '../data/types.js';
import { DEFAULT_DRIFT_SHARE, FEW_DISTINCT, chooseMethod, datasetDrift, drifted, type DriftOptions, type FeatureType } from './drift-methods.js';
import { chiSquareHomogeneity, jensenShannonDistance, kolmogorovSmirnov, lInfinity, normalizedWasserstein, populationStabilityIndex, zTestProportions } from './drift-statistics.js';
import { ksTwoSamplePValue } from './ks-distribution.js';
import type { CategoryChart, FeatureDrift, HistogramChart, MonitorResult, QualityIssue } from './monitor-types.js';

/** A table or subquery DuckDB can read, with its columns. */
export interface MonitorSample {
  readonly relation: string;
  readonly columns: readonly ColumnSchema[];
  readonly description: string;
}

export interface DriftInput {
  readonly endpoint: string;
  readonly reference: MonitorSample;
  readonly current: MonitorSample & { readonly from: number | null; readonly to: number | null };
  /** Features to compare; default: every column of the current sample except `prediction`. */
  readonly features?: readonly string[];
  /** Whether both samples carry a `prediction` column to compare. */
  readonly predictionDrift: boolean;
  readonly options: DriftOptions;
  readonly now: number;
  /** Distinct values up to which value counts come to JavaScript (default VALUE_COUNTS_IN_JS); 0 computes everything in DuckDB. */
  readonly valueCountsLimit?: number;
}

export const CHART_BINS = 20;
export const CHART_CATEGORIES = 20;
/** Categories beyond the reference's and current window's most frequent ones are summed into one bucket, so a text column cannot flood memory. */
export const MAX_CATEGORIES = 1000;
/** Above this null rate in the window a feature gets a data-quality issue. */
export const NULL_RATE_ISSUE = 0.1;

const featureType = (c: ColumnSchema): FeatureType => (isNumericKind(c.kind) ? 'numeric' : 'categorical');
const valueExpr = (c: ColumnSchema): string => (isNumericKind(c.kind) ? numericExpression(c) : `${ident(c.name)}::varchar`);

/**
 * Feature drift, prediction drift and data quality of a current sample against a reference,
 * in DuckDB: one summary scan per side, then per feature one grouped query (distinct values with
 * both samples' counts, for KS and Wasserstein — exact, not binned), one histogram query, or one
 * category query. Only aggregates reach JavaScript.
 */
export async function computeDrift(connection: DuckDBConnection, input: DriftInput): Promise<MonitorResult> {
  const ref = new Map(input.reference.columns.map((c) => [c.name, c]));
  const cur = new Map(input.current.columns.map((c) => [c.name, c]));
  const names = input.features ?? input.current.columns.map((c) => c.name).filter((n) => n !== 'prediction');
  const quality: QualityIssue[] = [];
  const messages: string[] = [];

  // Features present on both sides, compared as the reference's type.
  const compared = names.filter((n) => ref.has(n) && cur.has(n));
  const withPrediction = input.predictionDrift && ref.has('prediction') && cur.has('prediction') ? [...compared, 'prediction'] : compared;
  const exprs = withPrediction.map((n) => sides(ref.get(n)!, cur.get(n)!));
  const [rs, cs] = [await summaries(connection, input.reference.relation, exprs.map((e) => e.ref), exprs.map((e) => e.type)), await summaries(connection, input.current.relation, exprs.map((e) => e.cur), exprs.map((e) => e.type))];
  const refRows = rs.rows;
  const curRows = cs.rows;
  if (curRows === 0) {
    messages.push(`The window (${input.current.description}) has no predictions; nothing to compare. Widen it (--window) or check that the endpoint is receiving traffic.`);
    quality.push({ feature: '', kind: 'empty_window', message: messages[0]! });
  }
  if (refRows === 0) messages.push(`The reference (${input.reference.description}) has no rows; choose another reference (--reference).`);

  const features: FeatureDrift[] = [];
  for (const name of names) {
    const r = ref.get(name);
    const c = cur.get(name);
    if (!c || !r) {
      const where = !c ? `the prediction log of ${input.endpoint} (${input.current.description})` : `the reference ${input.reference.description}`;
      const message = `Feature \`${name}\` is missing from ${where}; known there: ${[...(!c ? cur : ref).keys()].filter((k) => k !== 'prediction').join(', ') || 'none'}.`;
      quality.push({ feature: name, kind: 'missing_feature', message });
      // Missing on both sides, its type is unknown; numeric is as good a label as any.
      const known = r ?? c;
      features.push(placeholder(name, known ? featureType(known) : 'numeric', 'missing', message));
      continue;
    }
    if (featureType(r) !== featureType(c)) {
      quality.push({ feature: name, kind: 'type_mismatch', message: `Feature \`${name}\` is ${r.physicalType} in the reference but ${c.physicalType} in the log; compared as ${featureType(r)}.` });
    }
    const k = withPrediction.indexOf(name);
    features.push(await featureDrift(connection, name, exprs[k]!, rs.columns[k]!, cs.columns[k]!, input, refRows, curRows, quality));
  }
  let prediction: FeatureDrift | null = null;
  const k = withPrediction.indexOf('prediction');
  if (k >= 0) prediction = await featureDrift(connection, 'prediction', exprs[k]!, rs.columns[k]!, cs.columns[k]!, input, refRows, curRows, quality);

  const evaluated = features.filter((f) => f.status === 'ok');
  const share = input.options.driftShare ?? DEFAULT_DRIFT_SHARE;
  const verdict = datasetDrift(evaluated.map((f) => f.drifted), share);
  return {
    endpoint: input.endpoint,
    computedAt: input.now,
    reference: { description: input.reference.description, rows: refRows },
    window: { description: input.current.description, rows: curRows, from: input.current.from, to: input.current.to },
    features,
    prediction,
    dataset: { ...verdict, driftedFeatures: evaluated.filter((f) => f.drifted).length, evaluatedFeatures: evaluated.length, shareThreshold: share },
    quality,
    messages,
  };
}

interface Sides {
  readonly type: FeatureType;
  /** The value as compared, on each side: a finite double (datetimes as epoch ms) or text. */
  readonly ref: string;
  readonly cur: string;
}

function sides(r: ColumnSchema, c: ColumnSchema): Sides {
  const type = featureType(r);
  if (type === 'categorical') return { type, ref: valueExpr(r), cur: `${ident(c.name)}::varchar` };
  // A log column that is not numeric where the reference is (a type mismatch) is read as numbers where it can be.
  return { type, ref: valueExpr(r), cur: isNumericKind(c.kind) ? numericExpression(c) : `try_cast(${ident(c.name)} as double)` };
}

interface ColumnSummary {
  readonly n: number;
  readonly min: number | null;
  readonly max: number | null;
  readonly std: number | null;
  readonly distinct: number;
}

/** One scan of a side: its row count and, per feature, non-null count, min, max, population std, distinct values. */
async function summaries(connection: DuckDBConnection, relation: string, exprs: readonly string[], types: readonly FeatureType[]): Promise<{ rows: number; columns: ColumnSummary[] }> {
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

function placeholder(name: string, type: FeatureType, status: FeatureDrift['status'], message: string, refRows = 0, refNulls = 0, curRows = 0, curNulls = 0): FeatureDrift {
  const stats = (rows: number, nulls: number) => ({ rows, nulls, nullRate: rows === 0 ? 0 : nulls / rows });
  return { name, type, status, message, method: null, threshold: null, score: null, statistic: null, drifted: false, reference: { ...stats(refRows, refNulls), distinct: 0 }, current: stats(curRows, curNulls), chart: null };
}

async function featureDrift(connection: DuckDBConnection, name: string, e: Sides, rs: ColumnSummary, cs: ColumnSummary, input: DriftInput, refRows: number, curRows: number, quality: QualityIssue[]): Promise<FeatureDrift> {
  const type = e.type;
  const refSide = `(select ${e.ref} as v from ${input.reference.relation})`;
  const curSide = `(select ${e.cur} as v from ${input.current.relation})`;
  const refN = rs.n;
  const curN = cs.n;
  const refNulls = refRows - refN;
  const curNulls = curRows - curN;
  const curNullRate = curRows === 0 ? 0 : curNulls / curRows;
  if (curRows > 0 && curNullRate > Math.max(NULL_RATE_ISSUE, refRows === 0 ? 0 : refNulls / refRows)) {
    quality.push({ feature: name, kind: 'null_rate', message: `Feature \`${name}\` is null in ${(curNullRate * 100).toFixed(1)}% of the window's rows (reference: ${refRows === 0 ? 0 : ((refNulls / refRows) * 100).toFixed(1)}%).` });
  }
  if (curRows === 0) return placeholder(name, type, 'empty', 'The window has no rows.', refRows, refNulls);
  if (refN === 0 || curN === 0) {
    const side = refN === 0 ? `the reference ${input.reference.description}` : 'the window';
    return placeholder(name, type, 'all_null', `Feature \`${name}\` has no non-null values in ${side}; drift cannot be measured.`, refRows, refNulls, curRows, curNulls);
  }
  // HyperLogLog miscounts even a handful of values; few distinct values are counted exactly, since the method depends on them.
  const distinct = rs.distinct <= 2 * FEW_DISTINCT ? await exactDistinct(connection, refSide) : rs.distinct;
  const { method, threshold } = chooseMethod(name, type, refN, distinct, input.options);
  const base = { name, type, status: 'ok' as const, method, threshold };
  const refStats = { rows: refRows, nulls: refNulls, nullRate: refRows === 0 ? 0 : refNulls / refRows, distinct };
  const curStats = { rows: curRows, nulls: curNulls, nullRate: curNullRate };

  if (type === 'numeric') {
    const min = rs.min!;
    const max = rs.max!;
    const std = rs.std ?? 0;
    // Up to VALUE_COUNTS_IN_JS distinct values the exact value counts come to JavaScript (the histogram is
    // derived from them); beyond, KS and Wasserstein are computed by window functions in DuckDB.
    const small = rs.distinct + cs.distinct <= (input.valueCountsLimit ?? VALUE_COUNTS_IN_JS);
    const counts = small ? await valueCounts(connection, refSide, curSide) : undefined;
    const chart = counts ? histogramOf(counts, min, max) : await histogram(connection, refSide, curSide, min, max);
    const outOfRange = chart.currentBelow + chart.currentAbove;
    if (outOfRange > 0) quality.push({ feature: name, kind: 'out_of_range', message: `${outOfRange} values of \`${name}\` (${((outOfRange / curN) * 100).toFixed(1)}%) lie outside the reference's range [${min}, ${max}].` });
    let statistic: number;
    let score: number;
    let message: string | null = null;
    if (method === 'ks' || method === 'wasserstein') {
      const cdf = counts ? undefined : await cdfDistances(connection, refSide, curSide);
      if (method === 'ks') {
        const ks = counts ? kolmogorovSmirnov(counts) : ksTwoSamplePValue(cdf!.d, refN, curN);
        [statistic, score] = [ks.statistic, ks.pValue];
      } else {
        statistic = score = counts ? normalizedWasserstein(counts, std) : std > 0 ? cdf!.w / std : cdf!.w === 0 ? 0 : Number.POSITIVE_INFINITY;
        if (!(std > 0)) message = `The reference is constant (${min}); the normalised Wasserstein distance is ${score === 0 ? '0: the window holds the same value' : 'infinite: the window holds other values'}.`;
      }
    } else {
      // Binned methods on a numeric feature use the chart's bins plus the two out-of-range bins.
      const r = [0, ...chart.reference, 0];
      const c = [chart.currentBelow, ...chart.current, chart.currentAbove];
      ({ statistic, score } = categoryScore(method, r, c));
    }
    const verdict = drifted(method, score, threshold);
    return {
      ...base,
      message,
      score: Number.isFinite(score) ? score : null,
      statistic: Number.isFinite(statistic) ? statistic : null,
      drifted: verdict,
      reference: { ...refStats, min, max, std },
      current: { ...curStats, outOfRange, outOfRangeRate: outOfRange / curN },
      chart,
    };
  }

  const cats = await categories(connection, refSide, curSide);
  if (cats.unseen > 0) quality.push({ feature: name, kind: 'unseen_category', message: `${cats.unseen} values of \`${name}\` (${((cats.unseen / curN) * 100).toFixed(1)}%) are categories the reference never had, e.g. ${cats.unseenExamples.map((e) => `'${e}'`).join(', ')}.` });
  const { statistic, score } = categoryScore(method, cats.reference, cats.current);
  const top = Math.min(CHART_CATEGORIES, cats.values.length);
  const chart: CategoryChart = {
    kind: 'categories',
    categories: cats.values.slice(0, top),
    reference: cats.reference.slice(0, top),
    current: cats.current.slice(0, top),
    otherReference: cats.reference.slice(top).reduce((s, v) => s + v, 0),
    otherCurrent: cats.current.slice(top).reduce((s, v) => s + v, 0),
  };
  return {
    ...base,
    message: null,
    score,
    statistic,
    drifted: drifted(method, score, threshold),
    reference: refStats,
    current: { ...curStats, unseen: cats.unseen, unseenRate: cats.unseen / curN, unseenExamples: cats.unseenExamples },
    chart,
  };
}

function categoryScore(method: string, r: number[], c: number[]): { statistic: number; score: number } {
  switch (method) {
    case 'chisquare': {
      const t = chiSquareHomogeneity(r, c);
      return { statistic: t.statistic, score: t.pValue };
    }
    case 'z': {
      // The proportion of the reference's most frequent category (or bin); with two categories either gives the same |z|.
      const k = r.indexOf(Math.max(...r));
      const t = zTestProportions(r[k] ?? 0, sum(r), c[k] ?? 0, sum(c));
      return { statistic: t.statistic, score: t.pValue };
    }
    case 'psi': {
      const s = populationStabilityIndex(r, c);
      return { statistic: s, score: s };
    }
    case 'linf': {
      const s = lInfinity(r, c);
      return { statistic: s, score: s };
    }
    default: {
      const s = jensenShannonDistance(r, c);
      return { statistic: s, score: s };
    }
  }
}

const sum = (xs: readonly number[]): number => xs.reduce((s, v) => s + v, 0);

/** Distinct values in order with both samples' counts: exact input for KS and Wasserstein. */
async function valueCounts(connection: DuckDBConnection, refSide: string, curSide: string) {
  const reader = await connection.runAndReadAll(
    `select v, sum(r)::double as r, sum(c)::double as c from (select v, 1 as r, 0 as c from ${refSide} where v is not null union all select v, 0, 1 from ${curSide} where v is not null) group by v order by v`,
  );
  const [values, reference, current] = reader.getColumns() as unknown as [number[], number[], number[]];
  return { values, reference, current };
}

/** Distinct values up to which value counts are read into JavaScript (three doubles each). */
export const VALUE_COUNTS_IN_JS = 500_000;

async function exactDistinct(connection: DuckDBConnection, side: string): Promise<number> {
  return Number((await queryRows(connection, `select count(distinct v) as d from ${side}`))[0]?.d ?? 0);
}

/** KS statistic and Wasserstein distance from the two empirical CDFs, by window functions over the distinct values. */
async function cdfDistances(connection: DuckDBConnection, refSide: string, curSide: string): Promise<{ d: number; w: number }> {
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
function histogramOf(counts: { values: ArrayLike<number>; reference: ArrayLike<number>; current: ArrayLike<number> }, min: number, max: number): HistogramChart {
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

async function histogram(connection: DuckDBConnection, refSide: string, curSide: string, min: number, max: number): Promise<HistogramChart> {
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

async function categories(connection: DuckDBConnection, refSide: string, curSide: string) {
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
