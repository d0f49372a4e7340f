import { invalidArgument } from '../core/errors.js';
import { ident, literal } from './duckdb-engine.js';

/**
 * The expression language of derived columns: a subset of SQL that Orchard
 * evaluates identically in DuckDB (training, batch scoring) and in JavaScript
 * (online serving), so a feature never means two things.
 *
 *   distance / 1000 * 1.6
 *   CASE WHEN delay > 15 THEN 1 ELSE 0 END
 *   coalesce(ln(distance), 0) + abs(dep_hour - 12)
 *
 * Operators: + - * / %, = != <> < <= > >=, AND OR NOT, IS [NOT] NULL, CASE WHEN … THEN … [ELSE …] END.
 * Functions: abs, ln, log10, exp, sqrt, power, floor, ceil, round (half away from zero),
 * least, greatest, coalesce, length, lower, upper. Numbers are doubles; invalid inputs
 * (ln of 0, sqrt of −1) give NULL; NULL propagates as in SQL.
 */
export type Expr =
  | { readonly t: 'num'; readonly v: number }
  | { readonly t: 'str'; readonly v: string }
  | { readonly t: 'null' }
  | { readonly t: 'col'; readonly name: string }
  | { readonly t: 'un'; readonly op: '-' | 'NOT'; readonly a: Expr }
  | { readonly t: 'bin'; readonly op: string; readonly a: Expr; readonly b: Expr }
  | { readonly t: 'isnull'; readonly a: Expr; readonly not: boolean }
  | { readonly t: 'case'; readonly whens: readonly (readonly [Expr, Expr])[]; readonly otherwise: Expr }
  | { readonly t: 'fn'; readonly name: string; readonly args: readonly Expr[] };

export type Value = number | string | boolean | null;

const FUNCTIONS: Readonly<Record<string, [min: number, max: number]>> = {
  abs: [1, 1], ln: [1, 1], log10: [1, 1], exp: [1, 1], sqrt: [1, 1], power: [2, 2], floor: [1, 1], ceil: [1, 1], round: [1, 1],
  least: [1, 64], greatest: [1, 64], coalesce: [1, 64], length: [1, 1], lower: [1, 1], upper: [1, 1],
};
const KEYWORDS = new Set(['AND', 'OR', 'NOT', 'IS', 'NULL', 'CASE', 'WHEN', 'THEN', 'ELSE', 'END', 'TRUE', 'FALSE']);

type Tok = { k: 'num'; v: number; p: number } | { k: 'str'; v: string; p: number } | { k: 'id'; v: string; quoted: boolean; p: number } | { k: 'op'; v: string; p: number };

function tokenize(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const m = /^(\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)/.exec(src.slice(i));
    if (m) {
      out.push({ k: 'num', v: Number(m[0]), p: i });
      i += m[0].length;
      continue;
    }
    if (c === "'" || c === '"') {
      let j = i + 1;
      let s = '';
      for (;;) {
        if (j >= src.length) fail(src, i, `the quote ${c} is never closed`);
        if (src[j] === c && src[j + 1] === c) {
          s += c;
          j += 2;
        } else if (src[j] === c) break;
        else s += src[j++];
      }
      out.push(c === "'" ? { k: 'str', v: s, p: i } : { k: 'id', v: s, quoted: true, p: i });
      i = j + 1;
      continue;
    }
    const w = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i));
    if (w) {
      out.push({ k: 'id', v: w[0], quoted: false, p: i });
      i += w[0].length;
      continue;
    }
    const op = /^(<>|!=|<=|>=|[-+*/%=<>(),])/.exec(src.slice(i));
    if (!op) fail(src, i, `unexpected character '${c}'`);
    out.push({ k: 'op', v: op[0] === '<>' ? '!=' : op[0], p: i });
    i += op[0].length;
  }
  return out;
}

function fail(src: string, pos: number, problem: string): never {
  throw invalidArgument(`Invalid expression at position ${pos + 1} of \`${src}\`: ${problem}. Example: CASE WHEN delay > 15 THEN 1 ELSE 0 END`, { expression: src, position: pos + 1 });
}

