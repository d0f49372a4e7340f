import { describe, expect, it } from 'vitest';
import type { DatasetProfile } from './profile.js';
import { inferSchema, kindsCompatible, parseSchema, structuralAnomalies } from './schema.js';

const profile: DatasetProfile = {
  dataset: 'toy@1',
  rows: 10,
  duplicateRows: 0,
  createdAt: 0,
  correlations: { columns: [], matrix: [] },
  columns: [
    { name: 'x', kind: 'numeric', physicalType: 'DOUBLE', count: 9, missing: 1, missingFraction: 0.1, distinct: 9, numeric: { min: -1, max: 5, mean: 1, std: 1, quantiles: { p1: 0, p5: 0, p25: 0, p50: 0, p75: 0, p95: 0, p99: 0 }, histogram: { edges: [-1, 5], counts: [9] } } },
    { name: 'c', kind: 'categorical', physicalType: 'VARCHAR', count: 10, missing: 0, missingFraction: 0, distinct: 2 },
    { name: 't', kind: 'datetime', physicalType: 'TIMESTAMP', count: 10, missing: 0, missingFraction: 0, distinct: 10, numeric: { min: 0, max: 9, mean: 4.5, std: 3, quantiles: { p1: 0, p5: 0, p25: 0, p50: 0, p75: 0, p95: 0, p99: 0 }, histogram: { edges: [0, 9], counts: [10] } } },
  ],
};

describe('inferSchema', () => {
  it('keeps kinds, observed ranges (not for datetimes), domains and a null allowance', () => {
    const schema = inferSchema(profile, new Map([['c', ['b', 'a']]]));
    expect(schema).toEqual({
      orchardSchema: 1,
      inferredFrom: 'toy@1',
      columns: [
        // 0.1 observed → 0.1 × 1.1 + 0.001 = 0.111, rounded up to 4 decimals.
        { name: 'x', kind: 'numeric', required: true, maxNullFraction: 0.111, range: { min: -1, max: 5 } },
        { name: 'c', kind: 'categorical', required: true, maxNullFraction: 0, domain: ['a', 'b'] },
        { name: 't', kind: 'datetime', required: true, maxNullFraction: 0 },
      ],
    });
  });
});

describe('structuralAnomalies', () => {
  it('reports missing, unexpected and mistyped columns, accepting integers for numbers', () => {
    const schema = inferSchema(profile, new Map());
    const anomalies = structuralAnomalies(schema, [
      { name: 'x', kind: 'integer' },
      { name: 'c', kind: 'numeric' },
      { name: 'extra', kind: 'text' },
    ]);
    expect(anomalies.map((a) => [a.kind, a.column])).toEqual([
      ['type_mismatch', 'c'],
      ['missing_column', 't'],
      ['unexpected_column', 'extra'],
    ]);
    expect(kindsCompatible('numeric', 'integer')).toBe(true);
    expect(kindsCompatible('integer', 'numeric')).toBe(false);
  });
});

describe('parseSchema', () => {
  it('accepts an inferred schema written as JSON', () => {
    const schema = inferSchema(profile, new Map([['c', ['a']]]));
    expect(parseSchema(JSON.parse(JSON.stringify(schema)), 'schema.json')).toEqual(schema);
  });

  it('reports every problem of an edited file at once', () => {
    let error: unknown;
    try {
      parseSchema({ orchardSchema: 2, columns: [{ name: 'a', kind: 'float', required: 'yes', maxNullFraction: 2 }, { name: 'a', kind: 'text', required: true, maxNullFraction: 0, range: { min: 3, max: 1 } }] }, 'edited.json');
    } catch (e) {
      error = e;
    }
    const issues = (error as { details: { issues: { path: unknown[] }[] } }).details.issues.map((i) => i.path.join('.'));
    expect(issues).toEqual(['orchardSchema', 'columns.0.kind', 'columns.0.required', 'columns.0.maxNullFraction', 'columns.1.name', 'columns.1.range']);
    expect((error as Error).message).toContain('edited.json');
  });
});
