import { invalidArgument, throwIfIssues, type Issue } from '../core/errors.js';
import type { DatasetProfile } from './profile.js';
import type { ColumnKind } from './types.js';

/**
 * A data schema, as TFDV keeps one: what every column must look like. Inferred
 * from a dataset version, saved as editable JSON, and checked against other
 * versions or batches of rows.
 */
export interface DataSchema {
  readonly orchardSchema: 1;
  /** The dataset version it was inferred from, for the record. */
  readonly inferredFrom?: string;
  readonly columns: ColumnRule[];
}

export interface ColumnRule {
  readonly name: string;
  readonly kind: ColumnKind;
  /** Must the column be present? */
  readonly required: boolean;
  /** Largest tolerated share of nulls (0 = never null). */
  readonly maxNullFraction: number;
  /** Allowed values of a categorical or boolean column; absent = any. */
  readonly domain?: string[];
  /** Allowed range of a numeric, integer or datetime (epoch ms) column. */
  readonly range?: { readonly min: number; readonly max: number };
}

export type AnomalyKind = 'missing_column' | 'unexpected_column' | 'type_mismatch' | 'null_fraction' | 'unseen_category' | 'out_of_range';

export interface Anomaly {
  readonly column: string;
  readonly kind: AnomalyKind;
  /** Rows affected (0 for column-level anomalies). */
  readonly count: number;
  /** Share of rows affected. */
  readonly fraction: number;
  /** A few offending values, as text. */
  readonly examples: string[];
  readonly message: string;
}

/** Domains are kept up to this many distinct values; larger columns get none. */
export const MAX_DOMAIN = 1000;

/** Kinds that may stand where the schema expects another: integers are valid numbers. */
const COMPATIBLE: Partial<Record<ColumnKind, ColumnKind[]>> = { numeric: ['integer'], text: ['categorical'], categorical: ['text'] };

export function kindsCompatible(expected: ColumnKind, actual: ColumnKind): boolean {
  return expected === actual || (COMPATIBLE[expected]?.includes(actual) ?? false);
}

/**
 * Infers a schema from a profile and the distinct values of its small categorical
 * columns. Ranges are the observed min and max of numeric columns; columns never
 * null stay non-null.
 */
export function inferSchema(profile: DatasetProfile, domains: ReadonlyMap<string, string[]>): DataSchema {
  return {
    orchardSchema: 1,
    inferredFrom: profile.dataset,
    columns: profile.columns.map((c) => {
      const domain = domains.get(c.name);
      return {
        name: c.name,
        kind: c.kind,
        required: true,
        maxNullFraction: c.missingFraction === 0 ? 0 : Math.min(1, roundUp(c.missingFraction * 1.1 + 0.001)),
        ...(domain !== undefined && (c.kind === 'categorical' || c.kind === 'boolean') ? { domain: [...domain].sort() } : {}),
        // No range for datetimes: new data is later than old data by nature.
        ...(c.numeric && c.kind !== 'datetime' ? { range: { min: c.numeric.min, max: c.numeric.max } } : {}),
      };
    }),
  };
}

// Up to 4 decimals, ignoring floating-point dust (0.111 + 2e-17 stays 0.111).
const roundUp = (x: number) => Math.ceil(x * 10_000 - 1e-9) / 10_000;

const KINDS: readonly ColumnKind[] = ['numeric', 'integer', 'categorical', 'boolean', 'datetime', 'text'];

/**
 * Checks a schema read from an edited JSON file, reporting every problem at once.
 * @throws OrchardError `INVALID_ARGUMENT` with one issue per problem.
 */
