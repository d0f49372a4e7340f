import { invalidArgument } from '../../core/errors.js';
import type { ModelArtifact } from '../model-artifact.js';
import { gbdtConverter, linearConverter, type OnnxConverter } from './learner-converters.js';
import { OnnxGraph, type Dim } from './onnx-graph.js';

/**
 * The ONNX form of an Orchard model artifact.
 *
 * Input `features`: double [N, F], the transformed feature matrix (the
 * artifact's `transform.features`, in that order; NaN = missing). Output, double:
 * `probability` [N] (binary: of class 1), `probabilities` [N, K] (multiclass), or
 * `value` [N] (regression). The fitted transform and the rest of the artifact
 * travel in `metadata_props` under `orchard.*` keys, so Orchard's ONNX predictor
 * can take raw rows.
 *
 * Opsets: ONNX 21 and ai.onnx.ml 5 (IR version 10), for the TreeEnsemble
 * operator, whose split values, leaf weights and output are double: trees
 * route a row exactly as Orchard does (ONNX Runtime 1.19 or later).
 */
export const ONNX_INPUT = 'features';
export const ONNX_IR_VERSION = 10;
export const ONNX_OPSETS: Readonly<Record<string, number>> = Object.freeze({ '': 21, 'ai.onnx.ml': 5 });

/** Keys Orchard writes into an exported model's `metadata_props`. */
export const ONNX_METADATA = Object.freeze({
  format: 'orchard.onnx_format',
  featureNames: 'orchard.feature_names',
  output: 'orchard.output',
  classes: 'orchard.classes',
  learner: 'orchard.learner',
  task: 'orchard.task',
  signature: 'orchard.signature',
  transform: 'orchard.transform',
  training: 'orchard.training',
  params: 'orchard.params',
  metrics: 'orchard.metrics',
});

export interface TensorInfo {
  readonly name: string;
  readonly type: 'double';
  readonly shape: readonly Dim[];
}

export interface OnnxModel {
  /** The ONNX `ModelProto` bytes. */
  readonly bytes: Uint8Array;
  readonly input: TensorInfo;
  readonly output: TensorInfo;
  readonly featureNames: readonly string[];
}

const converters = new Map<string, OnnxConverter>([
  ['gbdt', gbdtConverter],
  ['linear', linearConverter],
  ['logistic', linearConverter],
]);

/** Learners whose models can be exported to ONNX. */
export function onnxExportableLearners(): string[] {
  return [...converters.keys()];
}

/**
 * Converts a model artifact to ONNX (pure: no I/O).
 * @throws OrchardError `INVALID_ARGUMENT` for a learner without an ONNX converter or a task it cannot export yet.
 */
export function exportOnnx(artifact: ModelArtifact, options: { producerVersion?: string } = {}): OnnxModel {
  const convert = converters.get(artifact.learner);
  if (!convert) {
    throw invalidArgument(`Models of learner '${artifact.learner}' cannot be exported to ONNX; the learners with an ONNX converter are ${onnxExportableLearners().join(', ')}.`, { learner: artifact.learner });
  }
  const featureNames = artifact.transform.features;
  const graph = new OnnxGraph(`orchard_${artifact.learner}_${artifact.task}`);
  const input = graph.input(ONNX_INPUT, 'double', ['N', featureNames.length]);
  const { value, width } = convert(artifact, graph, input, featureNames.length);
  const name = artifact.signature.output;
  const shape: Dim[] = name === 'probabilities' ? ['N', width] : ['N'];
  if (name === 'probabilities') graph.node('Identity', [value], [`=${name}`]);
  else graph.node('Reshape', [value, graph.constant('flat', { type: 'int64', dims: [1], data: BigInt64Array.of(-1n) })], [`=${name}`]);
  graph.output(name, 'double', shape);

  const metadata: Record<string, string> = {
    [ONNX_METADATA.format]: '1',
    [ONNX_METADATA.featureNames]: JSON.stringify(featureNames),
    [ONNX_METADATA.output]: name,
    ...(artifact.classes ? { [ONNX_METADATA.classes]: JSON.stringify(artifact.classes) } : {}),
    [ONNX_METADATA.learner]: artifact.learner,
    [ONNX_METADATA.task]: artifact.task,
    [ONNX_METADATA.signature]: JSON.stringify(artifact.signature),
    [ONNX_METADATA.transform]: JSON.stringify(artifact.transform),
    [ONNX_METADATA.training]: JSON.stringify(artifact.training),
    [ONNX_METADATA.params]: JSON.stringify(artifact.params),
    [ONNX_METADATA.metrics]: JSON.stringify(artifact.metrics),
  };
  const bytes = graph.toModel({
    irVersion: ONNX_IR_VERSION,
    opsets: ONNX_OPSETS,
    producerVersion: options.producerVersion ?? '',
    docString: `Orchard ${artifact.learner} model (${artifact.task}) predicting ${artifact.signature.target}. Input ${ONNX_INPUT}: double [N, ${featureNames.length}], features ${featureNames.join(', ')} (NaN = missing).`,
    metadata,
  });
  return { bytes, input: { name: input, type: 'double', shape: ['N', featureNames.length] }, output: { name, type: 'double', shape }, featureNames };
}
