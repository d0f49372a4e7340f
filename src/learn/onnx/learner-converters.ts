import { invalidArgument } from '../../core/errors.js';
import { gbdtLearner } from '../gbdt/gbdt-learner.js';
import type { Task } from '../learner.js';
import { linearLearner, type LinearModelState } from '../linear/linear-learner.js';
import type { ModelArtifact } from '../model-artifact.js';
import type { OnnxGraph } from './onnx-graph.js';
import { treeEnsembleAttributes } from './tree-ensemble.js';

/**
 * Turns a model artifact's learner state into ONNX nodes: from `input`, the
 * transformed feature matrix (double, [N, F]), to Orchard's prediction as a
 * double [N, width] value — probabilities after the link function, or values.
 */
export type OnnxConverter = (artifact: ModelArtifact, graph: OnnxGraph, input: string, features: number) => { readonly value: string; readonly width: number };

/** Scores → predictions: sigmoid (binary), softmax over classes (multiclass), nothing (regression). */
function link(graph: OnnxGraph, scores: string, task: Task): string {
  if (task === 'binary') return graph.node('Sigmoid', [scores], ['sigmoid'])[0]!;
  if (task === 'multiclass') return graph.node('Softmax', [scores], ['softmax'], { axis: { int: 1 } })[0]!;
  return scores;
}

const double = (values: readonly number[], dims: readonly number[] = [values.length]) => ({ type: 'double' as const, dims, data: Float64Array.from(values) });

/**
 * gbdt: one TreeEnsemble node summing every tree into its target column, plus
 * the baseline, then the link. Each tree carries its target, so multiclass
 * (tree t adds to class t % K, a baseline per class, softmax) only needs the
 * state to say K and hold K baselines.
 */
export const gbdtConverter: OnnxConverter = (artifact, graph, input, features) => {
  const model = gbdtLearner.load(artifact.state);
  if (model.features !== features) throw invalidArgument(`The gbdt model takes ${model.features} features but its transform makes ${features}; the artifact is inconsistent.`);
  const baselines = model.baselines ?? [model.baseline];
  const targets = baselines.length;
  const trees = model.trees.map((tree, t) => ({ tree, target: t % targets }));
  const [sums] = graph.node('TreeEnsemble', [input], ['tree_sums'], treeEnsembleAttributes(trees, targets, features), 'ai.onnx.ml');
  const baseline = graph.constant('baseline', double(baselines));
  const [scores] = graph.node('Add', [sums!, baseline], ['scores']);
  return { value: link(graph, scores!, artifact.task), width: targets };
};

/**
 * linear and logistic: Orchard's `intercept + Σ w_j / scale_j · (x_j − mean_j)`
 * with a missing x_j contributing 0 (imputed at the training mean), as
 * Sub → Where(IsNaN) → MatMul → Add → link, in double.
 */
export const linearConverter: OnnxConverter = (artifact, graph, input, features) => {
  const state = linearLearner.load(artifact.state) as LinearModelState;
  if (state.mean.length !== features) throw invalidArgument(`The ${artifact.learner} model takes ${state.mean.length} features but its transform makes ${features}; the artifact is inconsistent.`);
  // One column of coefficients per score (K for multinomial), the same division
  // Orchard's predictLinear does, so the products match bit for bit.
  const weights = state.task === 'multiclass' ? state.classWeights : [state.weights];
  const intercepts = state.task === 'multiclass' ? state.classIntercepts : [state.intercept];
  const width = intercepts.length;
  const matrix: number[] = [];
  for (let j = 0; j < features; j++) for (let k = 0; k < width; k++) matrix.push(weights[k]![j]! / state.scale[j]!);
  const mean = graph.constant('mean', double(state.mean, [1, features]));
  const coefficients = graph.constant('coefficients', double(matrix, [features, width]));
  const zero = graph.constant('zero', double([0], []));
  const intercept = graph.constant('intercept', double(intercepts, [width]));
  const [centred] = graph.node('Sub', [input, mean], ['centred']);
  const [missing] = graph.node('IsNaN', [input], ['missing']);
  const [imputed] = graph.node('Where', [missing!, zero, centred!], ['imputed']);
  const [product] = graph.node('MatMul', [imputed!, coefficients], ['product']);
  const [scores] = graph.node('Add', [product!, intercept], ['scores']);
  return { value: link(graph, scores!, artifact.task), width };
};
