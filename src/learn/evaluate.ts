import type { Task } from './learner.js';
import { accuracy, averagePrecision, brierScore, logLoss, mae, mape, multiclassLogLoss, precisionRecallF1, r2, rmse, rocAuc } from './metrics.js';

/** The most probable class of each row of K probabilities per row (row-major); ties go to the lower class. */
export function argmaxClasses(probabilities: Float64Array, classes: number): Int32Array {
  const out = new Int32Array(probabilities.length / classes);
  for (let i = 0; i < out.length; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (probabilities[i * classes + c]! > probabilities[i * classes + best]!) best = c;
    out[i] = best;
  }
  return out;
}

/**
 * The standard metrics of a task on one evaluation set. Binary classes are
 * predicted at p ≥ 0.5; multiclass ones as the most probable class, with
 * `classes` probabilities per row.
 */
export function evaluatePredictions(task: Task, target: Float64Array, predicted: Float64Array, classes = 2): Record<string, number> {
  if (task === 'regression') return { rmse: rmse(target, predicted), mae: mae(target, predicted), r2: r2(target, predicted), mape: mape(target, predicted) };
  const labels = Int32Array.from(target);
  if (task === 'multiclass') {
    const chosen = argmaxClasses(predicted, classes);
    const macro = precisionRecallF1(labels, chosen, classes, 'macro');
    const weighted = precisionRecallF1(labels, chosen, classes, 'weighted');
    return {
      accuracy: accuracy(labels, chosen),
      log_loss: multiclassLogLoss(labels, predicted, classes),
      precision_macro: macro.precision,
      recall_macro: macro.recall,
      f1_macro: macro.f1,
      f1_weighted: weighted.f1,
    };
  }
  const chosen = Int32Array.from(predicted, (p) => (p >= 0.5 ? 1 : 0));
  const prf = precisionRecallF1(labels, chosen, 2, 'binary');
  return {
    auc: rocAuc(target, predicted),
    pr_auc: averagePrecision(target, predicted),
    log_loss: logLoss(target, predicted),
    brier: brierScore(target, predicted),
    accuracy: accuracy(labels, chosen),
    precision: prf.precision,
    recall: prf.recall,
    f1: prf.f1,
  };
}
