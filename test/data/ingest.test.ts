import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/core/config.js';
import { parseDatasetRef } from '../../src/data/dataset-service.js';
import { literal, queryRows } from '../../src/data/duckdb-engine.js';
import type { DatasetVersion } from '../../src/data/types.js';
import { createOrchard, type Platform } from '../../src/orchard.js';
import type { Run } from '../../src/tracking/types.js';
import { tempDir, tempPlatform } from '../support/temp.js';

type Setup = Awaited<ReturnType<typeof tempPlatform>>;
const actor = { name: 'tester' };

let setup: Setup;
let platform: Platform;
let files: string;

beforeAll(async () => {
  setup = await tempPlatform();
  platform = setup.platform;
  files = join(setup.home, 'files');
  mkdirSync(files);
});
afterAll(async () => {
  await setup.cleanup();
});

/** Writes a fixture file under the test's folder and returns its absolute path. */
function fixture(name: string, content: string): string {
  const path = join(files, name);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, content);
  return path;
}

const ingest = (name: string, source: string, extra: { csv?: { delimiter?: string; header?: boolean }; format?: string; cwd?: string } = {}) =>
  platform.datasets.ingest(actor, { name, source, cwd: extra.cwd ?? files, csv: extra.csv, format: extra.format });

/** The rows of a stored version, read back from its Parquet snapshot. */
async function rowsOf(version: DatasetVersion): Promise<Record<string, unknown>[]> {
  const path = await platform.datasets.parquetPath(version);
  return platform.engine.withConnection((c) => queryRows(c, `select * from read_parquet(${literal(path)})`));
}

const shape = (v: DatasetVersion) => v.columns.map((c) => [c.name, c.kind]);

/** Ingest runs of one dataset (found by their `dataset` param), newest first. */
async function ingestRuns(name: string): Promise<Run[]> {
  let experimentId: string;
  try {
    experimentId = (await platform.tracking.getExperimentByName('datasets')).experimentId;
  } catch {
    return [];
  }
  const page = await platform.tracking.searchRuns({ experimentIds: [experimentId], maxResults: 1000 });
  return page.items.filter((r) => r.params.some((p) => p.key === 'dataset' && p.value === name));
}

const param = (run: Run, key: string) => run.params.find((p) => p.key === key)?.value;
const metric = (run: Run, key: string) => run.metrics.find((m) => m.key === key)?.value;
const tag = (run: Run, key: string) => run.tags.find((t) => t.key === key)?.value;

