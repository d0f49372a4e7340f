import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { literal, queryRows } from '../../src/data/duckdb-engine.js';
import { HISTOGRAM_BINS, binEdges, isNumericKind, type ColumnProfile, type DatasetProfile } from '../../src/data/profile.js';
import { renderProfileHtml } from '../../src/data/profile-report.js';
import { tempPlatform } from '../support/temp.js';

type Setup = Awaited<ReturnType<typeof tempPlatform>>;
const actor = { name: 'tester' };

// ---- independent reference computations (plain JS, written for this test) ----------------------

const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
/** Sample standard deviation (n − 1), two-pass. */
const std = (v: number[]) => {
  const m = mean(v);
  return Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / (v.length - 1));
};
/** Linear interpolation between closest ranks: numpy's default, DuckDB's quantile_cont. */
const quantile = (v: number[], p: number) => {
  const s = [...v].sort((a, b) => a - b);
  const h = (s.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.ceil(h);
  return s[lo]! + (h - lo) * (s[hi]! - s[lo]!);
};
/** Pearson's r over the rows where both values are present. */
const pearson = (xs: (number | null)[], ys: (number | null)[]) => {
  const pairs = xs.map((x, i) => [x, ys[i]] as const).filter((p): p is readonly [number, number] => p[0] !== null && p[1] !== null);
  const mx = mean(pairs.map((p) => p[0]));
  const my = mean(pairs.map((p) => p[1]));
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (const [x, y] of pairs) {
    sxy += (x - mx) * (y - my);
    sxx += (x - mx) ** 2;
    syy += (y - my) ** 2;
  }
  return sxy / Math.sqrt(sxx * syy);
};
/** Bin counts by a plain scan: bin i holds [edges[i], edges[i+1]), the last bin also its right edge. */
const handHistogram = (v: number[], edges: number[]) =>
  edges.slice(0, -1).map((lo, i) => v.filter((x) => x >= lo && (x < edges[i + 1]! || (i === edges.length - 2 && x === edges[i + 1]))).length);

function expectClose(actual: number | null | undefined, expected: number, what: string): void {
  expect(actual, what).not.toBeNull();
  expect(Math.abs(actual! - expected), `${what}: ${actual} vs ${expected}`).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(expected)));
}

// ---- the fixture: 17 distinct rows, then three exact copies (of rows 2, 2 and 5) ------------------

interface Row {
  id: number;
  x: number | null;
  y: number;
  k: number;
  city: string | null;
  note: string | null;
  flag: boolean;
  ts: string;
}
const base: Row[] = [
  { id: 1, x: 1.5, y: 10, k: 5, city: 'Oslo', note: 'alpha', flag: true, ts: '2024-03-01 08:00:00' },
  { id: 2, x: 2.0, y: 12, k: 5, city: 'Oslo', note: 'bravo', flag: false, ts: '2024-03-01 09:30:00' },
  { id: 3, x: null, y: 7, k: 5, city: 'Bergen', note: 'charlie', flag: true, ts: '2024-03-02 10:00:00' },
  { id: 4, x: 4.25, y: 20, k: 5, city: 'Oslo', note: 'delta', flag: true, ts: '2024-03-02 11:15:00' },
  { id: 5, x: 3.0, y: 15, k: 5, city: 'Tromsø', note: 'echo', flag: false, ts: '2024-03-03 12:00:00' },
  { id: 6, x: 10.0, y: 40, k: 5, city: 'Bergen', note: null, flag: true, ts: '2024-03-04 00:00:00' },
  { id: 7, x: null, y: 9, k: 5, city: 'Oslo', note: 'golf', flag: false, ts: '2024-03-05 06:45:00' },
  { id: 8, x: 2.5, y: 14, k: 5, city: 'Tromsø', note: 'hotel', flag: true, ts: '2024-03-06 18:20:00' },
  { id: 9, x: 7.75, y: 33, k: 5, city: 'Bergen', note: 'india', flag: false, ts: '2024-03-07 07:00:00' },
  { id: 10, x: 6.0, y: 25, k: 5, city: null, note: 'juliet', flag: true, ts: '2024-03-08 13:30:00' },
  { id: 11, x: 1.0, y: 8, k: 5, city: 'Oslo', note: 'kilo', flag: true, ts: '2024-03-09 09:00:00' },
  { id: 12, x: 0.5, y: 5, k: 5, city: 'Tromsø', note: 'lima', flag: false, ts: '2024-03-10 10:10:10' },
  { id: 13, x: 9.0, y: 36, k: 5, city: 'Bergen', note: 'mike', flag: true, ts: '2024-03-11 11:11:11' },
  { id: 14, x: 3.5, y: 18, k: 5, city: 'Oslo', note: 'november', flag: false, ts: '2024-03-12 12:12:12' },
  { id: 15, x: 5.0, y: 22, k: 5, city: 'Tromsø', note: 'oscar', flag: true, ts: '2024-03-13 13:13:13' },
  { id: 16, x: 8.0, y: 30, k: 5, city: 'Oslo', note: 'papa', flag: false, ts: '2024-03-14 14:14:14' },
  { id: 17, x: -2.0, y: 1, k: 5, city: 'Bergen', note: 'quebec', flag: true, ts: '2024-03-31 23:59:59' },
];
const rows: Row[] = [...base, base[1]!, base[1]!, base[4]!];
const csv = ['id,x,y,k,city,note,flag,ts', ...rows.map((r) => [r.id, r.x ?? '', r.y, r.k, r.city ?? '', r.note ?? '', r.flag, r.ts].join(','))].join('\n') + '\n';
const epochMs = (ts: string) => Date.parse(`${ts.replace(' ', 'T')}Z`);

