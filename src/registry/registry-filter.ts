import { failAt, tokenizeFilter, type FilterToken } from '../tracking/run-filter.js';

/**
 * The subset of MLflow's registry search filters Orchard understands, joined by AND:
 *   name LIKE 'flights%' and tags.team = 'a'                    (registered models)
 *   name = 'flights' and run_id IN ('…', '…') and version_number >= 3   (model versions)
 * Attributes may be written bare (`name`) or prefixed (`attributes.name`); tag keys with
 * spaces or dots are quoted with backticks or double quotes: tags.`data set` = 'x'.
 */

export type RegistryFilterField = 'name' | 'run_id' | 'version_number' | 'source_path' | 'tag';
export type RegistryComparator = '=' | '!=' | '>' | '>=' | '<' | '<=' | 'LIKE' | 'ILIKE' | 'IN' | 'NOT IN';

export interface RegistryFilterClause {
  readonly field: RegistryFilterField;
  /** The tag key when `field` is `tag`. */
  readonly key?: string;
  readonly comparator: RegistryComparator;
  /** A number for `version_number`, a list for IN / NOT IN, otherwise a string. */
  readonly value: string | number | readonly string[];
}

export type RegistryOrderField = 'name' | 'version_number' | 'creation_timestamp' | 'last_updated_timestamp';

export interface RegistryOrderClause {
  readonly field: RegistryOrderField;
  readonly ascending: boolean;
}

/** What can be searched: registered models, or model versions. */
export type RegistrySearchTarget = 'models' | 'versions';

const FIELDS: Record<RegistrySearchTarget, readonly RegistryFilterField[]> = {
  models: ['name', 'tag'],
  versions: ['name', 'run_id', 'version_number', 'source_path', 'tag'],
};
const ORDER_FIELDS: Record<RegistrySearchTarget, readonly RegistryOrderField[]> = {
  models: ['name', 'creation_timestamp', 'last_updated_timestamp'],
  versions: ['name', 'version_number', 'creation_timestamp', 'last_updated_timestamp'],
};
const EXAMPLES: Record<RegistrySearchTarget, string> = {
  models: "name LIKE 'flights%' and tags.team = 'risk'",
  versions: "name = 'flights' and run_id = '<run id>'",
};
const STRING_COMPARATORS: readonly RegistryComparator[] = ['=', '!=', 'LIKE', 'ILIKE', 'IN', 'NOT IN'];
const NUMBER_COMPARATORS: readonly RegistryComparator[] = ['=', '!=', '>', '>=', '<', '<='];

