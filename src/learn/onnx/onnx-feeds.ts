import { OrchardError, formatPath, type Issue } from '../../core/errors.js';

/** Tensor types Orchard feeds to ONNX inputs. */
export type TensorType = 'float32' | 'float64' | 'int32' | 'int64' | 'bool' | 'string';

/** A column as fed: numbers (NaN = missing) or, for string inputs, strings. */
export type FeedColumn = ArrayLike<number> | readonly (string | null)[];

const MAX_LISTED = 20;

function fail(where: string, issues: Issue[], more: number): never {
  const lines = issues.map((i) => `${formatPath(i.path)}: ${i.message}`);
  const tail = more > 0 ? `; and ${more.toLocaleString('en-US')} more` : '';
  throw new OrchardError('INVALID_ARGUMENT', `Cannot feed ${where} (${issues.length + more} problem${issues.length + more === 1 ? '' : 's'}): ${lines.join('; ')}${tail}.`, { details: { issues, more } });
}

/** Collects issues, keeping the first few for the message and counting the rest. */
class Issues {
  readonly list: Issue[] = [];
  more = 0;
  add(issue: Issue): void {
    if (this.list.length < MAX_LISTED) this.list.push(issue);
    else this.more++;
  }
  check(where: string): void {
    if (this.list.length > 0) fail(where, this.list, this.more);
  }
}

/** A row value as a number the way Orchard's transforms read one: missing → NaN, booleans 0/1, dates as epoch ms. */
function numberOf(v: unknown): number | undefined {
  if (v === null || v === undefined || v === '') return Number.NaN;
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof Date) return v.getTime();
  const n = Number(v);
  return Number.isNaN(n) ? undefined : n;
}

/**
 * Row objects → one column per name: numbers for numeric inputs, strings for
 * string inputs. Every bad value is reported at once; a name that no row has
 * is an error (a misspelt column would otherwise feed only missing values).
 * @throws OrchardError `INVALID_ARGUMENT`.
 */
export function rowsToColumns(rows: readonly Readonly<Record<string, unknown>>[], names: readonly string[], types: TensorType | readonly TensorType[], where: string): FeedColumn[] {
  const absent = names.filter((name) => !rows.some((r) => name in r));
  if (absent.length > 0) {
    throw new OrchardError('INVALID_ARGUMENT', `No row has column${absent.length === 1 ? '' : 's'} ${absent.join(', ')}, which ${where} takes; its columns are ${names.join(', ')}.`, { details: { absent } });
  }
  const issues = new Issues();
  const columns = names.map((name, j) => {
    const type = typeof types === 'string' ? types : types[j]!;
    if (type === 'string') return rows.map((r, i) => {
      const v = r[name];
      if (v === null || v === undefined) {
        issues.add({ code: 'missing', path: [i, name], message: `is missing; the model's string input ${name} has no missing value` });
        return null;
      }
      return String(v);
    });
    const out = new Float64Array(rows.length);
    rows.forEach((r, i) => {
      const n = numberOf(r[name]);
      if (n === undefined) issues.add({ code: 'invalid_type', path: [i, name], message: `is ${JSON.stringify(r[name])}, not a number` });
      else if ((type === 'int32' || type === 'int64') && !Number.isInteger(n)) issues.add({ code: 'invalid_value', path: [i, name], message: `is ${Number.isNaN(n) ? 'missing' : n}; the model's ${type} input ${name} takes whole numbers and no missing value` });
      else if (type === 'bool' && n !== 0 && n !== 1) issues.add({ code: 'invalid_value', path: [i, name], message: `is ${JSON.stringify(r[name])}; the model's bool input ${name} takes true/false or 0/1` });
      out[i] = n ?? Number.NaN;
    });
    return out;
  });
  issues.check(where);
  return columns;
}

/**
 * Rows `start … start+rows` of the columns as the row-major data of a tensor of
 * `type`. Integer and bool inputs have no missing value: NaN and fractions are reported.
 * @throws OrchardError `INVALID_ARGUMENT`.
 */
export function toTensorData(type: TensorType, columns: readonly FeedColumn[], start: number, rows: number, where: string, input: string): Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array | string[] {
  const f = columns.length;
  const issues = new Issues();
  const get = (i: number, j: number) => columns[j]![start + i];
  const integer = (v: unknown, i: number, j: number): number => {
    if (typeof v !== 'number' || !Number.isInteger(v)) {
      issues.add({ code: 'invalid_value', path: [start + i, f > 1 ? j : input], message: `is ${Number.isNaN(v) ? 'missing' : String(v)}; the model's ${type} input ${input} takes whole numbers and no missing value` });
      return 0;
    }
    return v;
  };
  let data: Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array | string[];
  switch (type) {
    case 'float64':
    case 'float32': {
      data = type === 'float64' ? new Float64Array(rows * f) : new Float32Array(rows * f);
      for (let i = 0; i < rows; i++) for (let j = 0; j < f; j++) data[i * f + j] = get(i, j) as number;
      break;
    }
    case 'int32': {
      data = new Int32Array(rows * f);
      for (let i = 0; i < rows; i++) for (let j = 0; j < f; j++) data[i * f + j] = integer(get(i, j), i, j);
      break;
    }
    case 'int64': {
      const out = new BigInt64Array(rows * f);
      for (let i = 0; i < rows; i++) for (let j = 0; j < f; j++) out[i * f + j] = BigInt(integer(get(i, j), i, j));
      data = out;
      break;
    }
    case 'bool': {
      data = new Uint8Array(rows * f);
      for (let i = 0; i < rows; i++) for (let j = 0; j < f; j++) {
        const v = get(i, j);
        if (v !== 0 && v !== 1) issues.add({ code: 'invalid_value', path: [start + i, input], message: `is ${String(v)}; the model's bool input ${input} takes true/false or 0/1` });
        data[i * f + j] = v === 1 ? 1 : 0;
      }
      break;
    }
    case 'string': {
      const out: string[] = [];
      for (let i = 0; i < rows; i++) for (let j = 0; j < f; j++) {
        const v = get(i, j);
        if (typeof v !== 'string') issues.add({ code: 'invalid_type', path: [start + i, input], message: `is ${String(v)}; the model's string input ${input} takes strings (pass rows to predict)` });
        out.push(typeof v === 'string' ? v : '');
      }
      data = out;
      break;
    }
  }
  issues.check(where);
  return data;
}
