import { BLOCK_ROWS, compileMaskForest } from './mask-forest.js';
import type { Tree } from './tree.js';

/**
 * Batched GBDT prediction over blocks of rows. Trees of at most 32 leaves (the
 * default 31 included) are looked up through cell masks (leaf-masks.ts): no branch
 * on the data, runs of trees in one generated row loop. Larger trees become small
 * generated functions walking their nodes as nested `if`s, thresholds and leaf
 * values written in as literals. A row-by-row walk over the node arrays spends most
 * of its time on loads and mispredicted branches; masks leave neither.
 *
 * Predictions are bit-identical to the row walk (`predictRaw`): every row's score
 * starts at its baseline and adds the trees' leaf values in tree order, the same
 * double additions in the same order; thresholds and leaf values are written as
 * JavaScript's shortest round-trip decimals (and `-0`), so they are the same doubles.
 *
 * Only numbers (validated) ever reach the generated source, so a model artifact
 * cannot inject code.
 */
export interface ScoreKernels {
  /** Adds every tree's leaf value to `out` (row-major, `K` scores per row, already holding the baselines). */
  addTrees(columns: readonly ArrayLike<number>[], out: Float64Array, n: number): void;
  /** How many trees run through cell masks, and how many through generated nested `if`s. */
  readonly plan: { readonly masks: number; readonly code: number };
}

/** Trees above this many nodes or this depth fall back to the row walk (generated code would be too large or too deeply nested). */
const MAX_NODES = 8191;
const MAX_DEPTH = 128;
/** Category codes are looked up in per-node tables of this many entries at most. */
const MAX_CATEGORY = 1 << 16;

type TreeKernel = (columns: readonly ArrayLike<number>[], codes: readonly Int32Array[], out: Float64Array, start: number, end: number) => void;

/** Trees per generated run: short enough a function for V8's optimising compiler. */
const RUN_TREES = 64;

type Step = { readonly kind: 'masks'; readonly run: (out: Float64Array, start: number, m: number) => void } | { readonly kind: 'code'; readonly kernel: TreeKernel };

/**
 * Plans the trees of a model: trees of at most 32 leaves are evaluated through cell
 * masks (mask-forest.ts), in runs of consecutive trees; larger ones through
 * generated nested `if`s. Returns null when a tree is outside what either handles
 * (then the caller walks rows as before).
 * @param K scores per row; tree t adds to score t mod K.
 */
export function compileScoreKernels(trees: readonly Tree[], features: number, K: number): ScoreKernels | null {
  for (const tree of trees) {
    for (let n = 0; n < tree.feature.length; n++) {
      if (tree.left[n]! < 0) continue;
      const f = tree.feature[n]!;
      if (!Number.isInteger(f) || f < 0 || f >= features) return null;
    }
  }
  const forest = compileMaskForest(trees, features, K);
  const covered = forest?.covered ?? trees.map(() => false);
  const coded = trees.flatMap((tree, t) => (covered[t] ? [] : [{ tree, t }]));
  const code = coded.length > 0 ? compileCodeKernels(coded, features, K) : null;
  if (coded.length > 0 && code === null) return null;
  const steps: Step[] = [];
  let c = 0;
  for (let t = 0; t < trees.length; ) {
    if (!covered[t]) {
      steps.push({ kind: 'code', kernel: code!.kernels[c++]! });
      t++;
      continue;
    }
    let end = t;
    while (end < trees.length && covered[end] && end - t < RUN_TREES) end++;
    steps.push({ kind: 'masks', run: forest!.run(t, end) });
    t = end;
  }
  return {
    plan: { masks: trees.length - coded.length, code: coded.length },
    addTrees(columns, out, n) {
      const codes = code ? code.codes(columns, n) : [];
      for (let start = 0; start < n; start += BLOCK_ROWS) {
        const m = Math.min(BLOCK_ROWS, n - start);
        forest?.fill(columns, start, m);
        for (const step of steps) {
          if (step.kind === 'masks') step.run(out, start, m);
          else step.kernel(columns, codes, out, start, start + m);
        }
      }
    },
  };
}

/**
 * Generated code for the trees masks cannot take (more than 32 leaves): each a
 * small function walking its nodes as nested `if`s over rows `start … end)`.
 * Category codes are computed once per call for the categorical features these trees split on.
 */
