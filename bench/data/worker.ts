/**
 * One measured repetition of the data bench, in a fresh process so its peak memory
 * is its own. Prints one JSON line.
 *   orchard <file>   ingest + profile through Orchard on a fresh ORCHARD_HOME
 *   duckdb <file>    the baseline: bare DuckDB doing the same work (copy to Parquet, SUMMARIZE)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { tempPlatform } from '../support/temp-home.js';

const [mode, file] = process.argv.slice(2);
const t0 = performance.now();

if (mode === 'orchard') {
  const { platform, cleanup } = await tempPlatform('orchard-bench-data-');
  const actor = { name: 'bench' };
  const ingested = await platform.datasets.ingest(actor, { name: 'flights', source: file!, cwd: process.cwd() });
  const t1 = performance.now();
  const profile = await platform.datasets.profile(actor, `flights@${ingested.version.version}`);
  const t2 = performance.now();
  await cleanup();
  process.stdout.write(JSON.stringify({ ingestMs: t1 - t0, profileMs: t2 - t1, totalMs: t2 - t0, rows: profile.rows, maxRssMB: process.resourceUsage().maxRSS / 1024 }) + '\n');
} else if (mode === 'duckdb') {
  const dir = mkdtempSync(join(tmpdir(), 'orchard-bench-duckdb-'));
  const instance = await DuckDBInstance.create(':memory:', { memory_limit: '1GB' });
  const c = await instance.connect();
  await c.run(`copy (select * from read_parquet('${file}')) to '${dir}/copy.parquet' (format parquet, compression zstd)`);
  const t1 = performance.now();
  const r = await c.runAndReadAll(`summarize select * from read_parquet('${dir}/copy.parquet')`);
  const t2 = performance.now();
  c.closeSync();
  instance.closeSync();
  rmSync(dir, { recursive: true, force: true });
  process.stdout.write(JSON.stringify({ ingestMs: t1 - t0, profileMs: t2 - t1, totalMs: t2 - t0, rows: r.currentRowCount, maxRssMB: process.resourceUsage().maxRSS / 1024 }) + '\n');
} else {
  process.stderr.write(`unknown mode ${mode}\n`);
  process.exit(2);
}
