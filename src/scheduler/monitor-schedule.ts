import type { Issue } from '../core/errors.js';
import type { MonitorRunInput, WindowSpec } from '../monitoring/monitor-service.js';

/**
 * Scheduled monitors ride on schedules: a schedule whose target is `monitor:<endpoint>`
 * runs that endpoint's monitor in the scheduler's process instead of starting a pipeline,
 * claimed exactly once per due time like any schedule. Its params hold the monitor's
 * settings as text: `reference` (optional: the endpoint's last one), `window` (`1h`, `30m`,
 * or `last:<n>` predictions) and `features` (comma-separated; optional: every logged one).
 */
export const MONITOR_TARGET_PREFIX = 'monitor:';
const ENDPOINT = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const DURATION = /^\d+(s|m|h|d)$/;

export function monitorTarget(endpoint: string): string {
  return `${MONITOR_TARGET_PREFIX}${endpoint}`;
}

/** The endpoint a schedule monitors, or undefined for a pipeline schedule. */
export function monitoredEndpoint(target: string): string | undefined {
  return target.startsWith(MONITOR_TARGET_PREFIX) ? target.slice(MONITOR_TARGET_PREFIX.length) : undefined;
}

/** A monitor's settings as schedule params (text). */
export function monitorParams(input: { reference?: string; window: WindowSpec; features?: readonly string[] }): Record<string, string> {
  const w = input.window;
  const window = 'duration' in w ? w.duration : 'last' in w ? `last:${w.last}` : undefined;
  if (window === undefined) throw new Error('A scheduled monitor looks at the last duration or the last n predictions, not a fixed range.');
  return { ...(input.reference ? { reference: input.reference } : {}), window, ...(input.features?.length ? { features: input.features.join(',') } : {}) };
}

/** Problems with a monitor schedule's target and params (pure); none for a pipeline schedule. */
export function monitorScheduleIssues(target: string, params: Readonly<Record<string, string>>): Issue[] {
  const endpoint = monitoredEndpoint(target);
  if (endpoint === undefined) return [];
  const issues: Issue[] = [];
  if (!ENDPOINT.test(endpoint)) issues.push({ code: 'invalid_endpoint', path: ['pipeline'], message: `'${endpoint}' is not an endpoint name; use letters, digits, '_', '-' and '.'` });
  const window = params.window ?? '';
  if (!DURATION.test(window) && !/^last:[1-9]\d*$/.test(window)) issues.push({ code: 'invalid_window', path: ['params', 'window'], message: `window '${window}' is neither a duration (30m, 1h, 7d) nor last:<n> predictions (last:10000)` });
  const unknown = Object.keys(params).filter((k) => !['reference', 'window', 'features'].includes(k));
  if (unknown.length > 0) issues.push({ code: 'unknown_param', path: ['params'], message: `a monitor schedule takes reference, window and features, not ${unknown.join(', ')}` });
  return issues;
}

/** The monitor run a schedule's params describe (checked at creation by monitorScheduleIssues). */
export function monitorRunInput(params: Readonly<Record<string, string>>): MonitorRunInput {
  const window = params.window ?? '1h';
  const last = /^last:(\d+)$/.exec(window);
  const features = params.features?.split(',').map((f) => f.trim()).filter((f) => f !== '');
  return { reference: params.reference, window: last ? { last: Number(last[1]) } : { duration: window }, ...(features?.length ? { features } : {}) };
}
