import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { literal, queryRows } from '../../src/data/duckdb-engine.js';
import { flightsPath } from '../../src/data/sample-data.js';
import { parseTransformSpec, transformRows, transformSql, type TransformSpec } from '../../src/data/transform.js';
import { tempPlatform } from '../support/temp.js';

const actor = { name: 'tester' };

describe('transforms', () => {
  let s: Awaited<ReturnType<typeof tempPlatform>>;
  beforeAll(async () => {
    s = await tempPlatform();
    // x: 1, 2, 3, null, 4 → mean 2.5, median 2.5; c: a, a, b, null, c → most frequent a.
    writeFileSync(join(s.home, 'toy.csv'), 'x,c,t\n1,a,2024-01-01 10:00:00\n2,a,2024-01-06 23:30:00\n3,b,2024-02-29 00:00:00\n,,2024-03-03 12:00:00\n4,c,2024-12-31 23:59:00\n');
    await s.platform.datasets.ingest(actor, { name: 'toy', source: 'toy.csv', cwd: s.home });
  });
  afterAll(async () => s.cleanup());

  it('fits values by hand-checkable rules and applies them the same in SQL and JavaScript', async () => {
    const spec: TransformSpec = {
      steps: [
        { op: 'impute', columns: ['x'], strategy: 'mean' },
        { op: 'impute', columns: ['c'], strategy: 'most_frequent' },
        { op: 'derive', name: 'x2', expr: 'x * x - 1' },
        { op: 'dateparts', column: 't', parts: ['month', 'weekday', 'hour', 'dayofyear'] },
        { op: 'onehot', column: 'c', maxCategories: 2 },
        { op: 'scale', columns: ['x'], method: 'standard' },
      ],
      features: ['x', 'x2', 't_month', 't_weekday', 't_hour', 't_dayofyear', 'c=a', 'c=b', 'c=__other__'],
    };
    const { fitted, digest } = await s.platform.derive.fitTransform(actor, 'toy', spec);
    expect(digest).toMatch(/^sha256:/);
    expect(fitted.steps[0]).toEqual({ op: 'impute', fill: { x: 2.5 } });
    expect(fitted.steps[1]).toEqual({ op: 'impute', fill: { c: 'a' } });
    expect(fitted.steps[4]).toEqual({ op: 'onehot', column: 'c', categories: ['a', 'b'] });
    // After imputation x = 1, 2, 3, 2.5, 4: mean 2.5, population std sqrt(5 / 4 / … ) computed here by hand:
    const xs = [1, 2, 3, 2.5, 4];
    const std = Math.sqrt(xs.reduce((a, v) => a + (v - 2.5) ** 2, 0) / xs.length);
    expect(fitted.steps[5]).toEqual({ op: 'scale', params: { x: { center: 2.5, scale: std } } });
    expect(await s.platform.derive.loadTransform(digest)).toEqual(fitted);

    const version = await s.platform.datasets.resolve('toy');
    const path = await s.platform.datasets.parquetPath(version);
    const sqlRows = await s.platform.engine.withConnection((c) => queryRows(c, transformSql(fitted, `read_parquet(${literal(path)})`)));
    const js = transformRows(fitted, [
      { x: 1, c: 'a', t: '2024-01-01 10:00:00' },
      { x: 2, c: 'a', t: '2024-01-06 23:30:00' },
      { x: 3, c: 'b', t: '2024-02-29 00:00:00' },
      { x: null, c: null, t: '2024-03-03 12:00:00' },
      { x: 4, c: 'c', t: new Date(Date.UTC(2024, 11, 31, 23, 59)) },
    ]);
    fitted.features.forEach((f, j) => expect(sqlRows.map((r) => Number(r[f])), f).toEqual([...js[j]!]));
    // Hand-checked: 2024-01-06 is a Saturday (ISO 6), 2024-12-31 is day 366 of a leap year.
    expect([...js[fitted.features.indexOf('t_weekday')]!]).toEqual([1, 6, 4, 7, 2]);
    expect(js[fitted.features.indexOf('t_dayofyear')]![4]).toBe(366);
    expect([...js[fitted.features.indexOf('c=__other__')]!]).toEqual([0, 0, 0, 0, 1]);
    expect([...js[fitted.features.indexOf('x2')]!]).toEqual([0, 3, 8, 5.25, 15]);
  });

  it('gives the same features in DuckDB and in JavaScript on 20,000 flights', async () => {
    await s.platform.datasets.ingest(actor, { name: 'flights', source: flightsPath(), cwd: s.home });
    const split = await s.platform.derive.split(actor, 'flights', { kind: 'time', by: 'date', cuts: ['2001-01-08'], names: ['wk1', 'rest'] }, { output: 'fl' });
    const spec = parseTransformSpec(
      {
        steps: [
          { op: 'dateparts', column: 'date', parts: ['hour', 'weekday', 'month'] },
          { op: 'derive', name: 'long_haul', expr: 'CASE WHEN distance > 1500 THEN 1 ELSE 0 END' },
          { op: 'derive', name: 'log_distance', expr: 'ln(distance) / ln(10) + sqrt(distance) % 7' },
          { op: 'onehot', column: 'origin', maxCategories: 10 },
          { op: 'ordinal', column: 'destination' },
          { op: 'scale', columns: ['distance'], method: 'minmax' },
        ],
        features: ['date_hour', 'date_weekday', 'date_month', 'long_haul', 'log_distance', 'distance', 'destination', 'origin=ORD', 'origin=__other__'],
      },
      'test',
    );
    const { fitted } = await s.platform.derive.fitTransform(actor, `fl-wk1@${split.parts.wk1!.version}`, spec);
    const rest = await s.platform.datasets.parquetPath(split.parts.rest!);
    const sample = `(select * from read_parquet(${literal(rest)}) limit 20000)`;
    const [raw, features] = await s.platform.engine.withConnection(async (c) => [
      await queryRows(c, `select strftime(date, '%Y-%m-%d %H:%M:%S') as date, delay, distance, origin, destination from ${sample}`),
      await queryRows(c, transformSql(fitted, sample)),
    ]);
    const js = transformRows(fitted, raw);
    let compared = 0;
    fitted.features.forEach((f, j) => {
      features.forEach((row, r) => {
        const a = Number(row[f] ?? Number.NaN);
        const b = js[j]![r]!;
        if (Number.isNaN(a)) expect(b, `${f} row ${r}`).toBeNaN();
        else expect(Math.abs(a - b), `${f} row ${r}: SQL ${a}, JS ${b}`).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(a)));
        compared++;
      });
    });
    expect(compared).toBe(20_000 * fitted.features.length);
    // Unseen destinations get the "other" code k.
    const ordinal = fitted.steps.find((x) => x.op === 'ordinal');
    expect(transformRows(fitted, [{ date: '2001-03-01 10:00:00', distance: 100, origin: 'XXX', destination: 'NEVER-SEEN' }])[fitted.features.indexOf('destination')]![0]).toBe(
      ordinal?.op === 'ordinal' ? ordinal.categories.length : -1,
    );
  }, 60_000);

  it('applies a fitted transform to a version as a new version, keeping the target', async () => {
    const { fitted } = await s.platform.derive.fitTransform(actor, 'toy', { steps: [{ op: 'impute', columns: ['x'], strategy: 'median' }], features: ['x'] });
    const out = await s.platform.derive.applyTransform(actor, 'toy', fitted, { output: 'toy-features', keep: ['c'] });
    expect(out).toMatchObject({ name: 'toy-features', rows: 5 });
    expect(out.columns.map((c) => c.name)).toEqual(['x', 'c']);
    const lineage = await s.platform.store.lineage.edges('dataset_version', 'toy-features@1', 'upstream');
    expect(lineage.map((e) => e.relation)).toContain('derived_from');
  });

  it('rejects bad specs with the step, the column and the fix', async () => {
    expect(() => parseTransformSpec({ steps: [{ op: 'explode' }, { op: 'scale', columns: [], method: 'z' }], features: [] }, 'spec.json')).toThrow(/5 problems|problems/);
    await expect(s.platform.derive.fitTransform(actor, 'toy', { steps: [{ op: 'scale', columns: ['c'], method: 'standard' }], features: ['c'] })).rejects.toThrow(/step 1 \(scale\): column `c` is VARCHAR; scale needs a numeric column/);
    await expect(s.platform.derive.fitTransform(actor, 'toy', { steps: [{ op: 'derive', name: 'y', expr: 'nope * 2' }], features: ['y'] })).rejects.toThrow(/unknown column nope/);
    await expect(s.platform.derive.fitTransform(actor, 'toy', { steps: [], features: ['c'] })).rejects.toThrow(/feature `c` is VARCHAR; encode it/);
    await expect(s.platform.derive.fitTransform(actor, 'toy', { steps: [{ op: 'dateparts', column: 'x', parts: ['hour'] }], features: ['x'] })).rejects.toThrow(/needs a DATE or TIMESTAMP column/);
  });
});
