import { invalidArgument } from '../core/errors.js';

/**
 * Evaluation metrics, on typed arrays, no I/O. Definitions follow scikit-learn's
 * (the reference most users compare against); each is tested against published values.
 */

type Num = ArrayLike<number>;

function sameLength(a: Num, b: Num, what: string): void {
  if (a.length !== b.length) throw invalidArgument(`${what}: ${a.length} labels but ${b.length} predictions; they must pair up.`);
  if (a.length === 0) throw invalidArgument(`${what}: no rows to evaluate.`);
}

// ---- binary classification, from scores -------------------------------------------------------

/**
 * Area under the ROC curve: the probability that a random positive scores above a
 * random negative, ties counting half (Mann–Whitney U with average ranks).
 * NaN when only one class is present.
 */
export function rocAuc(labels: Num, scores: Num): number {
  sameLength(labels, scores, 'ROC AUC');
  const n = labels.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  let positives = 0;
  let rankSum = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && scores[order[j + 1]!] === scores[order[i]!]) j++;
    const avgRank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) {
      if (labels[order[k]!] === 1) {
        positives++;
        rankSum += avgRank;
      }
    }
    i = j + 1;
  }
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) return Number.NaN;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/**
 * Average precision (area under the precision–recall curve as a step function):
 * Σ (Rₙ − Rₙ₋₁) Pₙ over score thresholds, ties grouped.
 */
export function averagePrecision(labels: Num, scores: Num): number {
  sameLength(labels, scores, 'PR AUC');
  const n = labels.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[b]! - scores[a]!);
  let total = 0;
  for (let i = 0; i < n; i++) total += labels[i] === 1 ? 1 : 0;
  if (total === 0) return Number.NaN;
  let tp = 0;
  let fp = 0;
  let prevRecall = 0;
  let ap = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && scores[order[j + 1]!] === scores[order[i]!]) j++;
    for (let k = i; k <= j; k++) {
      if (labels[order[k]!] === 1) tp++;
      else fp++;
    }
    const recall = tp / total;
    ap += (recall - prevRecall) * (tp / (tp + fp));
    prevRecall = recall;
    i = j + 1;
  }
  return ap;
}

/** Mean negative log-likelihood of binary labels under predicted probabilities, clipped to [1e-15, 1 − 1e-15]. */
export function logLoss(labels: Num, probabilities: Num): number {
  sameLength(labels, probabilities, 'log loss');
  const eps = 1e-15;
  let sum = 0;
  for (let i = 0; i < labels.length; i++) {
    const p = Math.min(1 - eps, Math.max(eps, probabilities[i]!));
    sum -= labels[i] === 1 ? Math.log(p) : Math.log(1 - p);
  }
  return sum / labels.length;
}

/** Mean log-loss of class labels 0…k−1 under per-class probabilities (row-major, k per row). */
export function multiclassLogLoss(labels: Num, probabilities: Num, classes: number): number {
  if (probabilities.length !== labels.length * classes) throw invalidArgument(`log loss: ${probabilities.length} probabilities for ${labels.length} rows of ${classes} classes.`);
  const eps = 1e-15;
  let sum = 0;
  for (let i = 0; i < labels.length; i++) {
    let rowSum = 0;
    for (let c = 0; c < classes; c++) rowSum += Math.min(1 - eps, Math.max(eps, probabilities[i * classes + c]!));
    const p = Math.min(1 - eps, Math.max(eps, probabilities[i * classes + labels[i]!]!)) / rowSum;
    sum -= Math.log(p);
  }
  return sum / labels.length;
}

/** Mean squared difference between probability and outcome. */
export function brierScore(labels: Num, probabilities: Num): number {
  sameLength(labels, probabilities, 'Brier score');
  let sum = 0;
  for (let i = 0; i < labels.length; i++) sum += (probabilities[i]! - labels[i]!) ** 2;
  return sum / labels.length;
}

/**
 * Reliability bins: uniform bins over [0, 1]; per non-empty bin the mean predicted
 * probability and the observed share of positives (scikit-learn's calibration_curve).
 */
export function calibrationBins(labels: Num, probabilities: Num, bins = 10): { meanPredicted: number; fractionPositive: number; count: number }[] {
  sameLength(labels, probabilities, 'calibration');
  const sums = new Float64Array(bins);
  const positives = new Float64Array(bins);
  const counts = new Float64Array(bins);
  for (let i = 0; i < labels.length; i++) {
    const p = probabilities[i]!;
    // Inner edges at k / bins; a value on an edge belongs to the bin above it, 1.0 to the last.
    const b = Math.min(bins - 1, Math.floor(p * bins + 1e-12));
    sums[b]! += p;
    positives[b]! += labels[i] === 1 ? 1 : 0;
    counts[b]!++;
  }
  const out: { meanPredicted: number; fractionPositive: number; count: number }[] = [];
  for (let b = 0; b < bins; b++) if (counts[b]! > 0) out.push({ meanPredicted: sums[b]! / counts[b]!, fractionPositive: positives[b]! / counts[b]!, count: counts[b]! });
  return out;
}

// ---- classification, from predicted classes ----------------------------------------------------

