import { describe, expect, it } from 'vitest';
import { OrchardError } from '../core/errors.js';
import { chooseMethod, datasetDrift, defaultMethod, drifted, parseDriftOptions } from './drift-methods.js';

// Evidently's documented choice (0.1.50 release notes, "Stat test auto selection"):
// ≤ 1,000 reference rows → KS (numeric, > 5 distinct), chi-square (categorical), z-test (binary);
// above → normalised Wasserstein (numeric), Jensen–Shannon (categorical); p < 0.05 or distance ≥ 0.1.
describe('defaults by column type and reference size', () => {
  it('picks tests on small references and distances on large ones', () => {
    expect(defaultMethod('numeric', 1000, 300)).toBe('ks');
    expect(defaultMethod('numeric', 1001, 300)).toBe('wasserstein');
    expect(defaultMethod('categorical', 1000, 7)).toBe('chisquare');
    expect(defaultMethod('categorical', 800, 2)).toBe('z');
    expect(defaultMethod('categorical', 5000, 2)).toBe('jensenshannon');
    // A number with at most 5 distinct values is treated as a category.
    expect(defaultMethod('numeric', 500, 5)).toBe('chisquare');
    expect(defaultMethod('numeric', 50_000, 4)).toBe('jensenshannon');
  });

  it('uses the default thresholds and per-feature overrides', () => {
    expect(chooseMethod('delay', 'numeric', 3_000_000, 900)).toEqual({ method: 'wasserstein', threshold: 0.1 });
    expect(chooseMethod('delay', 'numeric', 300, 90)).toEqual({ method: 'ks', threshold: 0.05 });
    const options = parseDriftOptions(['delay=psi:0.2', 'origin=linf']);
    expect(chooseMethod('delay', 'numeric', 3_000_000, 900, options)).toEqual({ method: 'psi', threshold: 0.2 });
    expect(chooseMethod('origin', 'categorical', 3_000_000, 900, options)).toEqual({ method: 'linf', threshold: 0.1 });
  });

  it('refuses a numeric-only method on a categorical feature, naming the choices', () => {
    expect(() => chooseMethod('origin', 'categorical', 100, 9, { features: { origin: { method: 'ks' } } })).toThrow(/needs numbers.*origin.*chisquare/);
  });
});

describe('verdicts', () => {
  it('reads p-values below and distances at or above the threshold as drift', () => {
    expect(drifted('ks', 0.049, 0.05)).toBe(true);
    expect(drifted('ks', 0.05, 0.05)).toBe(false);
    expect(drifted('wasserstein', 0.1, 0.1)).toBe(true);
    expect(drifted('jensenshannon', 0.09, 0.1)).toBe(false);
    expect(drifted('psi', Number.NaN, 0.1)).toBe(false);
  });

  it('declares dataset drift when at least the share of features drift', () => {
    expect(datasetDrift([true, false])).toEqual({ drifted: true, driftedShare: 0.5 });
    expect(datasetDrift([true, false, false])).toMatchObject({ drifted: false });
    expect(datasetDrift([true, false, false], 0.3)).toMatchObject({ drifted: true });
    expect(datasetDrift([])).toEqual({ drifted: false, driftedShare: 0 });
  });

  it('reports every bad override at once', () => {
    try {
      parseDriftOptions(['delay', 'origin=magic', 'distance=psi:-1'], '2');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(OrchardError);
      expect((error as OrchardError).details.issues).toHaveLength(4);
      expect((error as OrchardError).message).toMatch(/unknown method 'magic'/);
    }
  });
});
