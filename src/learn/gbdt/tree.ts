import { MISSING_BIN } from './binning.js';
import type { BoostKernels } from './boost-kernels.js';
import { HIST_STRIDE } from './histogram.js';
import { bestCategoricalSplit, CATEGORY_WORDS } from './categorical-split.js';

/**
 * One regression tree grown leaf-wise on binned features from gradients and
 * hessians (second-order boosting, as LightGBM and scikit-learn's
 * HistGradientBoosting do): the leaf with the best split gain is split next,
 * missing values go to whichever side gains more. Categorical features split
 * on a set of categories (sorted by gradient ratio, as LightGBM and scikit-learn do).
 */
export interface TreeParams {
  readonly maxLeafNodes: number;
  readonly maxDepth: number | null;
  readonly minSamplesLeaf: number;
  readonly l2: number;
  /** Smallest hessian sum a child may have. */
  readonly minChildWeight: number;
  /** Features this tree may split on (1 = yes); all when absent. */
  readonly featureMask?: Uint8Array;
}

/** The binned training data a tree grows on. */
export interface BinnedData {
  /** Bins, row-major: row i's bin of feature f is `matrix[i * features + f]`. */
  readonly matrix: Uint8Array;
  readonly features: number;
  /** Non-missing bins per feature. */
  readonly binsPerFeature: readonly number[];
  /** Per feature, the raw value each bin ends at (numeric) or the category each bin holds (categorical). */
  readonly binValues: readonly Float64Array[];
  /** 1 where a feature splits on category sets. */
  readonly categorical: Uint8Array;
}

/** A grown tree as flat arrays; node 0 is the root, a leaf has left = −1. */
export interface Tree {
  readonly feature: Int32Array;
  /** Split bin: rows with bin <= thresholdBin go left (numeric splits). */
  readonly thresholdBin: Int32Array;
  /** The same split on raw values: value <= threshold goes left (numeric splits). */
  readonly threshold: Float64Array;
  readonly missingLeft: Uint8Array;
  readonly left: Int32Array;
  readonly right: Int32Array;
  /** Leaf values (already scaled by the learning rate). */
  readonly value: Float64Array;
  /** Split gains, for feature importance. */
  readonly gain: Float64Array;
  /**
   * Categorical splits: node n sends the categories `categories[catStart[n] : catStart[n] + catCount[n]]`
   * (ascending) left; any other category, seen in training or not, goes right. catCount is 0 for numeric splits.
   */
  readonly catStart: Int32Array;
  readonly catCount: Int32Array;
  readonly categories: Float64Array;
}

export interface Split {
  feature: number;
  bin: number;
  missingLeft: boolean;
  gain: number;
  leftG: number;
  leftH: number;
  leftC: number;
  /** Categorical splits: the bins going left, as a bitset. */
  catBins?: Uint32Array;
}

interface Leaf {
  node: number;
  start: number;
  end: number;
  g: number;
  h: number;
  depth: number;
  hist: Float64Array;
  split: Split | null;
}

/**
 * Gain of sending (lg, lh, lc) left and the rest of (G, H, C) right: the drop in
 * the second-order loss, or 0 when a child would break the row or weight limits.
 * `parent` is the parent's own score, G² / (H + λ).
 */
export function splitGain(lg: number, lh: number, lc: number, G: number, H: number, C: number, parent: number, p: TreeParams): number {
  if (lc < p.minSamplesLeaf || C - lc < p.minSamplesLeaf) return 0;
  const rh = H - lh;
  if (lh < p.minChildWeight || rh < p.minChildWeight) return 0;
  const rg = G - lg;
  return (lg * lg) / (lh + p.l2) + (rg * rg) / (rh + p.l2) - parent;
}

function bestSplit(hist: Float64Array, data: BinnedData, G: number, H: number, C: number, p: TreeParams): Split | null {
  const parent = (G * G) / (H + p.l2);
  let best: Split | null = null;
  for (let f = 0; f < data.features; f++) {
    if (p.featureMask && p.featureMask[f] === 0) continue;
    if (data.categorical[f] === 1) {
      const s = bestCategoricalSplit(hist, f, data.binsPerFeature[f]!, G, H, C, parent, p);
      if (s && (best === null || s.gain > best.gain)) best = s;
      continue;
    }
    const base = f * HIST_STRIDE;
    const bins = data.binsPerFeature[f]!;
    const mo = base + MISSING_BIN * 3;
    const mg = hist[mo]!;
    const mh = hist[mo + 1]!;
    const mc = hist[mo + 2]!;
    let gl = 0;
    let hl = 0;
    let cl = 0;
    for (let b = 0; b < bins - 1; b++) {
      const o = base + b * 3;
      gl += hist[o]!;
      hl += hist[o + 1]!;
      cl += hist[o + 2]!;
      // Missing values right (side 0) or, when there are any, left (side 1).
      for (let side = 0; side < (mc > 0 ? 2 : 1); side++) {
        const lg = side === 1 ? gl + mg : gl;
        const lh = side === 1 ? hl + mh : hl;
        const lc = side === 1 ? cl + mc : cl;
        const gain = splitGain(lg, lh, lc, G, H, C, parent, p);
        if (gain > 1e-12 && (best === null || gain > best.gain)) best = { feature: f, bin: b, missingLeft: side === 1, gain, leftG: lg, leftH: lh, leftC: lc };
      }
    }
  }
  return best;
}