export function parseSchema(value: unknown, where: string): DataSchema {
  const issues: Issue[] = [];
  const obj = value as Partial<DataSchema> | null;
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw invalidArgument(`${where} must hold a JSON object with "orchardSchema": 1 and "columns".`);
  if (obj.orchardSchema !== 1) issues.push({ code: 'version', path: ['orchardSchema'], message: `must be 1, got ${JSON.stringify(obj.orchardSchema)}` });
  if (!Array.isArray(obj.columns)) issues.push({ code: 'invalid_type', path: ['columns'], message: 'must be a list of column rules' });
  const seen = new Set<string>();
  (Array.isArray(obj.columns) ? obj.columns : []).forEach((c: Partial<ColumnRule>, i) => {
    const path = ['columns', i];
    if (typeof c?.name !== 'string' || c.name === '') return issues.push({ code: 'invalid_name', path: [...path, 'name'], message: 'must be a non-empty string' });
    if (seen.has(c.name)) issues.push({ code: 'duplicate', path: [...path, 'name'], message: `column '${c.name}' appears twice` });
    seen.add(c.name);
    if (!KINDS.includes(c.kind as ColumnKind)) issues.push({ code: 'invalid_kind', path: [...path, 'kind'], message: `'${String(c.kind)}' is not a kind; use one of ${KINDS.join(', ')}` });
    if (typeof c.required !== 'boolean') issues.push({ code: 'invalid_type', path: [...path, 'required'], message: 'must be true or false' });
    if (typeof c.maxNullFraction !== 'number' || c.maxNullFraction < 0 || c.maxNullFraction > 1) issues.push({ code: 'invalid_value', path: [...path, 'maxNullFraction'], message: 'must be a number from 0 to 1' });
    if (c.domain !== undefined && (!Array.isArray(c.domain) || c.domain.some((d) => typeof d !== 'string'))) issues.push({ code: 'invalid_type', path: [...path, 'domain'], message: 'must be a list of strings' });
    if (c.range !== undefined && (typeof c.range?.min !== 'number' || typeof c.range?.max !== 'number' || c.range.min > c.range.max)) {
      issues.push({ code: 'invalid_value', path: [...path, 'range'], message: 'must be {"min": number, "max": number} with min ≤ max' });
    }
  });
  throwIfIssues(`schema in ${where}`, issues);
  return obj as DataSchema;
}

/** Column-level anomalies: columns missing, unexpected, or of another kind. */
export function structuralAnomalies(schema: DataSchema, actual: readonly { name: string; kind: ColumnKind }[]): Anomaly[] {
  const anomalies: Anomaly[] = [];
  const byName = new Map(actual.map((c) => [c.name, c]));
  for (const rule of schema.columns) {
    const found = byName.get(rule.name);
    if (!found) {
      if (rule.required) anomalies.push({ column: rule.name, kind: 'missing_column', count: 0, fraction: 1, examples: [], message: `column \`${rule.name}\` is missing` });
    } else if (!kindsCompatible(rule.kind, found.kind)) {
      anomalies.push({ column: rule.name, kind: 'type_mismatch', count: 0, fraction: 1, examples: [found.kind], message: `column \`${rule.name}\` is ${found.kind}, expected ${rule.kind}` });
    }
  }
  const known = new Set(schema.columns.map((r) => r.name));
  for (const c of actual) {
    if (!known.has(c.name)) anomalies.push({ column: c.name, kind: 'unexpected_column', count: 0, fraction: 1, examples: [], message: `column \`${c.name}\` is not in the schema` });
  }
  return anomalies;
}

/** Human lines for a list of anomalies. */
export function describeAnomalies(anomalies: readonly Anomaly[]): string {
  if (anomalies.length === 0) return 'no anomalies';
  return anomalies
    .map((a) => {
      const share = a.count > 0 ? ` — ${a.count.toLocaleString('en-US')} rows (${(a.fraction * 100).toFixed(a.fraction < 0.001 ? 4 : 2)}%)` : '';
      const ex = a.examples.length > 0 ? `; e.g. ${a.examples.slice(0, 5).join(', ')}` : '';
      return `${a.kind.padEnd(17)} ${a.message}${share}${ex}`;
    })
    .join('\n');
}
