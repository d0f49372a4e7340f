import { epochMs } from './transform.js';
import type { Anomaly, ColumnRule, DataSchema } from './schema.js';
import type { ColumnKind } from './types.js';

/** Whether a JavaScript value fits a column kind (JSON numbers, strings, booleans, Dates). */
function fits(kind: ColumnKind, v: unknown): boolean {
  switch (kind) {
    case 'numeric':
      return typeof v === 'number' && !Number.isNaN(v);
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v);
    case 'boolean':
      return typeof v === 'boolean';
    case 'datetime':
      return v instanceof Date || (typeof v === 'number' && Number.isFinite(v)) || (typeof v === 'string' && epochMs(v) !== null);
    case 'categorical':
    case 'text':
      return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
  }
}

const show = (v: unknown) => (v instanceof Date ? v.toISOString() : typeof v === 'string' ? v : JSON.stringify(v));

/**
 * Validates a batch of rows (objects) against a schema in JavaScript — the same
 * anomaly kinds as validating a dataset version, for live traffic and serving.
 * Examples name the row: `row 3: 'ZZZ'`.
 */
export function validateRows(schema: DataSchema, rows: readonly Readonly<Record<string, unknown>>[]): Anomaly[] {
  const anomalies: Anomaly[] = [];
  const n = rows.length;
  if (n === 0) return anomalies;
  const seen = new Set<string>();
  for (const r of rows) for (const k of Object.keys(r)) seen.add(k);
  const rules = new Map(schema.columns.map((c) => [c.name, c]));
  for (const key of seen) if (!rules.has(key)) anomalies.push({ column: key, kind: 'unexpected_column', count: 0, fraction: 1, examples: [], message: `column \`${key}\` is not in the schema` });
  for (const rule of schema.columns) {
    if (!rows.some((r) => Object.hasOwn(r, rule.name))) {
      if (rule.required) anomalies.push({ column: rule.name, kind: 'missing_column', count: 0, fraction: 1, examples: [], message: `column \`${rule.name}\` is missing` });
      continue;
    }
    anomalies.push(...columnAnomalies(rule, rows));
  }
  return anomalies;
}

function columnAnomalies(rule: ColumnRule, rows: readonly Readonly<Record<string, unknown>>[]): Anomaly[] {
  const n = rows.length;
  const out: Anomaly[] = [];
  const nulls: number[] = [];
  const wrong: string[] = [];
  let wrongCount = 0;
  const unseen: string[] = [];
  let unseenCount = 0;
  const outside: string[] = [];
  let outsideCount = 0;
  const domain = rule.domain ? new Set(rule.domain) : undefined;
  rows.forEach((row, i) => {
    const v = row[rule.name];
    if (v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v))) return void nulls.push(i);
    if (!fits(rule.kind, v)) {
      wrongCount++;
      if (wrong.length < 5) wrong.push(`row ${i + 1}: ${show(v)}`);
      return;
    }
    if (domain && !domain.has(String(v))) {
      unseenCount++;
      if (unseen.length < 5) unseen.push(`row ${i + 1}: ${show(v)}`);
    }
    if (rule.range) {
      const x = rule.kind === 'datetime' ? epochMs(v as string | number) : Number(v);
      if (x !== null && (x < rule.range.min || x > rule.range.max)) {
        outsideCount++;
        if (outside.length < 5) outside.push(`row ${i + 1}: ${show(v)}`);
      }
    }
  });
  const name = rule.name;
  if (wrongCount > 0) out.push({ column: name, kind: 'type_mismatch', count: wrongCount, fraction: wrongCount / n, examples: wrong, message: `column \`${name}\` should hold ${rule.kind} values` });
  if (nulls.length / n > rule.maxNullFraction) {
    out.push({ column: name, kind: 'null_fraction', count: nulls.length, fraction: nulls.length / n, examples: nulls.slice(0, 5).map((i) => `row ${i + 1}`), message: `column \`${name}\` is null in ${((nulls.length / n) * 100).toFixed(2)}% of rows; the schema allows ${(rule.maxNullFraction * 100).toFixed(2)}%` });
  }
  if (unseenCount > 0) out.push({ column: name, kind: 'unseen_category', count: unseenCount, fraction: unseenCount / n, examples: unseen, message: `column \`${name}\` has values outside its domain of ${rule.domain!.length}` });
  if (outsideCount > 0) out.push({ column: name, kind: 'out_of_range', count: outsideCount, fraction: outsideCount / n, examples: outside, message: `column \`${name}\` has values outside [${rule.range!.min}, ${rule.range!.max}]` });
  return out;
}
