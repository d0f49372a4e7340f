import { isAbsolute, resolve } from 'node:path';
import { invalidArgument } from '../core/errors.js';
import type { FittedTransform } from '../data/transform.js';
import { loadModel } from '../learn/model-artifact.js';
import { nativePredictor, type PredictionKind, type Predictor } from '../learn/predictor.js';
import { resolveModelRef, type ModelRefDeps } from './model-ref.js';

/** A model ready for batch scoring: its predictor and how DuckDB computes its feature columns. */
export interface BatchModel {
  readonly predictor: Predictor;
  /** Applied in SQL before the features are read; null when the features are input columns as they are. */
  readonly transform: FittedTransform | null;
  /** The feature columns, in the order the predictor takes them. */
  readonly features: readonly string[];
  /** Input columns the model reads. */
  readonly inputs: readonly string[];
  readonly output: PredictionKind;
  /** Class labels by index, when the model knows them. */
  readonly classes: readonly string[] | null;
  /** For the run: the reference as given, and what it resolved to (`flights@3`, a run id, or the ONNX file). */
  readonly ref: string;
  readonly resolved: string;
  /** Predicts feature columns synchronously in this process (Orchard model artifacts); null otherwise (ONNX). */
  readonly predictSync: ((features: readonly Float64Array[]) => Float64Array) | null;
  /** The artifact as JSON, when worker threads may load it (built-in learners); null otherwise. */
  readonly artifactJson: string | null;
  /** The lineage node of the model: its artifact, or the ONNX file. */
  readonly node: { readonly kind: 'model_artifact' | 'source'; readonly id: string };
}

/**
 * An Orchard model by reference (`flights@champion`, `flights@3`, a training run id).
 * @throws OrchardError NOT_FOUND for an unknown model or a learner that is not loaded; INTEGRITY_ERROR for a corrupted artifact.
 */
export async function batchModelOfRef(deps: ModelRefDeps, ref: string): Promise<BatchModel> {
  const resolved = await resolveModelRef(deps, ref);
  const loaded = loadModel(resolved.artifact);
  const predictor = nativePredictor(loaded);
  const a = resolved.artifact;
  return {
    predictor,
    transform: a.transform,
    features: a.transform.features,
    inputs: a.transform.inputs,
    output: a.signature.output,
    classes: a.classes ?? null,
    ref,
    resolved: resolved.version ? `${resolved.version.name}@${resolved.version.version}` : (a.training.runId ?? resolved.digest),
    predictSync: (features) => loaded.predictFeatures(features),
    artifactJson: a.plugin ? null : JSON.stringify(a),
    node: { kind: 'model_artifact', id: resolved.digest },
  };
}

/**
 * Any ONNX model file: Orchard's exports carry their transform (computed in SQL here);
 * other models need named numeric inputs (their input names, or `orchard.feature_names`).
 * @throws OrchardError INVALID_ARGUMENT when the model's inputs cannot be fed from columns.
 */
export async function batchModelOfOnnx(file: string, cwd: string): Promise<BatchModel> {
  const path = isAbsolute(file) ? file : resolve(cwd, file);
  // onnxruntime-node loads only when an ONNX model is scored.
  const { loadOnnxPredictor } = await import('../learn/onnx/onnx-predictor.js');
  const { ONNX_METADATA } = await import('../learn/onnx/export-onnx.js');
  const predictor = await loadOnnxPredictor(path);
  const rawTransform = predictor.metadata[ONNX_METADATA.transform];
  const transform = predictor.layout === 'matrix' && rawTransform ? (JSON.parse(rawTransform) as FittedTransform) : null;
  const features = transform?.features ?? predictor.featureNames;
  if (!features) {
    await predictor.close();
    throw invalidArgument(`${path} takes a [N, F] matrix whose columns are not named; add orchard.feature_names to its metadata_props, or export it with one input per column.`, { model: path });
  }
  const nonNumeric = predictor.layout === 'columns' ? predictor.inputs.filter((i) => !['float32', 'float64', 'int32', 'int64', 'bool'].includes(i.type)) : [];
  if (nonNumeric.length > 0) {
    await predictor.close();
    throw invalidArgument(`${path} has non-numeric inputs (${nonNumeric.map((i) => `${i.name}: ${i.type}`).join(', ')}); batch scoring feeds numeric columns only.`, { model: path });
  }
  const classes = predictor.metadata[ONNX_METADATA.classes];
  return {
    predictor,
    transform,
    features,
    inputs: transform?.inputs ?? features,
    output: predictor.output,
    classes: classes ? (JSON.parse(classes) as string[]) : null,
    ref: path,
    resolved: `file:${path}`,
    predictSync: null,
    artifactJson: null,
    node: { kind: 'source', id: `file:${path}` },
  };
}
