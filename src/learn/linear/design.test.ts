import { describe, expect, it } from 'vitest';
import { isOrchardError } from '../../core/errors.js';
import { linearLearner, logisticLearner } from './linear-learner.js';

const col = (...v: number[]) => Float64Array.from(v);

function caught(fn: () => unknown): { code: string; message: string; issues: { code: string; path: unknown[] }[] } {
  try {
    fn();
  } catch (error) {
    if (!isOrchardError(error)) throw error;
    return { code: error.code, message: error.message, issues: (error.details.issues ?? []) as { code: string; path: unknown[] }[] };
  }
  throw new Error('expected an error');
}

describe('training data checks of the linear learners', () => {
  it('names every infinite feature column and its row at once; NaN is a missing value and fine', () => {
    const data = { features: [col(1, 2, Number.NaN, 4), col(1, 2, Infinity, 4), col(-Infinity, 0, 1, 2)], featureNames: ['age', 'income', 'debt'], target: col(0, 1, 0, 1) };
    const e = caught(() => logisticLearner.fit(data, 'binary', {}, {}));
    expect(e.code).toBe('INVALID_ARGUMENT');
    expect(e.message).toContain('feature `income` is Infinity at row 3; replace infinite values');
    expect(e.message).toContain('feature `debt` is -Infinity at row 1');
    expect(e.message).not.toContain('`age`');
    expect(e.issues.map((i) => i.code)).toEqual(['not_finite', 'not_finite']);
  });

  it('refuses zero rows with the learner named', () => {
    const e = caught(() => linearLearner.fit({ features: [col()], featureNames: ['a'], target: col() }, 'regression', {}, {}));
    expect(e.message).toMatch(/Invalid training data for linear: target: there are 0 training rows; linear needs at least one row with a target/);
  });

  it('fits a constant regression target exactly (no slope, the constant as intercept), with every penalty', async () => {
    const a = col(1, 5, 2, 8, 3);
    const b = col(0, 1, 0, 1, 1);
    for (const params of [{}, { penalty: 'l1', alpha: 0.1 }, { penalty: 'none' }]) {
      const state = await linearLearner.fit({ features: [a, b], featureNames: ['a', 'b'], target: col(7, 7, 7, 7, 7) }, 'regression', params, {});
      for (const v of linearLearner.predict(state, [col(100, -3), col(0, 1)])) expect(v).toBeCloseTo(7, 9);
    }
  });

  it('refuses a single-class target for binary and multiclass: a classifier needs two classes', () => {
    const a = col(1, 2, 3);
    expect(caught(() => logisticLearner.fit({ features: [a], featureNames: ['a'], target: col(1, 1, 1) }, 'binary', {}, {})).message).toContain('the target has a single class (all 1); a classifier needs at least two');
    expect(caught(() => logisticLearner.fit({ features: [a], featureNames: ['a'], target: col(2, 2, 2), classes: 3 }, 'multiclass', {}, {})).message).toContain('single class (all 2)');
  });

  it('refuses targets that do not fit the task, naming the row', () => {
    const a = col(1, 2, 3);
    expect(caught(() => logisticLearner.fit({ features: [a], featureNames: ['a'], target: col(0, 1, 0.5) }, 'binary', {}, {})).message).toContain('the binary target is 0.5 at row 3; it must be 0 or 1');
    expect(caught(() => logisticLearner.fit({ features: [a], featureNames: ['a'], target: col(0, 3, 1), classes: 3 }, 'multiclass', {}, {})).message).toContain('the multiclass target is 3 at row 2; it must be a class index 0…2');
    expect(caught(() => logisticLearner.fit({ features: [a], featureNames: ['a'], target: col(0, 1, 1) }, 'multiclass', {}, {})).message).toContain('a multiclass task needs TrainingData.classes, a whole number ≥ 2; got undefined');
    expect(caught(() => linearLearner.fit({ features: [a], featureNames: ['a'], target: col(0, Number.NaN, 1) }, 'regression', {}, {})).message).toContain('the regression target is NaN at row 2; it must be a finite number');
    expect(caught(() => linearLearner.fit({ features: [a], featureNames: ['a'], target: col(0, 1, 1) }, 'binary', {}, {})).message).toBe('Learner linear does not do binary; it does regression.');
  });
});
