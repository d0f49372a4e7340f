import pg from 'pg';
import { PostgresDialect, sql, type Dialect, type Kysely } from 'kysely';
import { OrchardError, isOrchardError } from '../core/errors.js';
import { KyselyMetadataStore } from './kysely-metadata-store.js';
import type { Database } from './schema.js';

const INT8_OID = 20;

/**
 * The scaled-out metadata store: PostgreSQL through a `pg` pool. Loaded only
 * when ORCHARD_DB is a postgres:// URI, so an embedded install never loads `pg`.
 */
export class PostgresMetadataStore extends KyselyMetadataStore {
  readonly dialect = 'postgres' as const;
  readonly location: string;
  readonly #uri: string;
  readonly #schema: string | undefined;
  readonly #poolSize: number;

  /** `uri` may carry `?schema=<name>`: Orchard's tables then live in that schema, created if missing. */
  constructor(uri: string, poolSize = 10) {
    super();
    const url = new URL(uri);
    const schema = url.searchParams.get('schema') ?? undefined;
    url.searchParams.delete('schema');
    if (schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
      throw new OrchardError('CONFIG_ERROR', `ORCHARD_DB schema is '${schema}'; expected a lowercase SQL identifier such as orchard.`);
    }
    this.#uri = url.toString();
    this.#schema = schema;
    this.#poolSize = poolSize;
    this.location = redactPassword(uri);
  }

  protected createDialect(): Dialect {
    const pool = new pg.Pool({
      connectionString: this.#uri,
      max: this.#poolSize,
      connectionTimeoutMillis: 10_000,
      ...(this.#schema ? { options: `-c search_path=${this.#schema}` } : {}),
      // Times, steps and sizes are int8; they fit in a double, so read them as numbers.
      types: {
        getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
          oid === INT8_OID ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
      },
    });
    // An idle client losing its connection must not crash the process; the next query reconnects.
    pool.on('error', () => {});
    return new PostgresDialect({ pool });
  }

  protected override async afterConnect(db: Kysely<Database>): Promise<void> {
    if (this.#schema) await sql`create schema if not exists ${sql.id(this.#schema)}`.execute(db);
  }

  protected translateError(error: unknown): unknown {
    if (isOrchardError(error)) return error;
    const code = (error as { code?: string })?.code ?? '';
    const where = `the metadata database ${this.location}`;
    if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'ETIMEDOUT' || code === '57P01' || code === '57P03' || code === '3D000' || code === '28P01' || code === '28000') {
      return new OrchardError('STORE_UNAVAILABLE', `Cannot use ${where}: ${(error as Error).message} (${code}); check that PostgreSQL is running and ORCHARD_DB is right.`, {
        cause: error,
      });
    }
    if (code === '40001' || code === '40P01' || code === '55P03') {
      return new OrchardError('STORE_BUSY', `${where} could not serialise this write with a concurrent one (${code}); retry.`, { cause: error, details: { retryable: true } });
    }
    if (code === '25006') {
      return new OrchardError('STORE_READ_ONLY', `${where} is read-only (a standby or a read-only transaction); point ORCHARD_DB at the primary.`, { cause: error });
    }
    if (code === '23505') {
      return new OrchardError('ALREADY_EXISTS', `A record already exists in ${where} (${(error as Error).message}).`, { cause: error });
    }
    if (code === '53100') {
      return new OrchardError('STORE_UNAVAILABLE', `${where} is out of disk space; free space and retry.`, { cause: error });
    }
    return error;
  }
}

export function createPostgresMetadataStore(uri: string): PostgresMetadataStore {
  return new PostgresMetadataStore(uri);
}

function redactPassword(uri: string): string {
  return uri.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}