describe('ingest reads each file format', () => {
  it('reads a CSV with a header, inferring integer, numeric, categorical and text columns', async () => {
    const path = fixture('basic.csv', 'id,score,city,comment\n1,0.5,Oslo,first\n2,1.25,Oslo,second\n3,2.5,Bergen,third\n4,3.75,Oslo,fourth\n');
    const { version, created } = await ingest('basic', path);
    expect(created).toBe(true);
    expect(version).toMatchObject({ name: 'basic', version: 1, rows: 4, source: `file:${path}`, createdBy: 'tester' });
    expect(version.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    // city: 2 distinct of 4 values (≤ half) → categorical; comment: 4 distinct of 4 → text.
    expect(shape(version)).toEqual([
      ['id', 'integer'],
      ['score', 'numeric'],
      ['city', 'categorical'],
      ['comment', 'text'],
    ]);
    expect(await rowsOf(version)).toEqual([
      { id: 1, score: 0.5, city: 'Oslo', comment: 'first' },
      { id: 2, score: 1.25, city: 'Oslo', comment: 'second' },
      { id: 3, score: 2.5, city: 'Bergen', comment: 'third' },
      { id: 4, score: 3.75, city: 'Oslo', comment: 'fourth' },
    ]);
  });

  it('detects a semicolon delimiter (values with decimal commas stay in their column)', async () => {
    const path = fixture('semicolon.csv', 'name;amount;note\nalpha;3;a,b\nbeta;4;c,d\ngamma;5;e\n');
    const { version } = await ingest('semicolon', path);
    expect(version.columns.map((c) => c.name)).toEqual(['name', 'amount', 'note']);
    expect(await rowsOf(version)).toEqual([
      { name: 'alpha', amount: 3, note: 'a,b' },
      { name: 'beta', amount: 4, note: 'c,d' },
      { name: 'gamma', amount: 5, note: 'e' },
    ]);
  });

  it('reads a .tsv file as tab-separated', async () => {
    const path = fixture('tabs.tsv', 'a\tb c\n1\tx y\n2\tz, w\n');
    const { version } = await ingest('tabs', path);
    expect(version.columns.map((c) => c.name)).toEqual(['a', 'b c']);
    expect(await rowsOf(version)).toEqual([
      { a: 1, 'b c': 'x y' },
      { a: 2, 'b c': 'z, w' },
    ]);
  });

  it('takes an explicit delimiter and header: false', async () => {
    const path = fixture('pipes.txt', '1|10\n2|20\n3|30\n');
    const { version } = await ingest('pipes', path, { csv: { delimiter: '|', header: false } });
    expect(version.rows).toBe(3);
    expect(await rowsOf(version)).toEqual([
      { column0: 1, column1: 10 },
      { column0: 2, column1: 20 },
      { column0: 3, column1: 30 },
    ]);
  });

  it('reads Parquet, keeping its types', async () => {
    const path = join(files, 'typed.parquet');
    await platform.engine.withConnection((c) =>
      c.run(
        `copy (select i::integer as n, (i * 0.5)::double as half, 'k' || (i % 3) as key, i % 2 = 0 as even, timestamp '2024-01-01' + to_days(i::integer) as day from range(10) t(i)) to ${literal(path)} (format parquet)`,
      ),
    );
    const { version } = await ingest('typed', path);
    expect(version.rows).toBe(10);
    expect(version.columns.map((c) => [c.name, c.physicalType, c.kind])).toEqual([
      ['n', 'INTEGER', 'integer'],
      ['half', 'DOUBLE', 'numeric'],
      ['key', 'VARCHAR', 'categorical'],
      ['even', 'BOOLEAN', 'boolean'],
      ['day', 'TIMESTAMP', 'datetime'],
    ]);
    const rows = await rowsOf(version);
    expect(rows[3]).toEqual({ n: 3, half: 1.5, key: 'k0', even: false, day: Date.UTC(2024, 0, 4) });
  });

  it('reads a JSON array of objects', async () => {
    const path = fixture('array.json', JSON.stringify([{ a: 1, b: 'x' }, { a: 2, b: 'y' }, { a: 3, b: null }]));
    const { version } = await ingest('jsonarray', path);
    expect(version.source).toBe(`file:${path}`);
    expect(await rowsOf(version)).toEqual([
      { a: 1, b: 'x' },
      { a: 2, b: 'y' },
      { a: 3, b: null },
    ]);
  });

  it('reads NDJSON (.ndjson and .jsonl)', async () => {
    const lines = '{"a":1,"b":"x"}\n{"a":2,"b":"y"}\n';
    const nd = await ingest('ndjson', fixture('lines.ndjson', lines));
    const jl = await ingest('jsonl', fixture('lines.jsonl', lines));
    for (const { version } of [nd, jl]) {
      expect(await rowsOf(version)).toEqual([
        { a: 1, b: 'x' },
        { a: 2, b: 'y' },
      ]);
    }
    // Same rows, same snapshot bytes.
    expect(jl.version.digest).toBe(nd.version.digest);
  });

  it('reads every CSV of a folder, and of a glob, in file-name order', async () => {
    fixture('parts/2024-01.csv', 'day,sales\n1,10\n2,20\n');
    fixture('parts/2024-02.csv', 'day,sales\n1,30\n');
    fixture('parts/2024-03.csv', 'day,sales\n1,40\n2,50\n3,60\n');
    const folder = await ingest('folder', join(files, 'parts'));
    expect(folder.version.rows).toBe(6);
    expect((await rowsOf(folder.version)).map((r) => r.sales)).toEqual([10, 20, 30, 40, 50, 60]);
    expect(folder.version.source).toBe(`file:${join(files, 'parts', '*.csv')}`);

    const glob = await ingest('glob', 'parts/2024-0[12].csv');
    expect(glob.version.rows).toBe(3);
    expect(glob.version.source).toBe(`file:${join(files, 'parts', '2024-0[12].csv')}`);
    expect((await rowsOf(glob.version)).map((r) => r.sales)).toEqual([10, 20, 30]);
  });

  it('keeps column names with spaces, punctuation and non-ASCII letters', async () => {
    const names = ['first name', 'größe (cm)', '名前', 'Straße Nr.', 'naïve "quoted"'];
    const header = names.map((n) => `"${n.replaceAll('"', '""')}"`).join(',');
    const path = fixture('names.csv', `${header}\n1,180.5,太郎,Hauptstraße 1,x\n2,165.0,花子,Nebenweg 2,y\n3,170.25,次郎,Ring 3,z\n`);
    const { version } = await ingest('names', path);
    expect(version.columns.map((c) => c.name)).toEqual(names);
    const rows = await rowsOf(version);
    expect(rows[0]).toEqual({ 'first name': 1, 'größe (cm)': 180.5, 名前: '太郎', 'Straße Nr.': 'Hauptstraße 1', 'naïve "quoted"': 'x' });
    // The names survive the metadata store too.
    expect((await platform.datasets.resolve('names@1')).columns.map((c) => c.name)).toEqual(names);
    // And profiling quotes them.
    const profile = await platform.datasets.profile(actor, 'names');
    expect(profile.columns.map((c) => c.name)).toEqual(names);
    expect(profile.columns[1]!.numeric?.max).toBe(180.5);
  });
});

describe('versions', () => {
  it('returns the existing version, created=false, when the same data is ingested again', async () => {
    const path = fixture('same.csv', 'x,y\n1,2\n3,4\n');
    const first = await ingest('same', path);
    const again = await ingest('same', path);
    // Same rows from another file name: the version is content-addressed, not path-addressed.
    const copy = await ingest('same', fixture('same-copy.csv', 'x,y\n1,2\n3,4\n'));
    expect(first.created).toBe(true);
    for (const r of [again, copy]) {
      expect(r.created).toBe(false);
      expect(r.version.version).toBe(1);
      expect(r.version.digest).toBe(first.version.digest);
      expect(r.runId).not.toBe(first.runId);
    }
    expect((await platform.store.datasets.listVersions('same')).map((v) => v.version)).toEqual([1]);
    // The repeat run is recorded as reproducing the version, not producing it.
    const edges = await platform.store.lineage.edges('run', again.runId, 'downstream');
    expect(edges).toEqual([expect.objectContaining({ dstKind: 'dataset_version', dstId: 'same@1', relation: 'reproduced' })]);
    const [run] = (await ingestRuns('same')).filter((r) => r.info.runId === again.runId);
    expect(tag(run!, 'orchard.dataset_created')).toBe('false');
    expect(run!.info.status).toBe('FINISHED');
  });

  it('makes @2 from different data, and resolves name, name@latest, name@1 and name@2', async () => {
    const one = await ingest('evolving', fixture('ev1.csv', 'x\n1\n2\n'));
    const two = await ingest('evolving', fixture('ev2.csv', 'x\n1\n2\n3\n'));
    expect([one.version.version, two.version.version]).toEqual([1, 2]);
    expect(two.created).toBe(true);
    expect(two.version.digest).not.toBe(one.version.digest);
    expect((await platform.datasets.resolve('evolving@latest')).version).toBe(2);
    expect((await platform.datasets.resolve('evolving')).version).toBe(2);
    expect(await platform.datasets.resolve('evolving@1')).toMatchObject({ version: 1, rows: 2, digest: one.version.digest });
    expect(await platform.datasets.resolve('evolving@2')).toMatchObject({ version: 2, rows: 3, digest: two.version.digest });
    expect((await platform.datasets.versions('evolving')).map((v) => v.version)).toEqual([2, 1]);
  });

  it('reports an unknown dataset and an unknown version with NOT_FOUND and what exists', async () => {
    await expect(platform.datasets.resolve('nosuchdata@1')).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringMatching(/No dataset named 'nosuchdata'.*orchard data ingest nosuchdata/),
    });
    await expect(platform.datasets.resolve('nosuchdata')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await ingest('twoversions', fixture('tv1.csv', 'x\n1\n'));
    await ingest('twoversions', fixture('tv2.csv', 'x\n2\n'));
    await expect(platform.datasets.resolve('twoversions@7')).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: "Dataset 'twoversions' has no version 7; its versions are 2, 1.",
    });
  });

  it('parses references: name, name@latest, name@<n>; rejects malformed ones with INVALID_ARGUMENT', () => {
    expect(parseDatasetRef('flights')).toEqual({ name: 'flights', version: 'latest' });
    expect(parseDatasetRef('flights@latest')).toEqual({ name: 'flights', version: 'latest' });
    expect(parseDatasetRef('flights@2')).toEqual({ name: 'flights', version: 2 });
    expect(parseDatasetRef('my.data-set_1@12')).toEqual({ name: 'my.data-set_1', version: 12 });
    for (const bad of ['flights@0', 'flights@-1', 'flights@1.5', 'flights@', 'flights@two', 'flights@02']) {
      expect(() => parseDatasetRef(bad), bad).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining(`'${bad}'`) }));
    }
    for (const bad of ['@2', 'bad name@1', 'a@b@3', '.hidden', '']) {
      expect(() => parseDatasetRef(bad), bad).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('is not valid') }));
    }
  });
});

