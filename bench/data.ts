/**
 * Ingest and profile of flights-3m (3 million rows), each repetition in a fresh
 * process: wall time and peak memory, side by side with bare DuckDB doing the
 * same copy to Parquet and a SUMMARIZE. `npm run bench -- data [--reps=N]`.
 */
import { spawnSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { flightsPath } from '../src/data/sample-data.js';
import { printTable, progress, type Measurement } from './support/report.js';
import { formatRatio, median } from './support/stats.js';
import { parseOptions, UsageError } from './support/parse-options.js';

const TARGET_SECONDS = 15;
const TARGET_MEMORY_MB = 1536;
const OPTIONS = { reps: 'repetitions of each side (default 3)', file: 'a Parquet or CSV file instead of flights-3m' };

interface Sample {
  ingestMs: number;
  profileMs: number;
  totalMs: number;
  rows: number;
  maxRssMB: number;
}

function once(mode: 'orchard' | 'duckdb', file: string): Sample {
  const worker = join(dirname(fileURLToPath(import.meta.url)), 'data', 'worker.ts');
  const child = spawnSync(process.execPath, ['--import', 'tsx', worker, mode, file], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (child.status !== 0) throw new Error(`bench worker (${mode}) failed: ${child.stderr}`);
  return JSON.parse(child.stdout.trim().split('\n').pop()!) as Sample;
}

export async function run(args: string[]): Promise<void> {
  const options = parseOptions(args, OPTIONS, 'data');
  const reps = Number(options.get('reps') ?? 3);
  if (!Number.isInteger(reps) || reps < 1) throw new UsageError(`--reps must be a positive whole number, got '${String(options.get('reps'))}'.`);
  const file = typeof options.get('file') === 'string' ? String(options.get('file')) : flightsPath();
  const out = (line = '') => process.stdout.write(`${line}\n`);
  out(`data bench: ${file}`);
  out(`node ${process.version}, ${cpus().length} cores; each repetition in a fresh process; medians of ${reps}; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  out();

  const orchard: Sample[] = [];
  const duckdb: Sample[] = [];
  for (let i = 0; i < reps; i++) {
    progress(`repetition ${i + 1}/${reps}: Orchard ingest + profile`);
    orchard.push(once('orchard', file));
    progress(`repetition ${i + 1}/${reps}: bare DuckDB copy + SUMMARIZE`);
    duckdb.push(once('duckdb', file));
  }
  const rows: Measurement[] = [
    { section: 'Orchard', label: 'ingest (read, check, Parquet snapshot, store, register)', unit: 'ms', samples: orchard.map((s) => s.ingestMs) },
    { section: 'Orchard', label: 'profile (stats, quantiles, histograms, top values, duplicates, correlations)', unit: 'ms', samples: orchard.map((s) => s.profileMs) },
    { section: 'Orchard', label: 'ingest + profile, process start to end', unit: 'ms', samples: orchard.map((s) => s.totalMs) },
    { section: 'DuckDB', label: 'copy to Parquet (zstd)', unit: 'ms', samples: duckdb.map((s) => s.ingestMs) },
    { section: 'DuckDB', label: 'SUMMARIZE', unit: 'ms', samples: duckdb.map((s) => s.profileMs) },
    { section: 'DuckDB', label: 'copy + SUMMARIZE, process start to end', unit: 'ms', samples: duckdb.map((s) => s.totalMs) },
  ];
  printTable(rows);
  out();
  const total = median(orchard.map((s) => s.totalMs)) / 1000;
  const base = median(duckdb.map((s) => s.totalMs)) / 1000;
  const mem = median(orchard.map((s) => s.maxRssMB));
  const baseMem = median(duckdb.map((s) => s.maxRssMB));
  out(`rows: ${orchard[0]!.rows.toLocaleString('en-US')}`);
  out(`ingest + profile: ${total.toFixed(2)} s = ${formatRatio(total / base)} bare DuckDB copy + SUMMARIZE (${base.toFixed(2)} s)`);
  out(`peak memory (max RSS): ${mem.toFixed(0)} MB = ${formatRatio(mem / baseMem)} bare DuckDB (${baseMem.toFixed(0)} MB)`);
  out(`target: ingest + profile ≤ ${TARGET_SECONDS} s — ${total.toFixed(2)} s ${total <= TARGET_SECONDS ? 'MET' : 'MISSED'}`);
  out(`target: peak memory ≤ ${(TARGET_MEMORY_MB / 1024).toFixed(1)} GB — ${mem.toFixed(0)} MB ${mem <= TARGET_MEMORY_MB ? 'MET' : 'MISSED'}`);
}
