import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * The PostgreSQL server for `*.pg.test.ts`, from ORCHARD_TEST_POSTGRES_URL.
 * Unset: the suite is skipped and says why, unless ORCHARD_REQUIRE_POSTGRES is set
 * (CI), where a missing server is a failure.
 */
export const postgresUrl = process.env.ORCHARD_TEST_POSTGRES_URL || undefined;

if (!postgresUrl) {
  if (process.env.ORCHARD_REQUIRE_POSTGRES) throw new Error('ORCHARD_REQUIRE_POSTGRES is set but ORCHARD_TEST_POSTGRES_URL is not; point it at a PostgreSQL database.');
  console.log('PostgreSQL suite skipped: ORCHARD_TEST_POSTGRES_URL is not set (e.g. postgres://postgres@127.0.0.1:5432/test).');
}

/** A store URI on its own fresh schema, and a cleanup that drops the schema. */
export function isolatedPostgres(): { uri: string; drop: () => Promise<void> } {
  const schema = `orchard_t_${randomBytes(5).toString('hex')}`;
  const url = new URL(postgresUrl!);
  url.searchParams.set('schema', schema);
  return {
    uri: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: postgresUrl });
      await client.connect();
      try {
        await client.query(`drop schema if exists ${schema} cascade`);
      } finally {
        await client.end();
      }
    },
  };
}
