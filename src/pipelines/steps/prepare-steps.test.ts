import { describe, expect, it } from 'vitest';
import { splitSpecOf, trainAndTest } from './prepare-steps.js';

describe('split step outputs', () => {
  it('train and test follow the order the spec names its parts, whatever order the parts come back in', () => {
    const spec = splitSpecOf({ kind: 'ordered', by: 'date', cuts: [], names: [], fractions: { fit: 0.8, holdout: 0.2 }, seed: 0 });
    // Parts come back sorted by name: holdout before fit.
    expect(trainAndTest(spec, { holdout: 'd-holdout@1', fit: 'd-fit@1' })).toEqual({ train: 'd-fit@1', test: 'd-holdout@1' });
    const time = splitSpecOf({ kind: 'time', by: 'date', cuts: ['2001-05-01'], names: ['recent', 'later'], fractions: {}, seed: 0 });
    expect(trainAndTest(time, { later: 'd-later@1', recent: 'd-recent@1' })).toEqual({ train: 'd-recent@1', test: 'd-later@1' });
    // Parts named train and test are those, wherever they are named.
    expect(trainAndTest(splitSpecOf({ kind: 'random', by: '', cuts: [], names: [], fractions: { test: 0.2, train: 0.8 }, seed: 0 }), { test: 't@1', train: 'r@1' })).toEqual({ train: 'r@1', test: 't@1' });
  });
});
