import { describe, expect, it } from 'vitest';
import { assertValidPipeline, lintPipeline, topologicalOrder } from './lint.js';
import { pipeline } from './pipeline.js';
import { command, step } from './step.js';
import { types } from './types.js';

const load = step({ name: 'load', outputs: { data: types.file('dataset'), rows: types.number, months: types.list(types.string) }, run: () => ({ rows: 1, months: ['jan'] }) });
const train = step({
  name: 'train',
  inputs: { data: types.file('dataset') },
  outputs: { model: types.file('model'), auc: types.number },
  params: { lr: 0.1, depth: 3 },
  run: () => ({ auc: 0.9 }),
});
const report = step({ name: 'report', inputs: { auc: types.number, note: types.string }, run: () => {} });
const perMonth = step({ name: 'per-month', inputs: { month: types.string, data: types.file() }, outputs: { score: types.number }, run: () => ({ score: 1 }) });

const codes = (issues: { code: string }[]) => issues.map((i) => i.code).sort();

describe('lintPipeline', () => {
  it('accepts a well-formed pipeline with conditions, fan-out and parameters', () => {
    const p = pipeline('good', { params: { lr: 0.2, note: 'x' } }, (b) => {
      const l = b.step(load);
      const t = b.step(train, { inputs: { data: l.outputs.data }, params: { lr: b.params.lr } });
      b.step(report, { inputs: { auc: t.outputs.auc, note: b.params.note }, when: t.outputs.auc.gt(0.5) });
      const m = b.map(perMonth, { over: l.outputs.months, item: 'month', inputs: { data: l.outputs.data } });
      b.step(step({ name: 'join', inputs: { scores: types.list(types.number) }, run: () => {} }), { inputs: { scores: m.outputs.score } });
    });
    expect(lintPipeline(p)).toEqual([]);
    expect(() => assertValidPipeline(p)).not.toThrow();
    expect(topologicalOrder(p)).toEqual(['load', 'train', 'report', 'per-month', 'join']);
  });

  it('reports duplicate names, naming the positions and the fix', () => {
    const p = pipeline('dupes', (b) => {
      const l = b.step(load);
      b.step(train, { inputs: { data: l.outputs.data } });
      b.step(train, { inputs: { data: l.outputs.data } });
    });
    const issues = lintPipeline(p);
    expect(codes(issues)).toEqual(['duplicate_name']);
    expect(issues[0]!.message).toBe("2 steps are named 'train' (steps 2, 3 in build order); give all but one another name with { name: '…' }");
  });

  it('reports an input nothing feeds and one the step does not declare', () => {
    const p = pipeline('missing', (b) => {
      b.step(train, { inputs: {} as never });
      b.step(report, { inputs: { auc: 1, note: 'n', extra: 2 } as never });
    });
    const issues = lintPipeline(p);
    expect(codes(issues)).toEqual(['missing_input', 'unknown_input']);
    expect(issues.find((i) => i.code === 'missing_input')!.message).toBe("step 'train' needs input 'data' (file (dataset)) but nothing feeds it; pass inputs: { data: … }");
    expect(issues.find((i) => i.code === 'unknown_input')!.message).toContain("step 'report' is given input 'extra' (2), which step 'report' does not declare; its inputs are auc, note");
  });

  it('reports an output whose type does not fit the input it feeds, and literals of the wrong type', () => {
    const p = pipeline('types', (b) => {
      const l = b.step(load);
      const t = b.step(train, { inputs: { data: b.ref('train-src', 'model') as never } });
      b.step(step({ name: 'train-src', outputs: { model: types.file('model') }, run: () => {} }));
      b.step(report, { name: 'r1', inputs: { auc: l.outputs.data as never, note: 3 as never } });
      b.step(report, { name: 'r2', inputs: { auc: t.outputs.auc, note: 'ok' }, params: {} });
      b.step(train, { name: 't2', inputs: { data: l.outputs.data }, params: { lr: 'fast' as never } });
    });
    const issues = lintPipeline(p);
    expect(codes(issues)).toEqual(['type_mismatch', 'type_mismatch', 'type_mismatch', 'type_mismatch']);
    const messages = issues.map((i) => i.message);
    expect(messages).toContain("step 'train' input 'data' expects file (dataset) but 'train-src.model' is file (model); feed it a file (dataset) output or change the declared type of 'train-src.model'");
    expect(messages).toContain("step 'r1' input 'auc' expects number but 'load.data' is file (dataset); feed it a number output or change the declared type of 'load.data'");
    expect(messages).toContain('step \'r1\' input \'note\' expects string but is given 3 (number); pass a string');
    expect(messages).toContain('step \'t2\' parameter \'lr\' expects number but is given "fast" (string); pass a number');
  });

  it('reports references to steps, outputs and parameters that do not exist', () => {
    const p = pipeline('refs', { params: { lr: 0.1 } }, (b) => {
      b.step(train, { inputs: { data: b.ref('lod', 'data') as never } });
      b.step(report, { inputs: { auc: b.ref('train', 'accuracy') as never, note: 'x' }, after: ['nothing'] });
      b.step(train, { name: 't2', inputs: { data: b.ref('train', 'model') as never }, params: { momentum: 0.9 } as never });
    });
    const messages = lintPipeline(p).map((i) => `${i.code}: ${i.message}`);
    expect(messages).toEqual(
      expect.arrayContaining([
        "unknown_step: step 'train' input 'data' reads 'lod.data', but no step is named 'lod'; steps are train, report, t2",
        "unknown_output: step 'report' input 'auc' reads 'train.accuracy', but step 'train' has no output 'accuracy'; its outputs are model, auc",
        "unknown_step: step 'report' runs after 'nothing', but no step is named 'nothing'; steps are train, report, t2",
        "unknown_param: step 't2' sets parameter 'momentum', which step 'train' does not declare; its parameters are lr, depth",
      ]),
    );
    // train-model → t2.data is a label mismatch too: model into dataset.
    expect(messages.some((m) => m.startsWith("type_mismatch: step 't2' input 'data'"))).toBe(true);
  });

  it('finds cycles made with forward references and names every step in them', () => {
    const pass = step({ name: 'pass', inputs: { x: types.number }, outputs: { y: types.number }, run: ({ inputs }) => ({ y: inputs.x }) });
    const p = pipeline('loop', (b) => {
      b.step(pass, { name: 'a', inputs: { x: b.ref('c', 'y') as never } });
      b.step(pass, { name: 'b', inputs: { x: b.ref('a', 'y') as never } });
      b.step(pass, { name: 'c', inputs: { x: b.ref('b', 'y') as never } });
      b.step(pass, { name: 'self', inputs: { x: b.ref('self', 'y') as never } });
    });
    const issues = lintPipeline(p).filter((i) => i.code === 'cycle');
    expect(issues.map((i) => i.message).sort()).toEqual([
      "steps form a cycle: a → b → c → a; a step cannot depend on its own results — remove one of these links",
      "steps form a cycle: self → self; a step cannot depend on its own results — remove one of these links",
    ]);
  });

  it('checks conditions and fan-outs', () => {
    const p = pipeline('conds', { params: { name: 'x' } }, (b) => {
      const l = b.step(load);
      const t = b.step(train, { inputs: { data: l.outputs.data }, when: [l.outputs.data.truthy(), b.params.name.gt(3)] });
      b.map(perMonth, { name: 'm1', over: l.outputs.rows as never, item: 'month', inputs: { data: l.outputs.data } });
      b.map(perMonth, { name: 'm2', over: [1, 2] as never, item: 'month', inputs: { data: l.outputs.data } });
      b.map(perMonth, { name: 'm3', over: ['a'], item: 'nope', inputs: { data: t.outputs.model } } as never);
    });
    const messages = lintPipeline(p).map((i) => `${i.code}: ${i.message}`);
    expect(messages).toEqual(
      expect.arrayContaining([
        "invalid_condition: step 'train' condition 'load.data is true' tests an artifact (file (dataset)); test a value output instead",
        "invalid_condition: step 'train' condition 'params.name > 3' compares string with 3; ordering needs a number on both sides",
        "invalid_map: step 'm1' fans out over 'load.rows', which is number, not a list; pass a list output, a list parameter or a literal list",
        "type_mismatch: step 'm2' fans out '[1,2]' (list of number) into input 'month', which expects string",
        "invalid_map: step 'm3' fans out into input 'nope', which step 'per-month' does not declare; its inputs are month, data",
      ]),
    );
  });

  it('reports every problem at once in one error, with codes and paths', () => {
    const p = pipeline('bad name!', (b) => {
      b.step(train, { inputs: {} as never });
      b.step(command({ name: 'sh', command: ['true'], inputs: { x: types.number } }), { inputs: { x: 'one' as never } });
      b.step(train, { inputs: {} as never });
    });
    let error: unknown;
    try {
      assertValidPipeline(p);
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT' });
    const issues = (error as { details: { issues: { code: string; path: unknown[] }[] } }).details.issues;
    expect(codes(issues)).toEqual(['duplicate_name', 'invalid_name', 'missing_input', 'missing_input', 'type_mismatch']);
    expect((error as Error).message).toMatch(/^Invalid pipeline 'bad name!' \(5 problems\): /);
    expect(issues.find((i) => i.code === 'type_mismatch')!.path).toEqual(['nodes', 'sh', 'inputs', 'x']);
  });

  it('reports an empty pipeline', () => {
    expect(codes(lintPipeline(pipeline('empty', () => {})))).toEqual(['empty']);
  });
});
