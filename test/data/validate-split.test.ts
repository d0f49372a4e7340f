import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flightsPath } from '../../src/data/sample-data.js';
import { tempPlatform } from '../support/temp.js';

type Setup = Awaited<ReturnType<typeof tempPlatform>>;
const actor = { name: 'tester' };

/** Plain DuckDB over a file, independent of Orchard's code, for expected values. */
async function scalar(sql: string): Promise<number> {
  const instance = await DuckDBInstance.create(':memory:');
  const c = await instance.connect();
  try {
    const rows = (await c.runAndReadAll(sql)).getRowsJS();
    return Number(rows[0]![0]);
  } finally {
    c.closeSync();
    instance.closeSync();
  }
}

describe('validation', () => {
  let s: Setup;
  beforeAll(async () => {
    s = await tempPlatform();
  });
  afterAll(async () => s.cleanup());

  it('reports exactly the anomalies of a deliberately corrupted copy', async () => {
    const header = 'date,delay,distance,origin,destination';
    const airports = ['ATL', 'ORD', 'DFW', 'LAX'];
    const base = Array.from({ length: 40 }, (_, i) => `2001-01-${String((i % 28) + 1).padStart(2, '0')} 10:00:00,${(i % 9) * 10 - 20},${200 + i * 10},${airports[i % 4]},${airports[(i + 1) % 4]}`);
    const corrupted = base.map((line, i) => {
      const [date, delay, distance, origin, destination] = line.split(',');
      return [date, i < 3 ? '99999' : delay, distance, i >= 10 && i < 12 ? 'ZZZ' : origin, destination].join(',');
    });
    writeFileSync(join(s.home, 'base.csv'), [header, ...base].join('\n'));
    // `distance` renamed to `dist`.
    writeFileSync(join(s.home, 'corrupted.csv'), ['date,delay,dist,origin,destination', ...corrupted].join('\n'));
    await s.platform.datasets.ingest(actor, { name: 'base', source: 'base.csv', cwd: s.home });
    await s.platform.datasets.ingest(actor, { name: 'corrupted', source: 'corrupted.csv', cwd: s.home });
    const schema = await s.platform.derive.inferSchema(actor, 'base');
    const report = await s.platform.derive.validate(actor, 'corrupted', schema);
    const summary = report.anomalies.map((a) => ({ kind: a.kind, column: a.column, count: a.count, examples: a.examples })).sort((a, b) => a.kind.localeCompare(b.kind));
    expect(summary).toEqual([
      { kind: 'missing_column', column: 'distance', count: 0, examples: [] },
      { kind: 'out_of_range', column: 'delay', count: 3, examples: ['99999'] },
      { kind: 'unexpected_column', column: 'dist', count: 0, examples: [] },
      { kind: 'unseen_category', column: 'origin', count: 2, examples: ['ZZZ'] },
    ]);
    expect(report.anomalies.find((a) => a.kind === 'out_of_range')?.fraction).toBeCloseTo(3 / 40, 12);
    // The clean copy has none, and the validation is a tracked run with its count.
    expect((await s.platform.derive.validate(actor, 'base', schema)).anomalies).toEqual([]);
    const run = await s.platform.tracking.getRun(report.runId);
    expect(run.metrics.find((m) => m.key === 'anomalies')?.value).toBe(4);
  });

  it('flags June flights against a schema inferred from January, with counts equal to plain SQL', async () => {
    await s.platform.datasets.ingest(actor, { name: 'flights', source: flightsPath(), cwd: s.home });
    const split = await s.platform.derive.split(actor, 'flights', { kind: 'period', by: 'date', every: 'month' });
    expect(Object.keys(split.parts)).toEqual(['2001-01', '2001-02', '2001-03', '2001-04', '2001-05', '2001-06', '2001-07']);
    const schema = await s.platform.derive.inferSchema(actor, 'flights-2001-01');
    const report = await s.platform.derive.validate(actor, 'flights-2001-06', schema);
    const f = `read_parquet('${flightsPath()}')`;
    const jan = `(select * from ${f} where date >= '2001-01-01' and date < '2001-02-01')`;
    const jun = `(select * from ${f} where date >= '2001-06-01' and date < '2001-07-01')`;
    const unseenOrigin = await scalar(`select count(*) from ${jun} where origin not in (select distinct origin from ${jan})`);
    const unseenDest = await scalar(`select count(*) from ${jun} where destination not in (select distinct destination from ${jan})`);
    const outOfRange = await scalar(`select count(*) from ${jun} where delay < (select min(delay) from ${jan}) or delay > (select max(delay) from ${jan}) or distance < (select min(distance) from ${jan}) or distance > (select max(distance) from ${jan})`);
    const byKey = new Map(report.anomalies.map((a) => [`${a.kind}:${a.column}`, a.count]));
    expect(byKey.get('unseen_category:origin')).toBe(unseenOrigin);
    expect(byKey.get('unseen_category:destination')).toBe(unseenDest);
    const ranged = (byKey.get('out_of_range:delay') ?? 0) + (byKey.get('out_of_range:distance') ?? 0);
    expect(ranged).toBe(outOfRange);
    expect(unseenOrigin).toBeGreaterThan(0);
    expect(report.rows).toBe(await scalar(`select count(*) from ${jun}`));
  }, 60_000);
});

