/**
 * Batch scoring of flights-3m (3 million rows) end to end, as `orchard predict`
 * runs it: model loaded by reference, features computed by DuckDB, gbdt predictions
 * (by default inside DuckDB's output query, on the calling thread; and streamed in
 * chunks to 2 worker threads), the input's columns and the predictions written as
 * Parquet. Side by side with the
 * baseline: bare DuckDB reading the same Parquet and writing the same columns back
 * out, no model. The gbdt model (default parameters) is trained on a 100,000-row
 * sample to predict a delay over 15 minutes. `npm run bench -- batch [--reps=N]`.
 */
import { rmSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { literal } from '../src/data/duckdb-engine.js';
import { flightsPath } from '../src/data/sample-data.js';
import { BatchScoringService } from '../src/serving/batch-scoring.js';
import { parseOptions, UsageError } from './support/parse-options.js';
import { printTable, progress, type Measurement } from './support/report.js';
import { formatRatio, formatRate, median, nowMs } from './support/stats.js';
import { tempPlatform } from './support/temp-home.js';

const OPTIONS = { reps: 'repetitions of each side (default 3)', 'sample-rows': 'training rows sampled from flights-3m (default 100000)' };
const TARGET_ROWS_PER_SECOND = 500_000;
const actor = { name: 'bench' };

export async function run(args: string[]): Promise<void> {
  const options = parseOptions(args, OPTIONS, 'batch');
  const reps = Number(options.get('reps') ?? 3);
  const sampleRows = Number(options.get('sample-rows') ?? 100_000);
  if (!Number.isInteger(reps) || reps < 1) throw new UsageError(`--reps must be a positive whole number, got '${String(options.get('reps'))}'.`);
  if (!Number.isInteger(sampleRows) || sampleRows < 1000) throw new UsageError(`--sample-rows must be a whole number ≥ 1000, got '${String(options.get('sample-rows'))}'.`);
  const out = (line = '') => process.stdout.write(`${line}\n`);
  const flights = flightsPath();
  const { platform, home, cleanup } = await tempPlatform('orchard-bench-batch-');
  try {
    progress(`training gbdt on a ${sampleRows.toLocaleString('en-US')}-row sample`);
    const sample = join(home, 'sample.parquet');
    await platform.engine.withConnection((c) => c.run(`copy (select * from read_parquet(${literal(flights)}) using sample ${sampleRows} rows (reservoir, 42)) to ${literal(sample)} (format parquet)`));
    await platform.datasets.ingest(actor, { name: 'flights-sample', source: sample, cwd: home });
    const trained = await platform.training.train(actor, { data: 'flights-sample@1', target: 'delayed=delay > 15', learner: 'gbdt' });
    const trees = (trained.artifact.state as { trees: unknown[] }).trees.length;
    const rows = await platform.engine.withConnection(async (c) => Number((await c.runAndReadAll(`select count(*) from read_parquet(${literal(flights)})`)).getColumnsJS()[0]![0]));
    const scoring = new BatchScoringService(platform);

    out(`batch bench: ${flights} (${rows.toLocaleString('en-US')} rows), gbdt with ${trees} trees on ${trained.artifact.transform.features.length} features (${trained.artifact.transform.features.join(', ')})`);
    out(`node ${process.version}, ${cpus().length} cores; medians of ${reps}; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    out();

    const file = join(home, 'out.parquet');
    const orchard = (threads?: number) => async () => {
      rmSync(file, { force: true });
      const t = nowMs();
      const r = await scoring.predict(actor, { model: trained.runId, input: flights, output: file, ...(threads === undefined ? {} : { threads }) });
      if (r.rows !== rows) throw new Error(`scored ${r.rows} rows, expected ${rows}`);
      return nowMs() - t;
    };
    const bare = async () => {
      rmSync(file, { force: true });
      const t = nowMs();
      await platform.engine.withConnection((c) => c.run(`copy (select * from read_parquet(${literal(flights)})) to ${literal(file)} (format parquet, compression zstd)`));
      return nowMs() - t;
    };
    const sides = { orchard: [] as number[], workers: [] as number[], bare: [] as number[] };
    // One warm-up of each side: the first DuckDB read of the file and the first model compilation.
    await bare();
    await orchard()();
    await orchard(2)();
    for (let rep = 0; rep < reps; rep++) {
      progress(`repetition ${rep + 1}/${reps}: orchard predict (default: in the output query, calling thread)`);
      sides.orchard.push(await orchard()());
      progress(`repetition ${rep + 1}/${reps}: orchard predict (streamed to 2 worker threads)`);
      sides.workers.push(await orchard(2)());
      progress(`repetition ${rep + 1}/${reps}: bare DuckDB read + write`);
      sides.bare.push(await bare());
    }
    const rate = (ms: number[]) => ms.map((m) => rows / (m / 1000));
    const table: Measurement[] = [
      { section: 'Orchard', label: 'predict (default): features in DuckDB, gbdt in the output query on the calling thread, Parquet out', unit: 'calls/s', samples: rate(sides.orchard) },
      { section: 'Orchard', label: 'predict, threads 2: features streamed out, gbdt on 2 worker threads, appended, joined back', unit: 'calls/s', samples: rate(sides.workers) },
      { section: 'DuckDB', label: 'read the Parquet, write it back out (same columns, no model)', unit: 'calls/s', samples: rate(sides.bare) },
    ];
    printTable(table.map((m) => ({ ...m, unit: 'calls/s' })));
    out('(rates are rows per second, process-internal wall time of the whole operation)');
    const best = median(rate(sides.orchard));
    out();
    out(`orchard predict / bare DuckDB copy: ${formatRatio(best / median(rate(sides.bare)))} of the baseline's rows/s`);
    out(`target ≥ ${formatRate(TARGET_ROWS_PER_SECOND)} rows/s end to end: ${formatRate(best)} rows/s — ${best >= TARGET_ROWS_PER_SECOND ? 'met' : 'NOT met'}`);
  } finally {
    await cleanup();
  }
}
