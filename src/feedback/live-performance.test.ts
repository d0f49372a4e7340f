import { describe, expect, it } from 'vitest';
import { inferTask, parseWindow, performanceByWindow } from './live-performance.js';

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

  it('parses window sizes', () => {
    expect([parseWindow('1d'), parseWindow('6h'), parseWindow('30m'), parseWindow('1w'), parseWindow('0d'), parseWindow('day')]).toEqual([86_400_000, 21_600_000, 1_800_000, 604_800_000, undefined, undefined]);
  });
});
