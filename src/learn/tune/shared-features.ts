import { OrchardError } from '../../core/errors.js';
import { seededRandom } from '../../core/random.js';

/**
 * Feature columns and target in SharedArrayBuffers, laid out once so every trial
 * reads them in place: rows `[0, trainRows)` are the training rows in a seeded
 * random order, rows `[trainRows, trainRows + validRows)` the validation rows.
 * A trial on `r` rows uses the prefix `[0, r)` — a seeded random subset, nested
 * across rungs — through `subarray` views, so nothing is copied per trial, and
 * worker threads receive the buffers themselves (shared, not cloned).
 */
export interface SharedFeatures {
  readonly columns: readonly SharedArrayBuffer[];
  readonly target: SharedArrayBuffer;
  readonly trainRows: number;
  readonly validRows: number;
  /** Rows of the training dataset version: the final model is refitted on `[0, datasetRows)`. */
  readonly datasetRows: number;
}

/** Typed views over shared features. */
export interface FeatureViews {
  readonly features: Float64Array[];
  readonly target: Float64Array;
}

function shared(length: number): Float64Array {
  return new Float64Array(new SharedArrayBuffer(length * Float64Array.BYTES_PER_ELEMENT));
}

/** A seeded random permutation of 0…n−1 (Fisher–Yates). */
export function permutation(n: number, seed: number): Int32Array {
  const order = Int32Array.from({ length: n }, (_, i) => i);
  const random = seededRandom(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  return order;
}

/**
 * Lays out training data and validation data. With `valid` given, every training
 * row is shuffled into the training part; otherwise the last `validFraction` of
 * the shuffled training rows is held out for validation.
 * @throws OrchardError INVALID_ARGUMENT when either part would be empty.
 */
export function shareFeatures(train: FeatureViews, valid: FeatureViews | { readonly validFraction: number }, seed: number): SharedFeatures {
  const n = train.target.length;
  const order = permutation(n, seed);
  const heldOut = 'validFraction' in valid;
  const validRows = heldOut ? Math.round(n * valid.validFraction) : valid.target.length;
  const trainRows = heldOut ? n - validRows : n;
  if (trainRows < 1 || validRows < 1) {
    throw new OrchardError('INVALID_ARGUMENT', heldOut ? `Holding out ${valid.validFraction} of ${n} rows leaves ${trainRows} to train on and ${validRows} to validate on; choose a validation fraction that leaves both non-empty, or give a validation dataset version.` : 'The validation dataset version has no rows with a target; give one that has.', { details: { rows: n, validRows } });
  }
  const total = heldOut ? n : n + validRows;
  const place = (source: Float64Array, extra: Float64Array | undefined): SharedArrayBuffer => {
    const out = shared(total);
    for (let i = 0; i < n; i++) out[i] = source[order[i]!]!;
    if (extra) out.set(extra, n);
    return out.buffer as SharedArrayBuffer;
  };
  return {
    columns: train.features.map((col, j) => place(col, heldOut ? undefined : valid.features[j]!)),
    target: place(train.target, heldOut ? undefined : valid.target),
    trainRows,
    validRows,
    datasetRows: n,
  };
}

/** Views of the first `rows` training rows (no copy). */
export function trainingViews(shared: SharedFeatures, rows: number): FeatureViews {
  return { features: shared.columns.map((b) => new Float64Array(b, 0, rows)), target: new Float64Array(shared.target, 0, rows) };
}

/** Views of the validation rows (no copy). */
export function validationViews(shared: SharedFeatures): FeatureViews {
  const offset = shared.trainRows * Float64Array.BYTES_PER_ELEMENT;
  return { features: shared.columns.map((b) => new Float64Array(b, offset, shared.validRows)), target: new Float64Array(shared.target, offset, shared.validRows) };
}
