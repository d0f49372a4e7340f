/**
 * Metrics for generated text, over token lists (split on whitespace by `tokens`).
 * BLEU follows Papineni et al. (2002) as NLTK's sentence_bleu computes it (uniform
 * weights up to 4-grams, clipped counts against the best reference, brevity penalty
 * against the closest reference length, no smoothing). ROUGE-N and ROUGE-L follow
 * Lin (2004): n-gram overlap and longest common subsequence, as recall, precision and F1.
 */

import { invalidArgument } from '../core/errors.js';

export const tokens = (text: string): string[] => text.trim().split(/\s+/).filter((t) => t !== '');

function ngrams(words: readonly string[], n: number): Map<string, number> {
  const out = new Map<string, number>();
  for (let i = 0; i + n <= words.length; i++) {
    const key = words.slice(i, i + n).join('\u0001');
    out.set(key, (out.get(key) ?? 0) + 1);
  }
  return out;
}

/** Clipped n-gram matches and hypothesis n-grams of one order: each hypothesis n-gram counts at most as often as in any one reference. */
function clippedCounts(references: readonly (readonly string[])[], hypothesis: readonly string[], n: number): { clipped: number; total: number } {
  const hyp = ngrams(hypothesis, n);
  const refs = references.map((r) => ngrams(r, n));
  let total = 0;
  let clipped = 0;
  for (const [gram, count] of hyp) {
    total += count;
    let maxRef = 0;
    for (const r of refs) maxRef = Math.max(maxRef, r.get(gram) ?? 0);
    clipped += Math.min(count, maxRef);
  }
  return { clipped, total };
}

/** The reference length closest to the hypothesis length; on a tie the shorter one. */
function closestReferenceLength(references: readonly (readonly string[])[], hypothesisLength: number): number {
  const c = hypothesisLength;
  return references.map((x) => x.length).reduce((best, len) => (Math.abs(len - c) < Math.abs(best - c) || (Math.abs(len - c) === Math.abs(best - c) && len < best) ? len : best));
}

/** BLEU from clipped and total n-gram counts per order and the (summed) hypothesis and reference lengths. */
function bleuFromCounts(clipped: readonly number[], total: readonly number[], c: number, r: number): number {
  let logSum = 0;
  for (let i = 0; i < clipped.length; i++) {
    if (total[i] === 0 || clipped[i] === 0) return 0;
    logSum += Math.log(clipped[i]! / total[i]!) / clipped.length;
  }
  const brevity = c > r ? 1 : Math.exp(1 - r / c);
  return brevity * Math.exp(logSum);
}

/** Sentence BLEU of a hypothesis against one or more references (0 when any n-gram precision is 0). */
export function bleu(references: readonly (readonly string[])[], hypothesis: readonly string[], maxN = 4): number {
  if (hypothesis.length === 0 || references.length === 0) return 0;
  const counts = Array.from({ length: maxN }, (_, i) => clippedCounts(references, hypothesis, i + 1));
  return bleuFromCounts(counts.map((x) => x.clipped), counts.map((x) => x.total), hypothesis.length, closestReferenceLength(references, hypothesis.length));
}

/**
 * Corpus BLEU (Papineni et al. 2002, as NLTK's corpus_bleu): clipped n-gram matches and
 * hypothesis n-grams are summed over the corpus before dividing (a micro-average, not the
 * mean of sentence scores), and the brevity penalty compares the summed hypothesis length
 * with the summed closest-reference lengths. `references[i]` holds the references of
 * `hypotheses[i]`. 0 when some n-gram order has no match anywhere in the corpus.
 * @throws OrchardError `INVALID_ARGUMENT` when the two lists differ in length or a hypothesis has no reference.
 */
export function corpusBleu(references: readonly (readonly (readonly string[])[])[], hypotheses: readonly (readonly string[])[], maxN = 4): number {
  if (references.length !== hypotheses.length) throw invalidArgument(`corpusBleu needs one list of references per hypothesis; got ${references.length} reference lists for ${hypotheses.length} hypotheses.`);
  const noRefs = references.flatMap((r, i) => (r.length === 0 ? [i] : []));
  if (noRefs.length > 0) throw invalidArgument(`corpusBleu: hypotheses ${noRefs.slice(0, 10).join(', ')} have no reference; give each hypothesis at least one.`);
  const clipped = new Array<number>(maxN).fill(0);
  const total = new Array<number>(maxN).fill(0);
  let c = 0;
  let r = 0;
  hypotheses.forEach((hypothesis, h) => {
    for (let n = 1; n <= maxN; n++) {
      const counts = clippedCounts(references[h]!, hypothesis, n);
      clipped[n - 1]! += counts.clipped;
      total[n - 1]! += counts.total;
    }
    c += hypothesis.length;
    r += closestReferenceLength(references[h]!, hypothesis.length);
  });
  return c === 0 ? 0 : bleuFromCounts(clipped, total, c, r);
}

export interface Rouge {
  readonly recall: number;
  readonly precision: number;
  readonly f1: number;
}

const prf = (overlap: number, refCount: number, candCount: number): Rouge => {
  const recall = refCount === 0 ? 0 : overlap / refCount;
  const precision = candCount === 0 ? 0 : overlap / candCount;
  return { recall, precision, f1: recall + precision === 0 ? 0 : (2 * recall * precision) / (recall + precision) };
};

/** ROUGE-N: overlap of n-grams (clipped counts) between a reference and a candidate. */
export function rougeN(reference: readonly string[], candidate: readonly string[], n: number): Rouge {
  const ref = ngrams(reference, n);
  const cand = ngrams(candidate, n);
  let overlap = 0;
  for (const [gram, count] of cand) overlap += Math.min(count, ref.get(gram) ?? 0);
  const total = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
  return prf(overlap, total(ref), total(cand));
}

/** ROUGE-L: the longest common subsequence of reference and candidate. */
export function rougeL(reference: readonly string[], candidate: readonly string[]): Rouge {
  const m = reference.length;
  const n = candidate.length;
  let prev = new Uint32Array(n + 1);
  let cur = new Uint32Array(n + 1);
  for (let i = 1; i <= m; i++) {
    for (let j = 1; j <= n; j++) cur[j] = reference[i - 1] === candidate[j - 1] ? prev[j - 1]! + 1 : Math.max(prev[j]!, cur[j - 1]!);
    [prev, cur] = [cur, prev];
  }
  return prf(prev[n]!, m, n);
}
