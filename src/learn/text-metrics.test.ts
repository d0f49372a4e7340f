import { describe, expect, it } from 'vitest';
import { bleu, corpusBleu, rougeL, rougeN, tokens } from './text-metrics.js';

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

describe('corpus BLEU', () => {
  // The two-hypothesis example of NLTK's corpus_bleu docstring (nltk.translate.bleu_score,
  // https://www.nltk.org/_modules/nltk/translate/bleu_score.html), tokens as given there.
  const hyp1 = ['It', 'is', 'a', 'guide', 'to', 'action', 'which', 'ensures', 'that', 'the', 'military', 'always', 'obeys', 'the', 'commands', 'of', 'the', 'party'];
  const ref1a = ['It', 'is', 'a', 'guide', 'to', 'action', 'that', 'ensures', 'that', 'the', 'military', 'will', 'forever', 'heed', 'Party', 'commands'];
  const ref1b = ['It', 'is', 'the', 'guiding', 'principle', 'which', 'guarantees', 'the', 'military', 'forces', 'always', 'being', 'under', 'the', 'command', 'of', 'the', 'Party'];
  const ref1c = ['It', 'is', 'the', 'practical', 'guide', 'for', 'the', 'army', 'always', 'to', 'heed', 'the', 'directions', 'of', 'the', 'party'];
  const hyp2 = ['he', 'read', 'the', 'book', 'because', 'he', 'was', 'interested', 'in', 'world', 'history'];
  const ref2a = ['he', 'was', 'interested', 'in', 'world', 'history', 'because', 'he', 'read', 'the', 'book'];

  it("matches NLTK's documented corpus_bleu example: 0.5920778868801042", () => {
    expect(corpusBleu([[ref1a, ref1b, ref1c], [ref2a]], [hyp1, hyp2])).toBeCloseTo(0.5920778868801042, 14);
  });

  it('sums counts over the corpus instead of averaging sentence scores (their mean is 0.6223…)', () => {
    // The mean of the two sentence scores, 0.6223247442490669, is published with this example in the
    // test suite of a Scala port of NLTK's BLEU (corpusBleu vs (sentenceBleu + sentenceBleu) / 2).
    expect((bleu([ref1a, ref1b, ref1c], hyp1) + bleu([ref2a], hyp2)) / 2).toBeCloseTo(0.6223247442490669, 14);
    expect(corpusBleu([[ref1a, ref1b, ref1c], [ref2a]], [hyp1, hyp2])).not.toBeCloseTo(0.6223247442490669, 3);
  });

  // A published doctest running NLTK's corpus_bleu on the same example with weights (1, 0, 0, 0) and
  // (0.5, 0.5, 0, 0) gives 0.9655172413793104 (28 of 29 unigrams match) and 0.8242803277698696.
  it('with unigrams only the corpus precision is 28/29; with unigrams and bigrams 0.8242…', () => {
    expect(corpusBleu([[ref1a, ref1b, ref1c], [ref2a]], [hyp1, hyp2], 1)).toBeCloseTo(0.9655172413793104, 14);
    expect(corpusBleu([[ref1a, ref1b, ref1c], [ref2a]], [hyp1, hyp2], 2)).toBeCloseTo(0.8242803277698696, 14);
  });

  it("matches torchtext's documented bleu_score example (a sentence with no match still counts in the totals): 0.8408964276313782", () => {
    // https://pytorch.org/text/stable/data_metrics.html
    const candidates = [['My', 'full', 'pytorch', 'test'], ['Another', 'Sentence']];
    const references = [[['My', 'full', 'pytorch', 'test'], ['Completely', 'Different']], [['No', 'Match']]];
    // torchtext computes in float32; in float64 the value is (4/6 · 3/4 · 2/2 · 1/1)^(1/4) = 0.5^(1/4).
    expect(corpusBleu(references, candidates)).toBeCloseTo(0.8408964276313782, 7);
    expect(corpusBleu(references, candidates)).toBeCloseTo(0.5 ** 0.25, 14);
  });

  it('applies the brevity penalty to the summed lengths, and equals sentence BLEU on a one-sentence corpus', () => {
    const ref = tokens('the quick brown fox jumps over the lazy dog');
    // Hypotheses of 6 and 9 tokens against references of 9 and 9: BP = e^(1 − 18/15).
    const corpus = corpusBleu([[ref], [ref]], [ref.slice(0, 6), ref]);
    expect(corpus).toBeCloseTo(Math.exp(1 - 18 / 15), 12);
    expect(corpusBleu([[ref1a, ref1b, ref1c]], [hyp1])).toBeCloseTo(bleu([ref1a, ref1b, ref1c], hyp1), 14);
    expect(corpusBleu([], [])).toBe(0);
  });

  it('refuses lists of different lengths and hypotheses without a reference, naming them', () => {
    expect(() => corpusBleu([[ref2a]], [hyp1, hyp2])).toThrow(/1 reference lists for 2 hypotheses/);
    expect(() => corpusBleu([[ref2a], []], [hyp1, hyp2])).toThrow(/hypotheses 1 have no reference/);
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