describe('profile of a hand-made fixture', () => {
  let setup: Setup;
  let profile: DatasetProfile;
  const col = (name: string): ColumnProfile => profile.columns.find((c) => c.name === name)!;

  beforeAll(async () => {
    setup = await tempPlatform();
    const path = join(setup.home, 'fixture.csv');
    writeFileSync(path, csv);
    await setup.platform.datasets.ingest(actor, { name: 'fixture', source: path, cwd: setup.home });
    profile = await setup.platform.datasets.profile(actor, 'fixture');
  });
  afterAll(async () => {
    await setup.cleanup();
  });

  it('counts rows, missing values and exact duplicate rows (counted by hand)', () => {
    expect(profile.rows).toBe(20);
    // Rows 18–20 repeat rows 2, 2 and 5.
    expect(profile.duplicateRows).toBe(3);
    expect(profile.columns.map((c) => [c.name, c.kind])).toEqual([
      ['id', 'integer'],
      ['x', 'numeric'],
      ['y', 'integer'],
      ['k', 'integer'],
      ['city', 'categorical'],
      ['note', 'text'],
      ['flag', 'boolean'],
      ['ts', 'datetime'],
    ]);
    // By hand: x is blank in rows 3 and 7; city in row 10; note in row 6. Distinct counts are exact at this size.
    const expected: Record<string, [number, number, number]> = {
      // [count, missing, distinct]
      id: [20, 0, 17],
      x: [18, 2, 15],
      y: [20, 0, 17],
      k: [20, 0, 1],
      city: [19, 1, 3],
      note: [19, 1, 16],
      flag: [20, 0, 2],
      ts: [20, 0, 17],
    };
    for (const [name, [count, missing, distinct]] of Object.entries(expected)) {
      expect({ name, count: col(name).count, missing: col(name).missing, distinct: col(name).distinct }).toEqual({ name, count, missing, distinct });
      expect(col(name).missingFraction).toBe(missing / 20);
    }
  });

  it('gives min, max, mean and sample std equal to a plain JS computation', () => {
    const series: Record<string, number[]> = {
      id: rows.map((r) => r.id),
      x: rows.flatMap((r) => (r.x === null ? [] : [r.x])),
      y: rows.map((r) => r.y),
      ts: rows.map((r) => epochMs(r.ts)),
    };
    for (const [name, v] of Object.entries(series)) {
      const n = col(name).numeric!;
      expect(n.min, `${name} min`).toBe(Math.min(...v));
      expect(n.max, `${name} max`).toBe(Math.max(...v));
      expectClose(n.mean, mean(v), `${name} mean`);
      expectClose(n.std, std(v), `${name} std`);
    }
    // Two by hand: x's 15 distinct rows sum to 62 and the copies add 2 + 2 + 3, so the mean is 69 / 18;
    // ts runs from 2024-03-01 08:00:00 UTC to 2024-03-31 23:59:59 UTC.
    expectClose(col('x').numeric!.mean, 69 / 18, 'x mean by hand');
    expect(col('ts').numeric!.min).toBe(Date.UTC(2024, 2, 1, 8));
    expect(col('ts').numeric!.max).toBe(Date.UTC(2024, 2, 31, 23, 59, 59));
  });

  it('gives a constant column min = max, std 0, and one histogram bin holding every row', () => {
    const n = col('k').numeric!;
    expect(n).toMatchObject({ min: 5, max: 5, mean: 5, std: 0 });
    // DuckDB interpolates as lo·(1 − d) + hi·d, so a quantile of equal values may be off by an ulp (5.000000000000001).
    for (const [key, q] of Object.entries(n.quantiles)) expectClose(q, 5, `k ${key}`);
    expect(n.histogram).toEqual({ edges: [5, 5], counts: [20] });
  });

  it('gives quantiles equal to linear interpolation (numpy default) computed here', () => {
    const series: Record<string, number[]> = {
      x: rows.flatMap((r) => (r.x === null ? [] : [r.x])),
      y: rows.map((r) => r.y),
      ts: rows.map((r) => epochMs(r.ts)),
    };
    const ps = { p1: 0.01, p5: 0.05, p25: 0.25, p50: 0.5, p75: 0.75, p95: 0.95, p99: 0.99 };
    for (const [name, v] of Object.entries(series)) {
      for (const [key, p] of Object.entries(ps)) expectClose(col(name).numeric!.quantiles[key as keyof typeof ps], quantile(v, p), `${name} ${key}`);
    }
    // One by hand: y sorted is 1 5 7 8 9 10 12 12 12 14 | 15 15 18 20 22 25 30 33 36 40; the median sits between 14 and 15.
    expect(col('y').numeric!.quantiles.p50).toBe(14.5);
  });

  it('bins the histogram between the percentiles, each bin matching a count by hand, all summing to the non-null count', () => {
    const series: Record<string, number[]> = {
      x: rows.flatMap((r) => (r.x === null ? [] : [r.x])),
      y: rows.map((r) => r.y),
      id: rows.map((r) => r.id),
      ts: rows.map((r) => epochMs(r.ts)),
    };
    for (const [name, v] of Object.entries(series)) {
      const { edges, counts } = col(name).numeric!.histogram;
      expect(edges, `${name} edges`).toEqual(binEdges(Math.min(...v), Math.max(...v), quantile(v, 0.01), quantile(v, 0.99)));
      expect(edges).toHaveLength(HISTOGRAM_BINS + 1);
      expect(counts, `${name} counts`).toEqual(handHistogram(v, edges));
      expect(counts.reduce((a, b) => a + b, 0)).toBe(col(name).count);
    }
    // By hand for x: the lower tail bin [min, p1) = [-2, p1) holds only -2; the upper tail [p99, 10] holds only 10.
    const x = col('x').numeric!.histogram.counts;
    expect([x[0], x.at(-1)]).toEqual([1, 1]);
  });

  it('lists top values by count, ties broken by value, with counts by hand', () => {
    // Oslo: rows 1 2 4 7 11 14 16 + two copies of row 2 = 9; Bergen: 3 6 9 13 17 = 5; Tromsø: 5 8 12 15 + a copy of 5 = 5.
    expect(col('city').top).toEqual([
      { value: 'Oslo', count: 9 },
      { value: 'Bergen', count: 5 },
      { value: 'Tromsø', count: 5 },
    ]);
    // true: rows 1 3 4 6 8 10 11 13 15 17 = 10; false: 7 rows + the 3 copies (of false rows) = 10.
    expect(col('flag').top).toEqual([
      { value: 'false', count: 10 },
      { value: 'true', count: 10 },
    ]);
    expect(col('note').top!.slice(0, 3)).toEqual([
      { value: 'bravo', count: 3 },
      { value: 'echo', count: 2 },
      { value: 'alpha', count: 1 },
    ]);
    const lengths = rows.flatMap((r) => (r.note === null ? [] : [r.note.length]));
    expect(col('note').length!.min).toBe(Math.min(...lengths));
    expect(col('note').length!.max).toBe(Math.max(...lengths));
    expectClose(col('note').length!.mean, mean(lengths), 'note mean length');
    expect(col('city').length).toMatchObject({ min: 4, max: 6 });
  });

  it('gives Pearson correlations equal to a JS computation, null for a constant column', () => {
    const { columns, matrix } = profile.correlations;
    expect(columns).toEqual(['id', 'x', 'y', 'k']);
    const values: Record<string, (number | null)[]> = { id: rows.map((r) => r.id), x: rows.map((r) => r.x), y: rows.map((r) => r.y) };
    for (const [i, a] of ['id', 'x', 'y'].entries()) {
      for (const [j, b] of ['id', 'x', 'y'].entries()) {
        if (i === j) expect(matrix[i]![j]).toBe(1);
        else expectClose(matrix[i]![j], pearson(values[a]!, values[b]!), `r(${a}, ${b})`);
      }
      expect(matrix[i]![3], `r(${a}, k)`).toBeNull();
      expect(matrix[3]![i]).toBeNull();
    }
    // x and y were made to rise together.
    expect(matrix[1]![2]).toBeGreaterThan(0.99);
  });
});

