/** Small statistics and formatting helpers shared by the benches. */

/** The q-quantile (0..1) by linear interpolation between closest ranks. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export const median = (values: readonly number[]): number => quantile(values, 0.5);

/** Milliseconds since an arbitrary origin, sub-millisecond resolution. */
export const nowMs = (): number => performance.now();

/** Runs `fn` once to warm up, then `reps` times, returning what each repetition reported. */
export async function repeat(reps: number, fn: (rep: number) => Promise<number>): Promise<number[]> {
  await fn(-1);
  const out: number[] = [];
  for (let rep = 0; rep < reps; rep++) out.push(await fn(rep));
  return out;
}

/** A rate rounded to three significant digits with thousands separators: 312,000. */
export function formatRate(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const digits = Math.max(0, Math.floor(Math.log10(Math.abs(value) || 1)) - 2);
  const rounded = Math.round(value / 10 ** digits) * 10 ** digits;
  return rounded.toLocaleString('en-US', { maximumFractionDigits: 0 });
}

/** Milliseconds with precision that suits their size: 0.412, 3.18, 152. */
export function formatMs(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (value < 1) return value.toFixed(3);
  if (value < 10) return value.toFixed(2);
  if (value < 100) return value.toFixed(1);
  return value.toFixed(0);
}

export const formatRatio = (value: number): string => `${value >= 10 ? value.toFixed(0) : value >= 0.1 ? value.toFixed(2) : value.toPrecision(2)}x`;
