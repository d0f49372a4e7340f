import { invalidArgument } from '../../core/errors.js';
import type { Tree } from '../gbdt/tree.js';
import type { Attribute } from './onnx-graph.js';

/** A tree and the output column (target) its leaves add to: 0 for one output, the class for multiclass. */
export interface TargetedTree {
  readonly tree: Tree;
  readonly target: number;
}

/** `nodes_modes` codes of ai.onnx.ml TreeEnsemble: `value <= split`, and membership of a set. */
const BRANCH_LEQ = 0;
const BRANCH_MEMBER = 6;
/** `aggregate_function` code for a sum over trees. */
const AGGREGATE_SUM = 1;
/** `post_transform` code for none: Orchard's link functions are separate standard ops. */
const POST_TRANSFORM_NONE = 0;

/**
 * Attributes of one ai.onnx.ml `TreeEnsemble` node (domain opset 5) that sums
 * Orchard trees per target, in double precision: split values and leaf weights
 * are double tensors, so a row compares its float64 value with the float64
 * threshold exactly as Orchard does (`value <= threshold` goes to the true
 * branch, the left child), and NaN follows `missingLeft` through
 * `nodes_missing_value_tracks_true`.
 *
 * Interior nodes become `nodes_*` entries and leaves `leaf_*` entries, each
 * tree's reachable nodes in depth-first order. A tree that is a single leaf
 * gets one interior node whose two branches both reach that leaf (the
 * operator's roots must be interior nodes).
 */
export function treeEnsembleAttributes(trees: readonly TargetedTree[], targets: number, features: number): Record<string, Attribute> {
  if (trees.length === 0) throw invalidArgument('A tree ensemble needs at least one tree.');
  const featureIds: number[] = [];
  const splits: number[] = [];
  const trueIds: number[] = [];
  const trueLeafs: number[] = [];
  const falseIds: number[] = [];
  const falseLeafs: number[] = [];
  const missingTrue: number[] = [];
  const modes: number[] = [];
  // Categorical splits: each member node's set, in node order, NaN-delimited.
  const members: number[] = [];
  const leafTargets: number[] = [];
  const leafWeights: number[] = [];
  const roots: number[] = [];

  for (const [t, { tree, target }] of trees.entries()) {
    if (!Number.isInteger(target) || target < 0 || target >= targets) throw invalidArgument(`Tree ${t} adds to target ${target}; targets are 0…${targets - 1}.`);
    const leaf = (node: number): number => {
      leafTargets.push(target);
      leafWeights.push(tree.value[node]!);
      return leafWeights.length - 1;
    };
    if (tree.left[0]! < 0) {
      const only = leaf(0);
      roots.push(featureIds.length);
      featureIds.push(0), splits.push(0), missingTrue.push(1), modes.push(BRANCH_LEQ);
      trueIds.push(only), trueLeafs.push(1), falseIds.push(only), falseLeafs.push(1);
      continue;
    }
    // Depth-first with an explicit stack (a leaf-wise tree can be deep); each
    // entry remembers which branch of which placed parent points at it.
    roots.push(featureIds.length);
    const stack: { node: number; parent: number; isTrue: boolean }[] = [{ node: 0, parent: -1, isTrue: true }];
    while (stack.length > 0) {
      const { node, parent, isTrue } = stack.pop()!;
      const isLeaf = tree.left[node]! < 0;
      let index: number;
      if (isLeaf) index = leaf(node);
      else {
        index = featureIds.length;
        const feature = tree.feature[node]!;
        if (feature < 0 || feature >= features) throw invalidArgument(`Tree ${t} node ${node} splits on feature ${feature}; the model has ${features} features.`);
        missingTrue.push(tree.missingLeft[node]! ? 1 : 0);
        featureIds.push(feature);
        if (tree.catCount[node]! > 0) {
          // Orchard's left set is the true branch; any other category (seen or not) goes false, as in Orchard.
          splits.push(0), modes.push(BRANCH_MEMBER);
          const start = tree.catStart[node]!;
          members.push(...tree.categories.subarray(start, start + tree.catCount[node]!), Number.NaN);
        } else splits.push(tree.threshold[node]!), modes.push(BRANCH_LEQ);
        trueIds.push(-1), trueLeafs.push(0), falseIds.push(-1), falseLeafs.push(0);
        stack.push({ node: tree.right[node]!, parent: index, isTrue: false }, { node: tree.left[node]!, parent: index, isTrue: true });
      }
      if (parent >= 0) {
        (isTrue ? trueIds : falseIds)[parent] = index;
        (isTrue ? trueLeafs : falseLeafs)[parent] = isLeaf ? 1 : 0;
      }
    }
  }

  return {
    n_targets: { int: targets },
    aggregate_function: { int: AGGREGATE_SUM },
    post_transform: { int: POST_TRANSFORM_NONE },
    tree_roots: { ints: roots },
    nodes_featureids: { ints: featureIds },
    nodes_splits: { tensor: { type: 'double', dims: [splits.length], data: Float64Array.from(splits) } },
    nodes_modes: { tensor: { type: 'uint8', dims: [splits.length], data: Uint8Array.from(modes) } },
    ...(members.length > 0 ? { membership_values: { tensor: { type: 'double' as const, dims: [members.length], data: Float64Array.from(members) } } } : {}),
    nodes_truenodeids: { ints: trueIds },
    nodes_trueleafs: { ints: trueLeafs },
    nodes_falsenodeids: { ints: falseIds },
    nodes_falseleafs: { ints: falseLeafs },
    nodes_missing_value_tracks_true: { ints: missingTrue },
    leaf_targetids: { ints: leafTargets },
    leaf_weights: { tensor: { type: 'double', dims: [leafWeights.length], data: Float64Array.from(leafWeights) } },
  };
}