/** Share of exact matches. */
export function accuracy(labels: Num, predicted: Num): number {
  sameLength(labels, predicted, 'accuracy');
  let hit = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] === predicted[i]) hit++;
  return hit / labels.length;
}

/** counts[true][predicted] for classes 0…k−1. */
export function confusionMatrix(labels: Num, predicted: Num, classes: number): number[][] {
  sameLength(labels, predicted, 'confusion matrix');
  const m = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let i = 0; i < labels.length; i++) m[labels[i]!]![predicted[i]!]!++;
  return m;
}

export type Averaging = 'binary' | 'macro' | 'micro' | 'weighted';

/**
 * Precision, recall and F1. `binary` scores class 1; `macro` averages classes
 * equally, `weighted` by support, `micro` pools every decision. A class with no
 * predictions (or no support) scores 0, as scikit-learn's zero_division=0.
 */
export function precisionRecallF1(labels: Num, predicted: Num, classes: number, average: Averaging): { precision: number; recall: number; f1: number } {
  const m = confusionMatrix(labels, predicted, classes);
  const per = m.map((row, c) => {
    const tp = row[c]!;
    const support = row.reduce((a, b) => a + b, 0);
    const predictedCount = m.reduce((a, r) => a + r[c]!, 0);
    const precision = predictedCount === 0 ? 0 : tp / predictedCount;
    const recall = support === 0 ? 0 : tp / support;
    const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    return { precision, recall, f1, support, tp, predictedCount };
  });
  if (average === 'binary') {
    const p = per[1] ?? { precision: 0, recall: 0, f1: 0 };
    return { precision: p.precision, recall: p.recall, f1: p.f1 };
  }
  if (average === 'micro') {
    const tp = per.reduce((a, p) => a + p.tp, 0);
    const precision = tp / labels.length;
    return { precision, recall: precision, f1: precision };
  }
  const total = per.reduce((a, p) => a + p.support, 0);
  const weight = (p: (typeof per)[number]) => (average === 'macro' ? 1 / per.length : p.support / total);
  return {
    precision: per.reduce((a, p) => a + weight(p) * p.precision, 0),
    recall: per.reduce((a, p) => a + weight(p) * p.recall, 0),
    f1: per.reduce((a, p) => a + weight(p) * p.f1, 0),
  };
}

// ---- regression -------------------------------------------------------------------------------

export function rmse(actual: Num, predicted: Num): number {
  sameLength(actual, predicted, 'RMSE');
  let s = 0;
  for (let i = 0; i < actual.length; i++) s += (actual[i]! - predicted[i]!) ** 2;
  return Math.sqrt(s / actual.length);
}

export function mae(actual: Num, predicted: Num): number {
  sameLength(actual, predicted, 'MAE');
  let s = 0;
  for (let i = 0; i < actual.length; i++) s += Math.abs(actual[i]! - predicted[i]!);
  return s / actual.length;
}

/** Mean |error| / max(|actual|, ε), as a fraction (scikit-learn's definition, ε = 2.2e-16). */
export function mape(actual: Num, predicted: Num): number {
  sameLength(actual, predicted, 'MAPE');
  let s = 0;
  for (let i = 0; i < actual.length; i++) s += Math.abs(actual[i]! - predicted[i]!) / Math.max(Math.abs(actual[i]!), Number.EPSILON);
  return s / actual.length;
}

/** Coefficient of determination: 1 − SSres / SStot (1 for a perfect fit; 0 for a constant actual that is matched). */
export function r2(actual: Num, predicted: Num): number {
  sameLength(actual, predicted, 'R²');
  let mean = 0;
  for (let i = 0; i < actual.length; i++) mean += actual[i]!;
  mean /= actual.length;
  let res = 0;
  let tot = 0;
  for (let i = 0; i < actual.length; i++) {
    res += (actual[i]! - predicted[i]!) ** 2;
    tot += (actual[i]! - mean) ** 2;
  }
  if (tot === 0) return res === 0 ? 1 : 0;
  return 1 - res / tot;
}

// ---- ranking ----------------------------------------------------------------------------------

/**
 * Normalised discounted cumulative gain of one ranking at k: DCG of the items in
 * score order (gain = relevance, discount 1 / log2(rank + 1)) over the ideal DCG.
 * Ties in scores share their gains on average, as scikit-learn does.
 */
export function ndcg(relevance: Num, scores: Num, k = relevance.length): number {
  sameLength(relevance, scores, 'NDCG');
  const discount = (rank: number) => (rank < k ? 1 / Math.log2(rank + 2) : 0);
  const order = Array.from({ length: relevance.length }, (_, i) => i).sort((a, b) => scores[b]! - scores[a]!);
  let dcg = 0;
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && scores[order[j + 1]!] === scores[order[i]!]) j++;
    let gain = 0;
    let disc = 0;
    for (let t = i; t <= j; t++) {
      gain += relevance[order[t]!]!;
      disc += discount(t);
    }
    dcg += (gain / (j - i + 1)) * disc;
    i = j + 1;
  }
  const ideal = Array.from(relevance).sort((a, b) => b - a);
  let idcg = 0;
  for (let i = 0; i < ideal.length; i++) idcg += ideal[i]! * discount(i);
  return idcg === 0 ? 0 : dcg / idcg;
}
