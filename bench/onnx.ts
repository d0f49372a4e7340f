/**
 * Predicting with an exported ONNX model (ONNX Runtime through Orchard's ONNX
 * predictor) against Orchard's own predict, on the same model and rows:
 * gbdt (binary, default parameters, 10 features) and logistic regression.
 * Reports the batch rate (rows/s over one call of --rows rows), single-row
 * latency (the serving case), export time and file size, and the largest
 * difference between the two predictions. `npm run bench -- onnx [--rows=N]`.
 */
import { cpus, loadavg } from 'node:os';
import { gaussian, seededRandom } from '../src/core/random.js';
import '../src/learn/builtins.js';
import { gbdtLearner } from '../src/learn/gbdt/gbdt-learner.js';
import { fitGbdt } from '../src/learn/gbdt/gbdt.js';
import { fitLinear, logisticLearner } from '../src/learn/linear/linear-learner.js';
import type { Learner } from '../src/learn/learner.js';
import { loadModel, type ModelArtifact } from '../src/learn/model-artifact.js';
import { exportOnnx } from '../src/learn/onnx/export-onnx.js';
import { loadOnnxPredictor } from '../src/learn/onnx/onnx-predictor.js';
import { nativePredictor, type Predictor } from '../src/learn/predictor.js';
import { parseOptions, UsageError } from './support/parse-options.js';
import { progress } from './support/report.js';
import { formatMs, formatRate, formatRatio, median, nowMs } from './support/stats.js';

const OPTIONS = { rows: 'rows in the batch measurement (default 200000)' };
const FEATURES = Array.from({ length: 10 }, (_, j) => `x${j}`);

function data(rows: number, seed: number): { features: Float64Array[]; target: Float64Array } {
  const normal = gaussian(seededRandom(seed));
  const features = FEATURES.map(() => new Float64Array(rows));
  const target = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    let s = 0;
    for (let j = 0; j < FEATURES.length; j++) {
      const v = j === 3 && i % 13 === 0 ? Number.NaN : normal();
      features[j]![i] = v;
      s += Number.isNaN(v) ? 0.5 : (j % 2 ? 1 : -1) * v * (j < 4 ? v : 1);
    }
    target[i] = s + normal() * 2 > 0 ? 1 : 0;
  }
  return { features, target };
}

function artifact(learner: Learner, state: unknown): ModelArtifact {
  return {
    orchardModel: 1,
    learner: learner.name,
    task: 'binary',
    params: {},
    signature: { inputs: FEATURES.map((name) => ({ name, kind: 'numeric' })), target: 'y', output: 'probability' },
    transform: { orchardTransform: 1, fittedOn: 'bench@1', inputs: FEATURES, steps: [], features: FEATURES },
    state: learner.save(state),
    training: { dataset: 'bench@1', target: 'y', rows: 0, runId: null, trainedAt: 0 },
    metrics: {},
  };
}

async function batchRate(p: Predictor, features: Float64Array[]): Promise<{ rate: number; out: Float64Array }> {
  let out = await p.predictFeatures(features);
  const times: number[] = [];
  for (let rep = 0; rep < 5; rep++) {
    const t = nowMs();
    out = await p.predictFeatures(features);
    times.push(nowMs() - t);
  }
  return { rate: features[0]!.length / (median(times) / 1000), out };
}

async function rowLatency(p: Predictor, rows: readonly Record<string, number>[]): Promise<number> {
  for (const r of rows.slice(0, 200)) await p.predict([r]);
  const times: number[] = [];
  for (const r of rows) {
    const t = nowMs();
    await p.predict([r]);
    times.push(nowMs() - t);
  }
  return median(times);
}

export async function run(args: string[]): Promise<void> {
  const options = parseOptions(args, OPTIONS, 'onnx');
  const rows = Number(options.get('rows') ?? 200_000);
  if (!Number.isInteger(rows) || rows < 1000) throw new UsageError(`--rows must be a whole number ≥ 1000, got '${String(options.get('rows'))}'.`);
  const out = (line = '') => process.stdout.write(`${line}\n`);
  out(`onnx bench: node ${process.version}, ${cpus().length} cores, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  out(`batch: one call of ${rows.toLocaleString('en-US')} rows × ${FEATURES.length} features, median of 5; single row: predict([row]) from a row object, median of 2,000 calls`);
  out();
  const train = data(50_000, 1);
  const test = data(rows, 2);
  const single = Array.from({ length: 2000 }, (_, i) => Object.fromEntries(FEATURES.map((f, j) => [f, test.features[j]![i]!])));
  progress('fitting gbdt and logistic on 50,000 rows');
  const models = [
    { name: 'gbdt (100 trees)', artifact: artifact(gbdtLearner, fitGbdt(train.features, train.target, { objective: 'binary', earlyStopping: false })) },
    { name: 'logistic', artifact: artifact(logisticLearner, fitLinear({ features: train.features, featureNames: FEATURES, target: train.target }, 'binary', { penalty: 'l2', l1: 0, l2: 1e-4, fitIntercept: true, maxIter: 200, tol: 1e-4 })) },
  ];
  for (const m of models) {
    progress(`${m.name}: export and predict`);
    const t = nowMs();
    const exported = exportOnnx(m.artifact);
    const exportMs = nowMs() - t;
    const native = nativePredictor(loadModel(m.artifact));
    const onnx = await loadOnnxPredictor(exported.bytes);
    const n = await batchRate(native, test.features);
    const o = await batchRate(onnx, test.features);
    let worst = 0;
    for (let i = 0; i < n.out.length; i++) worst = Math.max(worst, Math.abs(n.out[i]! - o.out[i]!));
    const nl = await rowLatency(native, single);
    const ol = await rowLatency(onnx, single);
    out(`${m.name}: export ${formatMs(exportMs)} ms, ${exported.bytes.length.toLocaleString('en-US')} bytes; largest |ONNX − Orchard| ${worst.toExponential(2)}`);
    out(`  batch rows/s   Orchard ${formatRate(n.rate).padStart(11)}   ONNX Runtime ${formatRate(o.rate).padStart(11)}   ONNX ${formatRatio(o.rate / n.rate)} Orchard's rate`);
    out(`  one row, ms    Orchard ${formatMs(nl).padStart(11)}   ONNX Runtime ${formatMs(ol).padStart(11)}   ONNX ${formatRatio(ol / nl)} Orchard's latency`);
    await onnx.close();
  }
}
