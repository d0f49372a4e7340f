import { MISSING_BIN } from './binning.js';

/**
 * One regression tree grown leaf-wise on binned features from gradients and
 * hessians (second-order boosting, as LightGBM and scikit-learn's
 * HistGradientBoosting do): the leaf with the best split gain is split next,
 * missing values go to whichever side gains more.
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

/** A grown tree as flat arrays; node 0 is the root, a leaf has left = −1. */
export interface Tree {
  readonly feature: Int32Array;
  /** Split bin: rows with bin <= thresholdBin go left. */
  readonly thresholdBin: Int32Array;
  /** The same split on raw values: value <= threshold goes left. */
  readonly threshold: Float64Array;
  readonly missingLeft: Uint8Array;
  readonly left: Int32Array;
  readonly right: Int32Array;
  /** Leaf values (already scaled by the learning rate). */
  readonly value: Float64Array;
  /** Split gains, for feature importance. */
  readonly gain: Float64Array;
}

interface Split {
  feature: number;
  bin: number;
  missingLeft: boolean;
  gain: number;
  leftG: number;
  leftH: number;
  leftC: number;
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

const STRIDE = 256 * 3;

/**
 * Sums of gradient, hessian and count per (feature, bin) for the rows
 * `rows[start:end]` (ascending, so memory is read in order); each row's gradient
 * and hessian are loaded once for all features.
 */
function buildHistogram(binned: readonly Uint8Array[], g: Float32Array, h: Float32Array, rows: Uint32Array, start: number, end: number): Float64Array {
  const features = binned.length;
  const hist = new Float64Array(features * STRIDE);
  for (let k = start; k < end; k++) {
    const i = rows[k]!;
    const gi = g[i]!;
    const hi = h[i]!;
    for (let f = 0; f < features; f++) {
      const o = f * STRIDE + binned[f]![i]! * 3;
      hist[o]! += gi;
      hist[o + 1]! += hi;
      hist[o + 2]! += 1;
    }
  }
  return hist;
}

function bestSplit(hist: Float64Array, binsPerFeature: readonly number[], G: number, H: number, C: number, p: TreeParams): Split | null {
  const score = (g: number, h: number) => (g * g) / (h + p.l2);
  const parent = score(G, H);
  let best: Split | null = null;
  for (let f = 0; f < binsPerFeature.length; f++) {
    if (p.featureMask && p.featureMask[f] === 0) continue;
    const base = f * STRIDE;
    const bins = binsPerFeature[f]!;
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
      for (let side = 0; side < (mc > 0 ? 2 : 1); side++) {
        const lg = side === 1 ? gl + mg : gl;
        const lh = side === 1 ? hl + mh : hl;
        const lc = side === 1 ? cl + mc : cl;
        const rc = C - lc;
        if (lc < p.minSamplesLeaf || rc < p.minSamplesLeaf) continue;
        const rh = H - lh;
        if (lh < p.minChildWeight || rh < p.minChildWeight) continue;
        const gain = score(lg, lh) + score(G - lg, rh) - parent;
        if (gain > 1e-12 && (best === null || gain > best.gain)) best = { feature: f, bin: b, missingLeft: side === 1, gain, leftG: lg, leftH: lh, leftC: lc };
      }
    }
  }
  return best;
}

/**
 * Grows one tree. `rows` (ascending) is reordered in place so each leaf's rows are contiguous;
 * `leafOfRow` gets each row's leaf value, for updating predictions without a pass
 * down the tree.
 */