/** Parses an expression; column names are checked against `columns` when given. */
export function parseExpression(src: string, columns?: readonly string[]): Expr {
  const toks = tokenize(src);
  let i = 0;
  const peek = () => toks[i];
  const kw = (word: string) => {
    const t = toks[i];
    return t?.k === 'id' && !t.quoted && t.v.toUpperCase() === word;
  };
  const isOp = (v: string) => toks[i]?.k === 'op' && toks[i]!.v === v;
  const expect = (check: boolean, what: string) => {
    if (!check) fail(src, peek()?.p ?? src.length, `expected ${what}`);
    i++;
  };
  const level = (ops: string[], next: () => Expr): Expr => {
    let a = next();
    for (;;) {
      const t = peek();
      const op = t?.k === 'op' && ops.includes(t.v) ? t.v : t?.k === 'id' && !t.quoted && ops.includes(t.v.toUpperCase()) ? t.v.toUpperCase() : undefined;
      if (!op) return a;
      i++;
      a = { t: 'bin', op, a, b: next() };
    }
  };
  const or = (): Expr => level(['OR'], and);
  const and = (): Expr => level(['AND'], not);
  const not = (): Expr => {
    if (kw('NOT')) {
      i++;
      return { t: 'un', op: 'NOT', a: not() };
    }
    return cmp();
  };
  const cmp = (): Expr => {
    const a = add();
    if (kw('IS')) {
      i++;
      const negated = kw('NOT');
      if (negated) i++;
      expect(kw('NULL'), 'NULL after IS');
      return { t: 'isnull', a, not: negated };
    }
    const t = peek();
    if (t?.k === 'op' && ['=', '!=', '<', '<=', '>', '>='].includes(t.v)) {
      i++;
      return { t: 'bin', op: t.v, a, b: add() };
    }
    return a;
  };
  const add = (): Expr => level(['+', '-'], mul);
  const mul = (): Expr => level(['*', '/', '%'], unary);
  const unary = (): Expr => {
    if (isOp('-')) {
      i++;
      return { t: 'un', op: '-', a: unary() };
    }
    if (isOp('+')) {
      i++;
      return unary();
    }
    return atom();
  };
  const atom = (): Expr => {
    const t = peek();
    if (!t) fail(src, src.length, 'a value, column or function');
    if (t.k === 'num') return i++, { t: 'num', v: t.v };
    if (t.k === 'str') return i++, { t: 'str', v: t.v };
    if (t.k === 'op' && t.v === '(') {
      i++;
      const e = or();
      expect(isOp(')'), "')'");
      return e;
    }
    if (t.k === 'id') {
      const upper = t.v.toUpperCase();
      if (!t.quoted && upper === 'NULL') return i++, { t: 'null' };
      if (!t.quoted && (upper === 'TRUE' || upper === 'FALSE')) return i++, { t: 'num', v: upper === 'TRUE' ? 1 : 0 };
      if (!t.quoted && upper === 'CASE') {
        i++;
        const whens: [Expr, Expr][] = [];
        while (kw('WHEN')) {
          i++;
          const cond = or();
          expect(kw('THEN'), 'THEN');
          whens.push([cond, or()]);
        }
        if (whens.length === 0) fail(src, peek()?.p ?? src.length, 'CASE needs at least one WHEN … THEN …');
        let otherwise: Expr = { t: 'null' };
        if (kw('ELSE')) {
          i++;
          otherwise = or();
        }
        expect(kw('END'), 'END to close CASE');
        return { t: 'case', whens, otherwise };
      }
      if (!t.quoted && toks[i + 1]?.k === 'op' && toks[i + 1]!.v === '(') {
        const name = t.v.toLowerCase();
        const arity = FUNCTIONS[name];
        if (!arity) fail(src, t.p, `unknown function ${t.v}; known: ${Object.keys(FUNCTIONS).join(', ')}`);
        i += 2;
        const args: Expr[] = [];
        if (!isOp(')')) {
          args.push(or());
          while (isOp(',')) {
            i++;
            args.push(or());
          }
        }
        expect(isOp(')'), "')' after the arguments");
        if (args.length < arity[0] || args.length > arity[1]) fail(src, t.p, `${name} takes ${arity[0] === arity[1] ? arity[0] : `${arity[0]} to ${arity[1]}`} argument(s), got ${args.length}`);
        return { t: 'fn', name, args };
      }
      if (!t.quoted && KEYWORDS.has(upper)) fail(src, t.p, `unexpected ${upper}`);
      if (columns && !columns.includes(t.v)) fail(src, t.p, `unknown column ${t.v}; columns are ${columns.join(', ')}`);
      i++;
      return { t: 'col', name: t.v };
    }
    fail(src, t.p, `unexpected '${t.v}'`);
  };
  const e = or();
  if (i < toks.length) fail(src, toks[i]!.p, `unexpected '${String(toks[i]!.v)}' after a complete expression`);
  return e;
}

