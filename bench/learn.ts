/**
 * Orchard's GBDT against scikit-learn's HistGradientBoostingClassifier, default
 * parameters on both sides, same rows and features:
 *  - flights: train January–April (1M rows sampled), test May; features hour,
 *    weekday, month, distance, origin, destination; target delay > 15 minutes;
 *  - a generated classification set (10 informative features, 200k rows).
 * scikit-learn runs through Debian's /usr/bin/python3 (apt-get install python3-sklearn);
 * without it the comparison is skipped and said so. `npm run bench -- learn [--rows=N]`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { gaussian, seededRandom } from '../src/core/random.js';
import { flightsPath } from '../src/data/sample-data.js';
import { fitGbdt, predictGbdt } from '../src/learn/gbdt/gbdt.js';
import { rocAuc } from '../src/learn/metrics.js';
import { parseOptions, UsageError } from './support/parse-options.js';
import { formatRatio } from './support/stats.js';

const PYTHON = '/usr/bin/python3';
const OPTIONS = { rows: 'training rows of flights (default 1000000)' };

interface Side {
  seconds: number;
  iterations: number;
  auc: number;
}

interface Problem {
  name: string;
  train: Float64Array[];
  test: Float64Array[];
}

function sklearnAvailable(): boolean {
  return existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import sklearn'], { stdio: 'ignore' }).status === 0;
}

async function flights(rows: number): Promise<Problem> {
  const instance = await DuckDBInstance.create(':memory:');
  const c = await instance.connect();
  const f = flightsPath();
  // The same encoding Orchard's default features use: ordinal codes by frequency in the training months.
  const codes = (col: string) => `(select ${col} as k, row_number() over (order by count(*) desc, ${col}) - 1 as code from read_parquet('${f}') where date < '2001-05-01' group by ${col})`;
  const q = (where: string, limit: string) =>
    `select hour(date)::double, isodow(date)::double, month(date)::double, distance::double, o.code::double, d.code::double, (delay > 15)::double
     from (select * from read_parquet('${f}') where ${where} ${limit}) x left join ${codes('origin')} o on o.k = x.origin left join ${codes('destination')} d on d.k = x.destination`;
  const read = async (sql: string) => ((await c.runAndReadAll(sql)).getColumnsJS() as number[][]).map((col) => Float64Array.from(col, (v) => (v === null ? Number.NaN : v)));
  const train = await read(q(`date < '2001-05-01'`, `order by hash(date, origin, destination, delay) limit ${rows}`));
  const test = await read(q(`date >= '2001-05-01' and date < '2001-06-01'`, ''));
  c.closeSync();
  instance.closeSync();
  return { name: `flights (${train[0]!.length.toLocaleString('en-US')} train, ${test[0]!.length.toLocaleString('en-US')} test rows)`, train, test };
}

/** Like scikit-learn's make_classification in spirit: informative Gaussian features, a noisy nonlinear boundary. */
function generated(rows: number, seed: number): Problem {
  const random = seededRandom(seed);
  const normal = gaussian(random);
  const make = (n: number) => {
    const cols = Array.from({ length: 11 }, () => new Float64Array(n));
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < 10; j++) {
        const v = normal();
        cols[j]![i] = v;
        s += (j % 2 ? 1 : -1) * v * (j < 4 ? v : 1);
      }
      cols[10]![i] = s + normal() * 2 > 0 ? 1 : 0;
    }
    return cols;
  };
  return { name: `generated (${rows.toLocaleString('en-US')} train rows, 10 features)`, train: make(rows), test: make(Math.floor(rows / 4)) };
}

function orchard(p: Problem): Side {
  const started = performance.now();
  const model = fitGbdt(p.train.slice(0, -1), p.train[p.train.length - 1]!, { objective: 'binary' });
  const seconds = (performance.now() - started) / 1000;
  return { seconds, iterations: model.trees.length, auc: rocAuc(p.test[p.test.length - 1]!, predictGbdt(model, p.test.slice(0, -1))) };
}

function sklearn(p: Problem, dir: string): Side {
  const csv = (cols: Float64Array[], file: string) => {
    const n = cols[0]!.length;
    const lines: string[] = new Array(n);
    for (let i = 0; i < n; i++) lines[i] = cols.map((c) => (Number.isNaN(c[i]!) ? 'nan' : String(c[i]))).join(',');
    writeFileSync(join(dir, file), lines.join('\n'));
  };
  csv(p.train, 'train.csv');
  csv(p.test, 'test.csv');
  const script = join(dirname(fileURLToPath(import.meta.url)), 'learn', 'sklearn_hgb.py');
  const out = spawnSync(PYTHON, [script, join(dir, 'train.csv'), join(dir, 'test.csv')], { encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`scikit-learn baseline failed: ${out.stderr}`);
  return JSON.parse(out.stdout.trim().split('\n').pop()!) as Side;
}

export async function run(args: string[]): Promise<void> {
  const options = parseOptions(args, OPTIONS, 'learn');
  const rows = Number(options.get('rows') ?? 1_000_000);
  if (!Number.isInteger(rows) || rows < 1000) throw new UsageError(`--rows must be a whole number ≥ 1000, got '${String(options.get('rows'))}'.`);
  const out = (line = '') => process.stdout.write(`${line}\n`);
  const withSklearn = sklearnAvailable();
  out(`learn bench: node ${process.version}, ${cpus().length} cores, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  if (!withSklearn) out(`scikit-learn comparison skipped: ${PYTHON} cannot import sklearn (install it with: apt-get install python3-sklearn).`);
  out('default parameters on both sides; fit time only (data already in memory)');
  out();
  const dir = mkdtempSync(join(tmpdir(), 'orchard-bench-learn-'));
  try {
    for (const problem of [await flights(rows), generated(200_000, 7)]) {
      process.stderr.write(`  … ${problem.name}: Orchard GBDT\n`);
      const o = orchard(problem);
      out(`${problem.name}`);
      out(`  Orchard gbdt        fit ${o.seconds.toFixed(2)} s, ${o.iterations} iterations, test AUC ${o.auc.toFixed(4)}`);
      if (withSklearn) {
        process.stderr.write(`  … ${problem.name}: scikit-learn\n`);
        const s = sklearn(problem, dir);
        out(`  scikit-learn HGB    fit ${s.seconds.toFixed(2)} s, ${s.iterations} iterations, test AUC ${s.auc.toFixed(4)}`);
        const auc = o.auc - s.auc;
        const time = o.seconds / s.seconds;
        out(`  AUC difference ${auc >= 0 ? '+' : ''}${auc.toFixed(4)} (target ≥ −0.005: ${auc >= -0.005 ? 'MET' : 'MISSED'}); fit time ${formatRatio(time)} scikit-learn's (target ≤ 2x: ${time <= 2 ? 'MET' : 'MISSED'})`);
      }
      out();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
