import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { invalidArgument, OrchardError } from '../../core/errors.js';
import { ident, literal, queryRows } from '../../data/duckdb-engine.js';
import { sampleDataPath } from '../../data/sample-data.js';
import { fileSource, readExpression } from '../../data/sources.js';
import { step } from '../step.js';
import { types } from '../types.js';

/** What `extract` keeps of a file source: rows in a time range, rows matching a filter, a seeded sample. */
export interface ExtractFilter {
  /** A DuckDB SQL condition on the source's columns (`delay is not null`); '' keeps every row. */
  readonly where: string;
  /** With `from` and/or `until`: keeps rows with `from <= column < until`. */
  readonly column: string;
  readonly from: string;
  readonly until: string;
  /** Keeps this many rows, drawn by a seeded hash of each row (0 keeps all). */
  readonly sample: number;
  readonly seed: number;
}

const SAMPLE_PREFIX = 'sample:';

/** True when the filter keeps every row, so the source can be ingested as it is. */
export function keepsEverything(f: ExtractFilter): boolean {
  return f.where.trim() === '' && f.from === '' && f.until === '' && f.sample === 0;
}

/**
 * The query selecting what a filter keeps from `table` (pure). A sample orders rows by a
 * hash of every column and the seed, so the same data and seed always give the same rows.
 * @throws OrchardError `INVALID_ARGUMENT` listing every bad setting.
 */
export function extractQuery(table: string, columns: readonly string[], f: ExtractFilter): string {
  const problems: string[] = [];
  if ((f.from !== '' || f.until !== '') && f.column === '') problems.push("a time range (from/until) needs column: 'date'");
  if (f.column !== '' && !columns.includes(f.column)) problems.push(`column \`${f.column}\` is not in the source; columns are ${columns.join(', ')}`);
  if (!Number.isInteger(f.sample) || f.sample < 0) problems.push(`sample must be a whole number of rows (0 keeps all), got ${f.sample}`);
  if (!Number.isInteger(f.seed)) problems.push(`seed must be a whole number, got ${f.seed}`);
  if (problems.length > 0) throw invalidArgument(`The extract step's settings are invalid: ${problems.join('; ')}.`, { problems });
  const conditions: string[] = [];
  if (f.where.trim() !== '') conditions.push(`(${f.where})`);
  if (f.from !== '') conditions.push(`${ident(f.column)} >= ${literal(f.from)}`);
  if (f.until !== '') conditions.push(`${ident(f.column)} < ${literal(f.until)}`);
  const where = conditions.length > 0 ? ` where ${conditions.join(' and ')}` : '';
  if (f.sample === 0) return `select * from ${table}${where}`;
  const hash = `hash(${[...columns.map(ident), String(f.seed)].join(', ')})`;
  return `select * exclude (__h) from (select *, ${hash} as __h from ${table}${where}) order by __h limit ${f.sample}`;
}

/**
 * Extracts data into a version of a dataset: a file, glob or folder (CSV, Parquet, JSON,
 * NDJSON), a sample shipped with Orchard (`sample:flights-3m`), or a database table or query
 * (`sqlite:<file>`, `postgres://…` with `table` or `query`). File sources may be cut to a
 * time range, filtered and sampled. Identical data gives the existing version.
 *
 * The cache key holds the source's name and settings, not its content: rerun with
 * `cache: false` (or `--no-cache`) when the data behind a name changes; `steps.ingest`
 * with `p.file(…)` keys files by content.
 * @example
 * const data = p.step(steps.extract, { params: { dataset: 'flights', source: 'sample:flights-3m', column: 'date', from: '2001-01-01', until: '2001-06-01' } });
 */
export const extract = step({
  name: 'extract',
  description: 'Extract a file, sample, table or query into a dataset version',
  outputs: { version: types.string, rows: types.number },
  params: { dataset: '', source: '', format: '', table: '', query: '', where: '', column: '', from: '', until: '', sample: 0, seed: 0 },
  run: async ({ params, actor, log, orchard, sourceDir }) => {
    const missing = [params.dataset === '' ? "dataset: 'flights'" : '', params.source === '' ? "source: 'data/flights.parquet'" : ''].filter(Boolean);
    if (missing.length > 0) throw new OrchardError('INVALID_ARGUMENT', `The extract step needs ${missing.join(' and ')} in its params.`);
    const platform = await orchard();
    // Relative paths start at the pipeline file's folder, as for local inputs and commands.
    const cwd = sourceDir ?? process.cwd();
    const filter: ExtractFilter = { where: params.where, column: params.column, from: params.from, until: params.until, sample: params.sample, seed: params.seed };
    const database = /^(sqlite:|postgres(ql)?:\/\/)/.test(params.source);
    const location = params.source.startsWith(SAMPLE_PREFIX) ? sampleDataPath(`${params.source.slice(SAMPLE_PREFIX.length)}.parquet`) : params.source;
    const tableOrQuery = { table: params.table === '' ? undefined : params.table, query: params.query === '' ? undefined : params.query };
    let result;
    if (database || keepsEverything(filter)) {
      if (database && !keepsEverything(filter)) throw invalidArgument(`where, from/until and sample apply to file sources; for ${params.source} put the condition in query: 'select … where …'.`);
      result = await platform.datasets.ingest(actor, { name: params.dataset, source: location, format: params.format || undefined, cwd, ...tableOrQuery, label: database ? undefined : `extract:${params.source}` });
    } else {
      const source = fileSource(location, cwd, { format: params.format || undefined });
      const file = join(platform.engine.tempDir, `extract-${randomBytes(8).toString('hex')}.parquet`);
      try {
        await platform.engine.withConnection(async (c) => {
          const table = readExpression(source);
          const columns = (await queryRows(c, `describe select * from ${table}`)).map((r) => String(r.column_name));
          await c.run(`copy (${extractQuery(table, columns, filter)}) to ${literal(file)} (format parquet, compression zstd)`);
        });
        const label = `extract:${params.source}?${new URLSearchParams(Object.entries(filter).filter(([, v]) => v !== '' && v !== 0).map(([k, v]): [string, string] => [k, String(v)])).toString()}`;
        result = await platform.datasets.ingest(actor, { name: params.dataset, source: file, format: 'parquet', cwd, label });
      } finally {
        await rm(file, { force: true });
      }
    }
    const ref = `${result.version.name}@${result.version.version}`;
    log.metrics({ rows: result.version.rows, bytes: result.version.bytes });
    log.tag('orchard.dataset_version', ref);
    return { version: ref, rows: result.version.rows };
  },
});
