import { invalidArgument, throwIfIssues, type Issue } from '../core/errors.js';
import type { KeyValue, MetricPoint } from './types.js';

/** Limits MLflow documents for its tracking server; Orchard keeps them so clients behave the same. */
export const LIMITS = Object.freeze({
  keyLength: 250,
  paramValueLength: 6000,
  tagValueLength: 8000,
  experimentNameLength: 500,
  /** Per log-batch call on the MLflow endpoint. */
  mlflowBatch: { metrics: 1000, params: 100, tags: 100, total: 1000 },
  /** Per log-batch call on Orchard's own endpoint and in the SDK. */
  orchardBatch: { metrics: 10_000, params: 1000, tags: 1000, total: 10_000 },
});

export type BatchLimits = (typeof LIMITS)['mlflowBatch'];

const KEY_PATTERN = /^[\w\-. /]+$/u;

/** Checks a metric, param or tag key; returns issues instead of throwing. */
export function keyIssues(key: unknown, path: (string | number)[]): Issue[] {
  if (typeof key !== 'string' || key === '') return [{ code: 'invalid_key', path, message: `key must be a non-empty string, got ${describe(key)}` }];
  if (key.length > LIMITS.keyLength) return [{ code: 'too_long', path, message: `key '${key.slice(0, 40)}…' is ${key.length} characters; the limit is ${LIMITS.keyLength}` }];
  if (!KEY_PATTERN.test(key)) {
    return [{ code: 'invalid_key', path, message: `key '${key}' may only hold letters, digits, underscores, dashes, periods, spaces and slashes` }];
  }
  if (key.startsWith('/') || key.split('/').some((s) => s === '..' || s === '.')) {
    return [{ code: 'invalid_key', path, message: `key '${key}' must not start with / or contain . or .. segments` }];
  }
  return [];
}

/** Parses a number as MLflow's JSON allows: a JSON number, or the strings "NaN", "Infinity", "-Infinity". */
export function parseMetricValue(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (value === 'NaN' || value === 'nan') return Number.NaN;
  if (value === 'Infinity' || value === 'inf') return Number.POSITIVE_INFINITY;
  if (value === '-Infinity' || value === '-inf') return Number.NEGATIVE_INFINITY;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  return undefined;
}

/** Parses an integer sent as a JSON number or a decimal string (protobuf's int64 in JSON). */
export function parseInteger(value: unknown): number | undefined {
  const n = typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
  return typeof n === 'number' && Number.isSafeInteger(n) ? n : undefined;
}

export interface RawBatch {
  metrics?: unknown;
  params?: unknown;
  tags?: unknown;
}

export interface Batch {
  readonly metrics: MetricPoint[];
  readonly params: KeyValue[];
  readonly tags: KeyValue[];
}

/**
 * Validates a whole batch and reports every problem at once; nothing is written when
 * one item is bad. Metric timestamps default to `now`, steps to 0.
 */
