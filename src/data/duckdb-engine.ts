import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';

export interface DataEngineOptions {
  /** Folder for DuckDB's spill files and Orchard's temporary Parquet files. */
  readonly tempDir: string;
  /** DuckDB's memory limit, e.g. `1GB`. Large jobs spill to `tempDir` beyond it. */
  readonly memoryLimit: string;
  readonly threads: number;
}

/**
 * The analytical engine: one in-memory DuckDB instance per process, opened on
 * first use (so commands that never touch data never load it). Tables are never
 * loaded into JavaScript objects; queries read Parquet where it lies.
 */
export class DataEngine {
  readonly #options: DataEngineOptions;
  #instance: Promise<DuckDBInstance> | undefined;

  constructor(options: DataEngineOptions) {
    this.#options = Object.freeze({ ...options });
  }

  get tempDir(): string {
    return this.#options.tempDir;
  }

  /** Runs `fn` on a fresh connection, closed afterwards; temporary views die with it. */
  async withConnection<T>(fn: (connection: DuckDBConnection) => Promise<T>): Promise<T> {
    const instance = await this.#open();
    const connection = await instance.connect();
    try {
      return await fn(connection);
    } finally {
      connection.closeSync();
    }
  }

  async close(): Promise<void> {
    const instance = this.#instance;
    this.#instance = undefined;
    if (instance) (await instance).closeSync();
  }

  #open(): Promise<DuckDBInstance> {
    this.#instance ??= (async () => {
      mkdirSync(this.#options.tempDir, { recursive: true });
      removeStaleFiles(this.#options.tempDir, STALE_AFTER_MS);
      const { DuckDBInstance } = await import('@duckdb/node-api');
      return DuckDBInstance.create(':memory:', {
        threads: String(this.#options.threads),
        memory_limit: this.#options.memoryLimit,
        temp_directory: this.#options.tempDir,
        // Downloads are not possible here; fail fast instead of trying.
        autoinstall_known_extensions: 'false',
        autoload_known_extensions: 'true',
      });
    })();
    return this.#instance;
  }
}

/** Work files older than this were left by a process that died; running jobs finish long before. */
const STALE_AFTER_MS = 24 * 60 * 60 * 1000;

function removeStaleFiles(dir: string, olderThanMs: number): void {
  const cutoff = Date.now() - olderThanMs;
  for (const name of readdirSync(dir)) {
    if (!/^(ingest|split|transform|predict)-[0-9a-f]+\.parquet$/.test(name)) continue;
    const path = join(dir, name);
    try {
      if (statSync(path).mtimeMs < cutoff) rmSync(path, { force: true });
    } catch {
      /* another process removed it */
    }
  }
}

/** Quotes an identifier for DuckDB SQL: any column name, spaces and non-ASCII letters included. */
export function ident(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** Quotes a string literal for DuckDB SQL. */
export function literal(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** Runs a query and returns plain rows: BIGINTs as numbers, timestamps as epoch milliseconds. */
export async function queryRows(connection: DuckDBConnection, sql: string): Promise<Record<string, unknown>[]> {
  const reader = await connection.runAndReadAll(sql);
  return reader.getRowObjectsJS().map((row) => {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(row)) out[k] = plain(v);
    return out;
  });
}

function plain(value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (value instanceof Date) return value.getTime();
  if (Array.isArray(value)) return value.map(plain);
  return value;
}
