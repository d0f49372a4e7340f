import { randomBytes } from 'node:crypto';
import type { DuckDBConnection } from '@duckdb/node-api';
import { OrchardError, invalidArgument } from '../core/errors.js';
import { ident, literal, queryRows } from './duckdb-engine.js';
import { checkNames, stringStats, withKinds, type Snapshot } from './read-source.js';
import type { ColumnSchema } from './types.js';

/** DuckDB type a column is written as; AUTO picks the narrowest type every value fits. */
export type StagedType = 'BIGINT' | 'DOUBLE' | 'BOOLEAN' | 'VARCHAR' | 'DATE' | 'TIMESTAMP' | 'TIMESTAMPTZ' | 'AUTO';

export interface StagedColumn {
  readonly name: string;
  readonly type: StagedType;
}

/** A table or query of a database, read through its Node client. */
export interface TableSource {
  readonly kind: 'sqlite' | 'postgres';
  readonly uri: string;
  readonly table?: string;
  readonly query?: string;
}

/** Where a table source comes from, for lineage and messages, without passwords. */
export function describeTableSource(s: TableSource): string {
  const where = s.uri.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
  return s.table !== undefined ? `${where}#${s.table}` : `${where}#query`;
}

export function tableSource(uri: string, options: { table?: string; query?: string }): TableSource {
  const kind = uri.startsWith('sqlite:') ? 'sqlite' : /^postgres(ql)?:\/\//.test(uri) ? 'postgres' : undefined;
  if (!kind) throw invalidArgument(`'${uri}' is not a database source; use sqlite:<file> or postgres://user@host/db.`);
  if ((options.table === undefined) === (options.query === undefined)) throw invalidArgument(`Reading ${describeTableSource({ kind, uri })} needs exactly one of --table <name> or --query "<select …>".`);
  return { kind, uri, ...options };
}

const AUTO_ORDER: readonly Exclude<StagedType, 'AUTO' | 'VARCHAR' | 'TIMESTAMPTZ' | 'DATE'>[] = ['BIGINT', 'DOUBLE', 'BOOLEAN', 'TIMESTAMP'];

/**
 * Streams rows into DuckDB (through an appender, as text) and writes them as one
 * Parquet file with each column cast to its type, checking names, emptiness and
 * that every value converts.
 * @throws OrchardError `INVALID_ARGUMENT` naming the source, the column and the value.
 */
export async function snapshotRows(connection: DuckDBConnection, location: string, columns: readonly StagedColumn[], rows: AsyncIterable<readonly unknown[]>, target: string): Promise<Snapshot> {
  checkNames(location, columns.map((c) => c.name));
  if (columns.length === 0) throw invalidArgument(`${location} has no columns.`);
  await connection.run(`set TimeZone = 'UTC'`);
  const staging = `staging_${randomBytes(6).toString('hex')}`;
  await connection.run(`create temp table ${staging} (${columns.map((_, i) => `c${i} varchar`).join(', ')})`);
  const appender = await connection.createAppender(staging);
  let count = 0;
  try {
    for await (const row of rows) {
      count++;
      if (row.length !== columns.length) throw invalidArgument(`Row ${count} of ${location} has ${row.length} values; expected ${columns.length} (${columns.map((c) => c.name).join(', ')}).`);
      for (const [i, v] of row.entries()) {
        if (v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v))) appender.appendNull();
        else if (v instanceof Date) appender.appendVarchar(v.toISOString());
        else if (v instanceof Uint8Array) throw invalidArgument(`Column \`${columns[i]!.name}\` of ${location} holds binary data, which datasets cannot store; select it as text or leave it out.`);
        else if (typeof v === 'object') appender.appendVarchar(JSON.stringify(v));
        else appender.appendVarchar(String(v));
      }
      appender.endRow();
    }
  } finally {
    appender.closeSync();
  }
  if (count === 0) throw invalidArgument(`${location} holds no rows (columns: ${columns.map((c) => c.name).join(', ')}); a dataset version needs data.`);

  const types = await resolveTypes(connection, staging, columns);
  const select = columns.map((c, i) => {
    const t = types[i]!;
    const cast = t === 'TIMESTAMPTZ' ? `c${i}::timestamptz::timestamp` : t === 'VARCHAR' ? `c${i}` : `c${i}::${t.toLowerCase()}`;
    return `${cast} as ${ident(c.name)}`;
  });
  try {
    await connection.run(`copy (select ${select.join(', ')} from ${staging}) to ${literal(target)} (format parquet, compression zstd)`);
  } catch (cause) {
    throw invalidArgument(`Cannot convert the values of ${location}: ${String((cause as Error).message).split('\n')[0]}. Fix the source or select the column as text.`, { path: location });
  } finally {
    await connection.run(`drop table if exists ${staging}`);
  }
  const described = await queryRows(connection, `describe select * from read_parquet(${literal(target)})`);
  const schema: ColumnSchema[] = described.map((d) => ({ name: String(d.column_name), physicalType: String(d.column_type), kind: 'text', nullable: true }));
  const stats = await stringStats(connection, target, schema.filter((c) => c.physicalType === 'VARCHAR'));
  return { path: target, rows: count, columns: withKinds(schema, stats) };
}

