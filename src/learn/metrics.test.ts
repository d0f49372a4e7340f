import { describe, expect, it } from 'vitest';
import {
  accuracy,
  averagePrecision,
  brierScore,
  calibrationBins,
  confusionMatrix,
  logLoss,
  mae,
  mape,
  multiclassLogLoss,
  ndcg,
  precisionRecallF1,
  r2,
  rmse,
  rocAuc,
} from './metrics.js';

/**
 * Expected values are the outputs printed in scikit-learn's documentation
 * (scikit-learn 1.2 API reference, the "Examples" section of each function named
 * below), so Orchard's numbers agree with the reference users compare against.
 */
describe('classification metrics (scikit-learn documentation examples)', () => {
  it('roc_auc_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) = 0.75', () => {
    expect(rocAuc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])).toBeCloseTo(0.75, 12);
  });

  it('average_precision_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) = 0.8333…', () => {
    expect(averagePrecision([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])).toBeCloseTo(5 / 6, 12);
  });

  it('log_loss(["spam", "ham", "ham", "spam"], [[.1, .9], [.9, .1], [.8, .2], [.35, .65]]) = 0.21616…', () => {
    // Positive class "spam": probabilities 0.9, 0.1, 0.2, 0.65.
    expect(logLoss([1, 0, 0, 1], [0.9, 0.1, 0.2, 0.65])).toBeCloseTo(0.21616187468057912, 12);
    expect(multiclassLogLoss([1, 0, 0, 1], [0.1, 0.9, 0.9, 0.1, 0.8, 0.2, 0.35, 0.65], 2)).toBeCloseTo(0.21616187468057912, 12);
  });

  it('brier_score_loss([0, 1, 1, 0], [0.1, 0.9, 0.8, 0.3]) = 0.0375', () => {
    expect(brierScore([0, 1, 1, 0], [0.1, 0.9, 0.8, 0.3])).toBeCloseTo(0.0375, 12);
  });

  it('calibration_curve(n_bins=3) gives prob_true [0, 0.5, 1] and prob_pred [0.2, 0.525, 0.85]', () => {
    const bins = calibrationBins([0, 0, 0, 0, 1, 1, 1, 1, 1], [0.1, 0.2, 0.3, 0.4, 0.65, 0.7, 0.8, 0.9, 1.0], 3);
    expect(bins.map((b) => b.fractionPositive)).toEqual([0, 0.5, 1]);
    bins.map((b) => b.meanPredicted).forEach((v, i) => expect(v).toBeCloseTo([0.2, 0.525, 0.85][i]!, 12));
  });

  it('accuracy_score([0, 2, 1, 3], [0, 1, 2, 3]) = 0.5 and confusion_matrix', () => {
    expect(accuracy([0, 1, 2, 3], [0, 2, 1, 3])).toBe(0.5);
    // confusion_matrix([2, 0, 2, 2, 0, 1], [0, 0, 2, 2, 0, 2]) = [[2, 0, 0], [0, 0, 1], [1, 0, 2]]
    expect(confusionMatrix([2, 0, 2, 2, 0, 1], [0, 0, 2, 2, 0, 2], 3)).toEqual([
      [2, 0, 0],
      [0, 0, 1],
      [1, 0, 2],
    ]);
  });

  it('precision, recall and F1 for y_true [0, 1, 2, 0, 1, 2], y_pred [0, 2, 1, 0, 0, 1]', () => {
    const y = [0, 1, 2, 0, 1, 2];
    const p = [0, 2, 1, 0, 0, 1];
    // f1_score: macro 0.26666…, micro 0.33333…, weighted 0.26666…; precision_score: macro 0.22222…
    const macro = precisionRecallF1(y, p, 3, 'macro');
    expect(macro.f1).toBeCloseTo(0.26666666666666666, 12);
    expect(macro.precision).toBeCloseTo(0.2222222222222222, 12);
    expect(macro.recall).toBeCloseTo(0.3333333333333333, 12);
    expect(precisionRecallF1(y, p, 3, 'micro').f1).toBeCloseTo(1 / 3, 12);
    expect(precisionRecallF1(y, p, 3, 'weighted').f1).toBeCloseTo(0.26666666666666666, 12);
  });

  it('gives NaN AUC with one class and refuses mismatched lengths', () => {
    expect(rocAuc([1, 1], [0.2, 0.4])).toBeNaN();
    expect(() => rocAuc([1, 0], [0.2])).toThrow(/2 labels but 1 predictions/);
  });
});

describe('regression metrics (scikit-learn documentation examples)', () => {
  const actual = [3, -0.5, 2, 7];
  const predicted = [2.5, 0.0, 2, 8];
  it('mean_squared_error = 0.375, so RMSE = √0.375; mean_absolute_error = 0.5', () => {
    expect(rmse(actual, predicted)).toBeCloseTo(Math.sqrt(0.375), 12);
    expect(mae(actual, predicted)).toBeCloseTo(0.5, 12);
  });
  it('r2_score = 0.948…', () => {
    expect(r2(actual, predicted)).toBeCloseTo(0.9486081370449679, 12);
  });
  it('mean_absolute_percentage_error = 0.3273…', () => {
    expect(mape(actual, predicted)).toBeCloseTo(0.3273809523809524, 12);
  });
});

describe('ranking (scikit-learn ndcg_score documentation)', () => {
  const relevance = [10, 0, 0, 1, 5];
  // The documentation prints these truncated: 0.69…, 0.49…, 0.35…, 1.0…, 0.75….
  const startsWith = (value: number, prefix: number, digits = 2) => expect(Math.floor(value * 10 ** digits) / 10 ** digits).toBe(prefix);

  it('scores [.1, .2, .3, 4, 70] give 0.69…, equal to the DCG formula worked by hand', () => {
    const value = ndcg(relevance, [0.1, 0.2, 0.3, 4, 70]);
    startsWith(value, 0.69);
    // Ranked relevances 5, 1, 0, 0, 10; ideal 10, 5, 1, 0, 0; discount 1 / log2(rank + 1).
    const dcg = 5 / Math.log2(2) + 1 / Math.log2(3) + 10 / Math.log2(6);
    const idcg = 10 / Math.log2(2) + 5 / Math.log2(3) + 1 / Math.log2(4);
    expect(value).toBeCloseTo(dcg / idcg, 12);
  });

  it('scores [.05, 1.1, 1., .5, .0] give 0.49…, and 0.35… at k = 4; a perfect ranking 1.0 at k = 4', () => {
    startsWith(ndcg(relevance, [0.05, 1.1, 1.0, 0.5, 0.0]), 0.49);
    startsWith(ndcg(relevance, [0.05, 1.1, 1.0, 0.5, 0.0], 4), 0.35);
    expect(ndcg(relevance, relevance, 4)).toBeCloseTo(1, 12);
  });

  it('averages tied scores: [1, 0, 0, 0, 1] at k = 1 gives (10/10 + 5/10) / 2 = 0.75', () => {
    expect(ndcg(relevance, [1, 0, 0, 0, 1], 1)).toBeCloseTo(0.75, 12);
  });
});
