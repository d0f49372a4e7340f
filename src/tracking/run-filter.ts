import { invalidArgument } from '../core/errors.js';

/**
 * The run search language, MLflow's dialect:
 *   metrics.auc > 0.8 and params.learner = 'gbdt' and tags.stage IN ('prod', 'staging')
 * Clauses are joined by AND. Keys with spaces or dots may be quoted with backticks
 * or double quotes: metrics.`val loss` < 0.3.
 */

export type Entity = 'metric' | 'param' | 'tag' | 'attribute';
export type Comparator = '=' | '!=' | '>' | '>=' | '<' | '<=' | 'LIKE' | 'ILIKE' | 'IN' | 'NOT IN' | 'IS NULL' | 'IS NOT NULL';

export interface FilterClause {
  readonly entity: Entity;
  readonly key: string;
  readonly comparator: Comparator;
  /** A number for metric and time comparisons, a string, a list for IN, or null for IS [NOT] NULL. */
  readonly value: number | string | readonly string[] | null;
}

export interface OrderClause {
  readonly entity: Entity;
  readonly key: string;
  readonly ascending: boolean;
}

/** Run attributes that can be filtered and ordered on, and whether they are numeric. */
export const RUN_ATTRIBUTES: Readonly<Record<string, 'string' | 'number'>> = Object.freeze({
  run_id: 'string',
  run_name: 'string',
  status: 'string',
  user_id: 'string',
  artifact_uri: 'string',
  lifecycle_stage: 'string',
  parent_run_id: 'string',
  start_time: 'number',
  end_time: 'number',
});

const ENTITY_ALIASES: Readonly<Record<string, Entity>> = {
  metric: 'metric', metrics: 'metric',
  param: 'param', params: 'param', parameter: 'param', parameters: 'param',
  tag: 'tag', tags: 'tag',
  attribute: 'attribute', attributes: 'attribute', attr: 'attribute', run: 'attribute',
};

const ATTRIBUTE_ALIASES: Readonly<Record<string, string>> = { run_uuid: 'run_id', name: 'run_name', 'run name': 'run_name' };

/** A lexical token of the filter language, shared with the registry's search filters. */
export type FilterToken =
  | { kind: 'ident'; text: string; pos: number }
  | { kind: 'string'; text: string; pos: number }
  | { kind: 'number'; value: number; text: string; pos: number }
  | { kind: 'op'; text: string; pos: number }
  | { kind: 'punct'; text: '(' | ')' | ','; pos: number };

const EXAMPLE = "metrics.auc > 0.8 and params.learner = 'gbdt'";

type Token = FilterToken;
const fail: (source: string, pos: number, problem: string) => never = (source, pos, problem) => failAt(source, pos, problem);

export function failAt(source: string, pos: number, problem: string, example = EXAMPLE): never {
  throw invalidArgument(`Invalid search filter at position ${pos + 1} of \`${source}\`: ${problem}. Example of a valid filter: ${example}`, {
    filter: source,
    position: pos + 1,
  });
}

/** Splits a filter into tokens; errors name the position and show `example`. */
export function tokenizeFilter(source: string, example = EXAMPLE): Token[] {
  const fail: (source: string, pos: number, problem: string) => never = (src, pos, problem) => failAt(src, pos, problem, example);
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const ch = source[i]!;
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    const start = i;
    if (ch === "'" || ch === '"' || ch === '`') {
      let text = '';
      i++;
      while (i < source.length && source[i] !== ch) {
        if (source[i] === '\\' && i + 1 < source.length) i++;
        text += source[i];
        i++;
      }
      if (i >= source.length) fail(source, start, `the quote ${ch} is never closed`);
      i++;
      // A quoted key directly after `entity.` belongs to the identifier.
      const prev = tokens[tokens.length - 1];
      if (ch !== "'" && prev?.kind === 'ident' && prev.text.endsWith('.') && prev.pos + prev.text.length === start) {
        tokens[tokens.length - 1] = { kind: 'ident', text: prev.text + text, pos: prev.pos };
      } else if (ch === '`') {
        tokens.push({ kind: 'ident', text, pos: start });
      } else {
        tokens.push({ kind: 'string', text, pos: start });
      }
      continue;
    }
    if (/[0-9]/.test(ch) || ((ch === '-' || ch === '+' || ch === '.') && /[0-9.]/.test(source[i + 1] ?? ''))) {
      const m = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?/.exec(source.slice(i));
      if (!m) fail(source, i, `\`${source.slice(i, i + 10)}\` is not a number`);
      tokens.push({ kind: 'number', value: Number(m[0]), text: m[0], pos: start });
      i += m[0].length;
      continue;
    }
    if (/[A-Za-z_]/.test(ch)) {
      const m = /^[A-Za-z_][A-Za-z0-9_.\-/:]*/.exec(source.slice(i))!;
      tokens.push({ kind: 'ident', text: m[0], pos: start });
      i += m[0].length;
      continue;
    }
    const op = /^(>=|<=|!=|<>|==|=|>|<)/.exec(source.slice(i));
    if (op) {
      tokens.push({ kind: 'op', text: op[0] === '==' ? '=' : op[0] === '<>' ? '!=' : op[0], pos: start });
      i += op[0].length;
      continue;
    }
    if (ch === '(' || ch === ')' || ch === ',') {
      tokens.push({ kind: 'punct', text: ch, pos: start });
      i++;
      continue;
    }
    fail(source, i, `unexpected character \`${ch}\``);
  }
  return tokens;
}

