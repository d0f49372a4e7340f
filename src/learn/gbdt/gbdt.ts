import { invalidArgument } from '../../core/errors.js';
import { seededRandom } from '../../core/random.js';
import { MAX_BINS, binColumn, fitBins } from './binning.js';
import { growTree, predictBinned, predictRaw, type Tree, type TreeParams } from './tree.js';

export type GbdtObjective = 'binary' | 'regression';

export interface GbdtParams {
  readonly objective: GbdtObjective;
  readonly learningRate: number;
  readonly maxIter: number;
  readonly maxLeafNodes: number;
  readonly maxDepth: number | null;
  readonly minSamplesLeaf: number;
  readonly l2Regularization: number;
  readonly maxBins: number;
  /** `auto`: on when there are more than 10,000 rows, as scikit-learn does. */
  readonly earlyStopping: 'auto' | boolean;
  readonly validationFraction: number;
  readonly nIterNoChange: number;
  readonly tol: number;
  readonly seed: number;
  /** Share of training rows each tree is grown on (sampled without replacement, seeded). */
  readonly subsample: number;
  /** Share of features each tree may split on (seeded). */
  readonly colsampleByTree: number;
}

/** scikit-learn's HistGradientBoosting defaults. */
export const GBDT_DEFAULTS: Omit<GbdtParams, 'objective'> = Object.freeze({
  learningRate: 0.1,
  maxIter: 100,
  maxLeafNodes: 31,
  maxDepth: null,
  minSamplesLeaf: 20,
  l2Regularization: 0,
  maxBins: MAX_BINS,
  earlyStopping: 'auto',
  validationFraction: 0.1,
  nIterNoChange: 10,
  tol: 1e-7,
  seed: 0,
  subsample: 1,
  colsampleByTree: 1,
});

export interface GbdtModel {
  readonly objective: GbdtObjective;
  /** Raw score before any tree: log-odds of the positive rate, or the mean target. */
  readonly baseline: number;
  readonly trees: readonly Tree[];
  readonly features: number;
  /** Validation loss per iteration when early stopping ran; training loss otherwise. */
  readonly lossHistory: readonly number[];
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

function lossOf(objective: GbdtObjective, y: Float64Array, raw: Float64Array, rows: Uint32Array): number {
  let s = 0;
  for (let k = 0; k < rows.length; k++) {
    const i = rows[k]!;
    if (objective === 'binary') {
      const p = Math.min(1 - 1e-15, Math.max(1e-15, sigmoid(raw[i]!)));
      s -= y[i] === 1 ? Math.log(p) : Math.log(1 - p);
    } else s += 0.5 * (y[i]! - raw[i]!) ** 2;
  }
  return s / Math.max(1, rows.length);
}

/**
 * Fits histogram gradient-boosted trees on feature columns (NaN = missing).
 * `onIteration` sees each iteration's loss, for tracking.
 */
export function fitGbdt(columns: readonly Float64Array[], target: Float64Array, params: Partial<GbdtParams> & { objective: GbdtObjective }, onIteration?: (iteration: number, loss: number) => void): GbdtModel {
  const p: GbdtParams = { ...GBDT_DEFAULTS, ...params };
  const n = target.length;
  if (n === 0) throw invalidArgument('Cannot train on zero rows.');
  if (columns.length === 0) throw invalidArgument('Cannot train without features.');
  for (const [f, c] of columns.entries()) if (c.length !== n) throw invalidArgument(`Feature ${f} has ${c.length} values for ${n} targets.`);
  if (!(p.subsample > 0 && p.subsample <= 1)) throw invalidArgument(`subsample must be in (0, 1], got ${p.subsample}.`);
  if (!(p.colsampleByTree > 0 && p.colsampleByTree <= 1)) throw invalidArgument(`colsample_bytree must be in (0, 1], got ${p.colsampleByTree}.`);
  for (let i = 0; i < n; i++) {
    const t = target[i]!;
    if (!Number.isFinite(t)) throw invalidArgument(`The target is missing or not finite at row ${i + 1} (${t}); drop or fill those rows.`);
    if (p.objective === 'binary' && t !== 0 && t !== 1) throw invalidArgument(`A binary target must be 0 or 1; row ${i + 1} is ${t}.`);
  }

  // Split off a validation set for early stopping, seeded.
  const early = p.earlyStopping === 'auto' ? n > 10_000 : p.earlyStopping;
  const order = Uint32Array.from({ length: n }, (_, i) => i);
  if (early) {
    const random = seededRandom(p.seed);
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      const t = order[i]!;
      order[i] = order[j]!;
      order[j] = t;
    }
  }
  const nValid = early ? Math.max(1, Math.floor(n * p.validationFraction)) : 0;
  const valid = order.slice(0, nValid);
  // Training rows ascending: gradients and histograms then read memory in order.
  const train = order.slice(nValid).sort();

  let positives = 0;
  let sum = 0;
  for (const i of train) {
    positives += target[i]!;
    sum += target[i]!;
  }
  const mean = sum / train.length;
  if (p.objective === 'binary' && (positives === 0 || positives === train.length)) {
    throw invalidArgument(`The target has a single class (${positives === 0 ? 'all 0' : 'all 1'}); a classifier needs both.`);
  }
  const baseline = p.objective === 'binary' ? Math.log(mean / (1 - mean)) : mean;

