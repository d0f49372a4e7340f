import { invalidArgument, throwIfIssues, type Issue } from '../core/errors.js';
import type { KeyValue } from '../tracking/types.js';
import { LIMITS as TRACKING_LIMITS, describe, keyIssues } from '../tracking/validation.js';

/**
 * Names in the registry. Model names are free text without `/` or `@` (they separate the
 * name from a version or alias in `models:/flights/3` and `flights@champion`); alias names
 * follow MLflow's rules (mlflow/utils/validation.py `_validate_model_alias_name`).
 */

export const LIMITS = Object.freeze({ modelNameLength: 256, aliasLength: 255, descriptionLength: 5000, commentLength: 5000, cardLength: 1_000_000 });

/** MLflow's alias pattern: letters, digits, `_` and `-` (Python's `\w` is Unicode-aware). */
const ALIAS_PATTERN = /^[\p{L}\p{N}_-]+$/u;
/** `v3` and `V3` are reserved for version references. */
const VERSION_ALIAS = /^[vV]\d+$/;

export function modelNameIssues(value: unknown, path: (string | number)[] = ['name']): Issue[] {
  if (typeof value !== 'string' || value.trim() === '') return [{ code: 'invalid_name', path, message: `a model name must be a non-empty string, got ${describe(value)}` }];
  if (value.length > LIMITS.modelNameLength) return [{ code: 'too_long', path, message: `model name is ${value.length} characters; the limit is ${LIMITS.modelNameLength}` }];
  if (value !== value.trim()) return [{ code: 'invalid_name', path, message: `model name '${value}' starts or ends with spaces; remove them` }];
  // eslint-disable-next-line no-control-regex
  if (/[/@\u0000-\u001f\u007f]/.test(value)) return [{ code: 'invalid_name', path, message: `model name '${value}' may not contain /, @ or control characters (they separate versions and aliases in references)` }];
  return [];
}

/** A valid model name, or INVALID_ARGUMENT. */
export function modelNameOf(value: unknown, field = 'name'): string {
  throwIfIssues('model name', modelNameIssues(value, [field]));
  return value as string;
}

export function aliasIssues(value: unknown, path: (string | number)[] = ['alias']): Issue[] {
  if (typeof value !== 'string' || value === '') return [{ code: 'invalid_alias', path, message: `an alias must be a non-empty string such as 'champion', got ${describe(value)}` }];
  if (!ALIAS_PATTERN.test(value)) return [{ code: 'invalid_alias', path, message: `alias '${value}' may only contain letters, digits, underscores (_) and dashes (-)` }];
  if (value.length > LIMITS.aliasLength) return [{ code: 'too_long', path, message: `alias is ${value.length} characters; the limit is ${LIMITS.aliasLength}` }];
  if (value.toLowerCase() === 'latest') return [{ code: 'reserved_alias', path, message: `'latest' (in any case) is reserved for the newest version; choose another alias` }];
  if (VERSION_ALIAS.test(value)) return [{ code: 'reserved_alias', path, message: `'${value}' is reserved for version references (v<number>); choose another alias` }];
  return [];
}

export function aliasOf(value: unknown, field = 'alias'): string {
  throwIfIssues('alias', aliasIssues(value, [field]));
  return value as string;
}

/** A version number sent as a number or a decimal string (MLflow sends strings). */
export function versionOf(value: unknown, field = 'version'): number {
  const n = typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 1) {
    throw invalidArgument(`${field} must be a version number such as 3, got ${describe(value)}; list versions with \`orchard models show <name>\`.`, { field });
  }
  return n;
}

/** Optional free text (descriptions, comments): undefined stays undefined, '' and null clear it. */
export function optionalText(value: unknown, field: string, limit: number): string | null | undefined {
  if (value === undefined) return undefined;
  if (value === null || value === '') return null;
  if (typeof value !== 'string') throw invalidArgument(`${field} must be a string, got ${describe(value)}.`, { field });
  if (value.length > limit) throw invalidArgument(`${field} is ${value.length} characters; the limit is ${limit}.`, { field });
  return value;
}

/** A list of names given as a list or a comma-separated string. */
export function nameList(value: unknown, field: string): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  const items = typeof value === 'string' ? value.split(',') : Array.isArray(value) ? value : undefined;
  if (!items || items.some((v) => typeof v !== 'string')) throw invalidArgument(`${field} must be a list of names, e.g. ["alice", "ci"], got ${describe(value)}.`, { field });
  return [...new Set((items as string[]).map((v) => v.trim()).filter((v) => v !== ''))];
}

/** A boolean sent as JSON or as a query string (`true`, `false`, `1`, `0`). */
export function booleanOf(value: unknown, field: string): boolean | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'boolean') return value;
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw invalidArgument(`${field} must be true or false, got ${describe(value)}.`, { field });
}

/** Tags as `[{key, value}]` or `{key: value}`; every problem is reported at once. */
export function tagsOf(value: unknown, subject: string): KeyValue[] {
  if (value === undefined || value === null) return [];
  const items = Array.isArray(value) ? value : typeof value === 'object' ? Object.entries(value as object).map(([key, v]) => ({ key, value: v })) : undefined;
  if (!items) throw invalidArgument(`${subject} must be a list of {"key": …, "value": …}, got ${describe(value)}.`, { field: 'tags' });
  const issues: Issue[] = [];
  const out = new Map<string, string>();
  items.forEach((item: unknown, i) => {
    const path = ['tags', i];
    if (item === null || typeof item !== 'object') return issues.push({ code: 'invalid_type', path, message: `must be an object {key, value}, got ${describe(item)}` });
    const { key, value: v } = item as Record<string, unknown>;
    const found = keyIssues(key, [...path, 'key']);
    const text = typeof v === 'number' || typeof v === 'boolean' ? String(v) : v;
    if (typeof text !== 'string') found.push({ code: 'invalid_value', path: [...path, 'value'], message: `must be a string, got ${describe(v)}` });
    else if (text.length > TRACKING_LIMITS.tagValueLength) found.push({ code: 'too_long', path: [...path, 'value'], message: `is ${text.length} characters; the limit is ${TRACKING_LIMITS.tagValueLength}` });
    issues.push(...found);
    if (found.length === 0) out.set(key as string, text as string);
  });
  throwIfIssues(subject, issues);
  return [...out].map(([key, v]) => ({ key, value: v }));
}