function splitIdentifier(source: string, token: Token, forOrder: boolean): { entity: Entity; key: string } {
  const text = token.kind === 'ident' ? token.text : '';
  const dot = text.indexOf('.');
  if (dot < 0) {
    // A bare attribute name is accepted in order_by (`start_time DESC`), as MLflow does.
    const attr = ATTRIBUTE_ALIASES[text.toLowerCase()] ?? text.toLowerCase();
    if (forOrder && attr in RUN_ATTRIBUTES) return { entity: 'attribute', key: attr };
    fail(source, token.pos, `\`${text}\` needs an entity prefix: metrics., params., tags. or attributes.`);
  }
  const prefix = text.slice(0, dot).toLowerCase();
  const entity = ENTITY_ALIASES[prefix];
  if (!entity) fail(source, token.pos, `unknown entity \`${text.slice(0, dot)}\`; use metrics, params, tags or attributes`);
  let key = text.slice(dot + 1);
  if (key === '') fail(source, token.pos, `\`${text}\` is missing a key after the dot`);
  if (entity === 'attribute') {
    key = ATTRIBUTE_ALIASES[key.toLowerCase()] ?? key.toLowerCase();
    if (!(key in RUN_ATTRIBUTES)) {
      fail(source, token.pos, `unknown run attribute \`${text.slice(dot + 1)}\`; known: ${Object.keys(RUN_ATTRIBUTES).join(', ')}`);
    }
  }
  return { entity, key };
}

