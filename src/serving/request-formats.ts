import { OrchardError, type Issue } from '../core/errors.js';

/** A request's rows as objects of input columns, before validation. */
export type Rows = Record<string, unknown>[];

/** Which protocol a request came in, so the response can speak the same one. */
export type RequestFormat = 'orchard' | 'mlflow' | 'v2';

/** Most issues listed in one error; the message says how many more there were. */
export const MAX_LISTED_ISSUES = 20;

/**
 * Reads rows from a request body in Orchard's JSON: `{"rows":[{…}]}` (row objects) or
 * `{"columns":{"a":[…],"b":[…]}}` (columnar, equal lengths).
 * @throws OrchardError INVALID_ARGUMENT naming the shape expected.
 */
export function readOrchardRequest(body: unknown): Rows {
  const o = objectBody(body, '{"rows":[{…}]} or {"columns":{"a":[…]}}');
  if (o.rows !== undefined) return rowObjects(o.rows, 'rows');
  if (o.columns !== undefined) return columnar(o.columns, 'columns');
  throw invalidRequest(`the body has keys ${keys(o)}; send {"rows":[{"col":value,…}]} or {"columns":{"col":[values…]}}`);
}

/**
 * Reads rows from MLflow's scoring formats (`/invocations`): `dataframe_split`
 * (`{columns, data}`), `dataframe_records` (row objects), `instances` (row objects, or
 * lists of values in the signature's column order) and `inputs` (columnar object, or rows).
 */
export function readMlflowRequest(body: unknown, columnOrder: readonly string[]): Rows {
  const o = objectBody(body, 'one of dataframe_split, dataframe_records, instances or inputs');
  const given = ['dataframe_split', 'dataframe_records', 'instances', 'inputs'].filter((k) => o[k] !== undefined);
  if (given.length !== 1) {
    throw invalidRequest(given.length === 0 ? `the body has keys ${keys(o)}; MLflow's scoring format needs exactly one of dataframe_split, dataframe_records, instances or inputs` : `the body has ${given.join(' and ')}; send exactly one of them`);
  }
  if (o.dataframe_split !== undefined) {
    const s = o.dataframe_split as { columns?: unknown; data?: unknown };
    if (s === null || typeof s !== 'object' || !Array.isArray(s.columns) || !Array.isArray(s.data)) throw invalidRequest('dataframe_split must be {"columns":[names…],"data":[[values…],…]}');
    return listRows(s.data, s.columns.map(String), 'dataframe_split.data');
  }
  if (o.dataframe_records !== undefined) return rowObjects(o.dataframe_records, 'dataframe_records');
  const value = o.instances ?? o.inputs;
  const where = o.instances !== undefined ? 'instances' : 'inputs';
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) return columnar(value, where);
  if (Array.isArray(value) && value.length > 0 && Array.isArray(value[0])) return listRows(value, columnOrder, where);
  return rowObjects(value, where);
}

/**
 * Reads rows from an Open Inference Protocol v2 request: `{"inputs":[{name, shape, datatype, data}]}`,
 * either one tensor per column (shape `[N]` or `[N, 1]`) or a single `[N, F]` tensor whose columns
 * follow the signature's order.
 */
export function readV2Request(body: unknown, columnOrder: readonly string[]): Rows {
  const o = objectBody(body, '{"inputs":[{"name","shape","datatype","data"}]}');
  if (!Array.isArray(o.inputs) || o.inputs.length === 0) throw invalidRequest('the body needs "inputs": a non-empty list of tensors {name, shape, datatype, data}');
  const tensors = o.inputs.map((t: unknown, i) => {
    const x = t as { name?: unknown; shape?: unknown; data?: unknown };
    if (x === null || typeof x !== 'object' || typeof x.name !== 'string' || !Array.isArray(x.shape) || !Array.isArray(x.data)) throw invalidRequest(`inputs[${i}] must be {name, shape, datatype, data}`);
    const shape = x.shape as unknown[];
    if (!shape.every((d) => Number.isInteger(d) && (d as number) >= 0) || shape.length < 1 || shape.length > 2) throw invalidRequest(`inputs[${i}] (${x.name}) has shape ${JSON.stringify(shape)}; use [N] or [N, F]`);
    const data = (x.data as unknown[]).flat(2);
    const size = (shape as number[]).reduce((a, b) => a * b, 1);
    if (data.length !== size) throw invalidRequest(`inputs[${i}] (${x.name}) has ${data.length} values for shape ${JSON.stringify(shape)} (${size} expected)`);
    return { name: x.name, shape: shape as number[], data };
  });
  if (tensors.length === 1 && tensors[0]!.shape.length === 2 && tensors[0]!.shape[1]! > 1) {
    const [n, f] = tensors[0]!.shape as [number, number];
    const rows: unknown[][] = [];
    for (let r = 0; r < n; r++) rows.push(tensors[0]!.data.slice(r * f, r * f + f));
    return listRows(rows, columnOrder, 'inputs[0].data');
  }
  const columns: Record<string, unknown[]> = {};
  for (const t of tensors) {
    if (t.shape.length === 2 && t.shape[1] !== 1) throw invalidRequest(`input ${t.name} has shape ${JSON.stringify(t.shape)}; with several tensors each is one column of shape [N] or [N, 1]`);
    columns[t.name] = t.data;
  }
  return columnar(columns, 'inputs');
}

