import { writeFile } from 'node:fs/promises';
import { invalidArgument, OrchardError } from '../../core/errors.js';
import { parseTransformSpec, type TransformSpec } from '../../data/transform.js';
import type { Task } from '../../learn/learner.js';
import { step } from '../step.js';
import { types, type JsonValue } from '../types.js';

/**
 * The seed's training and evaluation stages as steps, over TrainService, TuneService and
 * EvaluationService. A model travels between steps as the id of the run that stored it
 * (a training or tuning run); `model` outputs also carry the model artifact as a file.
 */

const TASKS: readonly string[] = ['', 'binary', 'multiclass', 'regression'];

/** `{}` means the default features; anything else must be a transform spec. */
function featuresOf(value: JsonValue, step: string): TransformSpec | undefined {
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length === 0) return undefined;
  return parseTransformSpec(value, `The ${step} step's features param`);
}

function objectParam(value: JsonValue, what: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalidArgument(`${what} must be an object such as { max_iter: 200 }, got ${JSON.stringify(value)}.`);
  return value as Record<string, unknown>;
}

function needTarget(target: string, step: string): void {
  if (target === '') throw new OrchardError('INVALID_ARGUMENT', `The ${step} step needs the target: params: { target: 'delayed=delay > 15' } (a column, or name=expression).`);
}

/**
 * Trains a model on a dataset version (and scores it on `test`, '' for none). Outputs the
 * training run's id, the model artifact's digest and file, and the metrics (`test_*` on `test`).
 * @example p.step(steps.train, { inputs: { train: s.outputs.train, test: s.outputs.test }, params: { target: 'delayed=delay > 15', learner: 'gbdt' } })
 */
export const train = step({
  name: 'train',
  description: 'Train a model on a dataset version',
  inputs: { train: types.string, test: types.string },
  outputs: { runId: types.string, digest: types.string, metrics: types.json<Record<string, number>>(), model: types.file('model') },
  params: { target: '', learner: 'gbdt', params: {} as JsonValue, features: {} as JsonValue, task: '', experiment: '' },
  run: async ({ inputs, outputs, params, actor, log, orchard }) => {
    needTarget(params.target, 'train');
    if (!TASKS.includes(params.task)) throw invalidArgument(`task '${params.task}' is unknown; use binary, multiclass, regression, or '' to infer it.`);
    const learnerParams = objectParam(params.params, "The train step's params param");
    const features = featuresOf(params.features, 'train');
    const platform = await orchard();
    const r = await platform.training.train(actor, {
      data: inputs.train,
      test: inputs.test === '' ? undefined : inputs.test,
      target: params.target,
      learner: params.learner,
      params: learnerParams,
      features,
      task: params.task === '' ? undefined : (params.task as Task),
      experiment: params.experiment === '' ? undefined : params.experiment,
    });
    await writeFile(outputs.model, await platform.content.read(r.digest));
    log.metrics(r.metrics);
    log.tag('orchard.model_run', r.runId);
    return { runId: r.runId, digest: r.digest, metrics: r.metrics };
  },
});

/**
 * Searches a learner's params (grid and random specs as for `orchard tune`, optionally by
 * successive halving) and refits the best; outputs the tuning run (which holds the model),
 * the model's digest and file, the best params and the metrics.
 * @example p.step(steps.tune, { inputs: { train: s.outputs.train }, params: { target: 'delayed=delay > 15', grid: ['max_depth=4,6'], random: ['learning_rate=loguniform:0.01:0.3'], trials: 8 } })
 */
export const tune = step({
  name: 'tune',
  description: "Search a learner's params and refit the best",
  inputs: { train: types.string },
  outputs: { runId: types.string, digest: types.string, bestParams: types.json<Record<string, JsonValue>>(), metrics: types.json<Record<string, number>>(), model: types.file('model') },
  params: { target: '', learner: 'gbdt', params: {} as JsonValue, grid: [] as string[], random: [] as string[], trials: 0, halving: false, metric: '', validFraction: 0.2, seed: 0, features: {} as JsonValue, experiment: '' },
  run: async ({ inputs, outputs, params, actor, log, orchard }) => {
    needTarget(params.target, 'tune');
    if (params.grid.length === 0 && params.random.length === 0) throw invalidArgument("The tune step needs a search space: params: { grid: ['max_depth=4,6'] } and/or { random: ['learning_rate=loguniform:0.01:0.3'], trials: 10 }.");
    const platform = await orchard();
    const r = await platform.tuning.tune(actor, {
      data: inputs.train,
      target: params.target,
      learner: params.learner,
      params: objectParam(params.params, "The tune step's params param"),
      grid: params.grid,
      random: params.random,
      trials: params.trials === 0 ? undefined : params.trials,
      halving: params.halving ? {} : undefined,
      metric: params.metric === '' ? undefined : params.metric,
      validFraction: params.validFraction,
      seed: params.seed,
      features: featuresOf(params.features, 'tune'),
      experiment: params.experiment === '' ? undefined : params.experiment,
    });
    await writeFile(outputs.model, await platform.content.read(r.digest));
    log.metrics(r.metrics);
    log.tag('orchard.model_run', r.runId);
    return { runId: r.runId, digest: r.digest, bestParams: { ...r.bestParams }, metrics: r.metrics };
  },
});

/** The metric that ranks models of a task: AUC (binary), accuracy (multiclass), RMSE (regression). */
export function primaryMetric(metrics: Readonly<Record<string, number>>): { name: string; value: number } {
  for (const name of ['auc', 'accuracy', 'rmse']) if (metrics[name] !== undefined) return { name, value: metrics[name] };
  const [name, value] = Object.entries(metrics)[0] ?? ['', Number.NaN];
  return { name, value };
}

/**
 * Scores a model (a training or tuning run id) on a dataset version, optionally per slice of
 * a column. Outputs the evaluation run, every metric, and the primary one (`score`: AUC,
 * accuracy or RMSE by task) for conditions such as `when: ev.outputs.score.gte(0.7)`.
 * @example p.step(steps.evaluate, { inputs: { model: t.outputs.runId, data: s.outputs.test }, params: { sliceBy: 'origin' } })
 */
export const evaluate = step({
  name: 'evaluate',
  description: 'Evaluate a model on a dataset version',
  inputs: { model: types.string, data: types.string },
  outputs: { runId: types.string, metrics: types.json<Record<string, number>>(), score: types.number, metric: types.string },
  params: { sliceBy: '' },
  run: async ({ inputs, params, actor, log, orchard }) => {
    const platform = await orchard();
    const r = await platform.evaluation.evaluate(actor, { model: inputs.model, data: inputs.data, sliceBy: params.sliceBy === '' ? undefined : params.sliceBy });
    const primary = primaryMetric(r.metrics);
    log.metrics(r.metrics);
    log.tag('orchard.evaluation_run', r.runId);
    return { runId: r.runId, metrics: r.metrics, score: primary.value, metric: primary.name };
  },
});
