/**
 * Feature binning for histogram gradient boosting: each feature's values map to at
 * most 255 bins (one byte); bin 255 holds missing values (NaN). Thresholds sit
 * midway between distinct values, or at quantiles when there are more distinct
 * values than bins — as scikit-learn's HistGradientBoosting does.
 */
export const MISSING_BIN = 255;
export const MAX_BINS = 255;

export interface FeatureBins {
  /** Upper bounds: a value v goes to the first bin b with v <= thresholds[b]; past the last, to the last bin. */
  readonly thresholds: Float64Array;
  /** Number of non-missing bins (thresholds.length + 1, or the number of categories). */
  readonly bins: number;
  /**
   * Categorical features: the category (an ordinal code) each bin holds, ascending.
   * A value that is none of them goes to bin `bins`, which no split sends left.
   */
  readonly categories?: Float64Array;
  readonly index?: ReadonlyMap<number, number>;
}

/** Most categories a feature may have for native categorical splits: one bin is kept for unseen categories. */
export const MAX_CATEGORIES = MAX_BINS - 1;

/** Category bins of a feature from all its training values, or null when it has more than MAX_CATEGORIES. */
export function fitCategoryBins(values: Float64Array, maxBins = MAX_BINS): FeatureBins | null {
  const seen = new Set<number>();
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isNaN(v)) continue;
    seen.add(v);
    if (seen.size > Math.min(maxBins - 1, MAX_CATEGORIES)) return null;
  }
  const categories = Float64Array.from(seen).sort();
  return { thresholds: new Float64Array(0), bins: Math.max(1, categories.length), categories, index: new Map([...categories].map((c, b) => [c, b])) };
}

/** Bin thresholds of one feature from (a sample of) its values. */
export function fitBins(values: Float64Array, maxBins = MAX_BINS, sampleSize = 200_000, seed = 0): FeatureBins {
  let sample: Float64Array;
  if (values.length > sampleSize) {
    // A deterministic stride sample, offset by the seed.
    sample = new Float64Array(sampleSize);
    const step = values.length / sampleSize;
    for (let i = 0; i < sampleSize; i++) sample[i] = values[Math.min(values.length - 1, Math.floor(i * step + (seed % Math.max(1, Math.floor(step)))))]!;
  } else sample = values.slice();
  const finite = sample.filter((v) => !Number.isNaN(v)).sort();
  if (finite.length === 0) return { thresholds: new Float64Array(0), bins: 1 };
  const distinct: number[] = [];
  for (let i = 0; i < finite.length; i++) if (i === 0 || finite[i] !== finite[i - 1]) distinct.push(finite[i]!);
  let thresholds: number[];
  if (distinct.length <= maxBins) {
    thresholds = [];
    for (let i = 0; i + 1 < distinct.length; i++) thresholds.push((distinct[i]! + distinct[i + 1]!) / 2);
  } else {
    // Quantiles of the sample at i / maxBins (linear interpolation), de-duplicated.
    const set = new Set<number>();
    for (let i = 1; i < maxBins; i++) {
      const pos = (i / maxBins) * (finite.length - 1);
      const lo = Math.floor(pos);
      const q = finite[lo]! + (finite[Math.min(lo + 1, finite.length - 1)]! - finite[lo]!) * (pos - lo);
      set.add(q);
    }
    thresholds = [...set].sort((a, b) => a - b);
  }
  return { thresholds: Float64Array.from(thresholds), bins: thresholds.length + 1 };
}

/** The bin of one value (binary search over thresholds). */
export function binOf(bins: FeatureBins, v: number): number {
  if (Number.isNaN(v)) return MISSING_BIN;
  if (bins.index) return bins.index.get(v) ?? bins.bins;
  const t = bins.thresholds;
  let lo = 0;
  let hi = t.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (v <= t[mid]!) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * Bins columns into one row-major byte matrix (row i, feature f at i × features + f),
 * in shared memory when another thread will read it.
 */
export function binMatrix(bins: readonly FeatureBins[], columns: readonly Float64Array[], shared: boolean): Uint8Array {
  const n = columns[0]?.length ?? 0;
  const F = columns.length;
  const matrix = shared ? new Uint8Array(new SharedArrayBuffer(n * F)) : new Uint8Array(n * F);
  for (let f = 0; f < F; f++) {
    const b = bins[f]!;
    const col = columns[f]!;
    for (let i = 0; i < n; i++) matrix[i * F + f] = binOf(b, col[i]!);
  }
  return matrix;
}

/** Bins a whole column into bytes. */
export function binColumn(bins: FeatureBins, values: Float64Array): Uint8Array {
  const out = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = binOf(bins, values[i]!);
  return out;
}
