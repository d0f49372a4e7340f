import { existsSync, readdirSync, statSync } from 'node:fs';
import { extname, isAbsolute, join, resolve } from 'node:path';
import { invalidArgument } from '../core/errors.js';
import { literal } from './duckdb-engine.js';

export type FileFormat = 'csv' | 'parquet' | 'json' | 'ndjson' | 'arrow';
export const FILE_FORMATS: readonly FileFormat[] = ['csv', 'parquet', 'json', 'ndjson', 'arrow'];

export interface CsvOptions {
  /** Column separator; detected when absent. */
  readonly delimiter?: string;
  /** Whether the first line holds column names; detected when absent. */
  readonly header?: boolean;
}

/** A file source: one file, a glob, or a folder of files of one format. */
export interface FileSource {
  readonly kind: 'file';
  /** What the user gave, made absolute: a path, glob or folder. */
  readonly location: string;
  readonly format: FileFormat;
  readonly csv: CsvOptions;
}

const EXTENSIONS: Readonly<Record<string, FileFormat>> = {
  '.csv': 'csv',
  '.tsv': 'csv',
  '.txt': 'csv',
  '.parquet': 'parquet',
  '.pq': 'parquet',
  '.json': 'json',
  '.ndjson': 'ndjson',
  '.jsonl': 'ndjson',
  '.arrow': 'arrow',
  '.feather': 'arrow',
  '.ipc': 'arrow',
};

const GLOB = /[*?[]/;

/**
 * Resolves a path, glob or folder into a file source, detecting the format from
 * the extension unless one is given.
 * @throws OrchardError `INVALID_ARGUMENT` naming the path and the fix.
 */
export function fileSource(input: string, cwd: string, options: { format?: string; csv?: CsvOptions } = {}): FileSource {
  const raw = input.startsWith('file:') ? input.slice('file:'.length) : input;
  if (raw.trim() === '') throw invalidArgument('The source is empty; give a file, a glob such as data/*.csv, or a folder.');
  let location = isAbsolute(raw) ? raw : resolve(cwd, raw);
  let format = options.format;
  if (format !== undefined && !FILE_FORMATS.includes(format as FileFormat)) {
    throw invalidArgument(`Format '${format}' is unknown; use one of ${FILE_FORMATS.join(', ')}.`, { format });
  }
  if (!GLOB.test(location)) {
    if (!existsSync(location)) throw invalidArgument(`File ${location} does not exist; check the path (relative paths start at ${cwd}).`, { path: location });
    if (statSync(location).isDirectory()) {
      const files = readdirSync(location).filter((f) => EXTENSIONS[extname(f).toLowerCase()] !== undefined);
      const exts = [...new Set(files.map((f) => extname(f).toLowerCase()))];
      if (files.length === 0) throw invalidArgument(`Folder ${location} holds no CSV, Parquet, JSON, NDJSON or Arrow files.`, { path: location });
      if (exts.length > 1 && format === undefined) {
        throw invalidArgument(`Folder ${location} mixes file types (${exts.join(', ')}); pass a glob such as ${join(location, '*' + exts[0])}.`, { path: location });
      }
      location = join(location, `*${exts[0]}`);
    }
  }
  format ??= EXTENSIONS[extname(location).toLowerCase()];
  if (format === undefined) {
    throw invalidArgument(`Cannot tell the format of ${location} from its extension; pass --format (${FILE_FORMATS.join(', ')}).`, { path: location });
  }
  if (options.csv?.delimiter !== undefined && options.csv.delimiter.length !== 1 && options.csv.delimiter !== '\\t') {
    throw invalidArgument(`The CSV delimiter must be one character, got '${options.csv.delimiter}'.`, { delimiter: options.csv.delimiter });
  }
  const csv = extname(location).toLowerCase() === '.tsv' && options.csv?.delimiter === undefined ? { ...options.csv, delimiter: '\t' } : (options.csv ?? {});
  return { kind: 'file', location, format: format as FileFormat, csv };
}

/** The DuckDB table function that reads a file source. */
export function readExpression(source: FileSource): string {
  const path = literal(source.location);
  switch (source.format) {
    case 'parquet':
      return `read_parquet(${path})`;
    case 'json':
      return `read_json(${path}, format = 'auto')`;
    case 'ndjson':
      return `read_json(${path}, format = 'newline_delimited')`;
    case 'arrow':
      // DuckDB reads Arrow IPC only through an extension it would have to download; Orchard streams it instead.
      throw invalidArgument(`Arrow files are read by Orchard, not DuckDB (${source.location}).`);
    case 'csv': {
      const opts = [`auto_detect = true`, `strict_mode = true`];
      if (source.csv.delimiter !== undefined) opts.push(`delim = ${literal(source.csv.delimiter === '\\t' ? '\t' : source.csv.delimiter)}`);
      if (source.csv.header !== undefined) opts.push(`header = ${source.csv.header}`);
      return `read_csv(${path}, ${opts.join(', ')})`;
    }
  }
}
