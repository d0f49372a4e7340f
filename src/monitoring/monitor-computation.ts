import type { DuckDBConnection } from '@duckdb/node-api';
import type { ColumnSchema } from '../data/types.js';
import { DEFAULT_DRIFT_SHARE, FEW_DISTINCT, chooseMethod, datasetDrift, drifted, type DriftOptions, type FeatureType } from './drift-methods.js';
import { chiSquareHomogeneity, jensenShannonDistance, kolmogorovSmirnov, lInfinity, normalizedWasserstein, populationStabilityIndex, zTestProportions } from './drift-statistics.js';
import { ksTwoSamplePValue } from './ks-distribution.js';
import { VALUE_COUNTS_IN_JS, categories, cdfDistances, exactDistinct, featureType, histogram, histogramOf, sides, summaries, valueCounts, type ColumnSummary, type Sides } from './monitor-queries.js';
import type { CategoryChart, FeatureDrift, MonitorResult, QualityIssue } from './monitor-types.js';

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

export const CHART_CATEGORIES = 20;
/** Above this null rate in the window a feature gets a data-quality issue. */
export const NULL_RATE_ISSUE = 0.1;


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
    if (outOfRange > 0) quality.push({ feature: name, kind: 'out_of_range', message: `${outOfRange} values of \`${name}\` (${((outOfRange / curN) * 100).toFixed(1)}%) lie outside the reference's range [${e.datetime ? new Date(min).toISOString() : min}, ${e.datetime ? new Date(max).toISOString() : max}].` });
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
      ...(e.datetime ? { datetime: true } : {}),
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

