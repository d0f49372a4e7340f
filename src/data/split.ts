import { invalidArgument } from '../core/errors.js';
import { ident, literal } from './duckdb-engine.js';
import type { ColumnSchema } from './types.js';

/**
 * How to split a dataset version. Every split is deterministic: the same input and
 * seed give the same rows in each part, whatever the row order or thread count.
 */
export type SplitSpec =
  | { readonly kind: 'random'; readonly fractions: Readonly<Record<string, number>>; readonly seed: number }
  | { readonly kind: 'stratified'; readonly by: string; readonly fractions: Readonly<Record<string, number>>; readonly seed: number }
  | { readonly kind: 'group'; readonly by: string; readonly fractions: Readonly<Record<string, number>>; readonly seed: number }
  /** Rows ordered by a column, cut at the fractions in order: {train: 0.8, test: 0.2} puts the latest 20% in test (ties broken by a seeded hash; nulls in no part). */
  | { readonly kind: 'ordered'; readonly by: string; readonly fractions: Readonly<Record<string, number>>; readonly seed: number }
  /** Parts between cut points: names.length === cuts.length + 1, cuts ascending (ISO dates or numbers). */
  | { readonly kind: 'time'; readonly by: string; readonly cuts: readonly string[]; readonly names: readonly string[] }
  /** One part per calendar period of a datetime column, named by the period (2001-01). */
  | { readonly kind: 'period'; readonly by: string; readonly every: 'year' | 'month' | 'week' | 'day' };

const PART = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** Checks a split against the columns it uses; returns the part names in order (period parts are found later). */
export function checkSplit(spec: SplitSpec, columns: readonly ColumnSchema[]): void {
  const column = (name: string) => {
    const c = columns.find((x) => x.name === name);
    if (!c) throw invalidArgument(`Cannot split by \`${name}\`: no such column; columns are ${columns.map((x) => x.name).join(', ')}.`, { column: name });
    return c;
  };
  if (spec.kind === 'random' || spec.kind === 'stratified' || spec.kind === 'group' || spec.kind === 'ordered') {
    const entries = Object.entries(spec.fractions);
    if (entries.length < 2) throw invalidArgument('A split needs at least two parts, e.g. train=0.8,test=0.2.');
    for (const [name, f] of entries) {
      if (!PART.test(name)) throw invalidArgument(`Part name '${name}' is not valid; use letters, digits, '_', '-' and '.'.`);
      if (!(f > 0 && f < 1)) throw invalidArgument(`Fraction of part '${name}' is ${f}; each must be between 0 and 1.`);
    }
    const sum = entries.reduce((s, [, f]) => s + f, 0);
    if (Math.abs(sum - 1) > 1e-9) throw invalidArgument(`Fractions add up to ${sum}; they must add up to 1 (e.g. train=0.8,test=0.2).`);
    if (!Number.isInteger(spec.seed)) throw invalidArgument(`Seed must be a whole number, got ${spec.seed}.`);
    if (spec.kind !== 'random') column(spec.by);
    return;
  }
  const c = column(spec.by);
  if (spec.kind === 'period' && c.kind !== 'datetime') throw invalidArgument(`Column \`${spec.by}\` is ${c.kind}; a split by period needs a datetime column.`);
  if (spec.kind === 'time') {
    if (spec.cuts.length === 0) throw invalidArgument('A time split needs at least one cut point, e.g. --cuts 2001-05-01.');
    if (spec.names.length !== spec.cuts.length + 1) throw invalidArgument(`A time split with ${spec.cuts.length} cut(s) makes ${spec.cuts.length + 1} parts; give as many names (got ${spec.names.join(', ')}).`);
    for (const n of spec.names) if (!PART.test(n)) throw invalidArgument(`Part name '${n}' is not valid; use letters, digits, '_', '-' and '.'.`);
    if (c.kind === 'datetime') for (const cut of spec.cuts) if (Number.isNaN(Date.parse(cut))) throw invalidArgument(`Cut point '${cut}' is not a date; use ISO dates such as 2001-05-01.`);
    if (c.kind !== 'datetime') for (const cut of spec.cuts) if (!Number.isFinite(Number(cut))) throw invalidArgument(`Cut point '${cut}' is not a number, and \`${spec.by}\` is ${c.kind}.`);
  }
}

/** A number in [0, 1) from the row's content (or one column) and the seed: deterministic per row. */
function unitHash(expr: string, seed: number): string {
  return `((hash(${expr}, ${seed}) % 1000000007)::double / 1000000007)`;
}

/**
 * SQL giving each row of `table` its part name in a column `__part`. For
 * `period`, parts are the periods found in the data.
 */
