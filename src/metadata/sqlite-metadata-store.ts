import BetterSqlite3 from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  CompiledQuery,
  SqliteDialect,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type SqliteDatabase,
  type SqliteStatement,
  type TransactionSettings,
} from 'kysely';
import { OrchardError, isOrchardError } from '../core/errors.js';
import { KyselyMetadataStore } from './kysely-metadata-store.js';

export interface SqliteOptions {
  /** Database file path, or `:memory:`. */
  readonly path: string;
  /** How long a writer waits for another process's lock before failing with STORE_BUSY. */
  readonly busyTimeoutMs: number;
  /** Open read-only: every write fails with STORE_READ_ONLY. */
  readonly readOnly: boolean;
}

/** Parses `sqlite:<path>[?busy_timeout=<ms>&mode=ro]`. */
export function parseSqliteUri(uri: string): SqliteOptions {
  const rest = uri.replace(/^sqlite:/, '');
  const [path = '', query = ''] = rest.split('?', 2);
  const params = new URLSearchParams(query);
  const unknown = [...params.keys()].filter((k) => k !== 'busy_timeout' && k !== 'mode');
  if (unknown.length > 0) {
    throw new OrchardError('CONFIG_ERROR', `ORCHARD_DB has unknown SQLite options ${unknown.join(', ')} in '${uri}'; known: busy_timeout=<ms>, mode=ro.`);
  }
  const busy = Number(params.get('busy_timeout') ?? 5000);
  if (!Number.isInteger(busy) || busy < 0) throw new OrchardError('CONFIG_ERROR', `ORCHARD_DB busy_timeout is '${params.get('busy_timeout')}'; expected milliseconds, e.g. busy_timeout=5000.`);
  const mode = params.get('mode');
  if (mode !== null && mode !== 'ro' && mode !== 'rw') throw new OrchardError('CONFIG_ERROR', `ORCHARD_DB mode is '${mode}'; expected ro or rw.`);
  if (path === '') throw new OrchardError('CONFIG_ERROR', `ORCHARD_DB '${uri}' has no file path; expected sqlite:<path>.`);
  return { path, busyTimeoutMs: busy, readOnly: mode === 'ro' };
}

/**
 * The embedded metadata store: one SQLite file in WAL mode, safe for several
 * processes (writers queue on the file lock for up to the busy timeout).
 */
export class SqliteMetadataStore extends KyselyMetadataStore {
  readonly dialect = 'sqlite' as const;
  readonly location: string;
  readonly #options: SqliteOptions;

  constructor(options: SqliteOptions) {
    super();
    this.#options = Object.freeze({ ...options });
    this.location = options.path;
  }

  protected createDialect(): Dialect {
    const { path, busyTimeoutMs, readOnly } = this.#options;
    return new ImmediateTransactionSqliteDialect({
      database: async () => {
        if (path !== ':memory:' && !readOnly) mkdirSync(dirname(path), { recursive: true });
        const db = new BetterSqlite3(path, { timeout: busyTimeoutMs, readonly: readOnly, fileMustExist: readOnly });
        db.pragma(`busy_timeout = ${busyTimeoutMs}`);
        if (!readOnly) {
          db.pragma('journal_mode = WAL');
          db.pragma('synchronous = NORMAL');
        }
        db.pragma('foreign_keys = ON');
        // LIKE is case-sensitive, as on PostgreSQL; ILIKE is the case-insensitive one.
        db.pragma('case_sensitive_like = ON');
        return withStatementCache(db, 256);
      },
    });
  }

  protected override get readOnly(): boolean {
    return this.#options.readOnly;
  }

  protected translateError(error: unknown): unknown {
    if (isOrchardError(error)) return error;
    const code = (error as { code?: string })?.code ?? '';
    const where = `the metadata database ${this.location}`;
    if (code === 'SQLITE_BUSY' || code.startsWith('SQLITE_BUSY_') || code === 'SQLITE_LOCKED') {
      return new OrchardError('STORE_BUSY', `${where} stayed locked by another writer for more than ${this.#options.busyTimeoutMs} ms; retry, or stop the process holding the lock.`, {
        cause: error,
        details: { retryable: true },
      });
    }
    if (code.startsWith('SQLITE_READONLY')) {
      return new OrchardError('STORE_READ_ONLY', `${where} is read-only, so nothing can be written; open it read-write (drop mode=ro) or fix the file's permissions.`, {
        cause: error,
      });
    }
    if (code === 'SQLITE_CANTOPEN') {
      return new OrchardError('STORE_UNAVAILABLE', `Cannot open ${where}; check that its folder exists and is writable, or set ORCHARD_DB.`, { cause: error });
    }
    if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
      return new OrchardError('STORE_UNAVAILABLE', `${where} is not a valid SQLite database (${code}); point ORCHARD_DB at another file or restore a backup.`, {
        cause: error,
      });
    }
    if (code === 'SQLITE_FULL' || code === 'SQLITE_IOERR' || code.startsWith('SQLITE_IOERR_')) {
      return new OrchardError('STORE_UNAVAILABLE', `Writing to ${where} failed (${code}); check free disk space.`, { cause: error });
    }
    if (code.startsWith('SQLITE_CONSTRAINT')) {
      return new OrchardError('ALREADY_EXISTS', `A record already exists in ${where} (${(error as Error).message}).`, { cause: error });
    }
    return error;
  }
}

export function createSqliteMetadataStore(uri: string): SqliteMetadataStore {
  return new SqliteMetadataStore(parseSqliteUri(uri));
}

/**
 * Reuses prepared statements by SQL text (least recently used out first).
 * Kysely prepares every query anew, and parsing a 1000-row insert costs more
 * than running it. Safe because every statement runs to completion at once;
 * Orchard never streams a query, which would keep a statement busy.
 */
function withStatementCache(db: BetterSqlite3.Database, capacity: number): SqliteDatabase {
  const cache = new Map<string, SqliteStatement>();
  return {
    close: () => db.close(),
    prepare(sql: string): SqliteStatement {
      let statement = cache.get(sql);
      if (statement) cache.delete(sql);
      else {
        statement = db.prepare(sql);
        if (cache.size >= capacity) cache.delete(cache.keys().next().value!);
      }
      cache.set(sql, statement);
      return statement;
    },
  };
}

/**
 * Kysely's SQLite dialect with `BEGIN IMMEDIATE`: a deferred transaction that
 * later wants to write can fail at once with SQLITE_BUSY when another process
 * writes, without waiting for the busy timeout; taking the lock up front queues instead.
 */
class ImmediateTransactionSqliteDialect extends SqliteDialect {
  override createDriver(): Driver {
    return new ImmediateTransactionDriver(super.createDriver());
  }
}

class ImmediateTransactionDriver implements Driver {
  readonly #inner: Driver;
  constructor(inner: Driver) {
    this.#inner = inner;
  }
  init(): Promise<void> {
    return this.#inner.init();
  }
  acquireConnection(): Promise<DatabaseConnection> {
    return this.#inner.acquireConnection();
  }
  async beginTransaction(connection: DatabaseConnection, _settings: TransactionSettings): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
  commitTransaction(connection: DatabaseConnection): Promise<void> {
    return this.#inner.commitTransaction(connection);
  }
  rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    return this.#inner.rollbackTransaction(connection);
  }
  releaseConnection(connection: DatabaseConnection): Promise<void> {
    return this.#inner.releaseConnection(connection);
  }
  destroy(): Promise<void> {
    return this.#inner.destroy();
  }
}
