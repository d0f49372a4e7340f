import { describe, expect, it } from 'vitest';
import { parseRecords } from './records.js';

describe('tracking lines of the step contract', () => {
  it('reads metrics, params and tags; the last value of a param or tag wins', () => {
    const text = ['{"metric": "rmse", "value": 0.5, "step": 2, "timestamp": 1000}', '{"metric": "rmse", "value": 0.25}', '', '{"param": "alpha", "value": 0.5}', '{"tag": "lib", "value": "a"}', '{"tag": "lib", "value": "b"}'].join('\n');
    const { records, problems } = parseRecords(text, 5000);
    expect(problems).toEqual([]);
    expect(records.metrics).toEqual([
      { key: 'rmse', value: 0.5, step: 2, timestamp: 1000 },
      { key: 'rmse', value: 0.25, step: 0, timestamp: 5000 },
    ]);
    expect(records.params).toEqual([{ key: 'alpha', value: '0.5' }]);
    expect(records.tags).toEqual([{ key: 'lib', value: 'b' }]);
  });

  it('names each malformed line and keeps the good ones', () => {
    const text = ['not json', '{"metric": "auc", "value": "high"}', '{"metric": "auc", "value": 0.9, "step": 1.5}', '[1]', '{"what": 1}', '{"tag": "t", "value": 3}', '{"metric": "ok", "value": 1}'].join('\n');
    const { records, problems } = parseRecords(text, 0);
    expect(records.metrics.map((m) => m.key)).toEqual(['ok']);
    expect(problems).toEqual([
      'line 1 is not JSON: not json',
      `line 2: metric 'auc' needs a numeric value, got "high"`,
      `line 3: metric 'auc' step must be an integer, got 1.5`,
      'line 4 is not a JSON object',
      expect.stringMatching(/^line 5 is neither a metric, a param nor a tag; write \{"metric"/),
      "line 6: tag 't' needs a string value",
    ]);
  });
});
