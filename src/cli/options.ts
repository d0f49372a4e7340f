import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { invalidArgument } from '../core/errors.js';
import { parseTransformSpec, type TransformSpec } from '../data/transform.js';

/** `key=value` texts of a repeatable option (e.g. `--param max_iter=200`) as a record. */
export function parseKeyValues(option: string, texts: readonly string[] = []): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of texts) {
    const eq = p.indexOf('=');
    if (eq <= 0) throw invalidArgument(`${option} '${p}' is not key=value, e.g. ${option} max_iter=200.`);
    out[p.slice(0, eq)] = p.slice(eq + 1);
  }
  return out;
}

/** Reads a feature transform spec (JSON) given with `--features`. */
export function readFeatureSpec(file: string): TransformSpec {
  const path = resolve(file);
  try {
    return parseTransformSpec(JSON.parse(readFileSync(path, 'utf8')), path);
  } catch (error) {
    if ((error as { code?: string }).code === 'INVALID_ARGUMENT') throw error;
    throw invalidArgument(`Feature spec ${path} cannot be read as JSON (${(error as Error).message}).`);
  }
}

/** Collects a repeatable option's values (`--grid a=1,2 --grid b=3,4`). */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** A whole number option, checked against a lower bound. */
export function wholeNumber(option: string, text: string | undefined, min: number): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) throw invalidArgument(`${option} must be a whole number ≥ ${min}, got '${text}'.`);
  return n;
}