/** Parses a registry search filter; an empty or blank filter gives no clauses. */
export function parseRegistryFilter(source: string | undefined | null, target: RegistrySearchTarget): RegistryFilterClause[] {
  if (source == null || source.trim() === '') return [];
  const example = EXAMPLES[target];
  const fail = (pos: number, problem: string): never => failAt(source, pos, problem, example);
  const tokens = tokenizeFilter(source, example);
  const word = (t: FilterToken | undefined) => (t?.kind === 'ident' ? t.text.toUpperCase() : undefined);
  const clauses: RegistryFilterClause[] = [];
  let i = 0;
  while (i < tokens.length) {
    const lhs = tokens[i]!;
    if (lhs.kind !== 'ident') return fail(lhs.pos, `expected a field such as name or tags.<key>, found \`${lhs.text}\``);
    const { field, key } = fieldOf(lhs.text, target, (problem) => fail(lhs.pos, problem));
    i++;
    let comparator: RegistryComparator;
    const op = tokens[i];
    if (op?.kind === 'op') {
      comparator = op.text as RegistryComparator;
      i++;
    } else if (word(op) === 'LIKE' || word(op) === 'ILIKE' || word(op) === 'IN') {
      comparator = word(op) as RegistryComparator;
      i++;
    } else if (word(op) === 'NOT' && word(tokens[i + 1]) === 'IN') {
      comparator = 'NOT IN';
      i += 2;
    } else {
      return fail(op?.pos ?? source.length, `expected a comparison (=, !=, LIKE, ILIKE, IN${field === 'version_number' ? ', >, <' : ''}) after \`${lhs.text}\``);
    }
    const numeric = field === 'version_number';
    const allowed = numeric ? NUMBER_COMPARATORS : field === 'tag' ? STRING_COMPARATORS.filter((c) => c !== 'IN' && c !== 'NOT IN') : STRING_COMPARATORS;
    if (!allowed.includes(comparator)) fail(lhs.pos, `\`${lhs.text}\` takes ${allowed.join(', ')}, not ${comparator}`);

    let value: RegistryFilterClause['value'];
    if (comparator === 'IN' || comparator === 'NOT IN') {
      if (tokens[i]?.kind !== 'punct' || tokens[i]!.text !== '(') return fail(tokens[i]?.pos ?? source.length, `${comparator} needs a list in parentheses, e.g. ('a', 'b')`);
      i++;
      const list: string[] = [];
      for (;;) {
        const item = tokens[i];
        if (item?.kind !== 'string') return fail(item?.pos ?? source.length, `expected a quoted value in the ${comparator} list`);
        list.push(item.text);
        i++;
        const sep = tokens[i];
        i++;
        if (sep?.kind === 'punct' && sep.text === ',') continue;
        if (sep?.kind === 'punct' && sep.text === ')') break;
        return fail(sep?.pos ?? source.length, `expected , or ) in the ${comparator} list`);
      }
      value = list;
    } else {
      const v = tokens[i];
      if (numeric) {
        if (v?.kind !== 'number' || !Number.isInteger(v.value)) return fail(v?.pos ?? source.length, `version_number is compared with a whole number, e.g. version_number >= 3`);
        value = v.value;
      } else {
        if (v?.kind !== 'string') return fail(v?.pos ?? source.length, `\`${lhs.text} ${comparator}\` needs a quoted string, e.g. '${field === 'tag' ? 'value' : 'flights'}'`);
        value = v.text;
      }
      i++;
    }
    clauses.push(key === undefined ? { field, comparator, value } : { field, key, comparator, value });

    if (i < tokens.length) {
      if (word(tokens[i]) === 'AND') {
        i++;
        if (i >= tokens.length) fail(source.length, 'the filter ends with AND; add a clause after it');
      } else if (word(tokens[i]) === 'OR') fail(tokens[i]!.pos, 'OR is not supported; clauses can only be joined with AND');
      else fail(tokens[i]!.pos, `expected AND between clauses, found \`${tokens[i]!.text}\``);
    }
  }
  return clauses;
}

function fieldOf(text: string, target: RegistrySearchTarget, fail: (problem: string) => never): { field: RegistryFilterField; key?: string } {
  const dot = text.indexOf('.');
  const prefix = dot < 0 ? '' : text.slice(0, dot).toLowerCase();
  if (prefix === 'tag' || prefix === 'tags') {
    const key = text.slice(dot + 1);
    if (key === '') fail(`\`${text}\` is missing a tag key after the dot`);
    return { field: 'tag', key };
  }
  const bare = prefix === 'attribute' || prefix === 'attributes' ? text.slice(dot + 1) : dot < 0 ? text : '';
  const name = bare.toLowerCase() === 'source' ? 'source_path' : bare.toLowerCase();
  const allowed = FIELDS[target];
  if (!(allowed as readonly string[]).includes(name) || name === 'tag') {
    fail(`unknown field \`${text}\`; ${target === 'models' ? 'registered models' : 'model versions'} are searched by ${allowed.filter((f) => f !== 'tag').join(', ')} and tags.<key>`);
  }
  return { field: name as RegistryFilterField };
}

/** Parses order_by entries such as `name ASC` or `last_updated_timestamp DESC`. */
export function parseRegistryOrderBy(entries: readonly string[] | undefined | null, target: RegistrySearchTarget): RegistryOrderClause[] {
  return (entries ?? []).map((entry) => {
    const m = /^\s*(?:attributes?\.)?([a-z_]+)(?:\s+(ASC|DESC))?\s*$/i.exec(entry);
    const field = (m?.[1]?.toLowerCase() === 'timestamp' ? 'creation_timestamp' : m?.[1]?.toLowerCase()) as RegistryOrderField | undefined;
    if (!m || !field || !ORDER_FIELDS[target].includes(field)) {
      failAt(entry, 0, `order_by takes one of ${ORDER_FIELDS[target].join(', ')} with an optional ASC or DESC`, `${ORDER_FIELDS[target][0]} DESC`);
    }
    return { field: field!, ascending: (m![2] ?? 'ASC').toUpperCase() === 'ASC' };
  });
}