/** Whether bin `b` goes left under a split (MISSING_BIN follows missingLeft). */
function goesLeft(s: Split, b: number): boolean {
  if (b === MISSING_BIN) return s.missingLeft;
  if (s.catBins) return (s.catBins[b >>> 5]! & (1 << (b & 31))) !== 0;
  return b <= s.bin;
}

/** A grown tree and where its leaves' rows ended up: (start, end, value) per leaf, over positions of `rows`. */
export interface GrownTree {
  readonly tree: Tree;
  readonly segments: number[];
}

/**
 * Grows one tree on the gradients `gh` (interleaved g, h per row) of the rows
 * `rows[0:count]` (ascending), which the kernels reorder in place so each leaf's
 * rows are contiguous and still ascending. `leafValue`, when given, replaces
 * the Newton step as a leaf's value (before the learning rate) — for losses like L1.
 */
export function growTree(
  data: BinnedData,
  gh: Float32Array,
  rows: Uint32Array,
  count: number,
  kernels: BoostKernels,
  learningRate: number,
  p: TreeParams,
  leafValue?: (rows: Uint32Array, start: number, end: number) => number,
): GrownTree {
  const feature: number[] = [];
  const thresholdBin: number[] = [];
  const threshold: number[] = [];
  const missingLeft: number[] = [];
  const left: number[] = [];
  const right: number[] = [];
  const value: number[] = [];
  const gains: number[] = [];
  const catStart: number[] = [];
  const catCount: number[] = [];
  const categories: number[] = [];
  const newNode = () => {
    feature.push(-1);
    thresholdBin.push(0);
    threshold.push(0);
    missingLeft.push(0);
    left.push(-1);
    right.push(-1);
    value.push(0);
    gains.push(0);
    catStart.push(0);
    catCount.push(0);
    return feature.length - 1;
  };

  let G = 0;
  let H = 0;
  for (let k = 0; k < count; k++) {
    G += gh[2 * rows[k]!]!;
    H += gh[2 * rows[k]! + 1]!;
  }
  const root: Leaf = { node: newNode(), start: 0, end: count, g: G, h: H, depth: 0, hist: kernels.histogram(0, count), split: null };
  const canSplit = (leaf: Leaf) => (p.maxDepth === null || leaf.depth < p.maxDepth) && leaf.end - leaf.start >= 2 * p.minSamplesLeaf;
  root.split = canSplit(root) ? bestSplit(root.hist, data, G, H, count, p) : null;
  const open: Leaf[] = [root];
  let leaves = 1;

  while (leaves < p.maxLeafNodes) {
    let bestIndex = -1;
    for (let i = 0; i < open.length; i++) if (open[i]!.split && (bestIndex < 0 || open[i]!.split!.gain > open[bestIndex]!.split!.gain)) bestIndex = i;
    if (bestIndex < 0) break;
    const leaf = open.splice(bestIndex, 1)[0]!;
    const s = leaf.split!;
    // Partition the leaf's rows, left ones first, keeping their order (stable).
    const side = new Uint8Array(256);
    for (let b = 0; b < 256; b++) side[b] = goesLeft(s, b) ? 1 : 0;
    const f = s.feature;
    const mid = leaf.start + kernels.partition(leaf.start, leaf.end, f, side);
    const n = leaf.node;
    feature[n] = f;
    missingLeft[n] = s.missingLeft ? 1 : 0;
    gains[n] = s.gain;
    if (s.catBins) {
      catStart[n] = categories.length;
      const values = data.binValues[f]!;
      for (let b = 0; b < data.binsPerFeature[f]!; b++) if (side[b] === 1) categories.push(values[b]!);
      catCount[n] = categories.length - catStart[n]!;
    } else {
      thresholdBin[n] = s.bin;
      threshold[n] = data.binValues[f]![s.bin]!;
    }
    const l: Leaf = { node: newNode(), start: leaf.start, end: mid, g: s.leftG, h: s.leftH, depth: leaf.depth + 1, hist: new Float64Array(0), split: null };
    const r: Leaf = { node: newNode(), start: mid, end: leaf.end, g: leaf.g - s.leftG, h: leaf.h - s.leftH, depth: leaf.depth + 1, hist: new Float64Array(0), split: null };
    left[n] = l.node;
    right[n] = r.node;
    // Build the smaller child's histogram; the larger one is the parent's minus it.
    const [small, large] = l.end - l.start <= r.end - r.start ? [l, r] : [r, l];
    small.hist = kernels.histogram(small.start, small.end);
    large.hist = leaf.hist;
    for (let k = 0; k < large.hist.length; k++) large.hist[k]! -= small.hist[k]!;
    for (const child of [l, r]) {
      child.split = canSplit(child) ? bestSplit(child.hist, data, child.g, child.h, child.end - child.start, p) : null;
      open.push(child);
    }
    leaves++;
  }
  const segments: number[] = [];
  for (const leaf of open) {
    const v = (leafValue ? leafValue(rows, leaf.start, leaf.end) : -leaf.g / (leaf.h + p.l2)) * learningRate;
    value[leaf.node] = v;
    segments.push(leaf.start, leaf.end, v);
  }
  const tree: Tree = {
    feature: Int32Array.from(feature),
    thresholdBin: Int32Array.from(thresholdBin),
    threshold: Float64Array.from(threshold),
    missingLeft: Uint8Array.from(missingLeft),
    left: Int32Array.from(left),
    right: Int32Array.from(right),
    value: Float64Array.from(value),
    gain: Float64Array.from(gains),
    catStart: Int32Array.from(catStart),
    catCount: Int32Array.from(catCount),
    categories: Float64Array.from(categories),
  };
  return { tree, segments };
}

