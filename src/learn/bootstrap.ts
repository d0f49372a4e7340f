import { seededRandom } from '../core/random.js';

/**
 * A percentile bootstrap confidence interval of `statistic(sample)` over `rounds`
 * resamples of the row indices (drawn with replacement, seeded). `statistic` gets
 * the resampled indices and returns a number; NaN results are dropped.
 */
export function bootstrapInterval(rows: number, statistic: (indices: Uint32Array) => number, options: { rounds: number; seed: number; level?: number }): { low: number; high: number; rounds: number } {
  const random = seededRandom(options.seed);
  const level = options.level ?? 0.95;
  const values: number[] = [];
  const indices = new Uint32Array(rows);
  for (let b = 0; b < options.rounds; b++) {
    for (let i = 0; i < rows; i++) indices[i] = Math.floor(random() * rows);
    const v = statistic(indices);
    if (!Number.isNaN(v)) values.push(v);
  }
  values.sort((a, b) => a - b);
  const at = (q: number) => {
    if (values.length === 0) return Number.NaN;
    const pos = q * (values.length - 1);
    const lo = Math.floor(pos);
    return values[lo]! + (values[Math.min(lo + 1, values.length - 1)]! - values[lo]!) * (pos - lo);
  };
  return { low: at((1 - level) / 2), high: at(1 - (1 - level) / 2), rounds: values.length };
}

/** Picks `indices` out of an array. */
export function take(values: Float64Array, indices: Uint32Array, stride = 1): Float64Array {
  const out = new Float64Array(indices.length * stride);
  for (let k = 0; k < indices.length; k++) for (let c = 0; c < stride; c++) out[k * stride + c] = values[indices[k]! * stride + c]!;
  return out;
}
