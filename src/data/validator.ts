import type { DuckDBConnection } from '@duckdb/node-api';
import { ident, literal, queryRows } from './duckdb-engine.js';
import { numericExpression } from './profile.js';
import { structuralAnomalies, type Anomaly, type DataSchema } from './schema.js';
import type { ColumnSchema } from './types.js';

/**
 * Validates a Parquet file against a schema in two DuckDB scans (counts, then a few
 * examples of what is wrong), reporting every anomaly at once, TFDV-style.
 */
export async function validateParquet(connection: DuckDBConnection, path: string, columns: readonly ColumnSchema[], schema: DataSchema): Promise<{ rows: number; anomalies: Anomaly[] }> {
  const table = `read_parquet(${literal(path)})`;
  const anomalies = structuralAnomalies(schema, columns);
  const broken = new Set(anomalies.map((a) => a.column));
  const byName = new Map(columns.map((c) => [c.name, c]));
  const checks: { rule: DataSchema['columns'][number]; column: ColumnSchema; kind: 'null_fraction' | 'unseen_category' | 'out_of_range'; condition: string }[] = [];
  for (const rule of schema.columns) {
    const column = byName.get(rule.name);
    if (!column || broken.has(rule.name)) continue;
    const id = ident(rule.name);
    checks.push({ rule, column, kind: 'null_fraction', condition: `${id} is null` });
    if (rule.domain) {
      const list = rule.domain.length === 0 ? `''` : rule.domain.map(literal).join(', ');
      checks.push({ rule, column, kind: 'unseen_category', condition: `${id} is not null and ${id}::varchar not in (${list})` });
    }
    if (rule.range) {
      const x = numericExpression(column);
      checks.push({ rule, column, kind: 'out_of_range', condition: `${x} < ${rule.range.min} or ${x} > ${rule.range.max}` });
    }
  }
  const [counts = {}] = await queryRows(connection, `select count(*) as rows${checks.map((c, i) => `, count(*) filter (where ${c.condition}) as k${i}`).join('')} from ${table}`);
  const rows = Number(counts.rows ?? 0);
  for (const [i, check] of checks.entries()) {
    const count = Number(counts[`k${i}`] ?? 0);
    const fraction = rows === 0 ? 0 : count / rows;
    const name = check.rule.name;
    if (check.kind === 'null_fraction') {
      if (fraction > check.rule.maxNullFraction) {
        anomalies.push({ column: name, kind: 'null_fraction', count, fraction, examples: [], message: `column \`${name}\` is null in ${(fraction * 100).toFixed(2)}% of rows; the schema allows ${(check.rule.maxNullFraction * 100).toFixed(2)}%` });
      }
      continue;
    }
    if (count === 0) continue;
    const examples = (await queryRows(connection, `select distinct ${ident(name)}::varchar as v from ${table} where ${check.condition} order by v limit 5`)).map((r) => String(r.v));
    anomalies.push(
      check.kind === 'unseen_category'
        ? { column: name, kind: 'unseen_category', count, fraction, examples, message: `column \`${name}\` has values outside its domain of ${check.rule.domain!.length}` }
        : { column: name, kind: 'out_of_range', count, fraction, examples, message: `column \`${name}\` has values outside [${check.rule.range!.min}, ${check.rule.range!.max}]` },
    );
  }
  return { rows, anomalies };
}

/** Distinct values of small categorical and boolean columns, for a schema's domains. */
export async function columnDomains(connection: DuckDBConnection, path: string, columns: readonly ColumnSchema[], limit: number): Promise<Map<string, string[]>> {
  const domains = new Map<string, string[]>();
  for (const c of columns) {
    if (c.kind !== 'categorical' && c.kind !== 'boolean') continue;
    const values = await queryRows(connection, `select distinct ${ident(c.name)}::varchar as v from read_parquet(${literal(path)}) where ${ident(c.name)} is not null limit ${limit + 1}`);
    if (values.length <= limit) domains.set(c.name, values.map((r) => String(r.v)));
  }
  return domains;
}
