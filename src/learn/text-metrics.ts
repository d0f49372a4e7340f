/**
 * Metrics for generated text, over token lists (split on whitespace by `tokens`).
 * BLEU follows Papineni et al. (2002) as NLTK's sentence_bleu computes it (uniform
 * weights up to 4-grams, clipped counts against the best reference, brevity penalty
 * against the closest reference length, no smoothing). ROUGE-N and ROUGE-L follow
 * Lin (2004): n-gram overlap and longest common subsequence, as recall, precision and F1.
 */

export const tokens = (text: string): string[] => text.trim().split(/\s+/).filter((t) => t !== '');

function ngrams(words: readonly string[], n: number): Map<string, number> {
  const out = new Map<string, number>();
  for (let i = 0; i + n <= words.length; i++) {
    const key = words.slice(i, i + n).join('\u0001');
    out.set(key, (out.get(key) ?? 0) + 1);
  }
  return out;
}

/** Sentence BLEU of a hypothesis against one or more references (0 when any n-gram precision is 0). */
export function bleu(references: readonly (readonly string[])[], hypothesis: readonly string[], maxN = 4): number {
  if (hypothesis.length === 0 || references.length === 0) return 0;
  let logSum = 0;
  for (let n = 1; n <= maxN; n++) {
    const hyp = ngrams(hypothesis, n);
    let total = 0;
    let clipped = 0;
    for (const [gram, count] of hyp) {
      total += count;
      let maxRef = 0;
      for (const r of references) maxRef = Math.max(maxRef, ngrams(r, n).get(gram) ?? 0);
      clipped += Math.min(count, maxRef);
    }
    if (total === 0 || clipped === 0) return 0;
    logSum += Math.log(clipped / total) / maxN;
  }
  // Closest reference length; on a tie the shorter one.
  const c = hypothesis.length;
  const r = references.map((x) => x.length).reduce((best, len) => (Math.abs(len - c) < Math.abs(best - c) || (Math.abs(len - c) === Math.abs(best - c) && len < best) ? len : best));
  const brevity = c > r ? 1 : Math.exp(1 - r / c);
  return brevity * Math.exp(logSum);
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