describe('bad input registers nothing', () => {
  interface BadCase {
    readonly title: string;
    readonly name: string;
    /** Writes the input; returns the source to ingest and the path the message must name. */
    readonly make: () => { source: string; names: string };
    readonly csv?: { header?: boolean };
    readonly message: (string | RegExp)[];
    /** Whether the ingest gets as far as starting a run (input checked before it starts none). */
    readonly run: boolean;
  }
  const file = (name: string, content: string) => () => {
    const path = fixture(`bad/${name}`, content);
    return { source: path, names: path };
  };
  const cases: BadCase[] = [
    { title: 'a missing file', name: 'missing', make: () => ({ source: join(files, 'bad', 'nope.csv'), names: join(files, 'bad', 'nope.csv') }), message: ['does not exist'], run: false },
    {
      title: 'a corrupt Parquet file',
      name: 'corrupt',
      make: file('corrupt.parquet', 'PAR1 this is not really parquet'),
      message: ['is not a readable Parquet file'],
      run: true,
    },
    {
      title: 'ragged CSV rows, with the line number',
      name: 'ragged',
      make: file('ragged.csv', 'a,b,c\n1,2,3\n4,5\n6,7,8\n9,10,11,12\n'),
      // Line 3 has two fields, line 5 four (line 1 is the header).
      message: ['has 2 malformed rows', 'line 3', '"4,5"', 'line 5'],
      run: true,
    },
    {
      title: 'a ragged row in one file of a glob, naming that file',
      name: 'raggedglob',
      make: () => {
        fixture('bad/glob/p1.csv', 'a,b\n1,x\n2,y\n');
        const p2 = fixture('bad/glob/p2.csv', 'a,b\n3,z\n4\n');
        return { source: join(files, 'bad', 'glob', '*.csv'), names: p2 };
      },
      message: ['line 3', '"4"'],
      run: true,
    },
    {
      title: 'a number column with stray text, naming the column and line',
      name: 'mixed',
      make: file('mixed.csv', 'id,val\n1,10\n2,20\n3,abc\n4,40\n5,50\n'),
      message: ['Column `val`', "'abc' at line 4", '1 of 5 values are not numbers'],
      run: true,
    },
    {
      title: 'stray text in a headerless CSV, counting lines from 1 without a header',
      name: 'mixednoheader',
      make: file('mixed-noheader.csv', '1,2\n3,4\n5,x\n7,8\n9,10\n'),
      csv: { header: false },
      message: ['Column `column1`', "'x' at line 3"],
      run: true,
    },
    {
      title: 'stray text past the type sniffer’s sample, naming the column and line',
      name: 'latetext',
      make: file('late.csv', `id,val\n${Array.from({ length: 30_000 }, (_, i) => `${i},${i % 7}`).join('\n')}\n30000,oops\n`),
      // 30,000 data rows on lines 2..30,001; the stray is on line 30,002.
      message: ['line 30002', 'column val', 'oops'],
      run: true,
    },
    { title: 'an empty CSV (header only)', name: 'empty', make: file('empty.csv', 'a,b,c\n'), message: ['holds no rows', 'a, b, c'], run: true },
    { title: 'duplicate column names', name: 'dupcols', make: file('dup.csv', 'a,b,a\n1,2,3\n4,5,6\n'), message: ['two columns named `a`'], run: true },
    {
      title: 'column names equal but for case',
      name: 'dupcase',
      make: file('dupcase.csv', 'Price,qty,price\n1,2,3\n4,5,6\n'),
      message: ['`Price` and `price`', 'more than case'],
      run: true,
    },
    { title: 'a blank column name', name: 'blankcol', make: file('blank.csv', 'a,,c\n1,2,3\n4,5,6\n'), message: ['Column 2', 'has no name'], run: true },
    { title: 'malformed JSON', name: 'badjson', make: file('broken.json', '[{"a":1},{"a":'), message: ['Cannot read', 'as JSON'], run: true },
  ];

  it.each(cases)('$title', async ({ name, make, csv, message, run }) => {
    const { source, names } = make();
    const error = await ingest(name, source, { csv }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT' });
    const text = (error as Error).message;
    expect(text).toContain(names);
    for (const m of message) expect(text).toMatch(m);
    expect(await platform.store.datasets.listVersions(name)).toEqual([]);
    await expect(platform.datasets.resolve(name)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const runs = await ingestRuns(name);
    if (run) {
      expect(runs.map((r) => r.info.status)).toEqual(['FAILED']);
      expect(tag(runs[0]!, 'orchard.error')).toBe(text.slice(0, 8000));
      expect(await platform.store.lineage.edges('run', runs[0]!.info.runId, 'downstream')).toEqual([]);
    } else {
      expect(runs).toEqual([]);
    }
  });

  it('rejects an invalid dataset name before reading anything, naming the bad name', async () => {
    const path = fixture('fine.csv', 'x\n1\n');
    await expect(ingest('bad name!', path)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining("Dataset name 'bad name!' is not valid") });
    await expect(ingest('-leading', path)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(await platform.store.datasets.listVersions('bad name!')).toEqual([]);
    expect(await ingestRuns('bad name!')).toEqual([]);
  });
});

describe('tracking, lineage and audit', () => {
  it('makes each ingest a run in experiment `datasets` with params, metrics and tags', async () => {
    const path = fixture('tracked.csv', 'a,b,c\n1,2,x\n3,4,y\n5,6,z\n');
    const { version, runId } = await ingest('tracked', path);
    expect(version.runId).toBe(runId);
    const run = await platform.tracking.getRun(runId);
    const experiment = await platform.tracking.getExperimentByName('datasets');
    expect(run.info).toMatchObject({ experimentId: experiment.experimentId, runName: 'ingest tracked', status: 'FINISHED', userId: 'tester' });
    expect(run.info.endTime).not.toBeNull();
    expect({ dataset: param(run, 'dataset'), source: param(run, 'source'), format: param(run, 'format') }).toEqual({ dataset: 'tracked', source: `file:${path}`, format: 'csv' });
    expect(metric(run, 'rows')).toBe(3);
    expect(metric(run, 'columns')).toBe(3);
    expect(metric(run, 'bytes')).toBe(version.bytes);
    expect(metric(run, 'seconds')).toBeGreaterThanOrEqual(0);
    expect(tag(run, 'orchard.kind')).toBe('data.ingest');
    expect(tag(run, 'orchard.dataset_version')).toBe('tracked@1');
    expect(tag(run, 'orchard.dataset_created')).toBe('true');
    // The snapshot's size is the stored blob's size.
    expect((await platform.content.read(version.digest)).length).toBe(version.bytes);
  });

  it('records lineage source → run → dataset version', async () => {
    const path = fixture('lineage.csv', 'a\n1\n2\n');
    const { runId } = await ingest('lineage', path);
    const source = `file:${path}`;
    expect(await platform.store.lineage.edges('source', source, 'downstream')).toEqual([
      expect.objectContaining({ srcKind: 'source', srcId: source, dstKind: 'run', dstId: runId, relation: 'consumed' }),
    ]);
    expect(await platform.store.lineage.edges('run', runId, 'downstream')).toEqual([
      expect.objectContaining({ srcKind: 'run', srcId: runId, dstKind: 'dataset_version', dstId: 'lineage@1', relation: 'produced' }),
    ]);
    expect(await platform.store.lineage.edges('dataset_version', 'lineage@1', 'upstream')).toEqual([expect.objectContaining({ srcKind: 'run', srcId: runId })]);
    expect(await platform.store.lineage.edges('run', runId, 'upstream')).toEqual([expect.objectContaining({ srcKind: 'source', srcId: source })]);
  });

  it('appends one audit event for a new version and none for a repeat', async () => {
    const path = fixture('audited.csv', 'a\n1\n2\n');
    const { version } = await ingest('audited', path);
    await ingest('audited', path);
    const events = await platform.store.events.list({ entityKind: 'dataset_version', entityId: 'audited@1', limit: 10 });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ actor: 'tester', action: 'dataset.version.create', before: null, after: { digest: version.digest, rows: 2, source: `file:${path}` } });
  });
});

