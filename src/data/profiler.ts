import type { DuckDBConnection } from '@duckdb/node-api';
import { literal, queryRows } from './duckdb-engine.js';
import {
  EXACT_DISTINCT_ROWS,
  HISTOGRAM_BINS,
  MAX_CORRELATED,
  QUANTILE_NAMES,
  binEdges,
  correlationSql,
  duplicateSql,
  exactDistinctSql,
  histogramCounts,
  histogramSql,
  isNumericKind,
  summarySql,
  topSql,
  type ColumnProfile,
  type DatasetProfile,
  type Quantiles,
} from './profile.js';
import type { ColumnSchema } from './types.js';

/**
 * Profiles a Parquet file with a handful of DuckDB scans (summary, histograms,
 * top values, duplicates, correlations); no row reaches JavaScript.
 */
export async function profileParquet(
  connection: DuckDBConnection,
  path: string,
  columns: readonly ColumnSchema[],
  dataset: string,
  now: number,
  progress: (stage: string) => void = () => {},
): Promise<DatasetProfile> {
  const table = `read_parquet(${literal(path)})`;
  progress('summary statistics');
  const [summary = {}] = await queryRows(connection, summarySql(columns, table));
  const rows = Number(summary.rows ?? 0);
  // HyperLogLog is off by a few even on a handful of values (18 for 17); small data can afford the exact count.
  const [exact = {}] = rows <= EXACT_DISTINCT_ROWS && columns.length > 0 ? await queryRows(connection, exactDistinctSql(columns, table)) : [];

  const numeric = columns
    .map((column, i) => ({ column, i }))
    .filter(({ column, i }) => isNumericKind(column.kind) && summary[`mn${i}`] !== null && summary[`mn${i}`] !== undefined);
  const edgesOf = new Map<number, number[]>(
    numeric.map(({ i }) => {
      const q = summary[`q${i}`] as number[];
      return [i, binEdges(Number(summary[`mn${i}`]), Number(summary[`mx${i}`]), Number(q[0]), Number(q[q.length - 1]), HISTOGRAM_BINS)];
    }),
  );
  const countsOf = new Map<number, number[]>();
  if (numeric.length > 0) {
    progress('histograms');
    const [h = {}] = await queryRows(connection, histogramSql(numeric.map(({ column, i }) => ({ column, edges: edgesOf.get(i)! })), table));
    numeric.forEach(({ i }, k) => countsOf.set(i, histogramCounts(h[`h${k}`], edgesOf.get(i)!.length - 1)));
  }

  progress('top values');
  const topOf = new Map<number, { value: string; count: number }[]>();
  for (const [i, c] of columns.entries()) {
    if (c.kind === 'categorical' || c.kind === 'boolean' || c.kind === 'text') {
      topOf.set(i, (await queryRows(connection, topSql(c, table))).map((r) => ({ value: String(r.value), count: Number(r.n) })));
    }
  }

  progress('duplicate rows');
  const duplicateRows = Number((await queryRows(connection, duplicateSql(table)))[0]?.duplicates ?? 0);

  const correlated = columns.filter((c) => c.kind === 'integer' || c.kind === 'numeric').slice(0, MAX_CORRELATED);
  const matrix = correlated.map((_, i) => correlated.map((__, j) => (i === j ? 1 : null as number | null)));
  if (correlated.length > 1) {
    progress('correlations');
    const [r = {}] = await queryRows(connection, correlationSql(correlated, table));
    for (let i = 0; i < correlated.length; i++) {
      for (let j = i + 1; j < correlated.length; j++) {
        const v = r[`r${i}_${j}`];
        const value = v === null || v === undefined || Number.isNaN(Number(v)) ? null : Number(v);
        matrix[i]![j] = value;
        matrix[j]![i] = value;
      }
    }
  }

  const profiles: ColumnProfile[] = columns.map((c, i) => {
    const count = Number(summary[`c${i}`] ?? 0);
    const base = {
      name: c.name,
      kind: c.kind,
      physicalType: c.physicalType,
      count,
      missing: rows - count,
      missingFraction: rows === 0 ? 0 : (rows - count) / rows,
      distinct: exact[`e${i}`] === undefined ? Math.min(Number(summary[`d${i}`] ?? 0), count) : Number(exact[`e${i}`]),
    };
    const edges = edgesOf.get(i);
    const q = summary[`q${i}`] as number[] | null | undefined;
    const numericStats =
      edges && q
        ? {
            numeric: {
              min: Number(summary[`mn${i}`]),
              max: Number(summary[`mx${i}`]),
              mean: Number(summary[`av${i}`]),
              std: summary[`sd${i}`] === null || summary[`sd${i}`] === undefined ? null : Number(summary[`sd${i}`]),
              quantiles: Object.fromEntries(QUANTILE_NAMES.map((name, k) => [name, Number(q[k])])) as Quantiles,
              histogram: { edges, counts: countsOf.get(i) ?? [] },
            },
          }
        : {};
    const length = summary[`ln${i}`] === null || summary[`ln${i}`] === undefined ? {} : { length: { min: Number(summary[`ln${i}`]), max: Number(summary[`lx${i}`]), mean: Number(summary[`la${i}`]) } };
    const top = topOf.has(i) ? { top: topOf.get(i)! } : {};
    return { ...base, ...numericStats, ...length, ...top };
  });

  return { dataset, rows, duplicateRows, columns: profiles, correlations: { columns: correlated.map((c) => c.name), matrix }, createdAt: now };
}
