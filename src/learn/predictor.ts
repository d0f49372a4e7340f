import type { LoadedModel } from './model-artifact.js';

/** What a predictor returns per row: a probability of class 1, K class probabilities, or value(s). */
export type PredictionKind = 'probability' | 'probabilities' | 'value';

/**
 * A model ready to predict, whatever its format: Orchard's own model artifact
 * (`nativePredictor`) or any ONNX model (`loadOnnxPredictor`). Serving and batch
 * scoring talk to this port only.
 *
 * Predictions come back in Orchard's shape: one number per row, or `width`
 * numbers per row, row-major (K class probabilities for `probabilities`).
 */
export interface Predictor {
  readonly format: 'orchard' | 'onnx';
  readonly output: PredictionKind;
  /** Numbers per row in the result: 1, or K for `probabilities`. Known after load for Orchard models, after the first prediction otherwise. */
  readonly width: number;
  /** The feature columns `predictFeatures` takes, in order, when known. */
  readonly featureNames: readonly string[] | null;
  /**
   * Predicts rows given as objects of input columns (raw inputs; the model's
   * transform, when it has one, is applied first).
   * @throws OrchardError `INVALID_ARGUMENT` listing every row value that cannot be fed to the model.
   */
  predict(rows: readonly Readonly<Record<string, unknown>>[]): Promise<Float64Array>;
  /**
   * Predicts from feature columns already transformed (one array per feature, equal lengths).
   * @throws OrchardError `INVALID_ARGUMENT` when the number or lengths of the columns do not fit.
   */
  predictFeatures(features: readonly ArrayLike<number>[]): Promise<Float64Array>;
  /** Frees what the predictor holds (an ONNX Runtime session); it cannot predict afterwards. */
  close(): Promise<void>;
}

/** The port over a loaded Orchard model artifact: the same predictions as `LoadedModel`, asynchronously. */
export function nativePredictor(model: LoadedModel): Predictor {
  const output = model.artifact.signature.output;
  return {
    format: 'orchard',
    output,
    width: output === 'probabilities' ? (model.artifact.classes?.length ?? 1) : 1,
    featureNames: model.artifact.transform.features,
    predict: async (rows) => model.predict(rows),
    predictFeatures: async (features) => model.predictFeatures(features),
    close: async () => {},
  };
}
