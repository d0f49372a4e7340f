import { describe, expect, it } from 'vitest';
import { parseParams } from '../learner.js';
import { LINEAR_DEFAULTS, LOGISTIC_DEFAULTS, leastSquaresOptions, logisticOptions } from './linear-params.js';

describe('linear learner parameters', () => {
  it("maps LogisticRegression's C onto the mean-scale penalty: (1/C)·penalty over n rows", () => {
    expect(logisticOptions({ ...LOGISTIC_DEFAULTS, C: 0.5 }, 200)).toMatchObject({ penalty: 'l2', l1: 0, l2: 1 / 100, maxIter: 100, tol: 1e-4, fitIntercept: true });
    expect(logisticOptions({ ...LOGISTIC_DEFAULTS, penalty: 'l1', C: 2 }, 50)).toMatchObject({ l1: 1 / 100, l2: 0 });
    const en = logisticOptions({ ...LOGISTIC_DEFAULTS, penalty: 'elasticnet', C: 1, l1_ratio: 0.25 }, 10);
    expect(en.l1).toBeCloseTo(0.025, 15);
    expect(en.l2).toBeCloseTo(0.075, 15);
    expect(logisticOptions({ ...LOGISTIC_DEFAULTS, penalty: 'none' }, 10)).toMatchObject({ l1: 0, l2: 0 });
  });

  it("maps ElasticNet's alpha and l1_ratio as they are; l1 is Lasso, l2 Ridge on the mean scale", () => {
    expect(leastSquaresOptions({ ...LINEAR_DEFAULTS, penalty: 'elasticnet', alpha: 2, l1_ratio: 0.5 })).toMatchObject({ l1: 1, l2: 1, maxIter: 1000 });
    expect(leastSquaresOptions({ ...LINEAR_DEFAULTS, penalty: 'l1', alpha: 0.3 })).toMatchObject({ l1: 0.3, l2: 0 });
    expect(leastSquaresOptions({ ...LINEAR_DEFAULTS, alpha: 0.3 })).toMatchObject({ l1: 0, l2: 0.3 });
  });

  it('reads command-line values through the learner defaults (l1_ratio may be null)', () => {
    const parsed = parseParams('logistic', LOGISTIC_DEFAULTS, { penalty: 'elasticnet', C: '0.1', l1_ratio: '0.7', fit_intercept: 'false' });
    expect(logisticOptions(parsed, 1000)).toMatchObject({ penalty: 'elasticnet', fitIntercept: false });
    expect(parseParams('logistic', LOGISTIC_DEFAULTS, { l1_ratio: 'none' }).l1_ratio).toBeNull();
  });

  it('reports every bad parameter at once, each with the fix', () => {
    let message = '';
    try {
      logisticOptions({ penalty: 'l3', C: 0, l1_ratio: 0.5, max_iter: 2.5, tol: -1, fit_intercept: 'yes' }, 10);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/^Invalid parameters of logistic \(6 problems\)/);
    expect(message).toContain("penalty: logistic has no penalty 'l3'; use one of none, l2, l1, elasticnet");
    expect(message).toContain('l1_ratio: l1_ratio is only used with penalty=elasticnet, got penalty=l3');
    expect(message).toContain('max_iter: max_iter must be a whole number ≥ 1, got 2.5');
    expect(message).toContain('tol: tol must be a number > 0, got -1');
    expect(message).toContain('fit_intercept: fit_intercept must be true or false, got yes');
    expect(message).toContain('C: C (inverse penalty strength) must be a number > 0, got 0; smaller C penalises more');
    expect(() => leastSquaresOptions({ ...LINEAR_DEFAULTS, penalty: 'elasticnet' })).toThrow(/penalty=elasticnet needs l1_ratio between 0 and 1 \(1 is pure L1, 0 pure L2\), e.g. l1_ratio=0.5/);
    expect(() => leastSquaresOptions({ ...LINEAR_DEFAULTS, penalty: 'elasticnet', l1_ratio: 1.5 })).toThrow(/l1_ratio must be between 0 and 1, got 1.5/);
    expect(() => leastSquaresOptions({ ...LINEAR_DEFAULTS, alpha: -1 })).toThrow(/alpha \(penalty strength\) must be a number ≥ 0, got -1/);
  });
});
