import { OrchardError } from '../../core/errors.js';
import type { Learner } from '../learner.js';
import { fitGbdt, gainImportance, predictGbdt, splitImportance, type GbdtModel } from './gbdt.js';
import type { Tree } from './tree.js';

type SavedTree = Record<keyof Tree, number[]>;

/**
 * The built-in histogram gradient-boosted trees, with scikit-learn's parameter
 * names and defaults (plus `subsample`, `colsample_bytree` and `huber`).
 * `categorical`: `auto` splits features the data marks categorical on category
 * sets; `none` treats their codes as numbers.
 */
export const gbdtLearner: Learner<GbdtModel> = {
  name: 'gbdt',
  tasks: ['binary', 'multiclass', 'regression'],
  defaults: {
    loss: 'squared_error',
    huber_alpha: 0.9,
    learning_rate: 0.1,
    max_iter: 100,
    max_leaf_nodes: 31,
    max_depth: null,
    min_samples_leaf: 20,
    l2_regularization: 0,
    max_bins: 255,
    categorical: 'auto',
    early_stopping: 'auto',
    validation_fraction: 0.1,
    n_iter_no_change: 10,
    random_state: 0,
    subsample: 1,
    colsample_bytree: 1,
    n_threads: null,
  },
  fit(data, task, p, hooks) {
    const int = (k: string, min: number, max: number) => {
      const v = p[k] as number;
      if (!Number.isInteger(v) || v < min || v > max) throw new OrchardError('INVALID_ARGUMENT', `gbdt parameter ${k} must be a whole number from ${min} to ${max}, got ${v}.`);
      return v;
    };
    const oneOf = <T extends string>(k: string, allowed: readonly T[]): T => {
      const v = String(p[k]);
      if (!(allowed as readonly string[]).includes(v)) throw new OrchardError('INVALID_ARGUMENT', `gbdt parameter ${k} must be one of ${allowed.join(', ')}, got ${v}.`);
      return v as T;
    };
    const early = oneOf('early_stopping', ['auto', 'true', 'false']);
    const loss = oneOf('loss', ['squared_error', 'absolute_error', 'huber']);
    const categorical = oneOf('categorical', ['auto', 'none']);
    if (task === 'multiclass' && (data.classes ?? 0) > 1000) {
      throw new OrchardError('INVALID_ARGUMENT', `gbdt grows one tree per class per round; ${data.classes} classes is too many (at most 1000). Group rare classes, or predict a coarser target.`);
    }
    return fitGbdt(
      data.features,
      data.target,
      {
        objective: task,
        loss,
        huberAlpha: Number(p.huber_alpha),
        classes: data.classes ?? 2,
        learningRate: Number(p.learning_rate),
        maxIter: int('max_iter', 1, 100_000),
        maxLeafNodes: int('max_leaf_nodes', 2, 65_535),
        maxDepth: p.max_depth === null ? null : int('max_depth', 1, 64),
        minSamplesLeaf: int('min_samples_leaf', 1, 1e9),
        l2Regularization: Number(p.l2_regularization),
        maxBins: int('max_bins', 2, 255),
        earlyStopping: early === 'auto' ? 'auto' : early === 'true',
        validationFraction: Number(p.validation_fraction),
        nIterNoChange: int('n_iter_no_change', 1, 10_000),
        seed: int('random_state', 0, 2 ** 31),
        subsample: Number(p.subsample),
        colsampleByTree: Number(p.colsample_bytree),
        categoricalFeatures: categorical === 'auto' ? (data.categorical ?? []).flatMap((c, f) => (c ? [f] : [])) : [],
        ...(p.n_threads === null ? {} : { threads: int('n_threads', 1, 2) }),
      },
      hooks.onIteration,
    );
  },
  predict: (model, features) => predictGbdt(model, features),
  importance: (model) => gainImportance(model),
  importanceKinds: (model) => ({ split: splitImportance(model) }),
  save: (model) => ({
    objective: model.objective,
    ...(model.loss ? { loss: model.loss } : {}),
    baseline: model.baseline,
    ...(model.baselines ? { baselines: model.baselines } : {}),
    features: model.features,
    lossHistory: model.lossHistory,
    trees: model.trees.map((t) => Object.fromEntries(Object.entries(t).map(([k, v]) => [k, Array.from(v as ArrayLike<number>)])) as SavedTree),
  }),
  load: (saved) => {
    const s = saved as { objective: GbdtModel['objective']; loss?: GbdtModel['loss']; baseline: number; baselines?: number[]; features: number; lossHistory: number[]; trees: SavedTree[] };
    return {
      objective: s.objective,
      ...(s.loss ? { loss: s.loss } : {}),
      baseline: s.baseline,
      ...(s.baselines ? { baselines: s.baselines } : {}),
      features: s.features,
      lossHistory: s.lossHistory,
      trees: s.trees.map((t) => {
        const nodes = t.feature.length;
        return {
          feature: Int32Array.from(t.feature),
          thresholdBin: Int32Array.from(t.thresholdBin),
          threshold: Float64Array.from(t.threshold),
          missingLeft: Uint8Array.from(t.missingLeft),
          left: Int32Array.from(t.left),
          right: Int32Array.from(t.right),
          value: Float64Array.from(t.value),
          gain: Float64Array.from(t.gain),
          // Models saved before categorical splits have none.
          catStart: t.catStart ? Int32Array.from(t.catStart) : new Int32Array(nodes),
          catCount: t.catCount ? Int32Array.from(t.catCount) : new Int32Array(nodes),
          categories: t.categories ? Float64Array.from(t.categories) : new Float64Array(0),
        };
      }),
    };
  },
};
