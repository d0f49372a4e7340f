import { OrchardError } from '../core/errors.js';
import { loadModel } from '../learn/model-artifact.js';
import { nativePredictor, type Predictor } from '../learn/predictor.js';
import { validateInputs, type InputSignature } from './input-validation.js';
import { MicroBatcher, type MicroBatcherOptions } from './micro-batcher.js';
import { formatModelRef, resolveModelRef, type ModelRefDeps, type ResolvedModel } from './model-ref.js';
import type { Rows } from './request-formats.js';

/** Predictions of a batch of rows in the shape every response and the log use. */
export interface Predictions {
  /** Probability of class 1 (binary), the value (regression), or the most probable class's index (multiclass). */
  readonly predictions: number[];
  /** The predicted class's label (classification), else null. */
  readonly labels: string[] | null;
  /** Every class's probability per row (classification), else null. */
  readonly probabilities: number[][] | null;
}

/**
 * One model version loaded for serving: the artifact verified against its digest, its learner
 * state loaded, warmed by one prediction, behind its own micro-batcher. `predict` validates
 * rows against the signature first, so the server and the embedded predictor share one path.
 */
export class ServedModel {
  readonly resolved: ResolvedModel;
  readonly predictor: Predictor;
  readonly batcher: MicroBatcher<Record<string, unknown>>;
  /** The registered name (or run id) and version, as responses and the log name them. */
  readonly model: string;
  readonly version: number | null;
  readonly digest: string;
  readonly signature: InputSignature;

  private constructor(resolved: ResolvedModel, predictor: Predictor, batching: MicroBatcherOptions) {
    this.resolved = resolved;
    this.predictor = predictor;
    this.model = resolved.version?.name ?? (resolved.ref.kind === 'run' ? resolved.ref.runId : formatModelRef(resolved.ref));
    this.version = resolved.version?.version ?? null;
    this.digest = resolved.digest;
    this.signature = resolved.artifact.signature.inputs;
    this.batcher = new MicroBatcher(batching, (rows) => predictor.predict(rows), () => predictor.width);
  }

  /**
   * Resolves `ref` now (an alias is read at this moment), verifies and loads the artifact,
   * and warms it with one prediction.
   * @throws OrchardError NOT_FOUND (model, alias, learner), INTEGRITY_ERROR (corrupted artifact), INVALID_ARGUMENT.
   */
  static async load(deps: ModelRefDeps, ref: string, batching: MicroBatcherOptions): Promise<ServedModel> {
    const resolved = await resolveModelRef(deps, ref);
    return ServedModel.fromResolved(resolved, batching);
  }

  static async fromResolved(resolved: ResolvedModel, batching: MicroBatcherOptions): Promise<ServedModel> {
    let predictor: Predictor;
    try {
      predictor = nativePredictor(loadModel(resolved.artifact));
    } catch (cause) {
      if (cause instanceof OrchardError && cause.code === 'NOT_FOUND') throw cause;
      throw new OrchardError('INTEGRITY_ERROR', `The model artifact ${resolved.digest.slice(0, 19)}… of ${formatModelRef(resolved.ref)} cannot be loaded (${(cause as Error).message}); register a version made by orchard train, or restore the artifact.`, { cause, details: { digest: resolved.digest } });
    }
    const served = new ServedModel(resolved, predictor, batching);
    // The first call compiles the prediction code paths; do it before traffic arrives.
    const out = await predictor.predict([warmRow(served.signature)]);
    if (out.length !== predictor.width) throw new OrchardError('INTEGRITY_ERROR', `The model ${served.model} version ${served.version ?? '-'} gave ${out.length} numbers for one row (expected ${predictor.width}); its artifact is damaged.`);
    return served;
  }

  /** Validates rows against the signature and predicts them through the micro-batcher. */
  async predict(rows: Rows, timeoutMs?: number): Promise<{ rows: Rows; predictions: Predictions }> {
    const valid = validateInputs(this.signature, rows);
    const raw = await this.batcher.submit(valid, timeoutMs);
    return { rows: valid, predictions: this.shape(raw, valid.length) };
  }

  /** Predictions of already validated rows. */
  async predictValid(rows: Rows, timeoutMs?: number): Promise<Predictions> {
    return this.shape(await this.batcher.submit(rows, timeoutMs), rows.length);
  }

  /** Orchard's shape from the predictor's numbers: probabilities and labels for classifiers. */
  shape(raw: Float64Array, n: number): Predictions {
    const output = this.resolved.artifact.signature.output;
    const classes = this.resolved.artifact.classes;
    if (output === 'value') return { predictions: Array.from(raw), labels: null, probabilities: null };
    if (output === 'probability') {
      const predictions = Array.from(raw);
      const labels = predictions.map((p) => (classes ? classes[p >= 0.5 ? 1 : 0]! : p >= 0.5 ? '1' : '0'));
      return { predictions, labels, probabilities: predictions.map((p) => [1 - p, p]) };
    }
    const k = raw.length / Math.max(n, 1);
    const predictions: number[] = [];
    const labels: string[] = [];
    const probabilities: number[][] = [];
    for (let r = 0; r < n; r++) {
      const p = Array.from(raw.subarray(r * k, r * k + k));
      let best = 0;
      for (let j = 1; j < k; j++) if (p[j]! > p[best]!) best = j;
      predictions.push(best);
      labels.push(classes?.[best] ?? String(best));
      probabilities.push(p);
    }
    return { predictions, labels, probabilities };
  }

  /** Refuses new rows, waits for those in flight, frees the predictor. */
  async close(): Promise<void> {
    this.batcher.close();
    await this.batcher.idle();
    await this.predictor.close();
  }
}

function warmRow(signature: InputSignature): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  for (const c of signature) row[c.name] = null;
  return row;
}