describe('profile of columns the numeric statistics must not choke on', () => {
  let setup: Setup;
  beforeAll(async () => {
    setup = await tempPlatform();
  });
  afterAll(async () => {
    await setup.cleanup();
  });

  it('profiles a TIME column as milliseconds since midnight', async () => {
    const path = join(setup.home, 'times.csv');
    writeFileSync(path, 'at,n\n08:00:00,1\n12:30:00,2\n23:59:59,3\n');
    const { version } = await setup.platform.datasets.ingest(actor, { name: 'times', source: path, cwd: setup.home });
    expect(version.columns[0]).toMatchObject({ physicalType: 'TIME', kind: 'datetime' });
    const p = await setup.platform.datasets.profile(actor, 'times');
    const at = p.columns[0]!.numeric!;
    expect([at.min, at.max]).toEqual([8 * 3_600_000, (23 * 3600 + 59 * 60 + 59) * 1000]);
    expect(at.quantiles.p50).toBe(12.5 * 3_600_000);
  });

  it('leaves NaN and ±Infinity out of numeric statistics instead of failing', async () => {
    const path = join(setup.home, 'nonfinite.csv');
    writeFileSync(path, 'v,w\n1.5,1\ninf,2\n2.5,3\nnan,4\n-inf,5\n3.5,6\n');
    const { version } = await setup.platform.datasets.ingest(actor, { name: 'nonfinite', source: path, cwd: setup.home });
    expect(version.columns[0]).toMatchObject({ physicalType: 'DOUBLE' });
    const p = await setup.platform.datasets.profile(actor, 'nonfinite');
    const v = p.columns[0]!;
    // Six values, none NULL; statistics over the finite three: 1.5, 2.5, 3.5.
    expect(v.count).toBe(6);
    expect(v.numeric).toMatchObject({ min: 1.5, max: 3.5, mean: 2.5, std: 1 });
    expect(v.numeric!.histogram.counts.reduce((a, b) => a + b, 0)).toBe(3);
    // r(v, w) over the finite pairs (1.5, 1), (2.5, 3), (3.5, 6).
    expectClose(p.correlations.matrix[0]![1], pearson([1.5, 2.5, 3.5], [1, 3, 6]), 'r(v, w)');
  });
});

