import { open } from 'node:fs/promises';
import type { DuckDBConnection } from '@duckdb/node-api';
import { OrchardError, invalidArgument } from '../core/errors.js';
import { kindOfPhysical, stringKind } from './column-kinds.js';
import { ident, literal, queryRows } from './duckdb-engine.js';
import { readExpression, type CsvOptions, type FileSource } from './sources.js';
import type { ColumnSchema } from './types.js';

export interface Snapshot {
  readonly path: string;
  readonly rows: number;
  readonly columns: ColumnSchema[];
}

/** A text column at least this share numbers has stray text in a numeric column: an error, not a type. */
const MIXED_NUMERIC_SHARE = 0.5;
const DELIMITERS = [',', '\t', ';', '|'];
const GLOB = /[*?[]/;

/**
 * Reads a file source with DuckDB and writes it as one Parquet file at `target`,
 * checking it on the way: ragged CSV rows (with line numbers), unreadable files,
 * empty data, blank or duplicate column names, and text columns that are numbers
 * but for a few strays.
 * @throws OrchardError `INVALID_ARGUMENT` naming the file and, where known, line and column.
 */
export async function snapshotFile(connection: DuckDBConnection, source: FileSource, target: string): Promise<Snapshot> {
  let read = readExpression(source);
  let csv: CsvOptions = source.csv;
  if (source.format === 'csv') {
    csv = { ...source.csv };
    // DuckDB's sniffer may pick another delimiter when rows are ragged; fix it from the header line.
    if (csv.delimiter === undefined && !GLOB.test(source.location)) csv = { ...csv, delimiter: await sniffDelimiter(source.location) };
    read = readExpression({ ...source, csv }).replace(/\)$/, ', store_rejects = true)');
  }
  try {
    await connection.run(`copy (select * from ${read}) to ${literal(target)} (format parquet, compression zstd)`);
  } catch (cause) {
    throw readError(source, cause);
  }
  if (source.format === 'csv') {
    // reject_scans names the file, which matters when the source is a glob or a folder.
    const rejects = await queryRows(
      connection,
      'select s.file_path as file, e.line, e.column_name, e.error_type, e.csv_line, e.error_message from reject_errors e join reject_scans s on s.scan_id = e.scan_id and s.file_id = e.file_id order by s.file_path, e.line limit 5',
    );
    const total = Number((await queryRows(connection, 'select count(*) as n from reject_errors'))[0]?.n ?? 0);
    if (total > 0) {
      const examples = rejects.map(
        (r) =>
          `${String(r.file) === source.location ? '' : `${String(r.file)} `}line ${String(r.line)}${r.column_name ? ` (column ${String(r.column_name)})` : ''}: ${String(r.error_message)} — "${String(r.csv_line).slice(0, 80)}"`,
      );
      throw invalidArgument(`${source.location} has ${total} malformed row${total === 1 ? '' : 's'}; ${examples.join('; ')}. Fix the file, or pass the right --delimiter.`, {
        path: source.location,
        rejects: rejects,
      });
    }
  }
  const described = await queryRows(connection, `describe select * from read_parquet(${literal(target)})`);
  const names = described.map((d) => String(d.column_name));
  // DuckDB renames blank and repeated header names (`column1`, `a_1`); check the names as written.
  const header = source.format === 'csv' ? await csvHeader(connection, source, csv) : null;
  checkNames(source.location, header !== null && header.length === names.length ? header : names);
  const rows = Number((await queryRows(connection, `select count(*) as n from read_parquet(${literal(target)})`))[0]?.n ?? 0);
  if (rows === 0) throw invalidArgument(`${source.location} holds no rows (columns: ${names.join(', ')}); a dataset version needs data.`, { path: source.location });

  const columns: ColumnSchema[] = described.map((d) => ({ name: String(d.column_name), physicalType: String(d.column_type), kind: 'text', nullable: true }));
  const strings = columns.filter((c) => kindOfPhysical(c.physicalType) === 'string');
  const stats = await stringStats(connection, target, strings);
  if (source.format !== 'parquet') {
    for (const c of strings) {
      const s = stats.get(c.name)!;
      if (s.numeric > 0 && s.numeric < s.nonNull && s.numeric >= s.nonNull * MIXED_NUMERIC_SHARE) {
        // file_row_number is the row's position in the snapshot, which keeps the source's order.
        const strays = await queryRows(
          connection,
          `select file_row_number as r, ${ident(c.name)}::varchar as v from read_parquet(${literal(target)}, file_row_number = true) where ${ident(c.name)} is not null and try_cast(${ident(c.name)} as double) is null order by r limit 3`,
        );
        const places = await locateRows(connection, source, csv, strays.map((r) => Number(r.r)));
        const where = strays
          .map((r, k) => {
            const { file, row } = places[k]!;
            const at = source.format === 'csv' ? `line ${row + 1 + (header === null ? 0 : 1)}` : `record ${row + 1}`;
            return `'${String(r.v)}' at ${file === source.location ? '' : `${file} `}${at}`;
          })
          .join(', ');
        throw invalidArgument(
          `Column \`${c.name}\` of ${source.location} mixes numbers and text: ${s.nonNull - s.numeric} of ${s.nonNull} values are not numbers (${where}). Fix those values, or make the column text on purpose.`,
          { path: source.location, column: c.name },
        );
      }
    }
  }
  return { path: target, rows, columns: withKinds(columns, stats) };
}