  const trainValues = columns.map((c) => {
    const out = new Float64Array(train.length);
    for (let k = 0; k < train.length; k++) out[k] = c[train[k]!]!;
    return out;
  });
  const bins = trainValues.map((c, f) => fitBins(c, p.maxBins, 200_000, p.seed + f));
  const binned = columns.map((c, f) => binColumn(bins[f]!, c));
  const binsPerFeature = bins.map((b) => b.bins);
  const thresholds = bins.map((b) => b.thresholds);

  const raw = new Float64Array(n).fill(baseline);
  // Gradients in single precision, as scikit-learn keeps them: half the memory traffic.
  const g = new Float32Array(n);
  const h = new Float32Array(n);
  const treeParams: TreeParams = { maxLeafNodes: p.maxLeafNodes, maxDepth: p.maxDepth, minSamplesLeaf: p.minSamplesLeaf, l2: p.l2Regularization, minChildWeight: 1e-3 };
  const trees: Tree[] = [];
  const history: number[] = [];
  const rows = train.slice();
  const sampler = seededRandom(p.seed + 1);
  const inTree = p.subsample < 1 ? new Uint8Array(n) : new Uint8Array(0);

  for (let it = 0; it < p.maxIter; it++) {
    for (let k = 0; k < train.length; k++) {
      const i = train[k]!;
      if (p.objective === 'binary') {
        const q = sigmoid(raw[i]!);
        g[i] = q - target[i]!;
        h[i] = Math.max(q * (1 - q), 1e-16);
      } else {
        g[i] = raw[i]! - target[i]!;
        h[i] = 1;
      }
    }
    // Rows (and features) for this tree, seeded; rows stay ascending.
    const sampled = sampleRows(train, p.subsample, sampler, rows);
    const featureMask = p.colsampleByTree < 1 ? sampleFeatures(columns.length, p.colsampleByTree, sampler) : undefined;
    const tree = growTree(binned, binsPerFeature, thresholds, g, h, sampled, p.learningRate, { ...treeParams, featureMask }, (value, r, start, end) => {
      for (let k = start; k < end; k++) raw[r[k]!]! += value;
    });
    trees.push(tree);
    if (sampled.length < train.length) {
      // Rows the tree did not see still move by its prediction.
      inTree.fill(0);
      for (let k = 0; k < sampled.length; k++) inTree[sampled[k]!] = 1;
      for (let k = 0; k < train.length; k++) if (inTree[train[k]!] === 0) raw[train[k]!]! += predictBinned(tree, binned, train[k]!);
    }
    for (let k = 0; k < valid.length; k++) raw[valid[k]!]! += predictBinned(tree, binned, valid[k]!);
    const loss = lossOf(p.objective, target, raw, early ? valid : train);
    history.push(loss);
    onIteration?.(it + 1, loss);
    // Stop when the last nIterNoChange iterations did not beat the loss before them by tol.
    if (early && history.length > p.nIterNoChange) {
      const reference = history[history.length - 1 - p.nIterNoChange]!;
      if (history.slice(-p.nIterNoChange).every((l) => l > reference - p.tol)) break;
    }
    if (tree.left[0]! < 0) break;
  }
  return { objective: p.objective, baseline, trees, features: columns.length, lossHistory: history };
}

/** An ascending sample of `share` of the rows (all of them when share is 1), written into `into`. */
function sampleRows(train: Uint32Array, share: number, random: () => number, into: Uint32Array): Uint32Array {
  if (share >= 1) {
    into.set(train);
    return into;
  }
  const k = Math.max(1, Math.round(train.length * share));
  into.set(train);
  // Partial Fisher–Yates: the first k slots become a uniform sample.
  for (let i = 0; i < k; i++) {
    const j = i + Math.floor(random() * (train.length - i));
    const t = into[i]!;
    into[i] = into[j]!;
    into[j] = t;
  }
  return into.subarray(0, k).sort();
}

function sampleFeatures(features: number, share: number, random: () => number): Uint8Array {
  const k = Math.max(1, Math.round(features * share));
  const order = Array.from({ length: features }, (_, f) => f);
  for (let i = 0; i < k; i++) {
    const j = i + Math.floor(random() * (features - i));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const mask = new Uint8Array(features);
  for (let i = 0; i < k; i++) mask[order[i]!] = 1;
  return mask;
}

/** Raw scores (log-odds or values) for rows of raw feature columns. */
export function predictScores(model: GbdtModel, columns: readonly ArrayLike<number>[]): Float64Array {
  if (columns.length !== model.features) throw invalidArgument(`The model takes ${model.features} features; got ${columns.length}.`);
  const n = columns[0]?.length ?? 0;
  const out = new Float64Array(n).fill(model.baseline);
  for (const tree of model.trees) for (let i = 0; i < n; i++) out[i]! += predictRaw(tree, columns, i);
  return out;
}

/** Probabilities of class 1 (binary) or predicted values (regression). */
export function predictGbdt(model: GbdtModel, columns: readonly ArrayLike<number>[]): Float64Array {
  const scores = predictScores(model, columns);
  if (model.objective === 'binary') for (let i = 0; i < scores.length; i++) scores[i] = sigmoid(scores[i]!);
  return scores;
}

/** Total split gain per feature, normalised to sum 1. */
export function gainImportance(model: GbdtModel): Float64Array {
  const out = new Float64Array(model.features);
  for (const t of model.trees) for (let n = 0; n < t.feature.length; n++) if (t.left[n]! >= 0) out[t.feature[n]!]! += t.gain[n]!;
  const total = out.reduce((a, b) => a + b, 0);
  if (total > 0) for (let f = 0; f < out.length; f++) out[f]! /= total;
  return out;
}
