/**
 * Orchard's learners against scikit-learn, default parameters on both sides, same rows
 * and features: GBDT against HistGradientBoostingClassifier, and logistic regression
 * against LogisticRegression (lbfgs, C=1) on the features standardised the same way.
 * Problems:
 *  - flights: train January–April (1M rows sampled), test May; features hour,
 *    weekday, month, distance, origin, destination; target delay > 15 minutes;
 *  - a generated classification set (10 informative features, 200k rows).
 * scikit-learn runs through Debian's /usr/bin/python3 (apt-get install python3-sklearn);
 * without it the comparison is skipped and said so. `npm run bench -- learn [--rows=N] [--learners=gbdt,logistic]`.
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
import { logisticLearner } from '../src/learn/linear/linear-learner.js';
import { rocAuc } from '../src/learn/metrics.js';
import { parseOptions, UsageError } from './support/parse-options.js';
import { formatRatio, quantile } from './support/stats.js';

const PYTHON = '/usr/bin/python3';
const OPTIONS = { rows: 'training rows of flights (default 1000000)', learners: 'comma-separated learners to compare: gbdt, logistic (default both)', reps: 'Orchard/scikit-learn pairs per learner, run alternately; medians are printed (default 3)' };
const LEARNERS = ['gbdt', 'logistic'];

interface Side {
  seconds: number;
  iterations: number;
  auc: number;
  /** Whether the optimiser met its tolerance before max_iter (logistic regression only). */
  converged?: boolean;
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

function orchardGbdt(p: Problem): Side {
  const started = performance.now();
  const model = fitGbdt(p.train.slice(0, -1), p.train[p.train.length - 1]!, { objective: 'binary' });
  const seconds = (performance.now() - started) / 1000;
  return { seconds, iterations: model.trees.length, auc: rocAuc(p.test[p.test.length - 1]!, predictGbdt(model, p.test.slice(0, -1))) };
}

async function orchardLogistic(p: Problem): Promise<Side> {
  const features = p.train.slice(0, -1);
  let iterations = 0;
  const started = performance.now();
  const state = await logisticLearner.fit({ features, featureNames: features.map((_, j) => `x${j}`), target: p.train[p.train.length - 1]! }, 'binary', {}, { onIteration: (i) => (iterations = i) });
  const seconds = (performance.now() - started) / 1000;
  return { seconds, iterations, auc: rocAuc(p.test[p.test.length - 1]!, logisticLearner.predict(state, p.test.slice(0, -1))), converged: iterations < Number(logisticLearner.defaults.max_iter) };
}

/** Writes the problem once as CSV (features…, target) for the scikit-learn scripts. */
function writeCsv(p: Problem, dir: string): { train: string; test: string } {
  const csv = (cols: Float64Array[], file: string) => {
    const n = cols[0]!.length;
    const lines: string[] = new Array(n);
    for (let i = 0; i < n; i++) lines[i] = cols.map((c) => (Number.isNaN(c[i]!) ? 'nan' : String(c[i]))).join(',');
    writeFileSync(join(dir, file), lines.join('\n'));
    return join(dir, file);
  };
  return { train: csv(p.train, 'train.csv'), test: csv(p.test, 'test.csv') };
}

function sklearn(script: string, files: { train: string; test: string }): Side {
  const path = join(dirname(fileURLToPath(import.meta.url)), 'learn', script);
  const out = spawnSync(PYTHON, [path, files.train, files.test], { encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`scikit-learn baseline ${script} failed: ${out.stderr}`);
  return JSON.parse(out.stdout.trim().split('\n').pop()!) as Side;
}

const median = (values: readonly number[]) => quantile(values, 0.5);

/**
 * Runs the two sides alternately `reps` times (so each pair sees the same machine
 * load) and prints medians: the AUC difference and the median of the pairs' time ratios.
 */
async function pairs(out: (line?: string) => void, label: [string, string], reps: number, orchard: () => Side | Promise<Side>, baseline: (() => Side) | null): Promise<void> {
  const os: Side[] = [];
  const ss: Side[] = [];
  for (let r = 0; r < reps; r++) {
    process.stderr.write(`  … ${label[0]} (${r + 1}/${reps})\n`);
    os.push(await orchard());
    if (baseline) {
      process.stderr.write(`  … ${label[1]} (${r + 1}/${reps})\n`);
      ss.push(baseline());
    }
  }
  const line = (name: string, sides: Side[]) =>
    `  ${name.padEnd(20)}fit ${median(sides.map((x) => x.seconds)).toFixed(2)} s median of ${sides.length} (${sides.map((x) => x.seconds.toFixed(2)).join(', ')}), ${sides[0]!.iterations} iterations${sides[0]!.converged === undefined ? '' : sides[0]!.converged ? ' (converged)' : ' (stopped at max_iter)'}, test AUC ${sides[0]!.auc.toFixed(4)}`;
  out(line(label[0], os));
  if (ss.length === 0) return;
  out(line(label[1], ss));
  const auc = os[0]!.auc - ss[0]!.auc;
  const time = median(os.map((o, i) => o.seconds / ss[i]!.seconds));
  out(`  AUC difference ${auc >= 0 ? '+' : ''}${auc.toFixed(4)} (target ≥ −0.005: ${auc >= -0.005 ? 'MET' : 'MISSED'}); fit time ${formatRatio(time)} scikit-learn's, median of pair ratios (target ≤ 2x: ${time <= 2 ? 'MET' : 'MISSED'})`);
}

export async function run(args: string[]): Promise<void> {
  const options = parseOptions(args, OPTIONS, 'learn');
  const rows = Number(options.get('rows') ?? 1_000_000);
  if (!Number.isInteger(rows) || rows < 1000) throw new UsageError(`--rows must be a whole number ≥ 1000, got '${String(options.get('rows'))}'.`);
  const learners = String(options.get('learners') ?? LEARNERS.join(',')).split(',');
  const unknown = learners.filter((l) => !LEARNERS.includes(l));
  if (unknown.length > 0) throw new UsageError(`--learners takes ${LEARNERS.join(', ')}; got '${unknown.join(', ')}'.`);
  const reps = Number(options.get('reps') ?? 3);
  if (!Number.isInteger(reps) || reps < 1) throw new UsageError(`--reps must be a whole number ≥ 1, got '${String(options.get('reps'))}'.`);
  const out = (line = '') => process.stdout.write(`${line}\n`);
  const withSklearn = sklearnAvailable();
  out(`learn bench: node ${process.version}, ${cpus().length} cores, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  if (!withSklearn) out(`scikit-learn comparison skipped: ${PYTHON} cannot import sklearn (install it with: apt-get install python3-sklearn).`);
  out('default parameters on both sides; fit time only (data already in memory; for logistic regression, standardising included on both sides)');
  out();
  const dir = mkdtempSync(join(tmpdir(), 'orchard-bench-learn-'));
  try {
    for (const problem of [await flights(rows), generated(200_000, 7)]) {
      out(`${problem.name}`);
      const files = withSklearn ? writeCsv(problem, dir) : undefined;
      if (learners.includes('gbdt')) await pairs(out, ['Orchard gbdt', 'scikit-learn HGB'], reps, () => orchardGbdt(problem), files ? () => sklearn('sklearn_hgb.py', files) : null);
      if (learners.includes('logistic')) await pairs(out, ['Orchard logistic', 'scikit-learn logreg'], reps, () => orchardLogistic(problem), files ? () => sklearn('sklearn_logistic.py', files) : null);
      out();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
