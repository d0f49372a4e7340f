import { availableParallelism } from 'node:os';
import { invalidArgument } from '../../core/errors.js';
import { seededRandom } from '../../core/random.js';
import { MAX_BINS, binMatrix, fitBins, fitCategoryBins } from './binning.js';
import { boostKernels, sharedArray } from './boost-kernels.js';
import { absoluteError, binaryLogLoss, huber, multinomialLogLoss, squaredError, type GbdtLoss, type Objective } from './objectives.js';
import { compileScoreKernels, type ScoreKernels } from './predict-kernels.js';
import { addTreeBinned, categoryBitsets, growTree, predictBinned, predictRaw, type BinnedData, type Tree, type TreeParams } from './tree.js';

export type GbdtObjective = 'binary' | 'multiclass' | 'regression';

export interface GbdtParams {
  readonly objective: GbdtObjective;
  /** Regression loss; classification always uses log loss. */
  readonly loss: 'squared_error' | 'absolute_error' | 'huber';
  /** Huber: δ is this quantile of the absolute residuals. */
  readonly huberAlpha: number;
  /** Multiclass: the number of classes K (the target holds 0…K−1). */
  readonly classes: number;
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
  /** Features (indices) split on category sets rather than thresholds; values are category codes. */
  readonly categoricalFeatures: readonly number[];
  /** Threads building histograms: 1, or 2 to share large ones with a helper thread. */
  readonly threads: number;
}

/** scikit-learn's HistGradientBoosting defaults. */
export const GBDT_DEFAULTS: Omit<GbdtParams, 'objective'> = Object.freeze({
  loss: 'squared_error',
  huberAlpha: 0.9,
  classes: 2,
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
  categoricalFeatures: [],
  threads: Math.min(2, availableParallelism()),
});

