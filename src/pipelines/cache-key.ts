import { createHash } from 'node:crypto';
import type { AnyStep } from './step.js';
import type { ParamValue, StoredValue } from './types.js';

/** Bumped when the meaning of a key changes, so old cache entries stop matching. */
const KEY_VERSION = 1;

/**
 * A step's cache key: the SHA-256 of its code (the pipeline bundle's digest and the
 * step's own code within it), its parameters, and its inputs (artifacts by digest,
 * values as canonical JSON). Equal keys mean the step would compute the same thing.
 */
export function cacheKey(input: { moduleDigest: string; step: AnyStep; params: Readonly<Record<string, ParamValue>>; inputs: Readonly<Record<string, StoredValue>> }): string {
  const payload = {
    v: KEY_VERSION,
    module: input.moduleDigest,
    step: { name: input.step.name, code: input.step.code, inputs: input.step.inputs, outputs: input.step.outputs },
    params: input.params,
    inputs: input.inputs,
  };
  return `sha256:${createHash('sha256').update(canonicalJson(payload)).digest('hex')}`;
}

/** JSON with object keys sorted at every level, so equal values hash equally. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}
