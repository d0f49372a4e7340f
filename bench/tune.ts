/**
 * Parallel trials: the same 9-trial gbdt grid search (max_depth × learning_rate,
 * a full search, no halving) on 1 worker thread and on 2, on a generated binary
 * set, reporting wall time of the search (from the first trial to the last; the
 * feature read and the final refit are the same on both sides and left out) and
 * the ratio. `npm run bench -- tune [--rows=N] [--reps=N]`.
 */
import { availableParallelism, cpus, loadavg } from 'node:os';
import { gaussian, seededRandom } from '../src/core/random.js';
import { progress } from './support/report.js';
import { formatRatio, median } from './support/stats.js';
import { parseOptions, UsageError } from './support/parse-options.js';
import { tempPlatform } from './support/temp-home.js';

const OPTIONS = { rows: 'rows of the generated set (default 100000)', reps: 'repetitions of each side, alternating (default 1)' };
const actor = { name: 'bench' };

function* generated(rows: number, seed: number): Generator<Record<string, number>> {
  const random = seededRandom(seed);
  const normal = gaussian(random);
  for (let i = 0; i < rows; i++) {
    const row: Record<string, number> = {};
    let s = 0;
    for (let j = 0; j < 8; j++) {
      const v = normal();
      row[`f${j}`] = v;
      s += (j % 2 ? 1 : -1) * v * (j < 3 ? v : 1);
    }
    row.y = s + normal() * 2 > 0 ? 1 : 0;
    yield row;
  }
}

export async function run(args: string[]): Promise<void> {
  const options = parseOptions(args, OPTIONS, 'tune');
  const rows = Number(options.get('rows') ?? 100_000);
  const reps = Number(options.get('reps') ?? 1);
  if (!Number.isInteger(rows) || rows < 1000) throw new UsageError(`--rows must be a whole number ≥ 1000, got '${String(options.get('rows'))}'.`);
  if (!Number.isInteger(reps) || reps < 1) throw new UsageError(`--reps must be a whole number ≥ 1, got '${String(options.get('reps'))}'.`);
  const out = (line = '') => process.stdout.write(`${line}\n`);
  out(`tune bench: node ${process.version}, ${cpus().length} cores (${availableParallelism()} available), load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  out(`9 trials: gbdt max_depth=3,5,7 × learning_rate=0.05,0.1,0.2, max_iter=60, no early stopping; ${rows.toLocaleString('en-US')} rows × 8 features, 20% held out`);
  const home = await tempPlatform('orchard-bench-tune-');
  try {
    progress(`ingesting ${rows.toLocaleString('en-US')} generated rows`);
    await home.platform.datasets.ingestRows(actor, 'bench', generated(rows, 11));
    const search = async (workers: number): Promise<number> => {
      let first = 0;
      let last = 0;
      await home.platform.tuning.tune(
        actor,
        { data: 'bench', target: 'y', learner: 'gbdt', params: { max_iter: '60', early_stopping: 'false' }, grid: ['max_depth=3,5,7', 'learning_rate=0.05,0.1,0.2'], workers },
        (stage) => {
          if (stage.startsWith('rung 1/1:')) first = performance.now();
          if (stage.startsWith('refitting')) last = performance.now();
        },
      );
      return (last - first) / 1000;
    };
    const one: number[] = [];
    const two: number[] = [];
    for (let rep = 0; rep < reps; rep++) {
      progress(`repetition ${rep + 1}/${reps}: 1 worker`);
      one.push(await search(1));
      progress(`repetition ${rep + 1}/${reps}: 2 workers`);
      two.push(await search(2));
    }
    const a = median(one);
    const b = median(two);
    out();
    out(`  1 worker    ${a.toFixed(2)} s   (${one.map((s) => s.toFixed(2)).join(', ')})`);
    out(`  2 workers   ${b.toFixed(2)} s   (${two.map((s) => s.toFixed(2)).join(', ')})`);
    out(`  speed-up    ${formatRatio(a / b)} (2 workers against 1; the ideal on 2 free cores is 2x)`);
  } finally {
    await home.cleanup();
  }
}
