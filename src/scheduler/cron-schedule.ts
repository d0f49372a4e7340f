import { Cron } from 'croner';
import type { Issue } from '../core/errors.js';

/**
 * Cron expressions, read by croner (5 fields, or 6 with seconds; `@daily` and the like).
 * Pure: every function receives the times it works with.
 */

/** Problems with a cron expression or time zone; empty when both are good. */
export function cronIssues(expression: string, timezone: string): Issue[] {
  const issues: Issue[] = [];
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
  } catch {
    issues.push({ code: 'invalid_timezone', path: ['timezone'], message: `'${timezone}' is not an IANA time zone; use one such as UTC or Europe/Berlin` });
    return issues;
  }
  try {
    new Cron(expression, { paused: true, timezone });
  } catch (error) {
    issues.push({ code: 'invalid_cron', path: ['cron'], message: `'${expression}' is not a cron expression (${(error as Error).message}); use five fields, e.g. '0 3 * * *' for 03:00 every day` });
  }
  return issues;
}

/**
 * The latest tick of the expression at or before `now` and strictly after `after`,
 * or undefined when there is none. Ticks missed before it are deliberately not
 * returned: after downtime a schedule runs once, not once per missed tick.
 */
export function latestDue(expression: string, timezone: string, after: number, now: number): number | undefined {
  const [last] = new Cron(expression, { paused: true, timezone }).previousRuns(1, new Date(now + 1));
  if (last === undefined) return undefined;
  const at = last.getTime();
  return at > after ? at : undefined;
}

/** The next tick strictly after `now`, for listings. */
export function nextDue(expression: string, timezone: string, now: number): number | undefined {
  return new Cron(expression, { paused: true, timezone }).nextRun(new Date(now))?.getTime();
}
