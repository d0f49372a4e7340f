import { OrchardError } from '../../core/errors.js';
import type { Learner } from '../learner.js';
import { fitGbdt, gainImportance, predictGbdt, type GbdtModel } from './gbdt.js';
import type { Tree } from './tree.js';

/** The built-in histogram gradient-boosted trees, with scikit-learn's parameter names and defaults. */
export const gbdtLearner: Learner<GbdtModel> = {
  name: 'gbdt',
  tasks: ['binary', 'regression'],
  defaults: {
    learning_rate: 0.1,
    max_iter: 100,
    max_leaf_nodes: 31,
    max_depth: null,
    min_samples_leaf: 20,
    l2_regularization: 0,
    max_bins: 255,
    early_stopping: 'auto',
    validation_fraction: 0.1,
    n_iter_no_change: 10,
    random_state: 0,
    subsample: 1,
    colsample_bytree: 1,
  },
  fit(data, task, p, hooks) {
    const int = (k: string, min: number, max: number) => {
      const v = p[k] as number;
      if (!Number.isInteger(v) || v < min || v > max) throw new OrchardError('INVALID_ARGUMENT', `gbdt parameter ${k} must be a whole number from ${min} to ${max}, got ${v}.`);
      return v;
    };
    const early = String(p.early_stopping);
    if (!['auto', 'true', 'false'].includes(early)) throw new OrchardError('INVALID_ARGUMENT', `gbdt parameter early_stopping must be auto, true or false, got ${early}.`);
    if (task === 'multiclass') throw new OrchardError('INVALID_ARGUMENT', 'gbdt does not do multiclass yet; use a binary or numeric target.');
    return fitGbdt(
      data.features,
      data.target,
      {
        objective: task,
        learningRate: Number(p.learning_rate),
        maxIter: int('max_iter', 1, 100_000),
        maxLeafNodes: int('max_leaf_nodes', 2, 65_536),
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
      },
      hooks.onIteration,
    );
  },
  predict: (model, features) => predictGbdt(model, features),
  importance: (model) => gainImportance(model),
  save: (model) => ({
    objective: model.objective,
    baseline: model.baseline,
    features: model.features,
    lossHistory: model.lossHistory,
    trees: model.trees.map((t) => ({
      feature: [...t.feature],
      thresholdBin: [...t.thresholdBin],
      threshold: [...t.threshold],
      missingLeft: [...t.missingLeft],
      left: [...t.left],
      right: [...t.right],
      value: [...t.value],
      gain: [...t.gain],
    })),
  }),
  load: (saved) => {
    const s = saved as { objective: GbdtModel['objective']; baseline: number; features: number; lossHistory: number[]; trees: Record<keyof Tree, number[]>[] };
    return {
      objective: s.objective,
      baseline: s.baseline,
      features: s.features,
      lossHistory: s.lossHistory,
      trees: s.trees.map((t) => ({
        feature: Int32Array.from(t.feature),
        thresholdBin: Int32Array.from(t.thresholdBin),
        threshold: Float64Array.from(t.threshold),
        missingLeft: Uint8Array.from(t.missingLeft),
        left: Int32Array.from(t.left),
        right: Int32Array.from(t.right),
        value: Float64Array.from(t.value),
        gain: Float64Array.from(t.gain),
      })),
    };
  },
};