describe('splits', () => {
  let s: Setup;
  beforeAll(async () => {
    s = await tempPlatform();
    const lines = ['id,customer,label,day,amount'];
    for (let i = 0; i < 10_000; i++) lines.push(`${i},c${i % 500},${i % 10 === 0 ? 'yes' : 'no'},2024-01-${String((i % 30) + 1).padStart(2, '0')},${(i * 7) % 1000}`);
    writeFileSync(join(s.home, 'rows.csv'), lines.join('\n'));
    await s.platform.datasets.ingest(actor, { name: 'rows', source: 'rows.csv', cwd: s.home });
  });
  afterAll(async () => s.cleanup());

  const partRows = async (ref: string, sql: string) => {
    const v = await s.platform.datasets.resolve(ref);
    return scalar(sql.replaceAll('$T', `read_parquet('${await s.platform.datasets.parquetPath(v)}')`));
  };

  it('random: close to the fractions, every row once, and the same parts again for the same seed', async () => {
    const first = await s.platform.derive.split(actor, 'rows', { kind: 'random', fractions: { train: 0.8, test: 0.2 }, seed: 7 }, { output: 'r' });
    expect(first.parts.train!.rows + first.parts.test!.rows).toBe(10_000);
    expect(Math.abs(first.parts.train!.rows - 8000)).toBeLessThan(200);
    const again = await s.platform.derive.split(actor, 'rows', { kind: 'random', fractions: { train: 0.8, test: 0.2 }, seed: 7 }, { output: 'r' });
    expect(again.parts.train!.version).toBe(first.parts.train!.version);
    expect(again.parts.train!.digest).toBe(first.parts.train!.digest);
    const other = await s.platform.derive.split(actor, 'rows', { kind: 'random', fractions: { train: 0.8, test: 0.2 }, seed: 8 }, { output: 'r' });
    expect(other.parts.train!.digest).not.toBe(first.parts.train!.digest);
    const lineage = await s.platform.store.lineage.edges('dataset_version', `r-train@${first.parts.train!.version}`, 'upstream');
    expect(lineage.map((e) => [e.relation, e.srcId])).toContainEqual(['derived_from', 'rows@1']);
  });

  it('stratified: each class splits in the same proportion', async () => {
    const r = await s.platform.derive.split(actor, 'rows', { kind: 'stratified', by: 'label', fractions: { train: 0.7, test: 0.3 }, seed: 1 }, { output: 'st' });
    expect(await partRows(`st-train@${r.parts.train!.version}`, `select count(*) from $T where label = 'yes'`)).toBe(700);
    expect(await partRows(`st-test@${r.parts.test!.version}`, `select count(*) from $T where label = 'no'`)).toBe(2700);
  });

  it('group: no customer lands in two parts', async () => {
    const r = await s.platform.derive.split(actor, 'rows', { kind: 'group', by: 'customer', fractions: { a: 0.5, b: 0.5 }, seed: 3 }, { output: 'g' });
    const pa = await s.platform.datasets.parquetPath(r.parts.a!);
    const pb = await s.platform.datasets.parquetPath(r.parts.b!);
    expect(await scalar(`select count(*) from (select distinct customer from read_parquet('${pa}')) a join (select distinct customer from read_parquet('${pb}')) b using (customer)`)).toBe(0);
    expect(r.parts.a!.rows + r.parts.b!.rows).toBe(10_000);
  });

  it('time: rows before, between and after the cut points', async () => {
    const r = await s.platform.derive.split(actor, 'rows', { kind: 'time', by: 'day', cuts: ['2024-01-11', '2024-01-21'], names: ['early', 'mid', 'late'] }, { output: 't' });
    expect([r.parts.early!.rows, r.parts.mid!.rows, r.parts.late!.rows]).toEqual([
      await partRows('rows', `select count(*) from $T where day < '2024-01-11'`),
      await partRows('rows', `select count(*) from $T where day >= '2024-01-11' and day < '2024-01-21'`),
      await partRows('rows', `select count(*) from $T where day >= '2024-01-21'`),
    ]);
  });

  it('ordered: the latest rows by a column form the last part, in exact shares', async () => {
    const r = await s.platform.derive.split(actor, 'rows', { kind: 'ordered', by: 'day', fractions: { train: 0.8, test: 0.2 }, seed: 5 }, { output: 'o' });
    expect([r.parts.train!.rows, r.parts.test!.rows]).toEqual([8000, 2000]);
    const last = await partRows(`o-train@${r.parts.train!.version}`, 'select max(epoch(day)) from $T');
    const first = await partRows(`o-test@${r.parts.test!.version}`, 'select min(epoch(day)) from $T');
    expect(Number(last)).toBeLessThanOrEqual(Number(first));
    // The test part holds the latest days: every row after the training part's last day.
    expect(await partRows(`o-test@${r.parts.test!.version}`, `select count(*) from $T where epoch(day) > ${Number(last)}`)).toBe(await partRows('rows', `select count(*) from $T where epoch(day) > ${Number(last)}`));
    expect(await partRows('rows', `select count(*) from $T where epoch(day) > ${Number(last)}`)).toBeGreaterThan(1000);
  });

  it('rejects bad specs with the fix', async () => {
    await expect(s.platform.derive.split(actor, 'rows', { kind: 'random', fractions: { a: 0.5, b: 0.4 }, seed: 1 })).rejects.toThrow(/add up to 0.9; they must add up to 1/);
    await expect(s.platform.derive.split(actor, 'rows', { kind: 'group', by: 'nope', fractions: { a: 0.5, b: 0.5 }, seed: 1 })).rejects.toThrow(/no such column; columns are id, customer/);
    await expect(s.platform.derive.split(actor, 'rows', { kind: 'time', by: 'day', cuts: ['2030-01-01'], names: ['past', 'future'] })).rejects.toThrow(/leaves part\(s\) future .* empty/);
    await expect(s.platform.derive.split(actor, 'rows', { kind: 'period', by: 'amount', every: 'month' })).rejects.toThrow(/needs a datetime column/);
    expect(await s.platform.store.datasets.listVersions('rows-future')).toEqual([]);
  });
});