export interface GbdtModel {
  readonly objective: GbdtObjective;
  readonly loss?: GbdtLoss;
  /** Raw score before any tree: log-odds of the positive rate, the mean (or median) target. */
  readonly baseline: number;
  /** Multiclass: the starting score of each class; tree t adds to class t mod K. */
  readonly baselines?: readonly number[];
  readonly trees: readonly Tree[];
  readonly features: number;
  /** Validation loss per iteration when early stopping ran; training loss otherwise. */
  readonly lossHistory: readonly number[];
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
/** Below this many training rows a helper thread costs more than it saves. */
const THREADED_MIN_ROWS = 50_000;

function objectiveOf(p: GbdtParams, n: number): Objective {
  if (p.objective === 'binary') return binaryLogLoss();
  if (p.objective === 'multiclass') return multinomialLogLoss(p.classes, n);
  if (p.loss === 'absolute_error') return absoluteError();
  if (p.loss === 'huber') return huber(p.huberAlpha);
  return squaredError();
}

function checkInput(columns: readonly Float64Array[], target: Float64Array, p: GbdtParams): void {
  const n = target.length;
  if (n === 0) throw invalidArgument('Cannot train on zero rows.');
  if (columns.length === 0) throw invalidArgument('Cannot train without features.');
  for (const [f, c] of columns.entries()) {
    if (c.length !== n) throw invalidArgument(`Feature ${f} has ${c.length} values for ${n} targets.`);
    for (let i = 0; i < n; i++) if (c[i] === Infinity || c[i] === -Infinity) throw invalidArgument(`Feature ${f} is ${c[i]} at row ${i + 1}; only finite numbers or NaN (missing) can be binned — clip or drop those values.`);
  }
  if (!(p.subsample > 0 && p.subsample <= 1)) throw invalidArgument(`subsample must be in (0, 1], got ${p.subsample}.`);
  if (!(p.colsampleByTree > 0 && p.colsampleByTree <= 1)) throw invalidArgument(`colsample_bytree must be in (0, 1], got ${p.colsampleByTree}.`);
  if (!(Number.isInteger(p.maxLeafNodes) && p.maxLeafNodes >= 2 && p.maxLeafNodes <= 65_535)) throw invalidArgument(`max_leaf_nodes must be a whole number from 2 to 65535, got ${p.maxLeafNodes}.`);
  if (!(p.huberAlpha > 0 && p.huberAlpha < 1)) throw invalidArgument(`huber_alpha must be in (0, 1), got ${p.huberAlpha}.`);
  if (p.objective === 'multiclass' && !(Number.isInteger(p.classes) && p.classes >= 2)) throw invalidArgument(`A multiclass model needs at least 2 classes, got ${p.classes}.`);
  for (const f of p.categoricalFeatures) if (!(Number.isInteger(f) && f >= 0 && f < columns.length)) throw invalidArgument(`Categorical feature index ${f} is not one of the ${columns.length} features.`);
  for (let i = 0; i < n; i++) {
    const t = target[i]!;
    if (!Number.isFinite(t)) throw invalidArgument(`The target is missing or not finite at row ${i + 1} (${t}); drop or fill those rows.`);
    if (p.objective === 'binary' && t !== 0 && t !== 1) throw invalidArgument(`A binary target must be 0 or 1; row ${i + 1} is ${t}.`);
    if (p.objective === 'multiclass' && !(Number.isInteger(t) && t >= 0 && t < p.classes)) throw invalidArgument(`A multiclass target holds class indices 0…${p.classes - 1}; row ${i + 1} is ${t}.`);
  }
}

/**
 * Fits histogram gradient-boosted trees on feature columns (NaN = missing).
 * `onIteration` sees each iteration's loss, for tracking.
 */
export function fitGbdt(columns: readonly Float64Array[], target: Float64Array, params: Partial<GbdtParams> & { objective: GbdtObjective }, onIteration?: (iteration: number, loss: number) => void): GbdtModel {
  const p: GbdtParams = { ...GBDT_DEFAULTS, ...params };
  checkInput(columns, target, p);
  const n = target.length;

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
  // Both ascending: every pass over them then reads memory in order.
  const valid = order.slice(0, nValid).sort();
  const train = order.slice(nValid).sort();
  if (p.objective === 'binary') {
    let positives = 0;
    for (const i of train) positives += target[i]!;
    if (positives === 0 || positives === train.length) throw invalidArgument(`The target has a single class (${positives === 0 ? 'all 0' : 'all 1'}); a classifier needs both.`);
  }
  if (p.objective === 'regression') {
    let constant = true;
    for (let k = 1; k < train.length && constant; k++) constant = target[train[k]!] === target[train[0]!];
    if (constant && train.length > 1) throw invalidArgument(`The target is constant (${target[train[0]!]}); there is nothing to learn — check the target column.`);
  }

  const threads = train.length >= THREADED_MIN_ROWS && p.threads > 1 ? 2 : 1;
  // Arrays a helper thread reads live in shared memory.
  const alloc = <T extends Uint32Array | Float32Array | Float64Array>(kind: { new (length: number): T; new (b: SharedArrayBuffer): T; BYTES_PER_ELEMENT: number }, length: number): T =>
    threads > 1 ? sharedArray(kind, length) : new kind(length);
  const data = binData(columns, train, p, threads > 1);
  const objective = objectiveOf(p, n);
  const K = objective.outputs;
  const baselines = objective.baseline(target, train);
  const raw = alloc(Float64Array, n * K);
  for (let i = 0; i < n; i++) for (let k = 0; k < K; k++) raw[i * K + k] = baselines[k]!;
  // One score array per output: trees of output k update scores[k], copied back into raw.
  const scores = K === 1 ? [raw] : baselines.map((b) => new Float64Array(n).fill(b));
  const gh = alloc(Float32Array, n * 2);
  const rows = alloc(Uint32Array, train.length);
  const y = threads > 1 ? alloc(Float64Array, n) : target;
  if (y !== target) y.set(target);
  const trainRows = threads > 1 ? alloc(Uint32Array, train.length) : train;
  if (trainRows !== train) trainRows.set(train);
  const kernels = boostKernels({ matrix: data.matrix, features: data.features, gh, rows, train: trainRows, raw, target: y }, threads);
  // Binary log loss and squared error have gradient kernels that share the work between threads.
  const fastGradients = p.objective === 'binary' ? 'binary' : p.objective === 'regression' && p.loss === 'squared_error' ? 'squared' : 'other';
  const treeParams: TreeParams = { maxLeafNodes: p.maxLeafNodes, maxDepth: p.maxDepth, minSamplesLeaf: p.minSamplesLeaf, l2: p.l2Regularization, minChildWeight: 1e-3 };
  const trees: Tree[] = [];
  const history: number[] = [];
  const sampler = seededRandom(p.seed + 1);
  const inTree = p.subsample < 1 ? new Uint8Array(n) : new Uint8Array(0);

  try {
    for (let it = 0; it < p.maxIter; it++) {
      objective.prepare(raw, y, train);
      // Rows (and features) for this round, seeded; rows stay ascending.
      const sampled = sampleRows(train, p.subsample, sampler, rows);
      const featureMask = p.colsampleByTree < 1 ? sampleFeatures(columns.length, p.colsampleByTree, sampler) : undefined;
      let grew = false;
      for (let k = 0; k < K; k++) {
        // The K trees of a round share its sample; the previous tree reordered it.
        if (k > 0) {
          if (sampled.length === train.length) sampled.set(train);
          else sampled.sort();
        }
        if (!kernels.gradients(fastGradients)) objective.gradients(raw, y, train, k, gh);
        const score = scores[k]!;
        const leafValue = objective.leafValue && ((r: Uint32Array, start: number, end: number) => objective.leafValue!(raw, y, r, start, end));
        const { tree, segments } = growTree(data, gh, rows, sampled.length, kernels, p.learningRate, { ...treeParams, featureMask }, leafValue);
        trees.push(tree);
        grew ||= tree.left[0]! >= 0;
        const bitsets = categoryBitsets(tree, data);
        kernels.addLeaves(segments, score);
        if (sampled.length < train.length) {
          // Rows the tree did not see still move by its prediction.
          inTree.fill(0);
          for (let j = 0; j < sampled.length; j++) inTree[sampled[j]!] = 1;
          for (let j = 0; j < train.length; j++) if (inTree[train[j]!] === 0) score[train[j]!]! += predictBinned(tree, data, train[j]!, bitsets);
        }
        addTreeBinned(tree, data, valid, score, bitsets);
      }
      if (K > 1) for (let i = 0; i < n; i++) for (let k = 0; k < K; k++) raw[i * K + k] = scores[k]![i]!;
      const loss = objective.meanLoss(raw, y, early ? valid : train);
      history.push(loss);
      onIteration?.(it + 1, loss);
      // Stop when the last nIterNoChange iterations did not beat the loss before them by tol.
      if (early && history.length > p.nIterNoChange) {
        const reference = history[history.length - 1 - p.nIterNoChange]!;
        if (history.slice(-p.nIterNoChange).every((l) => l > reference - p.tol)) break;
      }
      if (!grew) break;
    }
  } finally {
    kernels.close();
  }
  return {
    objective: p.objective,
    loss: objective.loss,
    baseline: baselines[0]!,
    ...(K > 1 ? { baselines } : {}),
    trees,
    features: columns.length,
    lossHistory: history,
  };
}

/** Bins the features: thresholds from the training rows; categorical features by category when they have few enough. */
function binData(columns: readonly Float64Array[], train: Uint32Array, p: GbdtParams, shared: boolean): BinnedData {
  const categorical = new Uint8Array(columns.length);
  const bins = columns.map((c, f) => {
    const values = new Float64Array(train.length);
    for (let k = 0; k < train.length; k++) values[k] = c[train[k]!]!;
    if (p.categoricalFeatures.includes(f)) {
      // Too many categories for one byte: split on the codes as numbers instead.
      const cat = fitCategoryBins(values, p.maxBins);
      if (cat) {
        categorical[f] = 1;
        return cat;
      }
    }
    return fitBins(values, p.maxBins, 200_000, p.seed + f);
  });
  return {
    matrix: binMatrix(bins, columns, shared),
    features: columns.length,
    binsPerFeature: bins.map((b) => b.bins),
    binValues: bins.map((b) => b.categories ?? b.thresholds),
    categorical,
  };
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

/** Outputs per row: K for multiclass, else 1. */
export function outputsOf(model: GbdtModel): number {
  return model.baselines?.length ?? 1;
}

/** Raw scores (log-odds, class scores row-major, or values) for rows of raw feature columns. */
export function predictScores(model: GbdtModel, columns: readonly ArrayLike<number>[]): Float64Array {
  if (columns.length !== model.features) throw invalidArgument(`The model takes ${model.features} features; got ${columns.length}.`);
  const kernels = scoreKernels(model);
  if (kernels === null) return predictScoresByRow(model, columns);
  const n = columns[0]?.length ?? 0;
  const out = baselineScores(model, n);
  kernels.addTrees(columns, out, n);
  return out;
}

/**
 * The reference: each tree walked node by node for each row. `predictScores` gives
 * bit-identical results through generated kernels, and falls back to this for
 * trees the generator does not take.
 */
export function predictScoresByRow(model: GbdtModel, columns: readonly ArrayLike<number>[]): Float64Array {
  if (columns.length !== model.features) throw invalidArgument(`The model takes ${model.features} features; got ${columns.length}.`);
  const n = columns[0]?.length ?? 0;
  const K = outputsOf(model);
  const out = baselineScores(model, n);
  model.trees.forEach((tree, t) => {
    const k = t % K;
    for (let i = 0; i < n; i++) out[i * K + k]! += predictRaw(tree, columns, i);
  });
  return out;
}

function baselineScores(model: GbdtModel, n: number): Float64Array {
  const K = outputsOf(model);
  const out = new Float64Array(n * K);
  const baselines = model.baselines ?? [model.baseline];
  for (let i = 0; i < n; i++) for (let k = 0; k < K; k++) out[i * K + k] = baselines[k]!;
  return out;
}

// Compiled once per loaded model, on its first prediction; models are immutable once fitted.
const compiled = new WeakMap<GbdtModel, ScoreKernels | null>();
function scoreKernels(model: GbdtModel): ScoreKernels | null {
  let kernels = compiled.get(model);
  if (kernels === undefined) {
    kernels = compileScoreKernels(model.trees, model.features, outputsOf(model));
    compiled.set(model, kernels);
  }
  return kernels;
}

/** Probabilities of class 1 (binary), K class probabilities per row (multiclass), or predicted values (regression). */
export function predictGbdt(model: GbdtModel, columns: readonly ArrayLike<number>[]): Float64Array {
  const scores = predictScores(model, columns);
  if (model.objective === 'binary') for (let i = 0; i < scores.length; i++) scores[i] = sigmoid(scores[i]!);
  if (model.objective === 'multiclass') {
    const K = outputsOf(model);
    for (let o = 0; o < scores.length; o += K) {
      let max = -Infinity;
      for (let k = 0; k < K; k++) max = Math.max(max, scores[o + k]!);
      let sum = 0;
      for (let k = 0; k < K; k++) sum += scores[o + k] = Math.exp(scores[o + k]! - max);
      for (let k = 0; k < K; k++) scores[o + k]! /= sum;
    }
  }
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

/** How many splits each feature has across all trees (LightGBM's "split" importance; gain is gainImportance). */
export function splitImportance(model: GbdtModel): Float64Array {
  const out = new Float64Array(model.features);
  for (const t of model.trees) for (let n = 0; n < t.feature.length; n++) if (t.left[n]! >= 0) out[t.feature[n]!]! += 1;
  return out;
}
