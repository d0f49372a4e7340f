import type { ColumnKind } from './types.js';

const INTEGER = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|INT\d*)$/;
const NUMERIC = /^(FLOAT|DOUBLE|REAL|DECIMAL.*)$/;
const DATETIME = /^(DATE|TIME|TIMESTAMP.*|TIMESTAMPTZ)$/;

/** The kind a physical type allows before looking at values. */
export function kindOfPhysical(physicalType: string): ColumnKind | 'string' {
  const t = physicalType.toUpperCase();
  if (t === 'BOOLEAN') return 'boolean';
  if (INTEGER.test(t)) return 'integer';
  if (NUMERIC.test(t)) return 'numeric';
  if (DATETIME.test(t)) return 'datetime';
  return 'string';
}

/**
 * A string column is categorical when its values repeat: at most 1,000 distinct
 * values and at most half as many distinct values as non-null ones. Otherwise text.
 */
export function stringKind(distinct: number, nonNull: number): ColumnKind {
  return distinct <= 1000 && distinct <= Math.max(1, nonNull) * 0.5 ? 'categorical' : 'text';
}
