import type { DuckDBConnection } from '@duckdb/node-api';
import { invalidArgument } from '../core/errors.js';
import { kindOfPhysical } from './column-kinds.js';
import { ident, queryRows } from './duckdb-engine.js';
import { columnsOf, parseExpression } from './expression.js';
import { chainSql, type FittedStep, type FittedTransform, type TransformSpec } from './transform.js';

const isNumber = (type: string) => {
  const k = kindOfPhysical(type);
  return k === 'integer' || k === 'numeric' || k === 'boolean';
};

/**
 * Fits a transform spec on a table (a Parquet scan): each step is fitted on the
 * output of the steps before it, as in a scikit-learn pipeline.
 * @throws OrchardError `INVALID_ARGUMENT` naming the step, the column and the fix.
 */
export async function fitTransform(connection: DuckDBConnection, table: string, spec: TransformSpec, fittedOn: string): Promise<FittedTransform> {
  const fitted: FittedStep[] = [];
  const describe = async () => {
    const { ctes, last } = chainSql(fitted, table);
    const rows = await queryRows(connection, `describe ${ctes} select * from ${last}`);
    return new Map(rows.map((r) => [String(r.column_name), String(r.column_type)]));
  };
  const original = await describe();
  const used = new Set<string>();
  let types = original;

  for (const [i, step] of spec.steps.entries()) {
    const where = `step ${i + 1} (${step.op})`;
    const need = (column: string, check?: (type: string) => boolean, want?: string) => {
      const type = types.get(column);
      if (type === undefined) throw invalidArgument(`Transform ${where}: no column \`${column}\`; columns here are ${[...types.keys()].join(', ')}.`, { step: i, column });
      if (check && !check(type)) throw invalidArgument(`Transform ${where}: column \`${column}\` is ${type}; ${want}.`, { step: i, column });
      if (original.has(column)) used.add(column);
      return type;
    };
    const { ctes, last } = chainSql(fitted, table);
    const stats = async (select: string) => (await queryRows(connection, `${ctes} select ${select} from ${last}`))[0] ?? {};
    switch (step.op) {
      case 'derive': {
        const expr = parseExpression(step.expr, [...types.keys()]);
        const inputs = [...columnsOf(expr)];
        inputs.forEach((c) => need(c));
        if (types.has(step.name)) throw invalidArgument(`Transform ${where}: column \`${step.name}\` already exists; derive a new name.`, { step: i });
        fitted.push({ op: 'derive', name: step.name, expr: step.expr, numericInputs: inputs.filter((c) => isNumber(types.get(c)!)) });
        break;
      }
      case 'dateparts':
        need(step.column, (t) => kindOfPhysical(t) === 'datetime', 'dateparts needs a DATE or TIMESTAMP column');
        fitted.push({ op: 'dateparts', column: step.column, parts: step.parts });
        break;
      case 'impute': {
        const fill: Record<string, number | string> = {};
        for (const c of step.columns) {
          const numeric = isNumber(need(c));
          if (step.strategy === 'constant') {
            if (numeric !== (typeof step.value === 'number')) throw invalidArgument(`Transform ${where}: column \`${c}\` is ${numeric ? 'numeric' : 'text'}; give a ${numeric ? 'number' : 'string'} value.`, { step: i });
            fill[c] = step.value!;
            continue;
          }
          if (!numeric && step.strategy !== 'most_frequent') throw invalidArgument(`Transform ${where}: column \`${c}\` is text; impute it with most_frequent or constant.`, { step: i });
          const x = numeric ? `(case when isnan(${ident(c)}::double) then null else ${ident(c)}::double end)` : ident(c);
          const agg = step.strategy === 'mean' ? `avg(${x})` : step.strategy === 'median' ? `median(${x})` : `mode(${x})`;
          const v = (await stats(`${agg} as v`)).v;
          if (v === null || v === undefined) throw invalidArgument(`Transform ${where}: column \`${c}\` has no values to take a ${step.strategy} of.`, { step: i });
          fill[c] = numeric ? Number(v) : String(v);
        }
        fitted.push({ op: 'impute', fill });
        break;
      }
      case 'onehot':
      case 'ordinal': {
        need(step.column, (t) => !['numeric'].includes(kindOfPhysical(t)), 'encode whole numbers, booleans or text; bucket fractional numbers with derive first');
        const limit = step.maxCategories ?? (step.op === 'onehot' ? 20 : 255);
        const rows = await queryRows(connection, `${ctes} select ${ident(step.column)}::varchar as v, count(*) as n from ${last} where ${ident(step.column)} is not null group by 1 order by n desc, v asc limit ${limit}`);
        fitted.push({ op: step.op, column: step.column, categories: rows.map((r) => String(r.v)) });
        break;
      }
      case 'scale': {
        const params: Record<string, { center: number; scale: number }> = {};
        for (const c of step.columns) {
          need(c, isNumber, 'scale needs a numeric column');
          const x = `(case when isnan(${ident(c)}::double) then null else ${ident(c)}::double end)`;
          const s = await stats(step.method === 'standard' ? `avg(${x}) as a, stddev_pop(${x}) as b` : `min(${x}) as a, max(${x}) - min(${x}) as b`);
          if (s.a === null || s.a === undefined) throw invalidArgument(`Transform ${where}: column \`${c}\` has no values to scale by.`, { step: i });
          const spread = Number(s.b);
          params[c] = { center: Number(s.a), scale: Number.isFinite(spread) && spread > 0 ? spread : 1 };
        }
        fitted.push({ op: 'scale', params });
        break;
      }
    }
    types = await describe();
  }
  for (const f of spec.features) {
    const type = types.get(f);
    if (type === undefined) throw invalidArgument(`Transform feature \`${f}\` does not exist after the steps; columns are ${[...types.keys()].join(', ')}.`, { feature: f });
    if (!isNumber(type)) throw invalidArgument(`Transform feature \`${f}\` is ${type}; encode it (onehot, ordinal, dateparts) so every feature is a number.`, { feature: f });
    if (original.has(f)) used.add(f);
  }
  return { orchardTransform: 1, fittedOn, inputs: [...original.keys()].filter((c) => used.has(c)), steps: fitted, features: [...spec.features] };
}