/** Settles AUTO columns: the first of BIGINT, DOUBLE, BOOLEAN, TIMESTAMP every value casts to, else VARCHAR. */
async function resolveTypes(connection: DuckDBConnection, staging: string, columns: readonly StagedColumn[]): Promise<StagedType[]> {
  const auto = columns.map((c, i) => ({ c, i })).filter(({ c }) => c.type === 'AUTO');
  const out = columns.map((c) => c.type);
  if (auto.length === 0) return out;
  // BIGINT by pattern: DuckDB would round '0.25' into an integer rather than refuse it.
  const fits = (t: string, i: number) => (t === 'BIGINT' ? `count(*) filter (where regexp_full_match(trim(c${i}), '[-+]?[0-9]{1,18}'))` : `count(try_cast(c${i} as ${t.toLowerCase()}))`);
  const parts = auto.flatMap(({ i }) => [`count(c${i}) as n${i}`, ...AUTO_ORDER.map((t) => `${fits(t, i)} as ${t.toLowerCase()}${i}`)]);
  const [r = {}] = await queryRows(connection, `select ${parts.join(', ')} from ${staging}`);
  for (const { i } of auto) {
    const n = Number(r[`n${i}`]);
    out[i] = n === 0 ? 'VARCHAR' : (AUTO_ORDER.find((t) => Number(r[`${t.toLowerCase()}${i}`]) === n) ?? 'VARCHAR');
  }
  return out;
}

/** SQLite declared types by affinity (sqlite.org/datatype3.html), with dates as timestamps. */
export function sqliteType(declared: string | null): StagedType {
  const t = (declared ?? '').toUpperCase();
  if (t === '') return 'AUTO';
  if (t.includes('INT')) return 'BIGINT';
  if (/CHAR|CLOB|TEXT/.test(t)) return 'VARCHAR';
  if (t.includes('BLOB')) return 'VARCHAR';
  if (/REAL|FLOA|DOUB/.test(t)) return 'DOUBLE';
  if (t.includes('BOOL')) return 'BOOLEAN';
  if (t === 'DATE') return 'DATE';
  if (/DATE|TIME/.test(t)) return 'TIMESTAMP';
  return 'AUTO';
}

/** PostgreSQL type OIDs (pg_type) to DuckDB types; the rest arrive as text. */
export function postgresType(oid: number): StagedType {
  if (oid === 16) return 'BOOLEAN';
  if (oid === 20 || oid === 21 || oid === 23 || oid === 26) return 'BIGINT';
  if (oid === 700 || oid === 701 || oid === 1700) return 'DOUBLE';
  if (oid === 1082) return 'DATE';
  if (oid === 1114) return 'TIMESTAMP';
  if (oid === 1184) return 'TIMESTAMPTZ';
  return 'VARCHAR';
}

