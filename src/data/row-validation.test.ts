import { describe, expect, it } from 'vitest';
import { validateRows } from './row-validation.js';
import type { DataSchema } from './schema.js';

const schema: DataSchema = {
  orchardSchema: 1,
  columns: [
    { name: 'delay', kind: 'integer', required: true, maxNullFraction: 0, range: { min: -60, max: 600 } },
    { name: 'distance', kind: 'numeric', required: true, maxNullFraction: 0.5 },
    { name: 'origin', kind: 'categorical', required: true, maxNullFraction: 0, domain: ['ATL', 'ORD'] },
    { name: 'date', kind: 'datetime', required: false, maxNullFraction: 1 },
  ],
};

describe('validateRows', () => {
  it('accepts rows that fit', () => {
    expect(validateRows(schema, [{ delay: 3, distance: 100.5, origin: 'ATL', date: '2001-01-01 10:00:00' }, { delay: -5, distance: null, origin: 'ORD' }])).toEqual([]);
  });

  it('reports every anomaly of a batch with counts and row-numbered examples', () => {
    const anomalies = validateRows(schema, [
      { delay: 3.5, distance: 1, origin: 'ATL', extra: 1 },
      { delay: 9999, distance: 'far', origin: 'ZZZ' },
      { delay: null, distance: 2, origin: 'ORD', date: 'not a date' },
      { delay: 1, distance: 3, origin: 'ZZZ' },
    ]);
    expect(anomalies.map((a) => [a.kind, a.column, a.count, a.examples])).toEqual([
      ['unexpected_column', 'extra', 0, []],
      ['type_mismatch', 'delay', 1, ['row 1: 3.5']],
      ['null_fraction', 'delay', 1, ['row 3']],
      ['out_of_range', 'delay', 1, ['row 2: 9999']],
      ['type_mismatch', 'distance', 1, ['row 2: far']],
      ['unseen_category', 'origin', 2, ['row 2: ZZZ', 'row 4: ZZZ']],
      ['type_mismatch', 'date', 1, ['row 3: not a date']],
    ]);
    expect(anomalies.find((a) => a.kind === 'unseen_category')?.fraction).toBe(0.5);
  });

  it('reports a missing required column once, and nothing for an empty batch', () => {
    expect(validateRows(schema, [{ delay: 1, distance: 1 }]).map((a) => [a.kind, a.column])).toEqual([['missing_column', 'origin']]);
    expect(validateRows(schema, [])).toEqual([]);
  });
});