type StringStats = Map<string, { nonNull: number; distinct: number; numeric: number }>;

/** Non-null, distinct and numeric-looking counts of string columns, in one scan. */
export async function stringStats(connection: DuckDBConnection, target: string, strings: readonly ColumnSchema[]): Promise<StringStats> {
  const stats: StringStats = new Map();
  if (strings.length === 0) return stats;
  const parts = strings.flatMap((c, i) => [`count(${ident(c.name)}) as n${i}`, `approx_count_distinct(${ident(c.name)}) as d${i}`, `count(try_cast(${ident(c.name)} as double)) as x${i}`]);
  const [row = {}] = await queryRows(connection, `select ${parts.join(', ')} from read_parquet(${literal(target)})`);
  strings.forEach((c, i) => stats.set(c.name, { nonNull: Number(row[`n${i}`]), distinct: Number(row[`d${i}`]), numeric: Number(row[`x${i}`]) }));
  return stats;
}

/** Columns with their kind: from the physical type, or for strings from how their values repeat. */
export function withKinds(columns: readonly ColumnSchema[], stats: StringStats): ColumnSchema[] {
  return columns.map((c) => {
    const physical = kindOfPhysical(c.physicalType);
    const s = stats.get(c.name);
    return { ...c, kind: physical === 'string' ? stringKind(s?.distinct ?? 0, s?.nonNull ?? 0) : physical };
  });
}

/**
 * The header fields of a CSV source as written (of its first file, for a glob),
 * or null when it has no header line.
 */
async function csvHeader(connection: DuckDBConnection, source: FileSource, csv: CsvOptions): Promise<string[] | null> {
  if (csv.header === false) return null;
  const first = GLOB.test(source.location)
    ? (await queryRows(connection, `select file from glob(${literal(source.location)}) order by file limit 1`))[0]?.file
    : source.location;
  if (typeof first !== 'string') return null;
  const delim = csv.delimiter === undefined ? '' : `, delim = ${literal(csv.delimiter === '\\t' ? '\t' : csv.delimiter)}`;
  if (csv.header === undefined) {
    const [sniffed] = await queryRows(connection, `select HasHeader as h from sniff_csv(${literal(first)}${delim})`);
    if (sniffed?.h !== true) return null;
  }
  const [row] = await queryRows(connection, `select * from read_csv(${literal(first)}, header = false, all_varchar = true${delim}) limit 1`);
  return row ? Object.values(row).map((v) => (v === null || v === undefined ? '' : String(v))) : null;
}

/** The file and 0-based row within it of 0-based rows of the whole source (a glob reads its files in name order). */
async function locateRows(connection: DuckDBConnection, source: FileSource, csv: CsvOptions, rows: number[]): Promise<{ file: string; row: number }[]> {
  const places = rows.map((row) => ({ file: source.location, row }));
  if (!GLOB.test(source.location)) return places;
  const files = (await queryRows(connection, `select file from glob(${literal(source.location)}) order by file`)).map((f) => String(f.file));
  let offset = 0;
  for (const file of files) {
    if (rows.every((r) => r < offset)) break;
    const n = Number((await queryRows(connection, `select count(*) as n from ${readExpression({ ...source, location: file, csv })}`))[0]?.n ?? 0);
    rows.forEach((r, k) => {
      if (r >= offset && r < offset + n) places[k] = { file, row: r - offset };
    });
    offset += n;
  }
  return places;
}

export function checkNames(location: string, names: string[]): void {
  const blank = names.findIndex((n) => n.trim() === '');
  if (blank >= 0) throw invalidArgument(`Column ${blank + 1} of ${location} has no name; give every column a header.`, { path: location });
  const seen = new Map<string, string>();
  for (const n of names) {
    const k = n.toLowerCase();
    if (seen.has(k)) {
      const pair = seen.get(k) === n ? `two columns named \`${n}\`` : `two columns named \`${seen.get(k)}\` and \`${n}\` (names must differ in more than case)`;
      throw invalidArgument(`${location} has ${pair}; rename one of them.`, { path: location, column: n });
    }
    seen.set(k, n);
  }
}

async function sniffDelimiter(path: string): Promise<string> {
  const fh = await open(path, 'r');
  try {
    const { buffer, bytesRead } = await fh.read(Buffer.alloc(64 * 1024), 0, 64 * 1024, 0);
    const firstLine = buffer.subarray(0, bytesRead).toString('utf8').split(/\r?\n/, 1)[0] ?? '';
    const counts = DELIMITERS.map((d) => firstLine.split(d).length - 1);
    const best = counts.indexOf(Math.max(...counts));
    return counts[best]! > 0 ? DELIMITERS[best]! : ',';
  } finally {
    await fh.close();
  }
}

function readError(source: FileSource, cause: unknown): OrchardError {
  const message = String((cause as Error)?.message ?? cause)
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('LINE ') && !/^\s*\^/.test(l))
    .slice(0, 4)
    .join(' ');
  if (/No files found/i.test(message)) return invalidArgument(`No file matches ${source.location}; check the path or glob.`, { path: source.location });
  if (/parquet/i.test(message) && source.format === 'parquet') {
    return invalidArgument(`${source.location} is not a readable Parquet file (${message}); re-export it, or pass --format if it is another type.`, { path: source.location });
  }
  return invalidArgument(`Cannot read ${source.location} as ${source.format.toUpperCase()}: ${message}`, { path: source.location, cause: message });
}
