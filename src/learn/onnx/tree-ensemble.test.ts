import { describe, expect, it } from 'vitest';
import { predictRaw, type Tree } from '../gbdt/tree.js';
import { OnnxGraph } from './onnx-graph.js';
import { loadOnnxPredictor } from './onnx-predictor.js';
import { treeEnsembleAttributes, type TargetedTree } from './tree-ensemble.js';

/** A tree from its interior nodes' splits and its leaves; `left` −1 marks a leaf. */
function tree(nodes: { feature?: number; threshold?: number; missingLeft?: boolean; left?: number; right?: number; value?: number }[]): Tree {
  const col = <T extends Int32Array | Float64Array | Uint8Array>(make: (n: number) => T, f: (n: (typeof nodes)[number]) => number) => {
    const a = make(nodes.length);
    nodes.forEach((n, i) => (a[i] = f(n)));
    return a;
  };
  return {
    feature: col((n) => new Int32Array(n), (n) => n.feature ?? 0),
    thresholdBin: new Int32Array(nodes.length),
    threshold: col((n) => new Float64Array(n), (n) => n.threshold ?? 0),
    missingLeft: col((n) => new Uint8Array(n), (n) => (n.missingLeft ? 1 : 0)),
    left: col((n) => new Int32Array(n), (n) => n.left ?? -1),
    right: col((n) => new Int32Array(n), (n) => n.right ?? -1),
    value: col((n) => new Float64Array(n), (n) => n.value ?? 0),
    gain: new Float64Array(nodes.length),
    catStart: new Int32Array(nodes.length),
    catCount: new Int32Array(nodes.length),
    categories: new Float64Array(0),
  };
}

describe('tree ensemble attributes', () => {
  it('adds each tree to its own target, as multiclass boosting needs (tree t → class t % K)', async () => {
    const trees: TargetedTree[] = [
      // Right child placed before the left one in the flat arrays: ids must follow the links, not the order.
      { tree: tree([{ feature: 0, threshold: 0.3, missingLeft: true, left: 2, right: 1 }, { value: 10 }, { feature: 1, threshold: -1, left: 3, right: 4 }, { value: 1 }, { value: 2 }]), target: 0 },
      { tree: tree([{ value: 0.5 }]), target: 1 },
      { tree: tree([{ feature: 1, threshold: 5, missingLeft: false, left: 1, right: 2 }, { value: -3 }, { value: 3 }]), target: 2 },
      { tree: tree([{ feature: 0, threshold: 1e6 + 0.1, left: 1, right: 2 }, { value: 100 }, { value: 200 }]), target: 0 },
    ];
    const g = new OnnxGraph('ensemble');
    const x = g.input('x', 'double', ['N', 2]);
    g.node('TreeEnsemble', [x], ['=sums'], treeEnsembleAttributes(trees, 3, 2), 'ai.onnx.ml');
    g.output('sums', 'double', ['N', 3]);
    const predictor = await loadOnnxPredictor(g.toModel({ irVersion: 10, opsets: { '': 21, 'ai.onnx.ml': 5 }, producerVersion: 'test' }));
    const a = [0.3, 0.30000000000000004, Number.NaN, 1e6 + 0.1, 1e6 + 0.125, -5];
    const b = [-1, -0.5, Number.NaN, 5, 5.000000000000001, Number.NaN];
    const out = await predictor.predictFeatures([a, b]);
    expect(predictor.width).toBe(3);
    const expected = a.flatMap((_, i) => [0, 1, 2].map((k) => trees.filter((t) => t.target === k).reduce((s, t) => s + predictRaw(t.tree, [a, b], i), 0)));
    expect([...out]).toEqual(expected);
    // By hand for the first row: a = 0.3 goes left (≤), b = −1 goes left, a ≤ 1e6 + 0.1.
    expect([...out.subarray(0, 3)]).toEqual([101, 0.5, -3]);
    await predictor.close();
  });

  it('refuses a target outside 0…K−1 and a feature the model does not have', () => {
    const stump = tree([{ feature: 3, threshold: 1, left: 1, right: 2 }, { value: 1 }, { value: 2 }]);
    expect(() => treeEnsembleAttributes([{ tree: stump, target: 2 }], 2, 4)).toThrow('Tree 0 adds to target 2; targets are 0…1.');
    expect(() => treeEnsembleAttributes([{ tree: stump, target: 0 }], 1, 3)).toThrow('Tree 0 node 0 splits on feature 3; the model has 3 features.');
  });
});
