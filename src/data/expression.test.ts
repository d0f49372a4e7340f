import { describe, expect, it } from 'vitest';
import { columnsOf, evaluate, parseExpression } from './expression.js';

const ev = (src: string, row: Record<string, number | string | null> = {}) => evaluate(parseExpression(src), row);

describe('expressions', () => {
  it('follows arithmetic precedence and SQL NULL semantics', () => {
    expect(ev('1 + 2 * 3 - 4 / 2')).toBe(5);
    expect(ev('(1 + 2) * 3 % 4')).toBe(1);
    expect(ev('-x + 1', { x: 3 })).toBe(-2);
    expect(ev('x + 1', { x: null })).toBeNull();
    expect(ev('x > 1 AND y IS NULL', { x: 2, y: null })).toBe(1);
    // NULL AND FALSE is FALSE; NULL OR TRUE is TRUE (three-valued logic).
    expect(ev('x > 1 AND 1 = 0', { x: null })).toBe(0);
    expect(ev('x > 1 OR 1 = 1', { x: null })).toBe(1);
    expect(ev('x > 1 OR 1 = 0', { x: null })).toBeNull();
    expect(ev('NOT x', { x: 0 })).toBe(1);
  });

  it('evaluates CASE, functions and string comparisons', () => {
    expect(ev("CASE WHEN delay > 15 THEN 1 WHEN delay IS NULL THEN -1 ELSE 0 END", { delay: 20 })).toBe(1);
    expect(ev('CASE WHEN delay > 15 THEN 1 END', { delay: 3 })).toBeNull();
    expect(ev('coalesce(a, b, 7)', { a: null, b: null })).toBe(7);
    expect(ev('least(a, 3, b)', { a: 5, b: null })).toBe(3);
    expect(ev('greatest(1, 2.5)')).toBe(2.5);
    expect(ev('ln(0)')).toBeNull();
    expect(ev('sqrt(-4)')).toBeNull();
    expect(ev('sqrt(16) + abs(-2) + power(2, 3) + floor(1.7) + ceil(1.2)')).toBe(4 + 2 + 8 + 1 + 2);
    // round halves away from zero, as DuckDB does.
    expect([ev('round(2.5)'), ev('round(-2.5)'), ev('round(0.4)')]).toEqual([3, -3, 0]);
    expect(ev("origin = 'ATL'", { origin: 'ATL' })).toBe(1);
    expect(ev('length(lower(s))', { s: 'ABC' })).toBe(3);
    expect(ev('1 / 0')).toBe(Number.POSITIVE_INFINITY);
  });

  it('reads quoted column names and lists the columns used', () => {
    const e = parseExpression('"dep delay" * 2 + distance', ['dep delay', 'distance']);
    expect([...columnsOf(e)]).toEqual(['dep delay', 'distance']);
    expect(evaluate(e, { 'dep delay': 2, distance: 1 })).toBe(5);
  });

  it.each([
    ['1 +', /expected|a value/],
    ['foo(1)', /unknown function foo/],
    ['power(1)', /power takes 2 argument/],
    ['nope + 1', /unknown column nope; columns are a, b/],
    ['CASE 1 END', /CASE needs at least one WHEN/],
    ["'open", /never closed/],
    ['1 2', /after a complete expression/],
    ['a ? b', /unexpected character/],
  ])('rejects %s', (src, message) => {
    expect(() => parseExpression(src, ['a', 'b'])).toThrow(message);
  });
});
