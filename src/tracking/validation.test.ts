import { describe, expect, it } from 'vitest';
import { LIMITS, decodePageToken, encodePageToken, keyIssues, parseBatch, parseMetricValue } from './validation.js';

describe('parseBatch', () => {
  it('fills default step and timestamp and dedupes params and tags', () => {
    const batch = parseBatch(
      {
        metrics: [{ key: 'loss', value: 0.5 }, { key: 'loss', value: 'NaN', step: '3', timestamp: '17' }],
        params: [{ key: 'lr', value: 0.1 }, { key: 'lr', value: '0.1' }],
        tags: [{ key: 't', value: 'a' }, { key: 't', value: 'b' }],
      },
      1234,
      LIMITS.mlflowBatch,
    );
    expect(batch.metrics).toEqual([
      { key: 'loss', value: 0.5, step: 0, timestamp: 1234 },
      { key: 'loss', value: Number.NaN, step: 3, timestamp: 17 },
    ]);
    expect(batch.params).toEqual([{ key: 'lr', value: '0.1' }]);
    expect(batch.tags).toEqual([{ key: 't', value: 'b' }]);
  });

  it('reports every problem at once, with paths', () => {
    let error: unknown;
    try {
      parseBatch(
        {
          metrics: [{ key: '', value: 1 }, { key: 'ok', value: 'abc' }, { key: 'ok', value: 1, step: 1.5 }, 7],
          params: [{ key: 'a', value: '1' }, { key: 'a', value: '2' }, { key: '../x', value: '1' }],
          tags: { key: 'not a list' },
        },
        0,
        LIMITS.mlflowBatch,
      );
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT' });
    const issues = (error as { details: { issues: { path: unknown[]; code: string }[] } }).details.issues;
    expect(issues.map((i) => [i.path.join('.'), i.code])).toEqual([
      ['tags', 'invalid_type'],
      ['metrics.0.key', 'invalid_key'],
      ['metrics.1.value', 'invalid_value'],
      ['metrics.2.step', 'invalid_value'],
      ['metrics.3', 'invalid_type'],
      ['params.1', 'conflicting_param'],
      ['params.2.key', 'invalid_key'],
    ]);
    expect((error as Error).message).toMatch(/7 problems/);
  });

  it('enforces the per-call limits MLflow documents', () => {
    const metrics = Array.from({ length: 1001 }, (_, i) => ({ key: 'm', value: i }));
    expect(() => parseBatch({ metrics }, 0, LIMITS.mlflowBatch)).toThrow(/holds 1001 items; at most 1000/);
    expect(parseBatch({ metrics }, 0, LIMITS.orchardBatch).metrics).toHaveLength(1001);
    const params = Array.from({ length: 101 }, (_, i) => ({ key: `p${i}`, value: '1' }));
    expect(() => parseBatch({ params }, 0, LIMITS.mlflowBatch)).toThrow(/at most 100 per call/);
    expect(() => parseBatch({ params: [{ key: 'p', value: 'x'.repeat(6001) }] }, 0, LIMITS.mlflowBatch)).toThrow(/6001 characters; the limit is 6000/);
  });
});

describe('keys and values', () => {
  it('accepts MLflow key characters and rejects the rest', () => {
    expect(keyIssues('train/loss value-1.x_y', [])).toEqual([]);
    expect(keyIssues('a:b', [])[0]?.message).toMatch(/may only hold/);
    expect(keyIssues('/abs', [])[0]?.message).toMatch(/must not start with \//);
    expect(keyIssues('a/../b', [])[0]?.message).toMatch(/segments/);
    expect(keyIssues('k'.repeat(251), [])[0]?.code).toBe('too_long');
  });

  it('reads protobuf JSON doubles', () => {
    expect(parseMetricValue('Infinity')).toBe(Number.POSITIVE_INFINITY);
    expect(parseMetricValue('-Infinity')).toBe(Number.NEGATIVE_INFINITY);
    expect(parseMetricValue('NaN')).toBeNaN();
    expect(parseMetricValue('0.25')).toBe(0.25);
    expect(parseMetricValue('abc')).toBeUndefined();
    expect(parseMetricValue(null)).toBeUndefined();
  });
});

describe('page tokens', () => {
  it('round-trip offsets and reject foreign tokens', () => {
    expect(decodePageToken(encodePageToken(250))).toBe(250);
    expect(decodePageToken(undefined)).toBe(0);
    expect(() => decodePageToken('garbage!')).toThrow(/not a token Orchard issued/);
    expect(() => decodePageToken(Buffer.from('{"o":-1}').toString('base64url'))).toThrow(/not a token/);
  });
});