/** Reads a SQLite table or query: its columns and a stream of rows as arrays. */
export async function readSqlite(source: TableSource): Promise<{ columns: StagedColumn[]; rows: AsyncIterable<unknown[]>; close: () => void }> {
  const { default: Database } = await import('better-sqlite3');
  const path = source.uri.slice('sqlite:'.length);
  let db: import('better-sqlite3').Database;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
  } catch (cause) {
    throw invalidArgument(`Cannot open SQLite database ${path} (${(cause as Error).message}); check the path.`, { path });
  }
  try {
    const sql = source.table !== undefined ? `select * from ${ident(source.table)}` : source.query!;
    const statement = db.prepare(sql);
    if (!statement.reader) throw invalidArgument(`The query on ${path} does not return rows; give a SELECT.`);
    const columns = statement.columns().map((c) => ({ name: c.name, type: sqliteType(c.type) }));
    const iterator = statement.raw(true).iterate() as IterableIterator<unknown[]>;
    return {
      columns,
      rows: (async function* () {
        yield* iterator;
      })(),
      close: () => db.close(),
    };
  } catch (cause) {
    db.close();
    if (cause instanceof OrchardError) throw cause;
    throw invalidArgument(`Cannot read ${describeTableSource(source)}: ${(cause as Error).message}.`, { source: describeTableSource(source) });
  }
}

/** Reads a PostgreSQL table or query through a server-side cursor, 10,000 rows at a time. */
export async function readPostgres(source: TableSource): Promise<{ columns: StagedColumn[]; rows: AsyncIterable<unknown[]>; close: () => Promise<void> }> {
  const { default: pg } = await import('pg');
  // Every value as the server's text, so nothing is rounded on the way.
  const client = new pg.Client({ connectionString: source.uri, types: { getTypeParser: () => (v: string) => v } as never });
  try {
    await client.connect();
  } catch (cause) {
    throw invalidArgument(`Cannot connect to ${describeTableSource(source)} (${(cause as Error).message}).`);
  }
  const sql = source.table !== undefined ? `select * from ${source.table.split('.').map(ident).join('.')}` : source.query!;
  try {
    await client.query('begin read only');
    await client.query(`declare orchard_ingest no scroll cursor for ${sql}`);
    const first = await client.query({ text: 'fetch 10000 from orchard_ingest', rowMode: 'array' });
    const columns = first.fields.map((f) => ({ name: f.name, type: postgresType(f.dataTypeID) }));
    return {
      columns,
      rows: (async function* () {
        let batch = first.rows as unknown[][];
        while (batch.length > 0) {
          yield* batch;
          batch = (await client.query({ text: 'fetch 10000 from orchard_ingest', rowMode: 'array' })).rows as unknown[][];
        }
      })(),
      close: async () => {
        await client.query('commit').catch(() => {});
        await client.end();
      },
    };
  } catch (cause) {
    await client.end().catch(() => {});
    throw invalidArgument(`Cannot read ${describeTableSource(source)}: ${(cause as Error).message}.`, { source: describeTableSource(source) });
  }
}

/**
 * Rows given as objects (a TypeScript function source): columns from the first
 * row, types settled from the values.
 */
