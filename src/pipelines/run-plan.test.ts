import { describe, expect, it } from 'vitest';
import { resolveParams } from './params.js';
import { pipeline } from './pipeline.js';
import { decide, initialStates, isComplete, runOutcome, statesForResume, type UnitState, type UnitStatus } from './run-plan.js';
import { step } from './step.js';
import { types, type StoredValue } from './types.js';

const list = step({ name: 'list', outputs: { items: types.list(types.number), auc: types.number }, run: () => ({ items: [], auc: 0 }) });
const sq = step({ name: 'sq', inputs: { x: types.number, base: types.number }, outputs: { y: types.number }, run: ({ inputs }) => ({ y: inputs.x * inputs.x }) });
const sum = step({ name: 'sum', inputs: { ys: types.list(types.number) }, outputs: { s: types.number }, run: () => ({ s: 0 }) });
const deploy = step({ name: 'deploy', inputs: { s: types.number }, run: () => {} });

const graph = pipeline('plan', { params: { gate: 0.8 } }, (p) => {
  const l = p.step(list);
  const m = p.map(sq, { over: l.outputs.items, item: 'x', inputs: { base: 10 } });
  const s = p.step(sum, { inputs: { ys: m.outputs.y } });
  p.step(deploy, { inputs: { s: s.outputs.s }, when: l.outputs.auc.gte(0.8) });
});
const ctx = { params: resolveParams(graph, {}), locals: {} };

function apply(states: Map<string, UnitState>, unit: string, status: UnitStatus, outputs: Record<string, StoredValue> | null = null, node = unit, index: number | null = null) {
  states.set(unit, { unit, node, index, status, outputs });
}

