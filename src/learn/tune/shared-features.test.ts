import { describe, expect, it } from 'vitest';
import { permutation, shareFeatures, trainingViews, validationViews } from './shared-features.js';

describe('shared features', () => {
  const train = { features: [Float64Array.from({ length: 10 }, (_, i) => i), Float64Array.from({ length: 10 }, (_, i) => 100 + i)], target: Float64Array.from({ length: 10 }, (_, i) => i % 2) };

  it('shuffles the rows once into SharedArrayBuffers and holds out the last share, keeping rows whole', () => {
    const shared = shareFeatures(train, { validFraction: 0.3 }, 4);
    expect(shared.columns.every((b) => b instanceof SharedArrayBuffer)).toBe(true);
    expect(shared.target).toBeInstanceOf(SharedArrayBuffer);
    expect([shared.trainRows, shared.validRows, shared.datasetRows]).toEqual([7, 3, 10]);
    const order = permutation(10, 4);
    const all = trainingViews(shared, 10);
    expect([...all.features[0]!]).toEqual([...order]);
    // Row i of every column and the target come from the same source row.
    for (let i = 0; i < 10; i++) {
      expect(all.features[1]![i]).toBe(100 + all.features[0]![i]!);
      expect(all.target[i]).toBe(all.features[0]![i]! % 2);
    }
    const valid = validationViews(shared);
    expect([...valid.features[0]!]).toEqual([...order.slice(7)]);
    // Views share memory with the buffers: nothing is copied per trial.
    const head = trainingViews(shared, 3);
    expect(head.features[0]!.buffer).toBe(shared.columns[0]);
    expect([...head.features[0]!]).toEqual([...order.slice(0, 3)]);
  });

  it('appends a separate validation set after all training rows', () => {
    const valid = { features: [Float64Array.of(-1, -2), Float64Array.of(-3, -4)], target: Float64Array.of(1, 0) };
    const shared = shareFeatures(train, valid, 0);
    expect([shared.trainRows, shared.validRows, shared.datasetRows]).toEqual([10, 2, 10]);
    expect([...validationViews(shared).features[1]!]).toEqual([-3, -4]);
    expect(new Set(trainingViews(shared, 10).features[0])).toEqual(new Set(train.features[0]));
  });

  it('gives a permutation of every index, the same one for the same seed', () => {
    expect([...permutation(50, 1)].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect([...permutation(50, 1)]).toEqual([...permutation(50, 1)]);
    expect([...permutation(50, 1)]).not.toEqual([...permutation(50, 2)]);
  });

  it('refuses a held-out share that leaves nothing to train or validate on', () => {
    expect(() => shareFeatures(train, { validFraction: 0.01 }, 0)).toThrow(/leaves 10 to train on and 0 to validate on/);
  });
});
