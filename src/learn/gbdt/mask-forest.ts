import { featureCells, fillCells, treeMasks, type FeatureCells, type TreeMasks } from './leaf-masks.js';
import type { Tree } from './tree.js';

/**
 * The trees that cell masks take (leaf-masks.ts), laid out for a row loop.
 *
 * Features with few cells are looked up together: a group's cell is the mixed-radix
 * number of its features' cells, and each tree has one table per group it splits
 * on (the AND of its features' masks for every combination), so a row costs one
 * load per group rather than one per feature. Calendar parts (7 months × 8
 * weekdays × 24 hours) make one group, for instance.
 *
 * Runs of consecutive trees become one generated function looping over a block of
 * rows; each row reads its group cells once and adds the trees' leaf values in tree
 * order — the same double additions, in the same order, as the row walk, so the
 * scores are bit-identical.
 */
export interface MaskForest {
  /** Per tree: whether masks take it; the caller adds the others itself. */
  readonly covered: readonly boolean[];
  /** Computes the cells of rows `start … start+m)` (m ≤ BLOCK_ROWS); call before a block's runs. */
  fill(columns: readonly ArrayLike<number>[], start: number, m: number): void;
  /** A generated run adding trees `from … to)` (all covered) to the block's rows of `out` (K scores per row). */
  run(from: number, to: number): (out: Float64Array, start: number, m: number) => void;
}

/** Rows a block: a block's cells (4 bytes per group per row) stay in the first-level cache while every tree runs over them. */
export const BLOCK_ROWS = 1024;
/** Mask entries (4 bytes) per group table, all trees together, at most: grouping never outgrows the second-level cache. */
const GROUP_ENTRIES = 1 << 18;
/** One group never has more cells than this. */
const GROUP_CELLS = 2048;

interface Group {
  readonly features: readonly number[];
  /** Multiplier of each feature's cell in the group cell. */
  readonly strides: readonly number[];
  readonly size: number;
}

/** Lays out the masks of the trees that fit (at most 32 leaves); null when none does. */
export function compileMaskForest(trees: readonly Tree[], features: number, K: number): MaskForest | null {
  const cells = Array.from({ length: features }, (_, f) => featureCells(trees, f));
  const perTree = trees.map((tree) => (tree.feature.length > 0 ? treeMasks(tree, cells) : null));
  if (perTree.every((t) => t === null)) return null;
  const used = [...new Set(perTree.flatMap((t) => t?.features ?? []))];
  const groups = groupFeatures(used, cells, Math.max(1, Math.min(GROUP_CELLS, Math.floor(GROUP_ENTRIES / Math.max(1, trees.length)))));
  const groupOf = new Map(groups.flatMap((g, j) => g.features.map((f) => [f, j] as const)));

  // Each tree's tables, one per group it splits on, in one pool; its leaves in another.
  const tables: Int32Array[] = [];
  let pooled = 0;
  const leafValues: number[] = [];
  const laid = perTree.map((t) => {
    if (!t) return null;
    const parts = [...new Set(t.features.map((f) => groupOf.get(f)!))].sort((a, b) => a - b);
    const base = parts.map((j) => {
      const table = groupTable(t, groups[j]!);
      tables.push(table);
      pooled += table.length;
      return pooled - table.length;
    });
    leafValues.push(...t.leaves);
    return { groups: parts, base, leafBase: leafValues.length - t.leaves.length };
  });
  const masks = new Int32Array(pooled);
  let at = 0;
  for (const table of tables) (masks.set(table, at), (at += table.length));
  const leaves = Float64Array.from(leafValues);

  const featureBlock = Array.from({ length: features }, (_, f) => new Int32Array(groupOf.has(f) ? BLOCK_ROWS : 0));
  const groupBlock = groups.map((g) => (g.features.length === 1 ? featureBlock[g.features[0]!]! : new Int32Array(BLOCK_ROWS)));
  return {
    covered: laid.map((t) => t !== null),
    fill(columns, start, m) {
      for (const f of used) fillCells(cells[f]!, columns[f]!, start, m, featureBlock[f]!);
      for (const [j, g] of groups.entries()) {
        if (g.features.length === 1) continue;
        const into = groupBlock[j]!;
        into.fill(0, 0, m);
        g.features.forEach((f, u) => {
          const c = featureBlock[f]!;
          const stride = g.strides[u]!;
          for (let i = 0; i < m; i++) into[i]! += c[i]! * stride;
        });
      }
    },
    run(from, to) {
      const generated = generateRun(
        laid.slice(from, to).map((t, i) => {
          if (!t) throw new Error(`tree ${from + i} is not covered by masks`);
          return { ...t, k: (from + i) % K };
        }),
        K,
      );
      return (out, start, m) => generated(masks, groupBlock, leaves, out, start, m);
    },
  };
}