/** Whether a category value is in node n's left set (binary search over the ascending slice). */
function inLeftSet(tree: Tree, n: number, v: number): boolean {
  let lo = tree.catStart[n]!;
  let hi = lo + tree.catCount[n]!;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const c = tree.categories[mid]!;
    if (c === v) return true;
    if (c < v) lo = mid + 1;
    else hi = mid;
  }
  return false;
}

/** The tree's output for row `i` of raw (unbinned) feature columns; NaN is missing. */
export function predictRaw(tree: Tree, columns: readonly ArrayLike<number>[], i: number): number {
  let n = 0;
  while (tree.left[n]! >= 0) {
    const v = columns[tree.feature[n]!]![i]!;
    let goLeft: boolean;
    if (Number.isNaN(v)) goLeft = tree.missingLeft[n] === 1;
    else if (tree.catCount[n]! > 0) goLeft = inLeftSet(tree, n, v);
    else goLeft = v <= tree.threshold[n]!;
    n = goLeft ? tree.left[n]! : tree.right[n]!;
  }
  return tree.value[n]!;
}

/** Per categorical node, its left bins as a bitset (for predicting binned rows while training). */
export function categoryBitsets(tree: Tree, data: BinnedData): Map<number, Uint32Array> {
  const out = new Map<number, Uint32Array>();
  for (let n = 0; n < tree.feature.length; n++) {
    if (tree.left[n]! < 0 || tree.catCount[n] === 0) continue;
    const bits = new Uint32Array(CATEGORY_WORDS);
    const values = data.binValues[tree.feature[n]!]!;
    for (let b = 0; b < values.length; b++) if (inLeftSet(tree, n, values[b]!)) bits[b >>> 5]! |= 1 << (b & 31);
    out.set(n, bits);
  }
  return out;
}

/** The tree's output for row `i` of the binned matrix (validation during training). */
export function predictBinned(tree: Tree, data: BinnedData, i: number, bitsets: Map<number, Uint32Array>): number {
  let n = 0;
  const base = i * data.features;
  while (tree.left[n]! >= 0) {
    const b = data.matrix[base + tree.feature[n]!]!;
    let goLeft: boolean;
    if (b === MISSING_BIN) goLeft = tree.missingLeft[n] === 1;
    else if (tree.catCount[n]! > 0) goLeft = (bitsets.get(n)![b >>> 5]! & (1 << (b & 31))) !== 0;
    else goLeft = b <= tree.thresholdBin[n]!;
    n = goLeft ? tree.left[n]! : tree.right[n]!;
  }
  return tree.value[n]!;
}

/** Adds the tree's output to `score` for each of `rows` of the binned matrix (validation rows while training). */
export function addTreeBinned(tree: Tree, data: BinnedData, rows: Uint32Array, score: Float64Array, bitsets: Map<number, Uint32Array>): void {
  if (bitsets.size > 0) {
    for (let k = 0; k < rows.length; k++) score[rows[k]!]! += predictBinned(tree, data, rows[k]!, bitsets);
    return;
  }
  // Numeric splits only: the plain walk, without the categorical test.
  const { left, right, feature, thresholdBin, missingLeft, value } = tree;
  const matrix = data.matrix;
  const F = data.features;
  for (let k = 0; k < rows.length; k++) {
    const i = rows[k]!;
    const base = i * F;
    let n = 0;
    while (left[n]! >= 0) {
      const b = matrix[base + feature[n]!]!;
      n = (b === MISSING_BIN ? missingLeft[n] === 1 : b <= thresholdBin[n]!) ? left[n]! : right[n]!;
    }
    score[i]! += value[n]!;
  }
}
