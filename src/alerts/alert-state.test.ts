import { describe, expect, it } from 'vitest';
import { applyPoint, breaches, initialAlert, type Transition } from './alert-state.js';

function run(rule: { op: '>' | '<' | '>=' | '<='; threshold: number; forCount: number; forMs: number }, points: [number, number][]) {
  let alert = initialAlert('r', { endpoint: 'e' }, 0);
  const seen: (Transition | null)[] = [];
  for (const [at, value] of points) {
    const r = applyPoint(rule, alert, { at, value });
    alert = r.alert;
    seen.push(r.transition);
  }
  return { alert, seen };
}

describe('alert state machine', () => {
  it('compares with each operator', () => {
    expect([breaches('>', 2, 1), breaches('>', 1, 1), breaches('>=', 1, 1), breaches('<', 0, 1), breaches('<=', 1, 1), breaches('<', 1, 1)]).toEqual([true, false, true, true, true, false]);
  });

  it('fires after the given number of consecutive breaches, then resolves', () => {
    const { alert, seen } = run({ op: '>', threshold: 0.2, forCount: 3, forMs: 0 }, [[1, 0.3], [2, 0.4], [3, 0.5], [4, 0.6], [5, 0.1]]);
    expect(seen).toEqual(['pending', null, 'firing', null, 'resolved']);
    expect(alert).toMatchObject({ state: 'resolved', firedAt: 3, resolvedAt: 5, breaches: 0 });
  });

  it('a point below the threshold clears a pending alert and restarts the count', () => {
    const { alert, seen } = run({ op: '>', threshold: 0.2, forCount: 2, forMs: 0 }, [[1, 0.3], [2, 0.1], [3, 0.3], [4, 0.3]]);
    expect(seen).toEqual(['pending', 'cleared', 'pending', 'firing']);
    expect(alert.firedAt).toBe(4);
  });

  it('waits for a duration as well as a count', () => {
    const { seen } = run({ op: '>=', threshold: 10, forCount: 1, forMs: 60_000 }, [[0, 10], [30_000, 11], [60_000, 12]]);
    expect(seen).toEqual(['pending', null, 'firing']);
  });

  it('fires at once with one breach and no duration, and fires again after resolving', () => {
    const { seen } = run({ op: '<', threshold: 0.7, forCount: 1, forMs: 0 }, [[1, 0.6], [2, 0.8], [3, 0.5]]);
    expect(seen).toEqual(['firing', 'resolved', 'firing']);
  });

  it('ignores NaN values', () => {
    const { alert, seen } = run({ op: '>', threshold: 1, forCount: 1, forMs: 0 }, [[1, 2], [2, Number.NaN]]);
    expect(seen).toEqual(['firing', null]);
    expect(alert).toMatchObject({ state: 'firing', lastPointAt: 2, value: 2 });
  });
});