function compileCodeKernels(coded: readonly { tree: Tree; t: number }[], features: number, K: number): { kernels: TreeKernel[]; codes: (columns: readonly ArrayLike<number>[], n: number) => Int32Array[] } | null {
  // Categorical features are looked up by code: codeSize[f] is the table size (0 for numeric features).
  const codeSize = new Int32Array(features);
  for (const { tree } of coded) {
    if (tree.feature.length > MAX_NODES) return null;
    for (let n = 0; n < tree.feature.length; n++) {
      if (tree.left[n]! < 0) continue;
      const f = tree.feature[n]!;
      for (let c = 0; c < tree.catCount[n]!; c++) {
        const v = tree.categories[tree.catStart[n]! + c]!;
        if (!Number.isInteger(v) || v < 0 || v >= MAX_CATEGORY) return null;
        codeSize[f] = Math.max(codeSize[f]!, v + 1);
      }
    }
  }
  const kernels: TreeKernel[] = [];
  for (const { tree, t } of coded) {
    const kernel = compileTree(tree, codeSize, K, t % K);
    if (!kernel) return null;
    kernels.push(kernel);
  }
  const categorical = [...codeSize.keys()].filter((f) => codeSize[f]! > 0);
  let codes: Int32Array[] = [];
  let capacity = -1;
  return {
    kernels,
    codes(columns, n) {
      if (capacity < n) {
        codes = Array.from({ length: features }, (_, f) => new Int32Array(codeSize[f]! > 0 ? n : 0));
        capacity = n;
      }
      // A row's category code indexes the node tables: size = any other value, size + 1 = missing.
      for (const f of categorical) {
        const size = codeSize[f]!;
        const col = columns[f]!;
        const code = codes[f]!;
        for (let i = 0; i < n; i++) {
          const v = col[i]!;
          code[i] = v !== v ? size + 1 : v >>> 0 === v && v < size ? v : size;
        }
      }
      return codes;
    },
  };
}

function literal(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  if (Object.is(x, -0)) return '-0';
  return String(x);
}

function compileTree(tree: Tree, codeSize: Int32Array, K: number, k: number): TreeKernel | null {
  const tables: Uint8Array[] = [];
  const numeric = new Set<number>();
  const coded = new Set<number>();
  const at = K === 1 ? 'i' : `i * ${K} + ${k}`;
  const node = (n: number, depth: number): string | null => {
    if (depth > MAX_DEPTH || !Number.isInteger(n) || n < 0 || n >= tree.feature.length) return null;
    if (tree.left[n]! < 0) return `out[${at}] += ${literal(tree.value[n]!)};`;
    const f = tree.feature[n]!;
    const missingLeft = tree.missingLeft[n] === 1;
    let test: string;
    if (tree.catCount[n]! > 0) {
      // The table answers "goes left" for each code, the missing slot included.
      const size = codeSize[f]!;
      const table = new Uint8Array(size + 2);
      for (let c = 0; c < tree.catCount[n]!; c++) table[tree.categories[tree.catStart[n]! + c]!] = 1;
      table[size + 1] = missingLeft ? 1 : 0;
      tables.push(table);
      coded.add(f);
      test = `t${tables.length - 1}[k${f}[i]] === 1`;
    } else {
      const threshold = tree.threshold[n]!;
      numeric.add(f);
      // NaN fails every comparison: `!(x > t)` sends it left, `x <= t` right, as missingLeft says.
      test = Number.isNaN(threshold) ? `x${f} !== x${f} ? ${missingLeft} : false` : missingLeft ? `!(x${f} > ${literal(threshold)})` : `x${f} <= ${literal(threshold)}`;
    }
    const left = node(tree.left[n]!, depth + 1);
    const right = node(tree.right[n]!, depth + 1);
    return left === null || right === null ? null : `if (${test}) {${left}} else {${right}}`;
  };
  const body = node(0, 0);
  if (body === null) return null;
  const source = [
    ...[...numeric].map((f) => `const c${f} = columns[${f}];`),
    ...[...coded].map((f) => `const k${f} = codes[${f}];`),
    'for (let i = start; i < end; i++) {',
    ...[...numeric].map((f) => `const x${f} = c${f}[i];`),
    body,
    '}',
  ].join('\n');
  const names = tables.map((_, i) => `t${i}`);
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- generated from validated numbers only (see above)
  const factory = new Function(...names, `return function tree(columns, codes, out, start, end) {\n${source}\n};`) as (...t: Uint8Array[]) => TreeKernel;
  return factory(...tables);
}
