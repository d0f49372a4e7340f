import { describe, expect, it } from 'vitest';
import { OnnxGraph } from './onnx-graph.js';
import { loadOnnxPredictor } from './onnx-predictor.js';

/** Models not made by Orchard, built here with the same encoder, loaded through the generic predictor. */
const model = (graph: OnnxGraph, opsets: Record<string, number> = { '': 21 }) => graph.toModel({ irVersion: 10, opsets, producerVersion: 'test' });

/** float x[N, 3] → x·W + b as `scores` [N, 2], and a softmax of it as `probabilities` [N, 2]. */
function affine(): Uint8Array {
  const g = new OnnxGraph('affine');
  const x = g.input('x', 'float', ['batch', 3]);
  const w = g.constant('W', { type: 'float', dims: [3, 2], data: Float32Array.of(1, -1, 0.5, 2, -0.25, 0) });
  const b = g.constant('b', { type: 'float', dims: [2], data: Float32Array.of(0.5, -0.5) });
  const [product] = g.node('MatMul', [x, w], ['product']);
  g.node('Add', [product!, b], ['=scores']);
  g.node('Softmax', ['scores'], ['=probabilities'], { axis: { int: 1 } });
  g.output('scores', 'float', ['batch', 2]);
  g.output('probabilities', 'float', ['batch', 2]);
  return model(g);
}

const ROWS = [
  { a: 1, b: 2, c: 3 },
  { a: -1.5, b: 0, c: 4 },
  { a: 0, b: 0.25, c: -2 },
];
/** x·W + b by hand, in double; the model computes in float32. */
const scores = (r: { a: number; b: number; c: number }) => [r.a * 1 + r.b * 0.5 + r.c * -0.25 + 0.5, r.a * -1 + r.b * 2 + r.c * 0 - 0.5];

