/**
 * Drift of a 3M-row reference (flights-3m as a dataset version) against a 500k-row window of a
 * prediction log over its 5 columns (date, delay, distance, origin, destination), end to end
 * through MonitorService (window materialised from the Parquet log, summaries, exact value
 * counts for the Wasserstein distance, histograms, categories, stored result), side by side with
 * bare DuckDB computing the same histograms and category counts. `npm run bench -- monitoring [--reps=N]`.
 */
import { cpus, loadavg } from 'node:os';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { literal, queryRows } from '../src/data/duckdb-engine.js';
import { flightsPath } from '../src/data/sample-data.js';
import { predictionLogPrefix } from '../src/serving/prediction-log-schema.js';
import { printTable, progress, type Measurement } from './support/report.js';
import { formatRatio, median, nowMs } from './support/stats.js';
import { parseOptions, UsageError } from './support/parse-options.js';
import { tempPlatform } from './support/temp-home.js';

const TARGET_SECONDS = 5;
const WINDOW_ROWS = 500_000;
const OPTIONS = { reps: 'repetitions of each side (default 3)' };
const NUMERIC = ['date', 'delay', 'distance'];
const CATEGORICAL = ['origin', 'destination'];

export async function run(args: string[]): Promise<void> {
  const options = parseOptions(args, OPTIONS, 'monitoring');
  const reps = Number(options.get('reps') ?? 3);
  if (!Number.isInteger(reps) || reps < 1) throw new UsageError(`--reps must be a positive whole number, got '${String(options.get('reps'))}'.`);
  const out = (line = '') => process.stdout.write(`${line}\n`);
  out(`monitoring bench: flights-3m (3M rows) as reference, ${WINDOW_ROWS.toLocaleString('en-US')} logged predictions as window, 5 features`);
  out(`node ${process.version}, ${cpus().length} cores; medians of ${reps}; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  out();

  const { platform, home, cleanup } = await tempPlatform('orchard-bench-monitoring-');
  try {
    progress('ingesting flights-3m as flights@1 (not measured)');
    await platform.datasets.ingest({ name: 'bench' }, { name: 'flights', source: flightsPath(), cwd: process.cwd() });
    const reference = await platform.datasets.resolve('flights@1');
    const refPath = await platform.datasets.parquetPath(reference);
    progress('writing a 500k-row prediction log from May–June flights (not measured)');
    const folder = join(home, 'artifacts', predictionLogPrefix('flights'), 'date=2001-06-01');
    mkdirSync(folder, { recursive: true });
    const logFile = join(folder, '0-bench.parquet');
    await platform.engine.withConnection((c) =>
      c.run(`copy (select 'r' || row_number() over () as request_id, date as ts, 'flights' as endpoint, 'flights' as model, 1 as version, 'sha256:bench' as digest, false as shadow,
          (delay > 15)::int::double as prediction, null::varchar as label, null::double[] as probabilities, 1.0 as latency_ms,
          {'date': date, 'delay': delay::double, 'distance': distance::double, 'origin': origin, 'destination': destination} as features
        from read_parquet(${literal(flightsPath())}) where date >= '2001-05-01' order by date desc limit ${WINDOW_ROWS}) to ${literal(logFile)} (format parquet)`),
    );

    const orchard: number[] = [];
    const duckdb: number[] = [];
    let summary = '';
    for (let i = 0; i < reps; i++) {
      progress(`repetition ${i + 1}/${reps}: Orchard monitor run`);
      let t = nowMs();
      const { result } = await platform.monitoring.run('flights', { reference: 'flights@1', window: { last: WINDOW_ROWS } });
      orchard.push(nowMs() - t);
      summary = result.features.map((f) => `${f.name} ${f.method} ${f.score === null ? '-' : f.score.toFixed(4)}${f.drifted ? ' DRIFT' : ''}`).join('; ');
      progress(`repetition ${i + 1}/${reps}: bare DuckDB histograms`);
      t = nowMs();
      await platform.engine.withConnection((c) => bareHistograms(c, refPath, logFile));
      duckdb.push(nowMs() - t);
    }
    const rows: Measurement[] = [
      { section: 'Orchard', label: 'monitor run: window, summaries, exact Wasserstein, histograms, categories, stored', unit: 'ms', samples: orchard },
      { section: 'DuckDB', label: 'the same 20-bin histograms and category counts, reference and window', unit: 'ms', samples: duckdb },
    ];
    printTable(rows);
    out();
    const o = median(orchard) / 1000;
    const b = median(duckdb) / 1000;
    out(`features: ${summary}`);
    out(`monitor run: ${o.toFixed(2)} s = ${formatRatio(o / b)} bare DuckDB histograms (${b.toFixed(2)} s)`);
    out(`target: ≤ ${TARGET_SECONDS} s — ${o.toFixed(2)} s ${o <= TARGET_SECONDS ? 'MET' : 'MISSED'}`);
  } finally {
    await cleanup();
  }
}

/** What a hand-written DuckDB job would do: per feature, bin counts of both sides. */
async function bareHistograms(c: Parameters<Parameters<import('../src/data/duckdb-engine.js').DataEngine['withConnection']>[0]>[0], refPath: string, logFile: string): Promise<void> {
  const ref = `read_parquet(${literal(refPath)})`;
  const cur = `(select unnest(features) from read_parquet(${literal(logFile)}))`;
  const x = (name: string) => (name === 'date' ? `epoch_ms(${name})::double` : `${name}::double`);
  for (const name of NUMERIC) {
    const [r = {}] = await queryRows(c, `select min(${x(name)}) as lo, max(${x(name)}) as hi from ${ref}`);
    const lo = Number(r.lo);
    const width = (Number(r.hi) - lo) / 20 || 1;
    const bin = `least(greatest(floor((${x(name)} - ${lo}) / ${width}), -1), 20)`;
    await queryRows(c, `select 'r' as s, ${bin} as b, count(*) from ${ref} group by all union all select 'c', ${bin}, count(*) from ${cur} group by all`);
  }
  for (const name of CATEGORICAL) {
    await queryRows(c, `select 'r' as s, ${name}, count(*) from ${ref} group by all union all select 'c', ${name}, count(*) from ${cur} group by all`);
  }
}
