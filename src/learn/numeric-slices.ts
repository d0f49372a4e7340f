import { invalidArgument, throwIfIssues, type Issue } from '../core/errors.js';

/**
 * Evaluation slices over ranges of a numeric column: user-given bin edges or quantiles.
 * Edges e0 < e1 < … < ek make the slices [e0, e1), [e1, e2), …, [ek−1, ek); −∞ and +∞
 * are allowed as edges. Pure functions: no I/O.
 */
/** Rows whose value is missing, and rows outside every range. */
export const NULL_SLICE = '(null)';
export const OUTSIDE_SLICE = '(out of range)';

const edgeText = (e: number): string => (e === Infinity ? 'inf' : e === -Infinity ? '-inf' : String(e));

/** `[lo, hi)` for each pair of neighbouring edges. */
export function rangeLabels(edges: readonly number[]): string[] {
  return edges.slice(1).map((hi, i) => `[${edgeText(edges[i]!)}, ${edgeText(hi)})`);
}

/** A label that is a valid metric key segment: `500 to 1000`, `-inf to 0`. */
export function rangeKey(label: string): string {
  return label.replace(/^\[(.*), (.*)\)$/u, '$1 to $2');
}

/**
 * Parses `0,500,1000,inf` (also `-inf`, `+inf`, `infinity`) into ascending edges.
 * @throws OrchardError `INVALID_ARGUMENT` listing every entry that is not a number, and edges that do not ascend.
 */
export function parseBins(text: string): number[] {
  const parts = text.split(',').map((p) => p.trim());
  const issues: Issue[] = [];
  const edges = parts.map((p, i) => {
    const lower = p.toLowerCase();
    const v = /^\+?inf(inity)?$/u.test(lower) ? Infinity : /^-inf(inity)?$/u.test(lower) ? -Infinity : p === '' ? Number.NaN : Number(p);
    if (Number.isNaN(v)) issues.push({ code: 'not_a_number', path: [i], message: `'${p}' is not a number (use inf or -inf for an open end)` });
    return v;
  });
  throwIfIssues(`bin edges '${text}'`, issues);
  checkEdges(edges, `bin edges '${text}'`);
  return edges;
}

/** Checks edges: at least two, strictly ascending. */
export function checkEdges(edges: readonly number[], subject = 'bin edges'): void {
  const issues: Issue[] = [];
  if (edges.length < 2) issues.push({ code: 'too_few', path: [], message: `need at least two edges (one range), got ${edges.length}; e.g. 0,500,1000,inf` });
  edges.forEach((e, i) => {
    if (Number.isNaN(e)) issues.push({ code: 'not_a_number', path: [i], message: 'is not a number' });
    else if (i > 0 && !(e > edges[i - 1]!)) issues.push({ code: 'not_ascending', path: [i], message: `${edgeText(e)} does not exceed the edge before it, ${edgeText(edges[i - 1]!)}; give edges in ascending order without repeats` });
  });
  throwIfIssues(subject, issues);
}

/**
 * Edges for `count` quantile slices of the values (NaN ignored): −∞, the quantiles at 1/count, 2/count, …,
 * +∞, so every value falls in a slice. Quantiles interpolate linearly between order statistics
 * (numpy's default, DuckDB's `quantile_cont`). Repeated quantiles (many ties) merge their slices.
 */
export function quantileEdges(values: ArrayLike<number>, count: number): number[] {
  if (!Number.isInteger(count) || count < 2 || count > 100) throw invalidArgument(`The number of quantile slices must be a whole number from 2 to 100, got ${count}.`);
  const sorted = Float64Array.from(Array.prototype.filter.call(values, (v: number) => !Number.isNaN(v)) as number[]).sort();
  if (sorted.length === 0) return [-Infinity, Infinity];
  const inner: number[] = [];
  for (let k = 1; k < count; k++) {
    const h = ((sorted.length - 1) * k) / count;
    const lo = Math.floor(h);
    const q = lo + 1 < sorted.length ? sorted[lo]! + (h - lo) * (sorted[lo + 1]! - sorted[lo]!) : sorted[lo]!;
    if (inner.length === 0 || q > inner[inner.length - 1]!) inner.push(q);
  }
  return [-Infinity, ...inner, Infinity];
}

/** The slice label of every value: its range, `(null)` for NaN, or `(out of range)`. */
export function assignRanges(values: ArrayLike<number>, edges: readonly number[]): string[] {
  const labels = rangeLabels(edges);
  const out = new Array<string>(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isNaN(v)) out[i] = NULL_SLICE;
    else if (v < edges[0]! || v >= edges[edges.length - 1]!) out[i] = OUTSIDE_SLICE;
    else {
      // The last edge not above v: binary search.
      let lo = 0;
      let hi = edges.length - 1;
      while (hi - lo > 1) {
        const mid = (lo + hi) >> 1;
        if (edges[mid]! <= v) lo = mid;
        else hi = mid;
      }
      out[i] = labels[lo]!;
    }
  }
  return out;
}
