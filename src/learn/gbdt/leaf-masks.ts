import type { Tree } from './tree.js';

/**
 * GBDT prediction without branches on the data, after QuickScorer (Lucchese et al.,
 * SIGIR 2015), on cells instead of raw values.
 *
 * Cells: every split of the model on a feature compares it with a threshold, tests
 * it against a category set, or sends a missing value one way. The thresholds and
 * categories of all trees cut the feature's values into cells (intervals between
 * consecutive thresholds, each category value, other values, missing) on which
 * every split answers the same. A chunk's values become cell numbers once per
 * feature, shared by all trees.
 *
 * Masks: a tree's leaves are numbered left to right (at most 32), leaf j as bit
 * 31 − j. A split a value does not send left rules out the leaves of its left
 * subtree; for a cell, the mask is the AND of those exclusions over the tree's
 * splits on the feature. ANDing a row's masks over the features the tree uses
 * leaves the row's exit leaf as the highest bit set, leaf `Math.clz32(x)`
 * (QuickScorer's theorem: every leaf left of the exit leaf lies in the left subtree
 * of a split on the path that sent the row right; the exit leaf lies in no left
 * subtree that a split off the path rules out).
 *
 * A row's tree output is looked up, not walked: a few loads and ANDs per tree,
 * the same for every row, instead of a chain of unpredictable branches
 * (mask-forest.ts lays the masks out and generates the row loops).
 */

/** How one feature's values map to cells: intervals `0…k` between the k sorted thresholds, then the category values, then missing. */
export interface FeatureCells {
  /** Numeric thresholds of all trees' splits on the feature, ascending, distinct, no NaN. */
  readonly thresholds: Float64Array;
  /** Category values of all trees' category-set splits on the feature, ascending, distinct. */
  readonly categories: Float64Array;
  /** Cell of each whole number 0 … length−1 (the common case: codes, counts, calendar parts), precomputed. */
  readonly small: Int32Array;
  /** Values above this are in the last interval (above every threshold and category). */
  readonly top: number;
  /** Category value → cell, for values outside `small`. */
  readonly categoryCell: ReadonlyMap<number, number>;
  /** The cell of missing values (NaN); cells are 0 … nan. */
  readonly nan: number;
}

/** A tree as cell masks: `masks[u][cell]` for its u-th feature `features[u]` (ascending); leaf values left to right. */
export interface TreeMasks {
  readonly features: readonly number[];
  readonly masks: readonly Int32Array[];
  readonly leaves: Float64Array;
}

/** Whole numbers below this may get a precomputed cell (a table per feature of at most this many entries). */
const SMALL_TABLE = 1 << 16;
/** At most this many cells per feature: masks take 4 bytes per cell per tree using the feature. */
export const MAX_CELLS = 1 << 12;
export const MAX_LEAVES = 32;
const MAX_DEPTH = 128;

/** The cells of feature `f` over `trees`, or null when it would have more than MAX_CELLS. */
export function featureCells(trees: readonly Tree[], f: number): FeatureCells | null {
  const thresholds = new Set<number>();
  const categories = new Set<number>();
  for (const tree of trees) {
    for (let n = 0; n < tree.feature.length; n++) {
      if (tree.left[n]! < 0 || tree.feature[n] !== f) continue;
      if (tree.catCount[n]! > 0) for (let c = 0; c < tree.catCount[n]!; c++) categories.add(tree.categories[tree.catStart[n]! + c]!);
      else if (!Number.isNaN(tree.threshold[n]!)) thresholds.add(tree.threshold[n]!);
    }
  }
  // A Set holds -0 and 0 as one value, as the comparisons do.
  const sortedDistinct = (s: Set<number>) => Float64Array.from(s).sort();
  const t = sortedDistinct(thresholds);
  const cats = sortedDistinct(categories);
  if (cats.some((c) => Number.isNaN(c))) return null;
  const k = t.length;
  const nan = k + 1 + cats.length;
  if (nan + 1 > MAX_CELLS) return null;
  const categoryCell = new Map<number, number>();
  cats.forEach((c, j) => categoryCell.set(c, k + 1 + j));
  const top = Math.max(k > 0 ? t[k - 1]! : -Infinity, cats.length > 0 ? cats[cats.length - 1]! : -Infinity);
  const cellOfValue = (v: number) => categoryCell.get(v) ?? intervalOf(t, v);
  // Whole numbers up to just past the highest threshold or category (any above is in the last
  // interval); none when that is far (timestamps, ids): such values are searched.
  const size = Number.isFinite(top) && top < SMALL_TABLE - 1 ? Math.max(0, Math.floor(top) + 2) : 0;
  const small = new Int32Array(size);
  for (let v = 0; v < size; v++) small[v] = cellOfValue(v);
  return { thresholds: t, categories: cats, small, top, categoryCell, nan };
}