function rowObjects(value: unknown, where: string): Rows {
  if (!Array.isArray(value)) throw invalidRequest(`${where} must be a list of row objects, got ${typeName(value)}`);
  value.forEach((r, i) => {
    if (r === null || typeof r !== 'object' || Array.isArray(r)) throw invalidRequest(`${where}[${i}] must be an object of column values, got ${typeName(r)}`);
  });
  return value as Rows;
}

function columnar(value: unknown, where: string): Rows {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalidRequest(`${where} must be an object of columns {"col":[values…]}, got ${typeName(value)}`);
  const entries = Object.entries(value as Record<string, unknown>);
  const lengths = new Set<number>();
  for (const [name, col] of entries) {
    if (!Array.isArray(col)) throw invalidRequest(`${where}.${name} must be a list of values, got ${typeName(col)}`);
    lengths.add(col.length);
  }
  if (lengths.size > 1) throw invalidRequest(`the columns of ${where} have different lengths (${entries.map(([k, c]) => `${k}: ${(c as unknown[]).length}`).join(', ')}); send equal lengths`);
  const n = lengths.size ? [...lengths][0]! : 0;
  const rows: Rows = [];
  for (let i = 0; i < n; i++) {
    const row: Record<string, unknown> = {};
    for (const [name, col] of entries) row[name] = (col as unknown[])[i];
    rows.push(row);
  }
  return rows;
}

function listRows(data: unknown[], columns: readonly string[], where: string): Rows {
  return data.map((r, i) => {
    if (!Array.isArray(r)) throw invalidRequest(`${where}[${i}] must be a list of values, got ${typeName(r)}`);
    if (r.length !== columns.length) throw invalidRequest(`${where}[${i}] has ${r.length} values for ${columns.length} columns (${columns.join(', ')})`);
    const row: Record<string, unknown> = {};
    columns.forEach((c, j) => (row[c] = r[j]));
    return row;
  });
}

function objectBody(body: unknown, expected: string): Record<string, unknown> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw invalidRequest(`the body is ${typeName(body)}; send a JSON object: ${expected}`);
  return body as Record<string, unknown>;
}

const keys = (o: object) => (Object.keys(o).length ? Object.keys(o).join(', ') : 'none');
const typeName = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v === 'object' ? 'an object' : `${typeof v} ${JSON.stringify(v)}`);
const invalidRequest = (message: string) => new OrchardError('INVALID_ARGUMENT', `Invalid prediction request: ${message}.`);

/** One INVALID_ARGUMENT listing at most `MAX_LISTED_ISSUES` issues and how many more there were. */
export function issuesError(subject: string, issues: readonly Issue[], total = issues.length): OrchardError {
  const listed = issues.slice(0, MAX_LISTED_ISSUES);
  const more = total - listed.length;
  const lines = listed.map((i) => `row ${i.path[0]}, column ${String(i.path[1] ?? '(row)')}: ${i.message}`);
  const message = `Invalid ${subject} (${total} problem${total === 1 ? '' : 's'}): ${lines.join('; ')}${more > 0 ? `; and ${more} more` : ''}.`;
  return new OrchardError('INVALID_ARGUMENT', message, { details: { issues: listed, total, more } });
}