/** Column names an expression reads. */
export function columnsOf(e: Expr, out = new Set<string>()): Set<string> {
  if (e.t === 'col') out.add(e.name);
  else if (e.t === 'un' || e.t === 'isnull') columnsOf(e.a, out);
  else if (e.t === 'bin') columnsOf(e.b, columnsOf(e.a, out));
  else if (e.t === 'case') {
    for (const [c, v] of e.whens) columnsOf(v, columnsOf(c, out));
    columnsOf(e.otherwise, out);
  } else if (e.t === 'fn') for (const a of e.args) columnsOf(a, out);
  return out;
}

/**
 * DuckDB SQL for an expression. `numericColumns` are read as DOUBLE so arithmetic
 * is floating-point as in JavaScript; other columns are read as they are.
 */
export function toSql(e: Expr, numericColumns: ReadonlySet<string>): string {
  const s = (x: Expr) => toSql(x, numericColumns);
  switch (e.t) {
    case 'num':
      return `(${Number.isInteger(e.v) ? e.v.toFixed(1) : String(e.v)})::double`;
    case 'str':
      return literal(e.v);
    case 'null':
      return 'null';
    case 'col':
      return numericColumns.has(e.name) ? `${ident(e.name)}::double` : ident(e.name);
    case 'un':
      return e.op === '-' ? `(- ${s(e.a)})` : `(not ${bool(e.a, numericColumns)})`;
    case 'isnull':
      return `(${s(e.a)} is ${e.not ? 'not ' : ''}null)`;
    case 'bin':
      if (e.op === 'AND' || e.op === 'OR') return `(${bool(e.a, numericColumns)} ${e.op.toLowerCase()} ${bool(e.b, numericColumns)})`;
      if (['=', '!=', '<', '<=', '>', '>='].includes(e.op)) return `((${s(e.a)} ${e.op} ${s(e.b)})::integer)::double`;
      return `(${s(e.a)} ${e.op} ${s(e.b)})`;
    case 'case':
      return `(case ${e.whens.map(([c, v]) => `when ${bool(c, numericColumns)} then ${s(v)}`).join(' ')} else ${s(e.otherwise)} end)`;
    case 'fn': {
      const a = e.args.map(s);
      switch (e.name) {
        case 'ln':
          return `(case when ${a[0]} > 0 then ln(${a[0]}) end)`;
        case 'log10':
          return `(case when ${a[0]} > 0 then log10(${a[0]}) end)`;
        case 'sqrt':
          return `(case when ${a[0]} >= 0 then sqrt(${a[0]}) end)`;
        case 'round':
          return `round(${a[0]}::double)`;
        case 'power':
          return `pow(${a[0]}::double, ${a[1]}::double)`;
        case 'length':
          return `length(${a[0]})::double`;
        default:
          return `${e.name}(${a.join(', ')})`;
      }
    }
  }
}

function bool(e: Expr, numeric: ReadonlySet<string>): string {
  return `((${toSql(e, numeric)}) <> 0)`;
}

