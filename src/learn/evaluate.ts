import type { Task } from './learner.js';
import { accuracy, averagePrecision, brierScore, logLoss, mae, mape, precisionRecallF1, r2, rmse, rocAuc } from './metrics.js';

/** The standard metrics of a task on one evaluation set. Binary classes are predicted at p ≥ 0.5. */
export function evaluatePredictions(task: Task, target: Float64Array, predicted: Float64Array): Record<string, number> {
  if (task === 'regression') return { rmse: rmse(target, predicted), mae: mae(target, predicted), r2: r2(target, predicted), mape: mape(target, predicted) };
  const classes = Int32Array.from(predicted, (p) => (p >= 0.5 ? 1 : 0));
  const labels = Int32Array.from(target);
  const prf = precisionRecallF1(labels, classes, 2, 'binary');
  return {
    auc: rocAuc(target, predicted),
    pr_auc: averagePrecision(target, predicted),
    log_loss: logLoss(target, predicted),
    brier: brierScore(target, predicted),
    accuracy: accuracy(labels, classes),
    precision: prf.precision,
    recall: prf.recall,
    f1: prf.f1,
  };
}