describe('the ONNX predictor on foreign models', () => {
  it('reports inputs and outputs, and reads the probability output of a two-class model as the probability of class 1', async () => {
    const predictor = await loadOnnxPredictor(affine(), { featureNames: ['a', 'b', 'c'] });
    expect(predictor.inputs).toEqual([{ name: 'x', type: 'float32', shape: ['batch', 3] }]);
    expect(predictor.outputs.map((o) => o.name)).toEqual(['scores', 'probabilities']);
    expect(predictor.outputName).toBe('probabilities');
    expect(predictor.layout).toBe('matrix');
    expect(predictor.output).toBe('probability');
    const p = await predictor.predict(ROWS);
    expect(p).toHaveLength(3);
    ROWS.forEach((r, i) => {
      const [s0, s1] = scores(r);
      expect(p[i]).toBeCloseTo(1 / (1 + Math.exp(s0! - s1!)), 6);
    });
    await predictor.close();
  });

  it('returns K values per row, row-major, from a chosen output; feature columns work without names', async () => {
    const predictor = await loadOnnxPredictor(affine(), { output: 'scores' });
    expect(predictor.featureNames).toBeNull();
    const cols = [ROWS.map((r) => r.a), ROWS.map((r) => r.b), ROWS.map((r) => r.c)];
    const out = await predictor.predictFeatures(cols);
    expect(predictor.output).toBe('value');
    expect(predictor.width).toBe(2);
    expect([...out].map((v) => Number(v.toFixed(5)))).toEqual(ROWS.flatMap(scores));
    await expect(predictor.predict(ROWS)).rejects.toThrow('whose columns are not named; pass featureNames when loading it, or call predictFeatures');
    await expect(predictor.predictFeatures(cols.slice(0, 2))).rejects.toThrow('takes 3 feature columns; got 2.');
    await predictor.close();
  });

  it('feeds one input per column with its own type: double, int64 and string', async () => {
    const g = new OnnxGraph('columns');
    const size = g.input('size', 'double', ['N', 1]);
    const rooms = g.input('rooms', 'int64', ['N', 1]);
    const city = g.input('city', 'string', ['N', 1]);
    const [roomsD] = g.node('Cast', [rooms], ['rooms_d'], { to: { int: 11 } });
    const [code] = g.node('LabelEncoder', [city], ['code'], { keys_strings: { strings: ['oslo', 'rome'] }, values_floats: { floats: [100, 200] }, default_float: { float: -1 } }, 'ai.onnx.ml');
    const [codeD] = g.node('Cast', [code!], ['code_d'], { to: { int: 11 } });
    const [sum] = g.node('Add', [size, roomsD!], ['sum']);
    g.node('Add', [sum!, codeD!], ['=price']);
    g.output('price', 'double', ['N', 1]);
    const predictor = await loadOnnxPredictor(model(g, { '': 21, 'ai.onnx.ml': 3 }));
    expect(predictor.layout).toBe('columns');
    expect(predictor.featureNames).toEqual(['size', 'rooms', 'city']);
    const p = await predictor.predict([
      { size: 50.5, rooms: 2, city: 'oslo' },
      { size: 20, rooms: 1, city: 'rome' },
      { size: 1, rooms: 3, city: 'lima' },
    ]);
    expect([...p]).toEqual([152.5, 221, 3]);
    expect(predictor.output).toBe('value');

    // Every bad value is reported at once, with its row and column.
    const bad = predictor.predict([
      { size: 'big', rooms: 2, city: 'oslo' },
      { size: 20, rooms: 1.5, city: null },
    ]);
    await expect(bad).rejects.toThrow(/3 problems.*\[0\]\.size: is "big", not a number.*\[1\]\.rooms: is 1\.5; the model's int64 input rooms takes whole numbers.*\[1\]\.city: is missing/);
    await expect(predictor.predict([{ size: 1, room: 2, city: 'oslo' }])).rejects.toThrow('No row has column rooms, which the ONNX model takes; its columns are size, rooms, city.');
    await predictor.close();
  });

  it('runs a model with a fixed batch of one row by row', async () => {
    const g = new OnnxGraph('fixed');
    const x = g.input('x', 'double', [1, 2]);
    const [s] = g.node('ReduceSum', [x, g.constant('axes', { type: 'int64', dims: [1], data: BigInt64Array.of(1n) })], ['=total'], { keepdims: { int: 1 } });
    g.output(s!, 'double', [1, 1]);
    const predictor = await loadOnnxPredictor(model(g), { featureNames: ['p', 'q'] });
    expect([...(await predictor.predict([{ p: 1, q: 2 }, { p: 3, q: null }, { p: 5, q: 6 }]))]).toEqual([3, Number.NaN, 11]);
    await predictor.close();
  });

  it('refuses to read a label in place of probabilities given as a sequence of maps (ZipMap)', async () => {
    const g = new OnnxGraph('zipmap');
    const x = g.input('x', 'float', ['N', 2]);
    g.node('ArgMax', [x], ['=label'], { axis: { int: 1 }, keepdims: { int: 0 } });
    g.node('ZipMap', [x], ['=output_probability'], { classlabels_int64s: { ints: [0, 1] } }, 'ai.onnx.ml');
    g.output('label', 'int64', ['N']);
    g.output('output_probability');
    const bytes = model(g, { '': 21, 'ai.onnx.ml': 3 });
    await expect(loadOnnxPredictor(bytes)).rejects.toThrow("gives its probabilities as output_probability, a sequence of maps (ZipMap), which Orchard cannot read; export it with tensor probabilities (skl2onnx: options={'zipmap': False}), or pass output: 'label' to read another output.");
    const labels = await loadOnnxPredictor(bytes, { output: 'label' });
    // Columns: row 0 is (0.2, 0.8), row 1 is (0.9, 0.1).
    expect([...(await labels.predictFeatures([[0.2, 0.9], [0.8, 0.1]]))]).toEqual([1, 0]);
    await labels.close();
  });

  it('refuses models it cannot feed tabular rows, bytes that are not ONNX, and missing files', async () => {
    const g = new OnnxGraph('image');
    const x = g.input('pixels', 'float', ['N', 3, 4, 4]);
    g.node('Identity', [x], ['=same']);
    g.output('same', 'float', ['N', 3, 4, 4]);
    await expect(loadOnnxPredictor(model(g))).rejects.toThrow('has input(s) pixels (float32 [N, 3, 4, 4]); Orchard feeds tabular rows: one [N, F] input, or one [N] or [N, 1] input per column.');
    await expect(loadOnnxPredictor(new TextEncoder().encode('{"orchardModel": 1}'))).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(loadOnnxPredictor('/nonexistent/model.onnx')).rejects.toMatchObject({ code: 'NOT_FOUND', message: 'No ONNX model file at /nonexistent/model.onnx.' });
  });
});
