import { describe, expect, it } from 'vitest';
import { bindingOf, dependenciesOf, describeCondition, holds, isPipeline, pipeline } from './pipeline.js';
import { command, step } from './step.js';
import { types } from './types.js';

const load = step({ name: 'load', outputs: { data: types.file('dataset'), n: types.number, tags: types.list(types.string) }, run: () => ({ n: 1, tags: ['a'] }) });
const train = step({
  name: 'train',
  inputs: { data: types.file('dataset'), note: types.string },
  outputs: { model: types.file('model'), auc: types.number },
  params: { lr: 0.1 },
  run: ({ inputs, params, outputs }) => {
    // Inside the step, inputs and params have their runtime types.
    const path: string = inputs.data;
    const lr: number = params.lr;
    const where: string = outputs.model;
    return { auc: lr + path.length + where.length };
  },
});

describe('the pipeline DSL', () => {
  it('builds a frozen graph value from the build function', () => {
    const p = pipeline('demo', { params: { note: 'hi', lr: 0.2 }, experiment: 'exp', concurrency: 3 }, (b) => {
      const l = b.step(load);
      const t = b.step(train, { name: 'fit', inputs: { data: l.outputs.data, note: b.params.note }, params: { lr: b.params.lr }, when: l.outputs.n.gte(1), retries: 2 });
      b.step(command({ name: 'sh', command: ['true'] }), { after: [t] });
    });
    expect(isPipeline(p)).toBe(true);
    expect(Object.isFrozen(p) && Object.isFrozen(p.nodes)).toBe(true);
    expect(p).toMatchObject({ name: 'demo', experiment: 'exp', concurrency: 3, params: { note: 'hi', lr: 0.2 } });
    const fit = p.nodes[1]!;
    expect(fit).toMatchObject({
      name: 'fit',
      inputs: { data: { kind: 'output', node: 'load', output: 'data' }, note: { kind: 'param', param: 'note' } },
      params: { lr: { kind: 'param', param: 'lr' } },
      retries: 2,
      cache: true,
    });
    expect(describeCondition(fit.when[0]!)).toBe('load.n >= 1');
    expect(dependenciesOf(p.nodes[2]!)).toEqual(['fit']);
    expect(bindingOf(3)).toEqual({ kind: 'value', value: 3 });
    expect(p.nodes[2]!.step.code).toBe('{"argv":["true"],"env":{}}');
  });

  it('evaluates conditions on values', () => {
    const ref = pipeline('c', (b) => {
      const l = b.step(load);
      expect([holds(l.outputs.n.gt(1), 2), holds(l.outputs.n.gt(1), 1), holds(l.outputs.n.eq(1), 1), holds(l.outputs.tags.truthy(), []), holds(l.outputs.tags.falsy(), [])]).toEqual([true, false, true, false, true]);
    });
    expect(ref.nodes).toHaveLength(1);
  });

  it('checks wiring types at compile time', () => {
    pipeline('typed', { params: { count: 3 } }, (b) => {
      const l = b.step(load);
      // @ts-expect-error a number output cannot feed a file input
      b.step(train, { name: 'a', inputs: { data: l.outputs.n, note: 'x' } });
      // @ts-expect-error a number parameter cannot feed a string input
      b.step(train, { name: 'b', inputs: { data: l.outputs.data, note: b.params.count } });
      // @ts-expect-error a literal cannot stand in for a file
      b.step(train, { name: 'c', inputs: { data: '/tmp/x.csv', note: 'x' } });
      // @ts-expect-error every input must be fed
      b.step(train, { name: 'd', inputs: { note: 'x' } });
      // @ts-expect-error a step parameter keeps its type
      b.step(train, { name: 'e', inputs: { data: l.outputs.data, note: 'x' }, params: { lr: 'fast' } });
      b.step(train, { name: 'f', inputs: { data: b.file('data.csv'), note: 'x' } });
    });
    expect(() => step({ name: 'x' } as never)).toThrow("Step 'x' has no run function; pass step({ name, run: async (ctx) => { … } }), or use command() for an executable.");
    expect(() => command({ name: 'y', command: [] as never })).toThrow("Command step 'y' needs command: ['executable', 'arg', …] (strings), got [].");
  });
});
