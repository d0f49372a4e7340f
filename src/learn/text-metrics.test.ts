import { describe, expect, it } from 'vitest';
import { bleu, rougeL, rougeN, tokens } from './text-metrics.js';

describe('BLEU', () => {
  it("matches NLTK's documented sentence_bleu example (Papineni et al.'s party-commands sentences): 0.5045…", () => {
    const hypothesis = 'It is a guide to action which ensures that the military always obeys the commands of the party'.split(' ');
    const references = [
      'It is a guide to action that ensures that the military will forever heed Party commands',
      'It is the guiding principle which guarantees the military forces always being under the command of the Party',
      'It is the practical guide for the army always to heed the directions of the party',
    ].map((r) => r.split(' '));
    expect(bleu(references, hypothesis)).toBeCloseTo(0.5045666840058485, 12);
  });

  it('is 1 for an exact match, 0 without a shared 4-gram, and applies the brevity penalty', () => {
    const ref = tokens('the quick brown fox jumps over the lazy dog');
    expect(bleu([ref], ref)).toBe(1);
    expect(bleu([ref], tokens('dog lazy the over jumps fox brown quick the'))).toBe(0);
    // A hypothesis that is an exact prefix of length 6 of a 9-token reference: precisions 1, BP = e^(1 − 9/6).
    expect(bleu([ref], ref.slice(0, 6))).toBeCloseTo(Math.exp(1 - 9 / 6), 12);
  });
});

describe('ROUGE', () => {
  // Worked by hand: reference "the cat was under the bed", candidate "the cat was found under the bed".
  const ref = tokens('the cat was under the bed');
  const cand = tokens('the cat was found under the bed');
  it('ROUGE-1: 6 of 6 reference words, 6 of 7 candidate words', () => {
    const r = rougeN(ref, cand, 1);
    expect(r.recall).toBe(1);
    expect(r.precision).toBeCloseTo(6 / 7, 12);
    expect(r.f1).toBeCloseTo(12 / 13, 12);
  });
  it('ROUGE-2: 4 shared bigrams of 5 and 6', () => {
    const r = rougeN(ref, cand, 2);
    expect(r.recall).toBeCloseTo(4 / 5, 12);
    expect(r.precision).toBeCloseTo(4 / 6, 12);
    expect(r.f1).toBeCloseTo((2 * (4 / 5) * (4 / 6)) / (4 / 5 + 4 / 6), 12);
  });
  it('ROUGE-L: the longest common subsequence has 6 words', () => {
    const r = rougeL(ref, cand);
    expect(r.recall).toBe(1);
    expect(r.precision).toBeCloseTo(6 / 7, 12);
    expect(rougeL(tokens('a b c d'), tokens('x y z')).f1).toBe(0);
  });
});
