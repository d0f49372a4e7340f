import { describe, expect, it } from 'vitest';
import { inferTask, labelledMetrics, parseWindow, performanceByWindow } from './live-performance.js';

describe('live performance per window', () => {
  it('regression labels give RMSE and MAE per window', () => {
    const rows = [
      { ts: 10, prediction: 2.5, label: 3, receivedAt: 20 },
      { ts: 20, prediction: 5.5, label: 5, receivedAt: 60 },
      { ts: 30, prediction: 4, label: 2.5, receivedAt: 130 },
    ];
    expect(inferTask(rows)).toBe('regression');
    const [w] = performanceByWindow(rows, new Map([[0, 5]]), 100, 'regression');
    // scikit-learn 1.2.1: sqrt(mean_squared_error([3, 5, 2.5], [2.5, 5.5, 4])) = 0.9574271077563381; MAE = (0.5 + 0.5 + 1.5) / 3.
    expect(w!.rmse).toBeCloseTo(0.9574271077563381, 12);
    expect(w!.mae).toBeCloseTo(2.5 / 3, 12);
    expect(w).toMatchObject({ start: 0, end: 100, predictions: 5, labelled: 3, auc: null, accuracy: null, labelDelayMs: 40 });
  });

  it('one class only: accuracy but no AUC', () => {
    const [w] = performanceByWindow([{ ts: 1, prediction: 0.7, label: 1, receivedAt: 2 }], new Map(), 10, 'binary');
    expect(w).toMatchObject({ auc: null, accuracy: 1 });
  });

  it('binary labels give log loss and the gap between the observed rate and the mean probability', () => {
    const y = [1, 0, 1, 1, 0];
    const p = [0.9, 0.2, 0.6, 0.4, 0.7];
    const m = labelledMetrics(y.map((label, i) => ({ ts: i, prediction: p[i]!, label, receivedAt: i + 10 })), 'binary');
    // Independent computation (Python's math module): -mean(log(p) if y else log(1 - p)) = 0.5919186453876235;
    // |mean(y) - mean(p)| = |0.6 - 0.56| = 0.04. AUC by counting pairs: 4 of 6 positive–negative pairs ordered.
    expect(m.logLoss).toBeCloseTo(0.5919186453876235, 12);
    expect(m.calibrationError).toBeCloseTo(0.04, 12);
    expect(m).toMatchObject({ labelled: 5, meanLabel: 0.6, accuracy: 0.6, labelDelayMs: 10 });
    expect(m.auc).toBeCloseTo(4 / 6, 12);
  });

  it('no labels: every metric null, none NaN', () => {
    expect(Object.values(labelledMetrics([], 'binary')).filter((v) => v !== null)).toEqual([0]);
  });

  it('parses window sizes', () => {
    expect([parseWindow('1d'), parseWindow('6h'), parseWindow('30m'), parseWindow('1w'), parseWindow('0d'), parseWindow('day')]).toEqual([86_400_000, 21_600_000, 1_800_000, 604_800_000, undefined, undefined]);
  });
});
