import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { invalidArgument } from '../core/errors.js';
import type { DatasetService } from '../data/dataset-service.js';
import { literal, queryRows } from '../data/duckdb-engine.js';
import { fileSource, readExpression } from '../data/sources.js';
import type { DatasetVersion } from '../data/types.js';

/** What batch scoring reads: a dataset version or a file, as a DuckDB table expression. */
export interface BatchInput {
  /** As the user wrote it. */
  readonly given: string;
  /** `flights@3`, or `file:<absolute path>`: the lineage id and the run's `input` param. */
  readonly label: string;
  /** The dataset version, when the input is one. */
  readonly version: DatasetVersion | null;
  /** A DuckDB table expression (`read_parquet('…')`) that yields the rows in the same order every time it is read. */
  readonly table: string;
  /** Rows, when known without reading the data (dataset versions and Parquet files). */
  readonly rows: number | null;
}

const DATASET_PREFIX = 'dataset:';

/**
 * Resolves `--input`: `dataset:<name>[@N]`, `name@N` / `name@latest` (a dataset
 * version unless a file of that name exists), or a file, glob or folder (CSV,
 * Parquet, JSON, NDJSON).
 * @throws OrchardError NOT_FOUND for an unknown dataset or version; INVALID_ARGUMENT for a missing or unreadable file.
 */
export async function resolveBatchInput(datasets: DatasetService, given: string, cwd: string): Promise<BatchInput> {
  const text = given.trim();
  const path = isAbsolute(text) ? text : resolve(cwd, text);
  const datasetLike = text.startsWith(DATASET_PREFIX) || (/^[A-Za-z0-9][A-Za-z0-9_.-]*@(\d+|latest)$/.test(text) && !existsSync(path));
  if (datasetLike) {
    const version = await datasets.resolve(text.startsWith(DATASET_PREFIX) ? text.slice(DATASET_PREFIX.length) : text);
    const file = await datasets.parquetPath(version);
    return { given, label: `${version.name}@${version.version}`, version, table: `read_parquet(${literal(file)})`, rows: version.rows };
  }
  const source = fileSource(text, cwd);
  if (source.format === 'arrow') {
    throw invalidArgument(`Batch scoring reads CSV, Parquet and JSON files; ${source.location} is an Arrow file. Ingest it as a dataset first (orchard data ingest <name> ${text}) and score the dataset version.`, { input: given });
  }
  return { given, label: `file:${source.location}`, version: null, table: readExpression(source), rows: null };
}

/**
 * The input's column names, read from its schema (a file is opened, not scanned).
 * @throws OrchardError INVALID_ARGUMENT when the file cannot be read.
 */
export async function inputColumns(connection: DuckDBConnection, input: BatchInput): Promise<string[]> {
  try {
    return (await queryRows(connection, `describe select * from ${input.table}`)).map((d) => String(d.column_name));
  } catch (cause) {
    throw invalidArgument(`Cannot read the input ${input.given}: ${firstLine(cause)}`, { input: input.given });
  }
}

/** Rows of a Parquet input from its footer; null when counting would mean reading the whole file. */
export async function countRows(connection: DuckDBConnection, input: BatchInput): Promise<number | null> {
  if (input.rows !== null) return input.rows;
  if (!input.table.startsWith('read_parquet(')) return null;
  return Number((await queryRows(connection, `select count(*) as n from ${input.table}`))[0]?.n ?? 0);
}

export function firstLine(cause: unknown): string {
  return String((cause as Error)?.message ?? cause).split('\n').filter((l) => l.trim() !== '' && !l.startsWith('LINE ') && !/^\s*\^/.test(l)).slice(0, 2).join(' ');
}