export async function objectSource(rows: Iterable<Record<string, unknown>> | AsyncIterable<Record<string, unknown>>): Promise<{ columns: StagedColumn[]; rows: AsyncIterable<unknown[]> }> {
  const iterator = (Symbol.asyncIterator in rows ? rows[Symbol.asyncIterator]() : (rows as Iterable<Record<string, unknown>>)[Symbol.iterator]()) as AsyncIterator<Record<string, unknown>> | Iterator<Record<string, unknown>>;
  const first = await iterator.next();
  if (first.done) throw invalidArgument('The rows function returned no rows; a dataset version needs data.');
  if (first.value === null || typeof first.value !== 'object') throw invalidArgument('Row 1 is not an object of column values.');
  const names = Object.keys(first.value);
  const toArray = (row: Record<string, unknown>, n: number): unknown[] => {
    if (row === null || typeof row !== 'object') throw invalidArgument(`Row ${n} is not an object of column values.`);
    const extra = Object.keys(row).filter((k) => !names.includes(k));
    if (extra.length > 0) throw invalidArgument(`Row ${n} has column(s) ${extra.join(', ')} that the first row lacks; give every row the same columns.`);
    return names.map((c) => row[c]);
  };
  return {
    columns: names.map((name) => ({ name, type: 'AUTO' as const })),
    rows: (async function* () {
      yield toArray(first.value, 1);
      let n = 1;
      for (;;) {
        const next = await iterator.next();
        if (next.done) return;
        yield toArray(next.value, ++n);
      }
    })(),
  };
}

/** Arrow type ids (apache-arrow's `Type` enum) to DuckDB types. */
function arrowType(typeId: number): StagedType {
  switch (typeId) {
    case 2: // Int
      return 'BIGINT';
    case 3: // Float
    case 7: // Decimal
      return 'DOUBLE';
    case 6: // Bool
      return 'BOOLEAN';
    case 8: // Date
    case 10: // Timestamp
      return 'TIMESTAMP';
    default:
      return 'VARCHAR';
  }
}

interface ArrowBatch {
  readonly numRows: number;
  readonly schema: { readonly fields: readonly { readonly name: string; readonly typeId: number }[] };
  getChildAt(index: number): { get(row: number): unknown } | null;
}

/**
 * Rows of Arrow record batches (an Arrow IPC file, or batches a TypeScript
 * function yields), typed from the Arrow schema.
 */
export async function arrowSource(batches: AsyncIterable<ArrowBatch> | Iterable<ArrowBatch>): Promise<{ columns: StagedColumn[]; rows: AsyncIterable<unknown[]> }> {
  const iterator = (Symbol.asyncIterator in batches ? batches[Symbol.asyncIterator]() : (batches as Iterable<ArrowBatch>)[Symbol.iterator]()) as AsyncIterator<ArrowBatch> | Iterator<ArrowBatch>;
  const first = await iterator.next();
  if (first.done) throw invalidArgument('The Arrow source holds no record batches; a dataset version needs data.');
  const fields = first.value.schema.fields;
  const columns = fields.map((f) => ({ name: f.name, type: arrowType(f.typeId) }));
  const temporal = columns.map((c) => c.type === 'TIMESTAMP');
  return {
    columns,
    rows: (async function* () {
      let batch: ArrowBatch | undefined = first.value;
      while (batch) {
        const vectors = fields.map((_, j) => batch!.getChildAt(j));
        for (let i = 0; i < batch.numRows; i++) {
          yield vectors.map((v, j) => {
            const value = v?.get(i) ?? null;
            // Arrow dates and timestamps arrive as epoch milliseconds.
            return temporal[j] && typeof value === 'number' ? new Date(value) : typeof value === 'bigint' ? value.toString() : value;
          });
        }
        const next = await iterator.next();
        batch = next.done ? undefined : next.value;
      }
    })(),
  };
}

/** Record batches of an Arrow IPC file (stream or file format), read as a stream. */
export async function arrowFileBatches(path: string): Promise<AsyncIterable<ArrowBatch>> {
  const [{ RecordBatchReader }, { createReadStream }] = await Promise.all([import('apache-arrow'), import('node:fs')]);
  try {
    const reader = await RecordBatchReader.from(createReadStream(path));
    await reader.open();
    return reader as unknown as AsyncIterable<ArrowBatch>;
  } catch (cause) {
    throw invalidArgument(`${path} is not a readable Arrow IPC file (${(cause as Error).message}).`, { path });
  }
}
