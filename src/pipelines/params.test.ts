import { describe, expect, it } from 'vitest';
import { parseParamArgs, resolveParams } from './params.js';
import { pipeline } from './pipeline.js';
import { step } from './step.js';
import { types } from './types.js';

const train = step({ name: 'train', inputs: { x: types.number }, params: { lr: 0.1, depth: 3, loss: 'log', early: true, grid: [1, 2], opts: { a: 1 } }, run: () => {} });

const p = pipeline('params', { params: { rate: 0.5, months: ['jan', 'feb'], name: 'x', verbose: false, extra: null } }, (b) => {
  b.step(train, { inputs: { x: 1 }, params: { lr: b.params.rate, depth: 5 } });
});

describe('parameters', () => {
  it('splits key=value arguments and reports every malformed one', () => {
    expect(parseParamArgs(['a=1', 'train.lr=0.2', 'q=x=y'])).toEqual({ a: '1', 'train.lr': '0.2', q: 'x=y' });
    expect(() => parseParamArgs(['ok=1', 'nokey', '=v'])).toThrow(/\(2 problems\): param\[1\]: 'nokey' is not key=value.*param\[2\]: '=v' is not key=value/);
  });

  it('resolves defaults, wiring and overrides, parsing text to the default type', () => {
    expect(resolveParams(p, {})).toEqual({
      pipeline: { rate: 0.5, months: ['jan', 'feb'], name: 'x', verbose: false, extra: null },
      nodes: { train: { lr: 0.5, depth: 5, loss: 'log', early: true, grid: [1, 2], opts: { a: 1 } } },
    });
    const r = resolveParams(p, { rate: '0.25', months: 'mar,apr', verbose: 'yes', extra: '{"k":[1]}', 'train.depth': '8', 'train.grid': '[3,4,5]', 'train.opts': '{"b":2}', 'train.early': 'false' });
    expect(r.pipeline).toEqual({ rate: 0.25, months: ['mar', 'apr'], name: 'x', verbose: true, extra: { k: [1] } });
    // The step's lr follows the pipeline parameter it is wired to.
    expect(r.nodes.train).toEqual({ lr: 0.25, depth: 8, loss: 'log', early: false, grid: [3, 4, 5], opts: { b: 2 } });
    expect(resolveParams(p, { 'train.lr': '0.9', rate: '0.1' }).nodes.train!.lr).toBe(0.9);
    expect(resolveParams(p, { months: '["a","b c"]', name: '42' }).pipeline).toMatchObject({ months: ['a', 'b c'], name: '42' });
  });

  it('reports every unknown key and unparsable value at once', () => {
    let error: { message: string; details: { issues: { code: string }[] } } | undefined;
    try {
      resolveParams(p, { rate: 'fast', colour: 'red', verbose: 'maybe', 'train.depth': '', 'train.nope': '1', 'other.k': '1', 'train.opts': '[1]' });
    } catch (e) {
      error = e as typeof error;
    }
    expect(error!.details.issues.map((i) => i.code).sort()).toEqual(['invalid_param', 'invalid_param', 'invalid_param', 'invalid_param', 'unknown_param', 'unknown_param', 'unknown_param']);
    expect(error!.message).toContain("parameter 'rate' must be a number, e.g. 0.05, got 'fast'");
    expect(error!.message).toContain("pipeline 'params' has no parameter 'colour'; its parameters are rate, months, name, verbose, extra");
    expect(error!.message).toContain("parameter 'verbose' must be true or false, got 'maybe'");
    expect(error!.message).toContain("step 'train' has no parameter 'nope'; its parameters are lr, depth, loss, early, grid, opts");
    expect(error!.message).toContain("'other.k' names step 'other', which pipeline 'params' does not have; its steps are train");
    expect(error!.message).toContain("parameter 'train.opts' must be a JSON object, e.g. {\"depth\":3}, got '[1]'");
  });
});