export function growTree(
  binned: readonly Uint8Array[],
  binsPerFeature: readonly number[],
  rawThresholds: readonly Float64Array[],
  g: Float32Array,
  h: Float32Array,
  rows: Uint32Array,
  learningRate: number,
  p: TreeParams,
  onLeaf: (value: number, rows: Uint32Array, start: number, end: number) => void,
): Tree {
  const feature: number[] = [];
  const thresholdBin: number[] = [];
  const threshold: number[] = [];
  const missingLeft: number[] = [];
  const left: number[] = [];
  const right: number[] = [];
  const value: number[] = [];
  const gains: number[] = [];
  const newNode = () => {
    feature.push(-1);
    thresholdBin.push(0);
    threshold.push(0);
    missingLeft.push(0);
    left.push(-1);
    right.push(-1);
    value.push(0);
    gains.push(0);
    return feature.length - 1;
  };

  let G = 0;
  let H = 0;
  for (let k = 0; k < rows.length; k++) {
    G += g[rows[k]!]!;
    H += h[rows[k]!]!;
  }
  // `rows` arrives ascending; stable partitions keep every leaf ascending.
  const scratch = new Uint32Array(rows.length);
  const root: Leaf = { node: newNode(), start: 0, end: rows.length, g: G, h: H, depth: 0, hist: buildHistogram(binned, g, h, rows, 0, rows.length), split: null };
  const canSplit = (leaf: Leaf) => (p.maxDepth === null || leaf.depth < p.maxDepth) && leaf.end - leaf.start >= 2 * p.minSamplesLeaf;
  root.split = canSplit(root) ? bestSplit(root.hist, binsPerFeature, G, H, rows.length, p) : null;
  const open: Leaf[] = [root];
  const done: Leaf[] = [];
  let leaves = 1;

  while (leaves < p.maxLeafNodes) {
    let bestIndex = -1;
    for (let i = 0; i < open.length; i++) if (open[i]!.split && (bestIndex < 0 || open[i]!.split!.gain > open[bestIndex]!.split!.gain)) bestIndex = i;
    if (bestIndex < 0) break;
    const leaf = open.splice(bestIndex, 1)[0]!;
    const s = leaf.split!;
    // Partition the leaf's rows, left ones first, keeping their order (stable), so
    // every leaf's rows stay ascending and histograms read memory in order.
    const col = binned[s.feature]!;
    let write = leaf.start;
    let spilled = 0;
    const bin = s.bin;
    const missingGoesLeft = s.missingLeft ? 1 : 0;
    for (let k = leaf.start; k < leaf.end; k++) {
      const r = rows[k]!;
      const b = col[r]!;
      // Branch-free: which side a row goes is unpredictable, so write it to both
      // and advance only the matching cursor (the split bin is always below MISSING_BIN).
      const left = +(b <= bin) | (missingGoesLeft & +(b === MISSING_BIN));
      rows[write] = r;
      scratch[spilled] = r;
      write += left;
      spilled += 1 - left;
    }
    rows.set(scratch.subarray(0, spilled), write);
    const mid = write;
    const n = leaf.node;
    feature[n] = s.feature;
    thresholdBin[n] = s.bin;
    threshold[n] = rawThresholds[s.feature]![s.bin]!;
    missingLeft[n] = s.missingLeft ? 1 : 0;
    gains[n] = s.gain;
    const l: Leaf = { node: newNode(), start: leaf.start, end: mid, g: s.leftG, h: s.leftH, depth: leaf.depth + 1, hist: new Float64Array(0), split: null };
    const r: Leaf = { node: newNode(), start: mid, end: leaf.end, g: leaf.g - s.leftG, h: leaf.h - s.leftH, depth: leaf.depth + 1, hist: new Float64Array(0), split: null };
    left[n] = l.node;
    right[n] = r.node;
    // Build the smaller child's histogram; the larger one is the parent's minus it.
    const [small, large] = l.end - l.start <= r.end - r.start ? [l, r] : [r, l];
    small.hist = buildHistogram(binned, g, h, rows, small.start, small.end);
    large.hist = leaf.hist;
    for (let k = 0; k < large.hist.length; k++) large.hist[k]! -= small.hist[k]!;
    for (const child of [l, r]) {
      child.split = canSplit(child) ? bestSplit(child.hist, binsPerFeature, child.g, child.h, child.end - child.start, p) : null;
      open.push(child);
    }
    leaves++;
  }
  for (const leaf of [...open, ...done]) {
    const v = (-leaf.g / (leaf.h + p.l2)) * learningRate;
    value[leaf.node] = v;
    onLeaf(v, rows, leaf.start, leaf.end);
  }
  return {
    feature: Int32Array.from(feature),
    thresholdBin: Int32Array.from(thresholdBin),
    threshold: Float64Array.from(threshold),
    missingLeft: Uint8Array.from(missingLeft),
    left: Int32Array.from(left),
    right: Int32Array.from(right),
    value: Float64Array.from(value),
    gain: Float64Array.from(gains),
  };
}

/** The tree's output for row `i` of raw (unbinned) feature columns; NaN is missing. */
export function predictRaw(tree: Tree, columns: readonly ArrayLike<number>[], i: number): number {
  let n = 0;
  while (tree.left[n]! >= 0) {
    const v = columns[tree.feature[n]!]![i]!;
    n = Number.isNaN(v) ? (tree.missingLeft[n] ? tree.left[n]! : tree.right[n]!) : v <= tree.threshold[n]! ? tree.left[n]! : tree.right[n]!;
  }
  return tree.value[n]!;
}

/** The tree's output for row `i` of binned columns (validation during training). */
export function predictBinned(tree: Tree, binned: readonly Uint8Array[], i: number): number {
  let n = 0;
  while (tree.left[n]! >= 0) {
    const b = binned[tree.feature[n]!]![i]!;
    n = b === MISSING_BIN ? (tree.missingLeft[n] ? tree.left[n]! : tree.right[n]!) : b <= tree.thresholdBin[n]! ? tree.left[n]! : tree.right[n]!;
  }
  return tree.value[n]!;
}