/** Parses a filter string into clauses; an empty or blank filter gives no clauses. */
export function parseRunFilter(source: string | undefined | null): FilterClause[] {
  if (source == null || source.trim() === '') return [];
  const tokens = tokenizeFilter(source);
  const clauses: FilterClause[] = [];
  let i = 0;
  const peekWord = (offset = 0): string | undefined => {
    const t = tokens[i + offset];
    return t?.kind === 'ident' ? t.text.toUpperCase() : undefined;
  };
  const endPos = source.length;
  while (i < tokens.length) {
    const identTok = tokens[i]!;
    if (identTok.kind !== 'ident') fail(source, identTok.pos, `expected a key such as metrics.auc, found \`${tokenText(identTok)}\``);
    const { entity, key } = splitIdentifier(source, identTok, false);
    i++;
    const opTok = tokens[i];
    if (!opTok) fail(source, endPos, `\`${identTok.text}\` needs a comparison, e.g. ${identTok.text} = 'value'`);
    let comparator: Comparator;
    if (opTok.kind === 'op') {
      comparator = opTok.text as Comparator;
      i++;
    } else if (peekWord() === 'LIKE' || peekWord() === 'ILIKE' || peekWord() === 'IN') {
      comparator = peekWord() as Comparator;
      i++;
    } else if (peekWord() === 'NOT' && peekWord(1) === 'IN') {
      comparator = 'NOT IN';
      i += 2;
    } else if (peekWord() === 'IS' && peekWord(1) === 'NULL') {
      comparator = 'IS NULL';
      i += 2;
    } else if (peekWord() === 'IS' && peekWord(1) === 'NOT' && peekWord(2) === 'NULL') {
      comparator = 'IS NOT NULL';
      i += 3;
    } else {
      fail(source, opTok.pos, `expected a comparison (=, !=, >, >=, <, <=, LIKE, ILIKE, IN, NOT IN, IS NULL) after \`${identTok.text}\`, found \`${tokenText(opTok)}\``);
    }

    let value: FilterClause['value'] = null;
    if (comparator === 'IN' || comparator === 'NOT IN') {
      const open = tokens[i];
      if (open?.kind !== 'punct' || open.text !== '(') fail(source, open?.pos ?? endPos, `${comparator} needs a list in parentheses, e.g. ('a', 'b')`);
      i++;
      const list: string[] = [];
      for (;;) {
        const item = tokens[i];
        if (item?.kind !== 'string' && item?.kind !== 'number') fail(source, item?.pos ?? endPos, `expected a quoted value in the ${comparator} list`);
        list.push(item.kind === 'number' ? item.text : item.text);
        i++;
        const sep = tokens[i];
        if (sep?.kind === 'punct' && sep.text === ',') {
          i++;
          continue;
        }
        if (sep?.kind === 'punct' && sep.text === ')') {
          i++;
          break;
        }
        fail(source, sep?.pos ?? endPos, `expected , or ) in the ${comparator} list`);
      }
      value = list;
    } else if (comparator !== 'IS NULL' && comparator !== 'IS NOT NULL') {
      const valTok = tokens[i];
      if (valTok?.kind === 'number') value = valTok.value;
      else if (valTok?.kind === 'string') value = valTok.text;
      else fail(source, valTok?.pos ?? endPos, `\`${identTok.text} ${comparator}\` needs a value: a number or a quoted string`);
      i++;
    }
    clauses.push(checkClause(source, identTok.pos, { entity, key, comparator, value }));

    if (i < tokens.length) {
      const word = peekWord();
      if (word === 'AND') {
        i++;
        if (i >= tokens.length) fail(source, endPos, 'the filter ends with AND; add a clause after it');
      } else if (word === 'OR') {
        fail(source, tokens[i]!.pos, 'OR is not supported; clauses can only be joined with AND (run two searches instead)');
      } else fail(source, tokens[i]!.pos, `expected AND between clauses, found \`${tokenText(tokens[i]!)}\``);
    }
  }
  return clauses;
}

function checkClause(source: string, pos: number, clause: FilterClause): FilterClause {
  const { entity, key, comparator, value } = clause;
  const numeric = entity === 'metric' || (entity === 'attribute' && RUN_ATTRIBUTES[key] === 'number');
  const name = `${entity === 'attribute' ? 'attributes' : entity + 's'}.${key}`;
  if (numeric) {
    if (['LIKE', 'ILIKE', 'IN', 'NOT IN'].includes(comparator)) fail(source, pos, `${name} is numeric; use =, !=, >, >=, <, <= with a number`);
    if (value !== null && typeof value !== 'number') fail(source, pos, `${name} is numeric; compare it with a number, not '${String(value)}'`);
  } else {
    if (['>', '>=', '<', '<='].includes(comparator)) fail(source, pos, `${name} is a string; use =, !=, LIKE, ILIKE, IN or NOT IN`);
    if (typeof value === 'number') fail(source, pos, `${name} is a string; quote the value: '${value}'`);
  }
  if (entity === 'attribute' && (comparator === 'IS NULL' || comparator === 'IS NOT NULL') && key !== 'end_time' && key !== 'parent_run_id') {
    fail(source, pos, `${name} is never null; IS NULL applies to metrics, params, tags, end_time and parent_run_id`);
  }
  return clause;
}

/** Parses MLflow order_by entries such as `metrics.auc DESC` or `attributes.start_time`. */
export function parseRunOrderBy(entries: readonly string[] | undefined | null): OrderClause[] {
  if (!entries) return [];
  return entries.map((entry) => {
    const tokens = tokenizeFilter(entry);
    const first = tokens[0];
    if (!first || first.kind !== 'ident') fail(entry, 0, 'expected a key such as metrics.auc DESC');
    const { entity, key } = splitIdentifier(entry, first, true);
    let ascending = true;
    const dir = tokens[1];
    if (dir) {
      const word = dir.kind === 'ident' ? dir.text.toUpperCase() : '';
      if (word === 'DESC') ascending = false;
      else if (word !== 'ASC') fail(entry, dir.pos, `expected ASC or DESC, found \`${tokenText(dir)}\``);
      if (tokens.length > 2) fail(entry, tokens[2]!.pos, 'an order_by entry is one key and an optional ASC or DESC');
    }
    return { entity, key, ascending };
  });
}

function tokenText(t: Token): string {
  return t.kind === 'number' ? t.text : t.text;
}
