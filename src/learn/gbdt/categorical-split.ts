import { MISSING_BIN } from './binning.js';
import { HIST_STRIDE } from './histogram.js';
import { splitGain, type Split, type TreeParams } from './tree.js';

/** Words of a 256-bit bitset over one feature's bins. */
export const CATEGORY_WORDS = 8;
/** Categories seen on fewer rows than this are not placed in the sorted order (they go right), as in scikit-learn. */
const MIN_CATEGORY_SUPPORT = 10;
/** Added to the hessian when ordering categories, so rare ones do not get extreme ratios (scikit-learn's smoothing). */
const CATEGORY_SMOOTHING = 10;

/**
 * The best split of a categorical feature into a set of categories going left:
 * categories are ordered by gradient / (hessian + smoothing) and every prefix of
 * that order is tried (Fisher's result for a convex loss: the best two-way
 * partition is a prefix of that order), with missing values on either side.
 */
export function bestCategoricalSplit(hist: Float64Array, f: number, bins: number, G: number, H: number, C: number, parent: number, p: TreeParams): Split | null {
  const base = f * HIST_STRIDE;
  const used: number[] = [];
  for (let b = 0; b < bins; b++) if (hist[base + b * 3 + 2]! >= MIN_CATEGORY_SUPPORT) used.push(b);
  if (used.length < 2) return null;
  const ratio = (b: number) => hist[base + b * 3]! / (hist[base + b * 3 + 1]! + CATEGORY_SMOOTHING);
  used.sort((a, b) => ratio(a) - ratio(b) || a - b);
  const mo = base + MISSING_BIN * 3;
  const mg = hist[mo]!;
  const mh = hist[mo + 1]!;
  const mc = hist[mo + 2]!;
  let best: { gain: number; prefix: number; missingLeft: boolean; g: number; h: number; c: number } | null = null;
  let gl = 0;
  let hl = 0;
  let cl = 0;
  for (let k = 0; k < used.length - 1; k++) {
    const o = base + used[k]! * 3;
    gl += hist[o]!;
    hl += hist[o + 1]!;
    cl += hist[o + 2]!;
    for (let side = 0; side < (mc > 0 ? 2 : 1); side++) {
      const lg = side === 1 ? gl + mg : gl;
      const lh = side === 1 ? hl + mh : hl;
      const lc = side === 1 ? cl + mc : cl;
      const gain = splitGain(lg, lh, lc, G, H, C, parent, p);
      if (gain > 1e-12 && (best === null || gain > best.gain)) best = { gain, prefix: k + 1, missingLeft: side === 1, g: lg, h: lh, c: lc };
    }
  }
  if (!best) return null;
  const catBins = new Uint32Array(CATEGORY_WORDS);
  for (let k = 0; k < best.prefix; k++) catBins[used[k]! >>> 5]! |= 1 << (used[k]! & 31);
  // Rare categories not in the order went right with the rest; their rows are counted on that side.
  return { feature: f, bin: -1, missingLeft: best.missingLeft, gain: best.gain, leftG: best.g, leftH: best.h, leftC: best.c, catBins };
}