describe('profile of flights-3m against plain DuckDB SQL', () => {
  const file = fileURLToPath(new URL('../../node_modules/vega-datasets/data/flights-3m.parquet', import.meta.url));
  let setup: Setup;
  beforeAll(async () => {
    setup = await tempPlatform();
  });
  afterAll(async () => {
    await setup.cleanup();
  });

  it('agrees on rows, delay mean/min/max/median and the three busiest origins', async () => {
    await setup.platform.datasets.ingest(actor, { name: 'flights', source: file, cwd: setup.home });
    const profile = await setup.platform.datasets.profile(actor, 'flights');

    // The reference: a separate DuckDB instance reading the original file.
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    try {
      const src = `read_parquet(${literal(file)})`;
      const [agg] = await queryRows(
        c,
        `select count(*) as n, count(delay) as nd, avg(delay) as mean, min(delay) as lo, max(delay) as hi, quantile_cont(delay, 0.5) as median from ${src}`,
      );
      const origins = await queryRows(c, `select origin, count(*) as n from ${src} group by origin order by n desc limit 3`);

      expect(profile.rows).toBe(3_000_000);
      expect(agg!.n).toBe(3_000_000);
      const delay = profile.columns.find((col) => col.name === 'delay')!;
      expect(delay.count).toBe(agg!.nd);
      expectClose(delay.numeric!.mean, Number(agg!.mean), 'delay mean');
      expect(delay.numeric!.min).toBe(Number(agg!.lo));
      expect(delay.numeric!.max).toBe(Number(agg!.hi));
      expect(delay.numeric!.quantiles.p50).toBe(Number(agg!.median));
      expect(delay.numeric!.histogram.counts.reduce((a, b) => a + b, 0)).toBe(agg!.nd);

      const origin = profile.columns.find((col) => col.name === 'origin')!;
      expect(origin.top!.slice(0, 3)).toEqual(origins.map((r) => ({ value: r.origin, count: r.n })));
    } finally {
      c.closeSync();
      db.closeSync();
    }
  });
});