describe('a process killed mid-ingest', () => {
  const ROWS = 2_000_000;
  let home: ReturnType<typeof tempDir>;
  let big: string;

  beforeAll(async () => {
    home = tempDir();
    big = join(home.path, 'big.csv');
    const out = createWriteStream(big);
    out.write('id,amount,category,ratio\n');
    for (let start = 0; start < ROWS; start += 100_000) {
      let chunk = '';
      for (let i = start; i < start + 100_000; i++) chunk += `${i},${(i * 7919) % 100_000},c${i % 13},${(i % 97) / 8}\n`;
      if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
    }
    await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
  });
  afterAll(() => home.cleanup());

  /** Runs an ingest of the big CSV in a child process and SIGKILLs it once it reports `stage`. */
  async function killAt(stage: 'reading' | 'storing', block: boolean): Promise<{ signal: NodeJS.Signals | null; output: string }> {
    const src = (p: string) => JSON.stringify(new URL(`../../src/${p}`, import.meta.url).pathname);
    const script = `
      import { loadConfig } from ${src('core/config.ts')};
      import { createOrchard } from ${src('orchard.ts')};
      const home = ${JSON.stringify(home.path)};
      const platform = await createOrchard(loadConfig({ ORCHARD_HOME: home, ORCHARD_USER: 'doomed' }, home));
      await platform.datasets.ingest({ name: 'doomed' }, { name: 'big', source: ${JSON.stringify(big)}, cwd: home }, (s) => {
        if (!s.startsWith(${JSON.stringify(stage)})) return;
        process.stdout.write('AT-STAGE\\n');
        // Hold still here so the kill lands at this stage, not after it.
        if (${block}) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60_000);
      });
      process.stdout.write('FINISHED\\n');
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (d: Buffer) => {
        output += d.toString();
        if (output.includes('AT-STAGE')) child.kill('SIGKILL');
      });
      child.on('close', () => resolve());
    });
    return { signal: child.signalCode, output };
  }

  async function open(): Promise<Platform> {
    return createOrchard(loadConfig({ ORCHARD_HOME: home.path, ORCHARD_USER: 'tester' }, home.path));
  }

  async function expectNothingRegistered(p: Platform): Promise<void> {
    expect(await p.store.datasets.listVersions('big')).toEqual([]);
    expect(await p.store.datasets.listDatasets()).toEqual([]);
    await expect(p.datasets.resolve('big')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await p.store.lineage.edges('dataset_version', 'big@1', 'upstream')).toEqual([]);
    expect(await p.store.events.list({ entityKind: 'dataset_version', limit: 10 })).toEqual([]);
  }

  it('while DuckDB reads the CSV', async () => {
    const { signal, output } = await killAt('reading', false);
    expect(signal).toBe('SIGKILL');
    expect(output).not.toContain('FINISHED');
    const p = await open();
    try {
      await expectNothingRegistered(p);
    } finally {
      await p.close();
    }
  });

  it('with the snapshot written but not yet stored; a later ingest then works', async () => {
    const { signal, output } = await killAt('storing', true);
    expect(signal).toBe('SIGKILL');
    expect(output).not.toContain('FINISHED');
    const p = await open();
    try {
      await expectNothingRegistered(p);
      // The killed runs stay RUNNING (nobody was left to finish them); none claims a version.
      const experiment = await p.tracking.getExperimentByName('datasets');
      const runs = (await p.tracking.searchRuns({ experimentIds: [experiment.experimentId] })).items;
      expect(runs.map((r) => r.info.status)).toEqual(['RUNNING', 'RUNNING']);
      expect(runs.every((r) => tag(r, 'orchard.dataset_version') === undefined)).toBe(true);

      const { version, created } = await p.datasets.ingest(actor, { name: 'big', source: big, cwd: home.path });
      expect(created).toBe(true);
      expect(version).toMatchObject({ version: 1, rows: ROWS });
      expect(version.columns.map((c) => [c.name, c.kind])).toEqual([
        ['id', 'integer'],
        ['amount', 'integer'],
        ['category', 'categorical'],
        ['ratio', 'numeric'],
      ]);
      // The snapshot is intact: sum of ids 0..n−1 is n(n−1)/2.
      const path = await p.datasets.parquetPath(version);
      const [sum] = await p.engine.withConnection((c) => queryRows(c, `select sum(id)::double as s, count(*) as n from read_parquet(${literal(path)})`));
      expect(sum).toEqual({ s: (ROWS * (ROWS - 1)) / 2, n: ROWS });
    } finally {
      await p.close();
    }
  });
});
