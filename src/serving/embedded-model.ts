import type { MicroBatcherOptions } from './micro-batcher.js';
import type { ModelRefDeps } from './model-ref.js';
import { validateInputs, type InputSignature } from './input-validation.js';
import type { Rows } from './request-formats.js';
import { ServedModel, type Predictions } from './served-model.js';
import { DEFAULT_BATCHING } from './endpoint-spec.js';

/** A model loaded into a Node application, answering as an endpoint does. */
export interface EmbeddedModel {
  /** Registered name (or run id), version (null for a run) and artifact digest. */
  readonly name: string;
  readonly version: number | null;
  readonly digest: string;
  readonly signature: InputSignature;
  /**
   * Validates rows against the signature (the server's checks and messages) and predicts them.
   * @throws OrchardError INVALID_ARGUMENT listing every issue by row and column.
   */
  predict(rows: Rows): Promise<Predictions>;
  close(): Promise<void>;
}

export interface LoadModelOptions {
  /**
   * Gather concurrent `predict` calls into micro-batches (the server's batcher), or `false`
   * to predict each call at once (default).
   */
  readonly batching?: Partial<MicroBatcherOptions> | false;
}

/**
 * Loads `ref` (`flights@champion`, `flights@3`, a run id) as the server does: artifact verified
 * against its digest, learner loaded, warmed. The alias is read once; load again to follow it.
 */
export async function loadEmbeddedModel(deps: ModelRefDeps, ref: string, options: LoadModelOptions = {}): Promise<EmbeddedModel> {
  const batching = options.batching ? { ...DEFAULT_BATCHING, ...options.batching } : DEFAULT_BATCHING;
  const served = await ServedModel.load(deps, ref, batching);
  const direct = options.batching === undefined || options.batching === false;
  return {
    name: served.model,
    version: served.version,
    digest: served.digest,
    signature: served.signature,
    predict: async (rows) => {
      if (!direct) return (await served.predict(rows)).predictions;
      const valid = validateInputs(served.signature, rows);
      return served.shape(await served.predictor.predict(valid), valid.length);
    },
    close: () => served.close(),
  };
}
