import { describe, expect, it } from 'vitest';
import { parseRunFilter, parseRunOrderBy } from './run-filter.js';

describe('parseRunFilter', () => {
  it('parses the issue example into three clauses', () => {
    expect(parseRunFilter("metrics.auc > 0.8 and params.learner = 'gbdt' and tags.stage = 'prod'")).toEqual([
      { entity: 'metric', key: 'auc', comparator: '>', value: 0.8 },
      { entity: 'param', key: 'learner', comparator: '=', value: 'gbdt' },
      { entity: 'tag', key: 'stage', comparator: '=', value: 'prod' },
    ]);
  });

  it('accepts MLflow spellings: entity aliases, AND in any case, double quotes, backticked keys, == and <>', () => {
    expect(parseRunFilter('metric.`val loss` <= 1e-3 AND parameter."lr" <> "0.1" aNd attribute.status == "FINISHED"')).toEqual([
      { entity: 'metric', key: 'val loss', comparator: '<=', value: 0.001 },
      { entity: 'param', key: 'lr', comparator: '!=', value: '0.1' },
      { entity: 'attribute', key: 'status', comparator: '=', value: 'FINISHED' },
    ]);
  });

  it('parses IN, NOT IN, LIKE, ILIKE, IS NULL and IS NOT NULL', () => {
    expect(parseRunFilter("tags.env IN ('a', 'b') and params.x NOT IN ('c') and tags.t LIKE 'p%' and tags.u ILIKE '%Q' and metrics.m IS NULL and params.p IS NOT NULL")).toEqual([
      { entity: 'tag', key: 'env', comparator: 'IN', value: ['a', 'b'] },
      { entity: 'param', key: 'x', comparator: 'NOT IN', value: ['c'] },
      { entity: 'tag', key: 't', comparator: 'LIKE', value: 'p%' },
      { entity: 'tag', key: 'u', comparator: 'ILIKE', value: '%Q' },
      { entity: 'metric', key: 'm', comparator: 'IS NULL', value: null },
      { entity: 'param', key: 'p', comparator: 'IS NOT NULL', value: null },
    ]);
  });

  it('keeps dots in keys after the entity and handles negative numbers and escapes', () => {
    expect(parseRunFilter("params.model.depth = '6' and metrics.delta > -0.5 and tags.q = 'it\\'s'")).toEqual([
      { entity: 'param', key: 'model.depth', comparator: '=', value: '6' },
      { entity: 'metric', key: 'delta', comparator: '>', value: -0.5 },
      { entity: 'tag', key: 'q', comparator: '=', value: "it's" },
    ]);
  });

  it('gives no clauses for an empty filter', () => {
    expect(parseRunFilter('')).toEqual([]);
    expect(parseRunFilter('   ')).toEqual([]);
    expect(parseRunFilter(undefined)).toEqual([]);
  });

  it.each([
    ['metrics.auc >> 1', /position 14.*needs a value/],
    ['auc > 1', /needs an entity prefix/],
    ['foo.auc > 1', /unknown entity `foo`/],
    ['attributes.color = "red"', /unknown run attribute `color`/],
    ["metrics.auc = 'high'", /metrics\.auc is numeric; compare it with a number/],
    ["params.lr > '1'", /params\.lr is a string; use =, !=, LIKE/],
    ['params.lr = 1', /quote the value: '1'/],
    ["metrics.auc > 1 or params.a = 'b'", /OR is not supported/],
    ["metrics.auc > 1 and", /ends with AND/],
    ["params.a = 'b' params.c = 'd'", /expected AND between clauses/],
    ["params.a = 'unclosed", /never closed/],
    ["tags.t IN 'a'", /needs a list in parentheses/],
    ['metrics.auc LIKE 1', /numeric; use =, !=/],
    ["attributes.run_id IS NULL", /never null/],
  ])('rejects %s with a message that names the problem', (filter, message) => {
    expect(() => parseRunFilter(filter)).toThrow(message);
    try {
      parseRunFilter(filter);
    } catch (error) {
      expect(error).toMatchObject({ code: 'INVALID_ARGUMENT' });
      expect((error as Error).message).toContain('Example of a valid filter');
    }
  });
});

describe('parseRunOrderBy', () => {
  it('parses keys, directions and bare attribute names', () => {
    expect(parseRunOrderBy(['metrics.auc DESC', 'params.lr', 'start_time asc', 'attributes.`run name` DESC'])).toEqual([
      { entity: 'metric', key: 'auc', ascending: false },
      { entity: 'param', key: 'lr', ascending: true },
      { entity: 'attribute', key: 'start_time', ascending: true },
      { entity: 'attribute', key: 'run_name', ascending: false },
    ]);
  });

  it('rejects a bad direction or extra words', () => {
    expect(() => parseRunOrderBy(['metrics.auc DOWN'])).toThrow(/expected ASC or DESC/);
    expect(() => parseRunOrderBy(['metrics.auc DESC extra'])).toThrow(/one key and an optional ASC or DESC/);
    expect(() => parseRunOrderBy(['colour'])).toThrow(/needs an entity prefix/);
  });
});