/** Groups features, fewest cells first, while the product of their cell counts stays within `most`. */
function groupFeatures(used: readonly number[], cells: readonly (FeatureCells | null)[], most: number): Group[] {
  const size = (f: number) => cells[f]!.nan + 1;
  const sorted = [...used].sort((a, b) => size(a) - size(b) || a - b);
  const groups: number[][] = [];
  let product = Infinity;
  for (const f of sorted) {
    if (product * size(f) <= most) {
      groups[groups.length - 1]!.push(f);
      product *= size(f);
    } else {
      groups.push([f]);
      product = size(f);
    }
  }
  return groups.map((features) => {
    const strides: number[] = [];
    let stride = 1;
    for (let u = features.length - 1; u >= 0; u--) {
      strides[u] = stride;
      stride *= size(features[u]!);
    }
    return { features, strides, size: stride };
  });
}

/** A tree's table for a group: for every group cell, the AND of the tree's masks of the group's features it splits on. */
function groupTable(t: TreeMasks, g: Group): Int32Array {
  const table = new Int32Array(g.size).fill(-1);
  g.features.forEach((f, u) => {
    const at = t.features.indexOf(f);
    if (at < 0) return;
    const m = t.masks[at]!;
    const stride = g.strides[u]!;
    for (let cell = 0; cell < table.length; cell++) table[cell]! &= m[Math.floor(cell / stride) % m.length]!;
  });
  return table;
}

type Run = (masks: Int32Array, groups: readonly Int32Array[], leaves: Float64Array, out: Float64Array, start: number, m: number) => void;

/**
 * Generates the row loop of a run of trees. Keep runs short enough for the
 * optimising compiler (it skips very large functions). Only integers (offsets,
 * group indices, K) reach the source, so a model artifact cannot inject code.
 */
function generateRun(trees: readonly { groups: readonly number[]; base: readonly number[]; leafBase: number; k: number }[], K: number): Run {
  const int = (x: number) => {
    if (!Number.isSafeInteger(x) || x < 0) throw new Error(`not an offset: ${x}`);
    return String(x);
  };
  const groups = [...new Set(trees.flatMap((t) => t.groups))].sort((a, b) => a - b);
  const lines = [...groups.map((j) => `const c${int(j)} = groups[${int(j)}];`), 'for (let i = 0; i < m; i++) {', ...groups.map((j) => `const g${int(j)} = c${int(j)}[i];`)];
  // A tree that is a single leaf adds its value; any other, the leaf its masks leave (the highest bit set).
  const term = (t: (typeof trees)[number]) =>
    t.groups.length === 0 ? `leaves[${int(t.leafBase)}]` : `leaves[${int(t.leafBase)} + Math.clz32(${t.groups.map((j, u) => `masks[${int(t.base[u]!)} + g${int(j)}]`).join(' & ')})]`;
  if (K === 1) {
    lines.push('let s = out[start + i];');
    for (const t of trees) lines.push(`s += ${term(t)};`);
    lines.push('out[start + i] = s;');
  } else {
    lines.push(`const o = (start + i) * ${int(K)};`);
    for (const t of trees) lines.push(`out[o + ${int(t.k)}] += ${term(t)};`);
  }
  lines.push('}');
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- generated from validated integers only (see above)
  return new Function(`return function maskRun(masks, groups, leaves, out, start, m) {\n${lines.join('\n')}\n};`)() as Run;
}
