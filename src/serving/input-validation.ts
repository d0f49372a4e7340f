import type { Issue } from '../core/errors.js';
import { epochMs } from '../data/transform.js';
import type { ColumnKind } from '../data/types.js';
import { issuesError, MAX_LISTED_ISSUES, type Rows } from './request-formats.js';

/** A model's input columns with their kinds (the artifact's signature). */
export type InputSignature = readonly { readonly name: string; readonly kind: ColumnKind }[];

/**
 * Checks rows against a model's input signature and returns them normalised: each row holds
 * exactly the signature's columns, in order, typed by kind — numbers as finite numbers,
 * categories and text as strings (a number or boolean becomes its text), datetimes as epoch
 * milliseconds, booleans as booleans — and `null` for a missing value (`null` in the request).
 *
 * Refused, each reported by row and column: a column missing from a row, a column the model
 * does not know, a value of the wrong type, a string where a number belongs (including "NaN"
 * and "Infinity"), a fraction where an integer belongs, a datetime that does not parse.
 * Categories the model never saw are accepted: the model's transform gives them the
 * "unseen" code (ordinal: one past the known categories; one-hot: the `__other__` column),
 * the same rule batch scoring follows.
 *
 * @throws OrchardError INVALID_ARGUMENT listing the first issues by row and column, and how many more.
 */
export function validateInputs(signature: InputSignature, rows: Rows): Rows {
  const issues: Issue[] = [];
  let total = 0;
  const add = (row: number, column: string, code: string, message: string) => {
    total++;
    // Keep counting past the cap, so the message says how many more, without building them all.
    if (issues.length < MAX_LISTED_ISSUES) issues.push({ code, path: [row, column], message });
  };
  const known = new Set(signature.map((c) => c.name));
  const out: Rows = new Array(rows.length);
  if (rows.length === 0) {
    throw issuesError('prediction request', [{ code: 'empty', path: ['(request)'], message: 'no rows; send at least one row' }]);
  }
  for (let r = 0; r < rows.length; r++) {
    const input = rows[r]!;
    const row: Record<string, unknown> = {};
    for (const col of signature) {
      if (!Object.hasOwn(input, col.name)) {
        add(r, col.name, 'missing_column', `missing; the model needs ${col.kind} column \`${col.name}\` (send null for a missing value)`);
        continue;
      }
      const v = input[col.name];
      if (v === null) {
        row[col.name] = null;
        continue;
      }
      const [value, problem] = coerce(col.kind, v);
      if (problem) add(r, col.name, problem.code, problem.message);
      else row[col.name] = value;
    }
    for (const key in input) {
      if (Object.hasOwn(input, key) && !known.has(key)) add(r, key, 'unexpected_column', `the model has no input \`${key}\`; its inputs are ${signature.map((c) => c.name).join(', ')}`);
    }
    out[r] = row;
  }
  if (total > 0) throw issuesError('prediction request', issues, total);
  return out;
}

type Problem = { code: string; message: string };

function coerce(kind: ColumnKind, v: unknown): [unknown, Problem | null] {
  switch (kind) {
    case 'numeric':
    case 'integer': {
      if (typeof v === 'string') {
        const special = /^[+-]?(nan|inf|infinity)$/i.test(v.trim());
        return [null, { code: special ? 'not_finite' : 'invalid_type', message: special ? `${JSON.stringify(v)} is refused: numbers must be finite; send null for a missing value` : `expected a number, got the string ${JSON.stringify(v)}` }];
      }
      if (typeof v !== 'number') return [null, { code: 'invalid_type', message: `expected a number, got ${describe(v)}` }];
      if (!Number.isFinite(v)) return [null, { code: 'not_finite', message: `${v} is refused: numbers must be finite; send null for a missing value` }];
      if (kind === 'integer' && !Number.isInteger(v)) return [null, { code: 'not_integer', message: `expected a whole number, got ${v}` }];
      return [v, null];
    }
    case 'categorical':
    case 'text':
      if (typeof v === 'string') return [v, null];
      if ((typeof v === 'number' && Number.isFinite(v)) || typeof v === 'boolean') return [String(v), null];
      return [null, { code: 'invalid_type', message: `expected text, got ${describe(v)}` }];
    case 'boolean':
      if (typeof v === 'boolean') return [v, null];
      return [null, { code: 'invalid_type', message: `expected true or false, got ${describe(v)}` }];
    case 'datetime': {
      const ms = typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v)) ? epochMs(v) : null;
      if (ms === null || !Number.isFinite(ms)) return [null, { code: 'invalid_datetime', message: `expected a date-time (ISO 8601 text such as 2001-01-31T08:00:00Z, or epoch milliseconds), got ${describe(v)}` }];
      return [ms, null];
    }
  }
}

const describe = (v: unknown) => (Array.isArray(v) ? 'a list' : v !== null && typeof v === 'object' ? 'an object' : `${typeof v} ${JSON.stringify(v)}`);