export function parseBatch(raw: RawBatch, now: number, limits: BatchLimits): Batch {
  const issues: Issue[] = [];
  const list = (value: unknown, name: string, max: number): unknown[] => {
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) {
      issues.push({ code: 'invalid_type', path: [name], message: `must be a list, got ${describe(value)}` });
      return [];
    }
    if (value.length > max) issues.push({ code: 'too_many', path: [name], message: `holds ${value.length} items; at most ${max} per call — split the batch` });
    return value;
  };
  const rawMetrics = list(raw.metrics, 'metrics', limits.metrics);
  const rawParams = list(raw.params, 'params', limits.params);
  const rawTags = list(raw.tags, 'tags', limits.tags);
  const total = rawMetrics.length + rawParams.length + rawTags.length;
  if (total > limits.total) issues.push({ code: 'too_many', path: [], message: `the batch holds ${total} items; at most ${limits.total} per call — split it` });

  const metrics: MetricPoint[] = new Array(rawMetrics.length);
  let kept = 0;
  // A batch repeats a few keys many times: check each distinct key once.
  const keyChecked = new Map<unknown, boolean>();
  for (let i = 0; i < rawMetrics.length; i++) {
    const m = rawMetrics[i];
    if (m === null || typeof m !== 'object') {
      issues.push({ code: 'invalid_type', path: ['metrics', i], message: `must be an object {key, value, timestamp, step}, got ${describe(m)}` });
      continue;
    }
    const { key, value, timestamp, step } = m as Record<string, unknown>;
    let ok = keyChecked.get(key);
    if (ok === undefined) {
      ok = keyIssues(key, []).length === 0;
      keyChecked.set(key, ok);
    }
    const v = typeof value === 'number' ? value : parseMetricValue(value);
    const ts = timestamp === undefined || timestamp === null ? now : typeof timestamp === 'number' && Number.isSafeInteger(timestamp) ? timestamp : parseInteger(timestamp);
    const st = step === undefined || step === null ? 0 : typeof step === 'number' && Number.isSafeInteger(step) ? step : parseInteger(step);
    if (ok && v !== undefined && ts !== undefined && st !== undefined) {
      metrics[kept++] = { key: key as string, value: v, timestamp: ts, step: st };
      continue;
    }
    // Slow path, only for bad items: say exactly what is wrong.
    const path = ['metrics', i];
    if (!ok) issues.push(...keyIssues(key, [...path, 'key']));
    if (v === undefined) issues.push({ code: 'invalid_value', path: [...path, 'value'], message: `must be a number (or "NaN", "Infinity"), got ${describe(value)}` });
    if (ts === undefined) issues.push({ code: 'invalid_value', path: [...path, 'timestamp'], message: `must be an integer of milliseconds since the epoch, got ${describe(timestamp)}` });
    if (st === undefined) issues.push({ code: 'invalid_value', path: [...path, 'step'], message: `must be an integer, got ${describe(step)}` });
  }
  metrics.length = kept;

  const keyValues = (items: unknown[], name: 'params' | 'tags', maxValue: number): KeyValue[] => {
    const out = new Map<string, string>();
    items.forEach((item, i) => {
      const path = [name, i];
      if (item === null || typeof item !== 'object') return issues.push({ code: 'invalid_type', path, message: `must be an object {key, value}, got ${describe(item)}` });
      const { key, value } = item as Record<string, unknown>;
      const before = issues.length;
      issues.push(...keyIssues(key, [...path, 'key']));
      const text = typeof value === 'number' || typeof value === 'boolean' ? String(value) : value;
      if (typeof text !== 'string') issues.push({ code: 'invalid_value', path: [...path, 'value'], message: `must be a string, got ${describe(value)}` });
      else if (text.length > maxValue) issues.push({ code: 'too_long', path: [...path, 'value'], message: `is ${text.length} characters; the limit is ${maxValue}` });
      if (issues.length !== before) return;
      const prior = out.get(key as string);
      if (name === 'params' && prior !== undefined && prior !== text) {
        issues.push({ code: 'conflicting_param', path, message: `param '${String(key)}' appears twice in the batch with different values ('${prior}' and '${String(text)}')` });
      }
      out.set(key as string, text as string);
    });
    return [...out].map(([key, value]) => ({ key, value }));
  };
  const params = keyValues(rawParams, 'params', LIMITS.paramValueLength);
  const tags = keyValues(rawTags, 'tags', LIMITS.tagValueLength);
  throwIfIssues('log batch', issues);
  return { metrics, params, tags };
}

export function requireString(value: unknown, name: string, example: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw invalidArgument(`${name} is required and must be a non-empty string, got ${describe(value)}; e.g. ${example}.`, { field: name });
  return value;
}

export function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'string') return `'${value.length > 60 ? value.slice(0, 60) + '…' : value}'`;
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

/** Page tokens are offsets, opaque to clients. */
export function encodePageToken(offset: number): string {
  return Buffer.from(JSON.stringify({ o: offset })).toString('base64url');
}

export function decodePageToken(token: unknown): number {
  if (token === undefined || token === null || token === '') return 0;
  try {
    const parsed = JSON.parse(Buffer.from(String(token), 'base64url').toString('utf8')) as { o?: unknown };
    if (typeof parsed.o === 'number' && Number.isSafeInteger(parsed.o) && parsed.o >= 0) return parsed.o;
  } catch {
    /* fall through */
  }
  throw invalidArgument(`page_token '${String(token)}' is not a token Orchard issued; pass the next_page_token of the previous response, or none for the first page.`, {
    field: 'page_token',
  });
}