export function assignSql(spec: SplitSpec, columns: readonly ColumnSchema[], table: string): string {
  const all = columns.map((c) => ident(c.name)).join(', ');
  const cases = (u: string, fractions: Readonly<Record<string, number>>) => {
    let acc = 0;
    const entries = Object.entries(fractions);
    const whens = entries.slice(0, -1).map(([name, f]) => {
      acc += f;
      return `when ${u} < ${acc} then ${literal(name)}`;
    });
    return `case ${whens.join(' ')} else ${literal(entries[entries.length - 1]![0])} end`;
  };
  switch (spec.kind) {
    case 'random':
      return `select *, ${cases(unitHash(all, spec.seed), spec.fractions)} as __part from ${table}`;
    case 'group':
      return `select *, ${cases(unitHash(`${ident(spec.by)}::varchar`, spec.seed), spec.fractions)} as __part from ${table}`;
    case 'stratified': {
      // Rank rows within each class by hash, so every class splits in the same proportions.
      const by = ident(spec.by);
      const rank = `((row_number() over (partition by ${by} order by hash(${all}, ${spec.seed}), ${all}) - 0.5) / count(*) over (partition by ${by}))`;
      return `select * exclude (__u), ${cases('__u', spec.fractions)} as __part from (select *, ${rank} as __u from ${table})`;
    }
    case 'ordered': {
      const by = ident(spec.by);
      const rank = `((row_number() over (order by ${by}, hash(${all}, ${spec.seed}), ${all}) - 0.5) / count(*) over ())`;
      return `select * exclude (__u), ${cases('__u', spec.fractions)} as __part from (select *, ${rank} as __u from ${table} where ${by} is not null) union all by name select *, null as __part from ${table} where ${by} is null`;
    }
    case 'time': {
      const col = ident(spec.by);
      const datetime = columns.find((c) => c.name === spec.by)?.kind === 'datetime';
      const value = (cut: string) => (datetime ? `${literal(cut)}::timestamp` : String(Number(cut)));
      const whens = spec.cuts.map((cut, i) => `when ${col}${datetime ? '::timestamp' : ''} < ${value(cut)} then ${literal(spec.names[i]!)}`);
      return `select *, case when ${col} is null then null ${whens.join(' ')} else ${literal(spec.names[spec.names.length - 1]!)} end as __part from ${table}`;
    }
    case 'period': {
      const format = { year: '%Y', month: '%Y-%m', week: '%G-W%V', day: '%Y-%m-%d' }[spec.every];
      return `select *, strftime(${ident(spec.by)}::timestamp, ${literal(format)}) as __part from ${table}`;
    }
  }
}

/**
 * Reads a split spec from JSON (the HTTP API, the SDK), checking its shape; the
 * column checks follow in `checkSplit`.
 * @throws OrchardError `INVALID_ARGUMENT` naming the field and an example.
 */
export function parseSplitSpec(value: unknown): SplitSpec {
  const example = '{"kind": "random", "fractions": {"train": 0.8, "test": 0.2}, "seed": 42}';
  const v = value as Record<string, unknown> | null;
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw invalidArgument(`A split spec must be an object such as ${example}.`);
  const str = (k: string) => {
    if (typeof v[k] !== 'string' || v[k] === '') throw invalidArgument(`Split spec field "${k}" must be a column name (string).`);
    return v[k] as string;
  };
  const fractions = () => {
    const f = v.fractions as Record<string, unknown> | undefined;
    if (f === null || typeof f !== 'object' || Array.isArray(f) || Object.values(f).some((x) => typeof x !== 'number')) {
      throw invalidArgument(`Split spec field "fractions" must map part names to numbers, e.g. {"train": 0.8, "test": 0.2}.`);
    }
    return f as Record<string, number>;
  };
  const seed = () => {
    const s = v.seed ?? 42;
    if (typeof s !== 'number' || !Number.isInteger(s)) throw invalidArgument(`Split spec field "seed" must be a whole number, got ${JSON.stringify(s)}.`);
    return s;
  };
  const list = (k: string) => {
    if (!Array.isArray(v[k]) || (v[k] as unknown[]).some((x) => typeof x !== 'string')) throw invalidArgument(`Split spec field "${k}" must be a list of strings.`);
    return v[k] as string[];
  };
  switch (v.kind) {
    case 'random':
      return { kind: 'random', fractions: fractions(), seed: seed() };
    case 'stratified':
    case 'group':
    case 'ordered':
      return { kind: v.kind, by: str('by'), fractions: fractions(), seed: seed() };
    case 'time':
      return { kind: 'time', by: str('by'), cuts: list('cuts'), names: list('names') };
    case 'period': {
      const every = v.every ?? 'month';
      if (!['year', 'month', 'week', 'day'].includes(every as string)) throw invalidArgument(`Split spec field "every" must be year, month, week or day, got ${JSON.stringify(every)}.`);
      return { kind: 'period', by: str('by'), every: every as 'month' };
    }
    default:
      throw invalidArgument(`Split kind ${JSON.stringify(v.kind)} is unknown; use random, stratified, group, ordered, time or period, e.g. ${example}.`);
  }
}