/** Evaluates an expression on one row, with SQL's NULL semantics. */
export function evaluate(e: Expr, row: Readonly<Record<string, Value>>): Value {
  switch (e.t) {
    case 'num':
    case 'str':
      return e.v;
    case 'null':
      return null;
    case 'col': {
      const v = row[e.name];
      return v === undefined ? null : typeof v === 'boolean' ? (v ? 1 : 0) : v;
    }
    case 'un': {
      const a = evaluate(e.a, row);
      if (a === null) return null;
      return e.op === '-' ? -Number(a) : truthy(a) ? 0 : 1;
    }
    case 'isnull': {
      const a = evaluate(e.a, row);
      return (a === null) !== e.not ? 1 : 0;
    }
    case 'bin': {
      if (e.op === 'AND' || e.op === 'OR') {
        const a = evaluate(e.a, row);
        const b = evaluate(e.b, row);
        const ta = a === null ? null : truthy(a);
        const tb = b === null ? null : truthy(b);
        if (e.op === 'AND') return ta === false || tb === false ? 0 : ta === null || tb === null ? null : 1;
        return ta === true || tb === true ? 1 : ta === null || tb === null ? null : 0;
      }
      const a = evaluate(e.a, row);
      const b = evaluate(e.b, row);
      if (a === null || b === null) return null;
      switch (e.op) {
        case '+':
          return Number(a) + Number(b);
        case '-':
          return Number(a) - Number(b);
        case '*':
          return Number(a) * Number(b);
        case '/':
          return Number(a) / Number(b);
        case '%':
          return Number(a) % Number(b);
        default:
          return compare(e.op, a, b) ? 1 : 0;
      }
    }
    case 'case': {
      for (const [c, v] of e.whens) {
        const cond = evaluate(c, row);
        if (cond !== null && truthy(cond)) return evaluate(v, row);
      }
      return evaluate(e.otherwise, row);
    }
    case 'fn': {
      const a = e.args.map((x) => evaluate(x, row));
      const n = a[0] === null || a[0] === undefined ? null : Number(a[0]);
      switch (e.name) {
        case 'coalesce':
          return a.find((x) => x !== null) ?? null;
        case 'least':
        case 'greatest': {
          // DuckDB ignores NULL arguments of least/greatest.
          const nums = a.filter((x): x is number | string | boolean => x !== null).map(Number);
          return nums.length === 0 ? null : e.name === 'least' ? Math.min(...nums) : Math.max(...nums);
        }
        case 'length':
          return a[0] === null ? null : String(a[0]).length;
        case 'lower':
          return a[0] === null ? null : String(a[0]).toLowerCase();
        case 'upper':
          return a[0] === null ? null : String(a[0]).toUpperCase();
      }
      if (n === null) return null;
      switch (e.name) {
        case 'abs':
          return Math.abs(n);
        case 'ln':
          return n > 0 ? Math.log(n) : null;
        case 'log10':
          return n > 0 ? Math.log10(n) : null;
        case 'exp':
          return Math.exp(n);
        case 'sqrt':
          return n >= 0 ? Math.sqrt(n) : null;
        case 'power':
          return a[1] === null ? null : Math.pow(n, Number(a[1]));
        case 'floor':
          return Math.floor(n);
        case 'ceil':
          return Math.ceil(n);
        case 'round':
          return Math.sign(n) * Math.round(Math.abs(n));
      }
      return null;
    }
  }
}

function truthy(v: Value): boolean {
  return typeof v === 'string' ? v !== '' : Number(v) !== 0;
}

function compare(op: string, a: Value, b: Value): boolean {
  const [x, y] = typeof a === 'string' && typeof b === 'string' ? [a, b] : [Number(a), Number(b)];
  switch (op) {
    case '=':
      return x === y;
    case '!=':
      return x !== y;
    case '<':
      return x < y;
    case '<=':
      return x <= y;
    case '>':
      return x > y;
    default:
      return x >= y;
  }
}
