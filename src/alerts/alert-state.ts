import type { AlertOp, AlertRecord, AlertRuleRecord } from '../metadata/loop-repositories.js';

/**
 * The alert state machine, pure: ok → pending → firing → resolved (→ pending …).
 * A breaching point moves an alert to pending; it fires once it has breached
 * `forCount` consecutive points and for at least `forMs` since the first breach.
 * A point that does not breach resolves a firing alert and clears a pending one.
 */

export type Transition = 'pending' | 'firing' | 'resolved' | 'cleared';

export function breaches(op: AlertOp, value: number, threshold: number): boolean {
  switch (op) {
    case '>':
      return value > threshold;
    case '<':
      return value < threshold;
    case '>=':
      return value >= threshold;
    case '<=':
      return value <= threshold;
  }
}

/** A fresh alert for a label set, before any point. */
export function initialAlert(rule: string, labels: Readonly<Record<string, string>>, now: number): AlertRecord {
  return { rule, labels, state: 'ok', value: null, breaches: 0, lastPointAt: null, pendingSince: null, firedAt: null, resolvedAt: null, updatedAt: now };
}

/**
 * Applies one point. A NaN value (a metric that could not be computed) changes
 * nothing but the point's time, so it neither fires nor resolves.
 */
export function applyPoint(rule: Pick<AlertRuleRecord, 'op' | 'threshold' | 'forCount' | 'forMs'>, alert: AlertRecord, point: { value: number; at: number }): { alert: AlertRecord; transition: Transition | null } {
  if (Number.isNaN(point.value)) return { alert: { ...alert, lastPointAt: point.at }, transition: null };
  const base = { ...alert, value: point.value, lastPointAt: point.at, updatedAt: point.at };
  if (breaches(rule.op, point.value, rule.threshold)) {
    const count = alert.breaches + 1;
    const since = alert.state === 'pending' || alert.state === 'firing' ? (alert.pendingSince ?? point.at) : point.at;
    if (alert.state === 'firing') return { alert: { ...base, breaches: count, pendingSince: since }, transition: null };
    if (count >= rule.forCount && point.at - since >= rule.forMs) {
      return { alert: { ...base, state: 'firing', breaches: count, pendingSince: since, firedAt: point.at, resolvedAt: null }, transition: 'firing' };
    }
    return { alert: { ...base, state: 'pending', breaches: count, pendingSince: since }, transition: alert.state === 'pending' ? null : 'pending' };
  }
  const cleared = { ...base, breaches: 0, pendingSince: null };
  if (alert.state === 'firing') return { alert: { ...cleared, state: 'resolved', resolvedAt: point.at }, transition: 'resolved' };
  if (alert.state === 'pending') return { alert: { ...cleared, state: 'ok' }, transition: 'cleared' };
  return { alert: { ...cleared, updatedAt: alert.updatedAt }, transition: null };
}
