import BetterSqlite3 from 'better-sqlite3';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { literal, queryRows } from '../../src/data/duckdb-engine.js';
import { postgresType, sqliteType } from '../../src/data/table-source.js';
import { sampleDataPath } from '../../src/data/sample-data.js';
import { readFileSync } from 'node:fs';
import { tableFromArrays, tableFromIPC } from 'apache-arrow';
import { tempPlatform } from '../support/temp.js';

const actor = { name: 'tester' };

describe('database and function sources', () => {
  let s: Awaited<ReturnType<typeof tempPlatform>>;
  let db: string;
  beforeAll(async () => {
    s = await tempPlatform();
    db = join(s.home, 'shop.sqlite');
    const d = new BetterSqlite3(db);
    d.exec(`create table orders (id integer primary key, customer text, amount real, paid boolean, placed timestamp, note, photo blob);
            create table empty (x integer);`);
    const insert = d.prepare('insert into orders (customer, amount, paid, placed, note) values (?, ?, ?, ?, ?)');
    for (let i = 0; i < 1000; i++) insert.run(`c${i % 37}`, i * 1.25, i % 2, `2024-03-${String((i % 28) + 1).padStart(2, '0')} 12:00:00`, i % 5 === 0 ? null : i);
    d.close();
  });
  afterAll(async () => s.cleanup());

  const rowsOf = async (ref: string, sql: string) => {
    const v = await s.platform.datasets.resolve(ref);
    const path = await s.platform.datasets.parquetPath(v);
    return s.platform.engine.withConnection((c) => queryRows(c, sql.replaceAll('$T', `read_parquet(${literal(path)})`)));
  };

  it('reads a SQLite table with its declared types', async () => {
    const r = await s.platform.datasets.ingest(actor, { name: 'orders', source: `sqlite:${db}`, table: 'orders', query: undefined, cwd: s.home });
    expect(r.version.rows).toBe(1000);
    expect(r.version.source).toBe(`sqlite:${db}#orders`);
    expect(r.version.columns.map((c) => [c.name, c.physicalType])).toEqual([
      ['id', 'BIGINT'],
      ['customer', 'VARCHAR'],
      ['amount', 'DOUBLE'],
      ['paid', 'BOOLEAN'],
      ['placed', 'TIMESTAMP'],
      // Undeclared: settled from the values (integers, with NULLs).
      ['note', 'BIGINT'],
      ['photo', 'VARCHAR'],
    ]);
    const [agg] = await rowsOf('orders', 'select sum(amount) as total, count(note) as notes, count(*) filter (where paid) as paid from $T');
    expect(agg).toEqual({ total: (999 * 1000 * 1.25) / 2, notes: 800, paid: 500 });
    expect((await s.platform.datasets.ingest(actor, { name: 'orders', source: `sqlite:${db}`, table: 'orders', cwd: s.home })).created).toBe(false);
  });

  it('reads a SQLite query', async () => {
    const r = await s.platform.datasets.ingest(actor, { name: 'big-orders', source: `sqlite:${db}`, query: 'select customer, amount * 2 as double_amount from orders where amount > 1000', cwd: s.home });
    expect(r.version.rows).toBe(199);
    expect(r.version.columns.map((c) => [c.name, c.physicalType])).toEqual([
      ['customer', 'VARCHAR'],
      ['double_amount', 'DOUBLE'],
    ]);
  });

  it('ingests rows from a function, settling types from the values', async () => {
    async function* rows() {
      for (let i = 0; i < 500; i++) yield { id: i, score: i / 4, ok: i % 3 === 0, at: new Date(Date.UTC(2024, 0, 1 + (i % 30))), label: i % 2 ? 'odd' : 'even' };
    }
    const r = await s.platform.datasets.ingestRows(actor, 'generated', rows());
    expect(r.version.columns.map((c) => [c.name, c.physicalType, c.kind])).toEqual([
      ['id', 'BIGINT', 'integer'],
      ['score', 'DOUBLE', 'numeric'],
      ['ok', 'BOOLEAN', 'boolean'],
      ['at', 'TIMESTAMP', 'datetime'],
      ['label', 'VARCHAR', 'categorical'],
    ]);
    const [agg] = await rowsOf('generated', 'select sum(score) as s, min("at") as first_at from $T');
    expect(agg).toEqual({ s: (499 * 500) / 2 / 4, first_at: Date.UTC(2024, 0, 1) });
  });

  it('reads an Arrow IPC file (flights-200k) and Arrow batches from code', async () => {
    const r = await s.platform.datasets.ingest(actor, { name: 'flights200k', source: sampleDataPath('flights-200k.arrow'), cwd: s.home });
    expect(r.version.rows).toBe(200_000);
    expect(r.version.columns.map((c) => [c.name, c.physicalType])).toEqual([
      ['delay', 'BIGINT'],
      ['distance', 'BIGINT'],
      ['time', 'DOUBLE'],
    ]);
    // The same sums apache-arrow computes from the file directly.
    const table = tableFromIPC(readFileSync(sampleDataPath('flights-200k.arrow')));
    let delay = 0;
    for (const v of table.getChild('delay')!) delay += Number(v);
    const [agg] = await rowsOf('flights200k', 'select sum(delay) as d from $T');
    expect(agg!.d).toBe(delay);

    const batches = tableFromArrays({ id: Int32Array.from([1, 2, 3]), score: Float64Array.from([0.5, 1.5, 2.5]), name: ['a', 'b', 'c'] }).batches;
    const fromCode = await s.platform.datasets.ingestArrow(actor, 'arrow-code', batches);
    expect(fromCode.version.columns.map((c) => [c.name, c.physicalType])).toEqual([
      ['id', 'BIGINT'],
      ['score', 'DOUBLE'],
      ['name', 'VARCHAR'],
    ]);
    await expect(s.platform.datasets.ingest(actor, { name: 'x', source: join(s.home, 'shop.sqlite'), format: 'arrow', cwd: s.home })).rejects.toThrow(/not a readable Arrow IPC file/);
  });

  it('rejects bad database and function sources, registering nothing', async () => {
    await expect(s.platform.datasets.ingest(actor, { name: 'x', source: `sqlite:${db}`, cwd: s.home })).rejects.toThrow(/needs exactly one of --table <name> or --query/);
    await expect(s.platform.datasets.ingest(actor, { name: 'x', source: `sqlite:${db}`, table: 'nope', cwd: s.home })).rejects.toThrow(/Cannot read .*#nope: no such table/);
    await expect(s.platform.datasets.ingest(actor, { name: 'x', source: `sqlite:${join(s.home, 'missing.sqlite')}`, table: 't', cwd: s.home })).rejects.toThrow(/Cannot open SQLite database/);
    await expect(s.platform.datasets.ingest(actor, { name: 'x', source: `sqlite:${db}`, table: 'empty', cwd: s.home })).rejects.toThrow(/holds no rows/);
    await expect(s.platform.datasets.ingest(actor, { name: 'x', source: `sqlite:${db}`, query: "select x'00ff' as bin", cwd: s.home })).rejects.toThrow(/holds binary data/);
    await expect(s.platform.datasets.ingest(actor, { name: 'x', source: 'data.csv', table: 't', cwd: s.home })).rejects.toThrow(/apply to database sources/);
    await expect(s.platform.datasets.ingestRows(actor, 'x', [{ a: 1 }, { a: 2, b: 3 }])).rejects.toThrow(/Row 2 has column\(s\) b that the first row lacks/);
    await expect(s.platform.datasets.ingestRows(actor, 'x', [])).rejects.toThrow(/returned no rows/);
    expect(await s.platform.store.datasets.listVersions('x')).toEqual([]);
  });

  it('maps declared types by SQLite affinity and PostgreSQL OIDs', () => {
    expect(['INTEGER', 'BIGINT', 'VARCHAR(10)', 'TEXT', 'REAL', 'DOUBLE PRECISION', 'BOOLEAN', 'DATE', 'DATETIME', 'NUMERIC', null].map(sqliteType)).toEqual([
      'BIGINT', 'BIGINT', 'VARCHAR', 'VARCHAR', 'DOUBLE', 'DOUBLE', 'BOOLEAN', 'DATE', 'TIMESTAMP', 'AUTO', 'AUTO',
    ]);
    // OIDs from PostgreSQL's pg_type catalogue: bool 16, int8 20, int4 23, float8 701, numeric 1700, date 1082, timestamp 1114, timestamptz 1184, text 25.
    expect([16, 20, 23, 701, 1700, 1082, 1114, 1184, 25].map(postgresType)).toEqual(['BOOLEAN', 'BIGINT', 'BIGINT', 'DOUBLE', 'DOUBLE', 'DATE', 'TIMESTAMP', 'TIMESTAMPTZ', 'VARCHAR']);
  });
});
