import type { KeyValue, MetricPoint } from '../tracking/types.js';
import type { AttemptRecords } from './step-executor.js';

/**
 * The tracking file of the step contract: one JSON object per line, each a metric,
 * a param or a tag. Command steps append to the file named by `ORCHARD_TRACKING`;
 * function steps write the same lines through `ctx.log`.
 *
 *   {"metric": "rmse", "value": 0.31, "step": 2}
 *   {"param": "alpha", "value": 0.5}
 *   {"tag": "framework", "value": "sklearn"}
 */
export const RECORD_FORMS = '{"metric": "<key>", "value": <number>, "step": <int, optional>}, {"param": "<key>", "value": <string|number|boolean>} or {"tag": "<key>", "value": "<string>"}';

export function metricLine(key: string, value: number, step: number, timestamp: number): string {
  return JSON.stringify({ metric: key, value, step, timestamp }) + '\n';
}

/** Parses a tracking file; a malformed line is reported with its number, and the rest still counts. */
export function parseRecords(text: string, now: number): { records: AttemptRecords; problems: string[] } {
  const metrics: MetricPoint[] = [];
  const params = new Map<string, string>();
  const tags = new Map<string, string>();
  const problems: string[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '') return;
    const where = `line ${i + 1}`;
    let r: Record<string, unknown>;
    try {
      r = JSON.parse(line) as Record<string, unknown>;
    } catch {
      problems.push(`${where} is not JSON: ${line.slice(0, 80)}`);
      return;
    }
    if (r === null || typeof r !== 'object' || Array.isArray(r)) {
      problems.push(`${where} is not a JSON object`);
      return;
    }
    if (typeof r.metric === 'string') {
      const value = typeof r.value === 'number' ? r.value : r.value === 'NaN' ? NaN : undefined;
      const step = r.step === undefined ? 0 : r.step;
      const timestamp = typeof r.timestamp === 'number' && Number.isSafeInteger(r.timestamp) ? r.timestamp : now;
      if (value === undefined) problems.push(`${where}: metric '${r.metric}' needs a numeric value, got ${JSON.stringify(r.value)}`);
      else if (typeof step !== 'number' || !Number.isSafeInteger(step)) problems.push(`${where}: metric '${r.metric}' step must be an integer, got ${JSON.stringify(r.step)}`);
      else if (r.metric === '') problems.push(`${where}: metric key is empty`);
      else metrics.push({ key: r.metric, value, step, timestamp });
    } else if (typeof r.param === 'string') {
      if (!['string', 'number', 'boolean'].includes(typeof r.value)) problems.push(`${where}: param '${r.param}' needs a string, number or boolean value`);
      else params.set(r.param, String(r.value));
    } else if (typeof r.tag === 'string') {
      if (typeof r.value !== 'string') problems.push(`${where}: tag '${r.tag}' needs a string value`);
      else tags.set(r.tag, r.value);
    } else problems.push(`${where} is neither a metric, a param nor a tag; write ${RECORD_FORMS}`);
  });
  const kv = (m: Map<string, string>): KeyValue[] => [...m].map(([key, value]) => ({ key, value }));
  return { records: { metrics, params: kv(params), tags: kv(tags) }, problems };
}

export const NO_RECORDS: AttemptRecords = Object.freeze({ metrics: [], params: [], tags: [] });