describe('renderProfileHtml', () => {
  let setup: Setup;
  let html: string;
  let profile: DatasetProfile;
  const SECRET = 'SECRET-4f9c2e7a-do-not-leak';
  const emails = Array.from({ length: 43 }, (_, i) => `person${i}@example.org`);

  beforeAll(async () => {
    setup = await tempPlatform();
    // 21 codes seen twice each, and the secret once: 22 distinct values, so the top 20 are
    // c01…c20 (count 2, ties by value) and the secret is not among them. Each row also has a
    // unique e-mail address: a value seen once, in a column where every value is seen once.
    const codes = [...Array.from({ length: 21 }, (_, i) => `c${String(i + 1).padStart(2, '0')}`).flatMap((c) => [c, c]), SECRET];
    const lines = codes.map((code, i) => {
      const kind = i % 3 === 0 ? '<script>alert(1)</script>' : i % 3 === 1 ? 'plain' : 'fancy';
      return `${code},${emails[i]},${kind},${(i * 1.7).toFixed(1)},${i % 5},2024-01-${String((i % 28) + 1).padStart(2, '0')} 10:00:00`;
    });
    const path = join(setup.home, 'report.csv');
    writeFileSync(path, `code,email,kind,amount,score,day\n${lines.join('\n')}\n`);
    await setup.platform.datasets.ingest(actor, { name: 'report', source: path, cwd: setup.home });
    profile = await setup.platform.datasets.profile(actor, 'report');
    html = renderProfileHtml(profile);
  });
  afterAll(async () => {
    await setup.cleanup();
  });

  it('is self-contained: no scripts, no external links or resources', () => {
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/\b(src|href)\s*=/i);
    expect(html).not.toMatch(/https?:\/\//i);
    expect(html).not.toMatch(/<link|@import|url\(/i);
    // The category value with markup is shown, escaped.
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('draws an SVG histogram for every numeric column', () => {
    const numeric = profile.columns.filter((c) => isNumericKind(c.kind)).map((c) => c.name);
    expect(numeric).toEqual(['amount', 'score', 'day']);
    for (const name of numeric) expect(html).toContain(`<svg role="img" aria-label="histogram of ${name}"`);
    expect(html.match(/<svg/g)!.length).toBeGreaterThanOrEqual(numeric.length);
  });

  it('holds aggregates, not rows: a value seen once never appears', () => {
    const code = profile.columns.find((c) => c.name === 'code')!;
    expect(code.top).toHaveLength(20);
    expect(html).toContain('c20');
    expect(html).not.toContain(SECRET);
    expect(html).not.toContain('c21'); // seen twice, but 21st in the top list
    // Every e-mail is unique: the profile lists some as "most frequent", the shared report none.
    expect(profile.columns.find((c) => c.name === 'email')!.top!.length).toBeGreaterThan(0);
    for (const e of emails) expect(html).not.toContain(e);
    expect(html).toContain('Values seen only once are not shown.');
  });
});
