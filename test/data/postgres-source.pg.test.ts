import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { literal, queryRows } from '../../src/data/duckdb-engine.js';
import { postgresUrl } from '../support/postgres.js';
import { tempPlatform } from '../support/temp.js';

/** Ingest from a real PostgreSQL table and query, through a server-side cursor. */
describe.runIf(postgresUrl)('PostgreSQL source', () => {
  const schema = `orchard_src_${randomBytes(4).toString('hex')}`;
  let client: pg.Client;
  let s: Awaited<ReturnType<typeof tempPlatform>>;

  beforeAll(async () => {
    client = new pg.Client({ connectionString: postgresUrl });
    await client.connect();
    await client.query(`create schema ${schema}`);
    await client.query(`create table ${schema}.items (id bigint, qty int, price numeric(12,2), ratio double precision, ok boolean, day date, at timestamp, at_tz timestamptz, label text)`);
    // 25,000 rows: more than one cursor batch.
    await client.query(`insert into ${schema}.items select g, g % 7, (g % 1000) / 100.0, g / 3.0, g % 2 = 0, date '2024-01-01' + (g % 60), timestamp '2024-01-01 00:00:00' + g * interval '1 minute', timestamptz '2024-01-01 00:00:00+00' + g * interval '1 second', 'l' || (g % 13) from generate_series(1, 25000) g`);
    s = await tempPlatform();
  });
  afterAll(async () => {
    await s?.cleanup();
    await client?.query(`drop schema if exists ${schema} cascade`);
    await client?.end();
  });

  it('reads a table with its types and every row', async () => {
    const r = await s.platform.datasets.ingest({ name: 'tester' }, { name: 'items', source: postgresUrl!, table: `${schema}.items`, cwd: s.home });
    expect(r.version.rows).toBe(25_000);
    expect(r.version.columns.map((c) => [c.name, c.physicalType])).toEqual([
      ['id', 'BIGINT'],
      ['qty', 'BIGINT'],
      ['price', 'DOUBLE'],
      ['ratio', 'DOUBLE'],
      ['ok', 'BOOLEAN'],
      ['day', 'DATE'],
      ['at', 'TIMESTAMP'],
      ['at_tz', 'TIMESTAMP'],
      ['label', 'VARCHAR'],
    ]);
    const expected = (await client.query(`select sum(id)::float8 as ids, sum(price)::float8 as price, count(*) filter (where ok) as ok, max(at_tz) as last from ${schema}.items`)).rows[0];
    const path = await s.platform.datasets.parquetPath(r.version);
    const [got] = await s.platform.engine.withConnection((c) => queryRows(c, `select sum(id)::double as ids, sum(price) as price, count(*) filter (where ok) as ok, max(at_tz) as last from read_parquet(${literal(path)})`));
    expect(got!.ids).toBe(expected.ids);
    expect(got!.price).toBeCloseTo(expected.price, 6);
    expect(got!.ok).toBe(Number(expected.ok));
    expect(got!.last).toBe(new Date(expected.last).getTime());
  });

  it('reads a query, and names the source when the query fails', async () => {
    const r = await s.platform.datasets.ingest({ name: 'tester' }, { name: 'cheap', source: postgresUrl!, query: `select id, label from ${schema}.items where price < 1`, cwd: s.home });
    expect(r.version.rows).toBe(2500);
    await expect(s.platform.datasets.ingest({ name: 'tester' }, { name: 'bad', source: postgresUrl!, query: 'select * from no_such_table', cwd: s.home })).rejects.toThrow(/Cannot read .*#query: relation "no_such_table" does not exist/);
  });
});