/** How many thresholds lie below v: its interval. */
function intervalOf(t: Float64Array, v: number): number {
  let lo = 0;
  let hi = t.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (t[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Writes the cell of `values[start … start+m)` into `into[0 … m)`. */
export function fillCells(fc: FeatureCells, values: ArrayLike<number>, start: number, m: number, into: Int32Array): void {
  const { small, top, thresholds, categoryCell, nan } = fc;
  const size = small.length;
  const last = thresholds.length;
  const hasCategories = categoryCell.size > 0;
  for (let i = 0; i < m; i++) {
    const v = values[start + i]!;
    let cell: number;
    if (v >>> 0 === v && v < size) cell = small[v]!;
    else if (v > top) cell = last;
    else if (v !== v) cell = nan;
    else cell = (hasCategories ? categoryCell.get(v) : undefined) ?? intervalOf(thresholds, v);
    into[i] = cell;
  }
}

/** Which cells split n sends left (1), exactly as the row walk (`predictRaw`) decides. */
function leftCells(tree: Tree, n: number, fc: FeatureCells): Uint8Array {
  const left = new Uint8Array(fc.nan + 1);
  const k = fc.thresholds.length;
  left[fc.nan] = tree.missingLeft[n] === 1 ? 1 : 0;
  if (tree.catCount[n]! > 0) {
    // A category set: its own values go left; intervals hold no category, so they go right.
    for (let c = 0; c < tree.catCount[n]!; c++) left[fc.categoryCell.get(tree.categories[tree.catStart[n]! + c]!)!] = 1;
    return left;
  }
  const threshold = tree.threshold[n]!;
  if (Number.isNaN(threshold)) return left;
  // `v <= t` holds for the whole intervals up to t's place, and for the category values at or below t.
  const at = intervalOf(fc.thresholds, threshold);
  for (let cell = 0; cell <= at; cell++) left[cell] = 1;
  for (let j = 0; j < fc.categories.length; j++) if (fc.categories[j]! <= threshold) left[k + 1 + j] = 1;
  return left;
}

/**
 * The tree's cell masks per feature it splits on, or null when the tree has more
 * than 32 leaves or is malformed (then the caller uses another kernel).
 */
export function treeMasks(tree: Tree, cells: readonly (FeatureCells | null)[]): TreeMasks | null {
  // Leaves left to right; the left-subtree leaf bits of every split.
  const leaves: number[] = [];
  const leftBits = new Map<number, number>();
  const seen = new Set<number>();
  const walk = (n: number, depth: number): number | null => {
    if (depth > MAX_DEPTH || !Number.isInteger(n) || n < 0 || n >= tree.feature.length || seen.has(n)) return null;
    seen.add(n);
    if (tree.left[n]! < 0) {
      if (leaves.length === MAX_LEAVES) return null;
      leaves.push(tree.value[n]!);
      return 1 << (32 - leaves.length);
    }
    if (cells[tree.feature[n]!] == null) return null;
    const left = walk(tree.left[n]!, depth + 1);
    if (left === null) return null;
    const right = walk(tree.right[n]!, depth + 1);
    if (right === null) return null;
    leftBits.set(n, left);
    return left | right;
  };
  if (walk(0, 0) === null) return null;
  const features = [...new Set([...leftBits.keys()].map((n) => tree.feature[n]!))].sort((a, b) => a - b);
  const masks = features.map((f) => {
    const fc = cells[f]!;
    const m = new Int32Array(fc.nan + 1).fill(-1);
    for (const [n, bits] of leftBits) {
      if (tree.feature[n] !== f) continue;
      const left = leftCells(tree, n, fc);
      for (let cell = 0; cell < m.length; cell++) if (left[cell] === 0) m[cell]! &= ~bits;
    }
    return m;
  });
  return { features, masks, leaves: Float64Array.from(leaves) };
}
