import type { ColumnKind } from '../data/types.js';
import { transformRows, type FittedTransform } from '../data/transform.js';
import { OrchardError } from '../core/errors.js';
import { findLearner, learnerNames, type LearnerOrigin, type Task } from './learner.js';

/**
 * The model artifact, version 1: one JSON document holding everything needed to
 * predict — the fitted transform (so preprocessing travels with the model), the
 * learner's state, the signature (inputs and output), and how it was trained.
 * Loading it gives bit-identical predictions: numbers are stored as JSON's
 * shortest round-trip decimal form.
 */
export interface ModelArtifact {
  readonly orchardModel: 1;
  readonly learner: string;
  /** The plugin that registered the learner (absent for built-in learners): loading the model needs it loaded. */
  readonly plugin?: LearnerOrigin;
  readonly task: Task;
  readonly params: Readonly<Record<string, number | string | boolean | null>>;
  readonly signature: {
    readonly inputs: readonly { readonly name: string; readonly kind: ColumnKind }[];
    readonly target: string;
    /** `probability` of class 1 (binary), `probabilities` of each class (multiclass), or a `value`. */
    readonly output: 'probability' | 'probabilities' | 'value';
  };
  /** Multiclass only: the target's value for each class index, in order. */
  readonly classes?: readonly string[];
  readonly transform: FittedTransform;
  readonly state: unknown;
  /** `target` is as given to training: a column, or `name=expression`. */
  readonly training: { readonly dataset: string; readonly target: string; readonly rows: number; readonly runId: string | null; readonly trainedAt: number };
  readonly metrics: Readonly<Record<string, number>>;
}

/** Parses a stored artifact, checking its format version. */
export function readModelArtifact(json: string, where: string): ModelArtifact {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (cause) {
    throw new OrchardError('INTEGRITY_ERROR', `The model artifact ${where} is not valid JSON (${(cause as Error).message}).`, { cause });
  }
  const a = parsed as Partial<ModelArtifact>;
  if (a?.orchardModel !== 1) throw new OrchardError('INVALID_ARGUMENT', `${where} is not an Orchard model artifact of format 1 (orchardModel is ${JSON.stringify(a?.orchardModel)}).`);
  return a as ModelArtifact;
}

/** A loaded model: predicts rows (objects) through the same code in training, batch and serving. */
export interface LoadedModel {
  readonly artifact: ModelArtifact;
  /** As `Learner.predict`: one probability or value per row, or K class probabilities per row (multiclass, row-major). */
  predict(rows: readonly Readonly<Record<string, unknown>>[]): Float64Array;
  /** The same, from feature columns already transformed. */
  predictFeatures(features: readonly ArrayLike<number>[]): Float64Array;
}

/**
 * Loads an artifact's learner state.
 * @throws OrchardError `NOT_FOUND` when its learner is not registered, naming the plugin it came from and how to load it.
 */
export function loadModel(artifact: ModelArtifact): LoadedModel {
  const l = findLearner(artifact.learner);
  if (!l) throw missingLearner(artifact);
  const state = l.load(artifact.state);
  return {
    artifact,
    predict: (rows) => l.predict(state, transformRows(artifact.transform, rows)),
    predictFeatures: (features) => l.predict(state, features),
  };
}

function missingLearner(artifact: ModelArtifact): OrchardError {
  const details = { learner: artifact.learner, plugin: artifact.plugin };
  if (artifact.plugin) {
    const { path, digest } = artifact.plugin;
    return new OrchardError(
      'NOT_FOUND',
      `The model needs learner '${artifact.learner}' from plugin ${path} (bundle sha256:${digest.slice(0, 12)}…), which is not loaded; load it with --plugin ${path}, or list it under "plugins" in the Orchard config (<home>/config.json) or in ORCHARD_PLUGINS.`,
      { details },
    );
  }
  return new OrchardError('NOT_FOUND', `The model needs learner '${artifact.learner}', which is not registered (known learners: ${learnerNames().join(', ')}); load the plugin that provides it with --plugin <file> or the "plugins" list of the Orchard config.`, { details });
}
