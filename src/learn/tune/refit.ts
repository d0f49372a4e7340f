import type { ContentStore } from '../../artifacts/content-store.js';
import type { Clock } from '../../core/clock.js';
import type { FittedTransform } from '../../data/transform.js';
import type { ColumnSchema } from '../../data/types.js';
import type { MetadataStore } from '../../metadata/metadata-store.js';
import type { ArtifactService } from '../../tracking/artifact-service.js';
import type { Actor, TrackingService } from '../../tracking/tracking-service.js';
import { evaluatePredictions } from '../evaluate.js';
import type { Learner, Task } from '../learner.js';
import type { ModelArtifact } from '../model-artifact.js';
import { storeModelArtifact } from '../train-service.js';
import type { ParamValue } from './search-space.js';
import { trainingViews, validationViews, type SharedFeatures } from './shared-features.js';

export interface RefitInput {
  readonly runId: string;
  readonly learner: Learner;
  readonly task: Task;
  readonly params: Readonly<Record<string, ParamValue>>;
  readonly fitted: FittedTransform;
  readonly columns: readonly ColumnSchema[];
  /** The target's name, and its text as given (a column or `name=expression`). */
  readonly target: string;
  readonly targetText: string;
  readonly dataset: string;
  /** The validation version, when one was given: the refitted model is scored on it. */
  readonly validRef?: string;
  readonly shared: SharedFeatures;
}

/**
 * Refits the best parameters on every row of the training version (as
 * scikit-learn's `refit=True`) and stores the model as the tuning run's
 * `model/model.json`: the same artifact, checks and lineage as `orchard train`.
 * Logs the loss per iteration; returns the train_ (and valid_) metrics.
 */
export async function refitBest(
  deps: { readonly tracking: TrackingService; readonly content: ContentStore; readonly artifacts: ArtifactService; readonly store: MetadataStore; readonly clock: Clock },
  actor: Actor,
  input: RefitInput,
): Promise<{ artifact: ModelArtifact; digest: string; metrics: Record<string, number> }> {
  const { learner: l, task, shared, runId } = input;
  const all = trainingViews(shared, shared.datasetRows);
  const losses: { key: string; value: number; step: number }[] = [];
  const started = deps.clock.now();
  const state = await l.fit({ features: all.features, featureNames: input.fitted.features, target: all.target }, task, input.params, {
    onIteration: (iteration, loss) => losses.push({ key: 'loss', value: loss, step: iteration }),
  });
  const metrics: Record<string, number> = { train_seconds: (deps.clock.now() - started) / 1000, train_rows: shared.datasetRows };
  const predictTrain = l.predict(state, all.features);
  for (const [k, v] of Object.entries(evaluatePredictions(task, all.target, predictTrain))) metrics[`train_${k}`] = v;
  if (input.validRef) {
    const valid = validationViews(shared);
    for (const [k, v] of Object.entries(evaluatePredictions(task, valid.target, l.predict(state, valid.features)))) metrics[`valid_${k}`] = v;
    metrics.valid_rows = shared.validRows;
  }
  const artifact: ModelArtifact = {
    orchardModel: 1,
    learner: l.name,
    task,
    params: input.params,
    signature: {
      inputs: input.fitted.inputs.map((name) => ({ name, kind: input.columns.find((c) => c.name === name)?.kind ?? 'numeric' })),
      target: input.target,
      output: task === 'binary' ? 'probability' : 'value',
    },
    transform: input.fitted,
    state: l.save(state),
    training: { dataset: input.dataset, target: input.targetText, rows: shared.datasetRows, runId, trainedAt: deps.clock.now() },
    metrics,
  };
  const { digest } = await storeModelArtifact(deps, actor, runId, artifact, { features: all.features, predictions: predictTrain }, [input.dataset, ...(input.validRef ? [input.validRef] : [])]);
  for (let i = 0; i < losses.length; i += 1000) await deps.tracking.logBatch(actor, runId, { metrics: losses.slice(i, i + 1000) });
  return { artifact, digest, metrics };
}
