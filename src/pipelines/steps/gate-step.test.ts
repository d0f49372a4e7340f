import { describe, expect, it } from 'vitest';
import { gateVerdict } from './gate-step.js';
import { anomalyVerdict } from './prepare-steps.js';
import { desiredEndpointSpec } from './endpoint-handoff.js';

const base = { metrics: { auc: 0.7, rmse: 1 }, min: {}, max: {}, champion: null, comparison: null, margin: 0, significant: false };
const comparison = (metric: string, difference: number, low: number, high: number) => ({ against: 'r', metric, difference, low, high, rounds: 200 });

describe('gateVerdict', () => {
  it('passes the first model when there is no champion, and checks thresholds', () => {
    expect(gateVerdict(base)).toEqual({ passed: true, reasons: ['no champion yet: the first model passes'] });
    const v = gateVerdict({ ...base, min: { auc: 0.75 }, max: { rmse: 2 } });
    expect(v.passed).toBe(false);
    expect(v.reasons[0]).toBe('auc 0.7000 < 0.7500 (min)');
  });

  it('needs a better score than the champion: higher AUC, lower RMSE, beyond the margin and (optionally) the interval', () => {
    const g = { ...base, champion: 'm@1' };
    expect(gateVerdict({ ...g, comparison: comparison('auc', 0.02, 0.01, 0.03) }).passed).toBe(true);
    expect(gateVerdict({ ...g, comparison: comparison('auc', -0.02, -0.03, -0.01) }).passed).toBe(false);
    expect(gateVerdict({ ...g, comparison: comparison('rmse', -0.5, -0.7, -0.2) }).passed).toBe(true);
    expect(gateVerdict({ ...g, comparison: comparison('rmse', 0.5, 0.2, 0.7) }).passed).toBe(false);
    expect(gateVerdict({ ...g, margin: 0.05, comparison: comparison('auc', 0.02, 0.01, 0.03) }).passed).toBe(false);
    expect(gateVerdict({ ...g, significant: true, comparison: comparison('auc', 0.02, -0.01, 0.05) }).passed).toBe(false);
    expect(gateVerdict({ ...g, comparison: comparison('auc', -0.02, -0.03, -0.01) }).reasons[0]).toMatch(/^auc worse than champion m@1 by 0\.0200/);
  });

  it('refuses thresholds on metrics the evaluation lacks, naming the known ones', () => {
    expect(() => gateVerdict({ ...base, min: { f1: 0.5 } })).toThrow("The gate has thresholds on 'f1', which the evaluation does not report; known metrics: auc, rmse.");
  });
});

describe('anomalyVerdict', () => {
  const a = { column: 'origin', kind: 'unseen_category' as const, count: 3, fraction: 0.03, examples: ['XYZ'], message: 'column `origin` has values outside its domain of 2' };
  it('fails above the threshold with every anomaly and the fix', () => {
    const v = anomalyVerdict('d@2', 'd@1', [a], 0);
    expect(v.passed).toBe(false);
    expect(v.message).toContain('d@2 has 1 anomaly against the schema of d@1 (at most 0 allowed)');
    expect(v.message).toContain('unseen_category   column `origin` has values outside its domain of 2 — 3 rows (3.00%); e.g. XYZ');
    expect(anomalyVerdict('d@2', 'd@1', [a], 1).passed).toBe(true);
  });
});

describe('desiredEndpointSpec', () => {
  it('creates a spec with one route, or changes only the route of an existing one', () => {
    expect(desiredEndpointSpec('api', 'm@champion', undefined)).toMatchObject({ name: 'api', routes: [{ model: 'm@champion', weight: 100 }], log: true });
    const existing = JSON.stringify({ name: 'api', model: 'm@1', shadow: 'm@2', timeoutMs: 5 });
    expect(desiredEndpointSpec('api', 'm@3', existing)).toEqual({ name: 'api', routes: [{ model: 'm@3', weight: 100 }], shadow: 'm@2', timeoutMs: 5 });
    expect(() => desiredEndpointSpec('bad name', 'm@1', undefined)).toThrow("'bad name' is not an endpoint name");
  });
});