describe('the run state machine', () => {
  it('starts with the steps that wait for nothing', () => {
    const states = initialStates(graph);
    expect(decide(graph, ctx, states).map((d) => [d.type, 'unit' in d ? d.unit : d.node])).toEqual([['run', 'list']]);
  });

  it('expands a fan-out over a list output, runs each item with its value, and joins the outputs in order', () => {
    const states = initialStates(graph);
    apply(states, 'list', 'SUCCEEDED', { items: { kind: 'value', value: [2, 3, 4] }, auc: { kind: 'value', value: 0.9 } });
    expect(decide(graph, ctx, states)).toEqual([{ type: 'expand', node: 'sq', count: 3 }]);
    apply(states, 'sq', 'RUNNING');
    for (let i = 0; i < 3; i++) apply(states, `sq[${i}]`, 'PENDING', null, 'sq', i);
    const runs = decide(graph, ctx, states);
    expect(runs.map((d) => (d.type === 'run' ? [d.unit, d.inputs] : d.type))).toEqual([
      ['sq[0]', { base: { kind: 'value', value: 10 }, x: { kind: 'value', value: 2 } }],
      ['sq[1]', { base: { kind: 'value', value: 10 }, x: { kind: 'value', value: 3 } }],
      ['sq[2]', { base: { kind: 'value', value: 10 }, x: { kind: 'value', value: 4 } }],
    ]);
    apply(states, 'sq[0]', 'SUCCEEDED', { y: { kind: 'value', value: 4 } }, 'sq', 0);
    apply(states, 'sq[1]', 'CACHED', { y: { kind: 'value', value: 9 } }, 'sq', 1);
    apply(states, 'sq[2]', 'RUNNING', null, 'sq', 2);
    expect(decide(graph, ctx, states)).toEqual([]);
    apply(states, 'sq[2]', 'SUCCEEDED', { y: { kind: 'value', value: 16 } }, 'sq', 2);
    expect(decide(graph, ctx, states)).toEqual([{ type: 'join', node: 'sq', status: 'SUCCEEDED', outputs: { y: { kind: 'value', value: [4, 9, 16] } } }]);
    apply(states, 'sq', 'SUCCEEDED', { y: { kind: 'value', value: [4, 9, 16] } });
    expect(decide(graph, ctx, states)).toMatchObject([{ type: 'run', unit: 'sum', inputs: { ys: { kind: 'value', value: [4, 9, 16] } } }]);
  });

  it('joins an empty fan-out at once, and fails a fan-out when an item fails', () => {
    const states = initialStates(graph);
    apply(states, 'list', 'SUCCEEDED', { items: { kind: 'value', value: [] }, auc: { kind: 'value', value: 0.9 } });
    expect(decide(graph, ctx, states)).toEqual([{ type: 'expand', node: 'sq', count: 0 }]);
    apply(states, 'sq', 'RUNNING');
    expect(decide(graph, ctx, states)).toEqual([{ type: 'join', node: 'sq', status: 'SUCCEEDED', outputs: { y: { kind: 'value', value: [] } } }]);
    apply(states, 'sq[0]', 'FAILED', null, 'sq', 0);
    apply(states, 'sq[1]', 'SUCCEEDED', { y: { kind: 'value', value: 1 } }, 'sq', 1);
    expect(decide(graph, ctx, states)).toEqual([{ type: 'join', node: 'sq', status: 'FAILED', outputs: null, reason: '1 of 2 items did not succeed: sq[0]' }]);
  });

  it('skips a step whose condition is false, and everything after a skipped step', () => {
    const states = initialStates(graph);
    apply(states, 'list', 'SUCCEEDED', { items: { kind: 'value', value: [] }, auc: { kind: 'value', value: 0.7 } });
    apply(states, 'sq', 'SUCCEEDED', { y: { kind: 'value', value: [] } });
    apply(states, 'sum', 'SUCCEEDED', { s: { kind: 'value', value: 0 } });
    expect(decide(graph, ctx, states)).toEqual([{ type: 'skip', unit: 'deploy', reason: 'condition list.auc >= 0.8 is false (the value is 0.7)' }]);
  });

  it('marks steps after a failure as not run, and ends the run FAILED', () => {
    const states = initialStates(graph);
    apply(states, 'list', 'FAILED');
    expect(decide(graph, ctx, states)).toEqual([{ type: 'upstream_failed', unit: 'sq', reason: "upstream step 'list' failed" }]);
    apply(states, 'sq', 'UPSTREAM_FAILED');
    expect(decide(graph, ctx, states)).toEqual([{ type: 'upstream_failed', unit: 'sum', reason: "upstream step 'sq' did not run because of a failure" }]);
    apply(states, 'sum', 'UPSTREAM_FAILED');
    expect(decide(graph, ctx, states)).toEqual([{ type: 'upstream_failed', unit: 'deploy', reason: "upstream step 'sum' did not run because of a failure" }]);
    apply(states, 'deploy', 'UPSTREAM_FAILED');
    expect(isComplete(states)).toBe(true);
    expect(runOutcome(states)).toBe('FAILED');
  });

  it('resumes: finished units stay finished, interrupted and failed ones run again, an expanded fan-out stays expanded', () => {
    const stored: UnitState[] = [
      { unit: 'list', node: 'list', index: null, status: 'SUCCEEDED', outputs: { items: { kind: 'value', value: [1, 2] }, auc: { kind: 'value', value: 1 } } },
      { unit: 'sq', node: 'sq', index: null, status: 'RUNNING', outputs: null },
      { unit: 'sq[0]', node: 'sq', index: 0, status: 'CACHED', outputs: { y: { kind: 'value', value: 1 } } },
      { unit: 'sq[1]', node: 'sq', index: 1, status: 'RUNNING', outputs: null },
    ];
    const states = statesForResume(graph, stored);
    expect([...states.values()].map((s) => [s.unit, s.status])).toEqual([
      ['list', 'SUCCEEDED'],
      ['sq', 'RUNNING'],
      ['sum', 'PENDING'],
      ['deploy', 'PENDING'],
      ['sq[0]', 'CACHED'],
      ['sq[1]', 'PENDING'],
    ]);
    expect(decide(graph, ctx, states).map((d) => (d.type === 'run' ? d.unit : d.type))).toEqual(['sq[1]']);
    const failed = statesForResume(graph, [{ ...stored[0]!, status: 'FAILED', outputs: null }]);
    expect(failed.get('list')!.status).toBe('PENDING');
  });
});
