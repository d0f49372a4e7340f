import { describe, expect, it } from 'vitest';
import type { Task } from '../learner.js';
import { linearLearner, logisticLearner, type LinearModelState } from './linear-learner.js';

/*
 * Reference values from scikit-learn 1.2.1 (Debian's python3-sklearn, numpy 1.24.2), computed once by
 * test/fixtures/linear-sklearn-reference.py, which holds the exact calls, e.g.
 *   Lasso(alpha=0.1, tol=1e-12, max_iter=1_000_000).fit(Z, y)
 *   LogisticRegression(penalty="l1", C=0.5, solver="saga", tol=1e-12, max_iter=1_000_000).fit(Z, y)
 *   LogisticRegression(C=1.0, tol=1e-12, max_iter=100_000).fit(Z, y)    # multinomial, lbfgs, 3 classes
 * on the datasets below (the same formulas in both languages), standardised as Orchard does
 * (population standard deviation; a missing value becomes 0). `predict` is at the raw PROBE rows:
 * values (regression) or predict_proba (classifiers).
 */
const SKLEARN = {
  lasso: { coef: [4.087878071300918, -6.885318971568, 0.05444229865243782, 0.10511220878125495], intercept: [7.746076155330228], predict: [2.245863999320215, 19.576558669821473, -4.324694972272256] },
  elasticnet: { coef: [3.8461838828869794, -6.477075181494846, 0.08861199570664427, 0.16259046866266902], intercept: [7.746076155330228], predict: [2.487953622325228, 18.927760471384634, -3.519639224159012] },
  ridge: { coef: [3.912406618416772, -6.559540089522094, 0.12616675560540241, 0.19440442950575335], intercept: [7.746076155330228], predict: [2.3491281957786656, 19.1381173614337, -3.646432530881632] },
  lasso_missing: { coef: [3.801376211320162, -6.742596451688833, 0.11960795934026631, 0.20123496242561864], intercept: [7.746076155330228], predict: [2.3687334099533235, 19.20674211449565, -3.6431567490216823] },
  lasso_no_intercept: { coef: [4.895430711986392, -7.073092226781272, 1.6417866410259891, 0.1913796880325058], intercept: [0.0], predict: [-1.0215745801097766, 21.91653258574106, -6.447706506989789] },
  logistic_l2: { coef: [[2.3032852516975644, -1.181905511379879, 0.61395770652555, 0.09700354872021728]], intercept: [0.5997260009652111], predict: [[0.8815645286806867, 0.11843547131931328], [0.004881458954819506, 0.9951185410451805], [0.9700249202260924, 0.029975079773907606]] },
  logistic_none: { coef: [[2.988082733055586, -1.6347765088664628, 0.8367605554637938, 0.14359319448639024]], intercept: [0.7366957177370472], predict: [[0.9383568228951098, 0.06164317710489025], [0.0008805677324352779, 0.9991194322675647], [0.990126004373211, 0.00987399562678901]] },
  logistic_l1: { coef: [[2.2474270596344104, -1.0858790247219017, 0.4869528203405188, 0.0]], intercept: [0.5854922376841214], predict: [[0.8536202468526053, 0.14637975314739465], [0.00703054292944294, 0.9929694570705571], [0.9699825684973487, 0.03001743150265137]] },
  logistic_elasticnet: { coef: [[1.8171426675442297, -0.8367602553439182, 0.3984821660810925, 0.0]], intercept: [0.5044098294552243], predict: [[0.8005008881455717, 0.1994991118544283], [0.01813476045515816, 0.9818652395448418], [0.939653294400819, 0.06034670559918094]] },
  multinomial_l2: { coef: [[1.814663245829712, -1.1729063483414617, -0.41878340186182705, 0.0075845839643007345], [-1.430292678734258, 0.9795213559344208, 0.601589561904566, 0.04847121149607226], [-0.384370567095454, 0.19338499240704138, -0.18280616004273878, -0.05605579546037195]], intercept: [0.5108661426842404, -0.12501082051261359, -0.3858553221716264], predict: [[0.1474750297110511, 0.5023837245922, 0.35014124569674876], [0.981868192027502, 0.006322368369088032, 0.011809439603409997], [0.0025982966870260298, 0.9270322228954448, 0.07036948041752908]] },
  multinomial_l1: { coef: [[1.6136332432837792, -0.8297643548108119, 0.0, 0.0], [-0.515651323854729, 0.4215801634768273, 0.5030677439644238, 0.0], [0.0, 0.0, 0.0, 0.0]], intercept: [0.5207383907379352, 0.07103965817430713, -0.5917780489122372], predict: [[0.2077687060174398, 0.5189033718639945, 0.27332792211856566], [0.9458714398419772, 0.03177788583076544, 0.02235067432725725], [0.021775780913757013, 0.835224316407862, 0.1429999026783808]] },
  multinomial_elasticnet: { coef: [[1.447361875707159, -0.7645935312347767, -0.06106374437236044, 0.0], [-0.7208306146434972, 0.5462988098891054, 0.5433133608685952, 0.0], [0.0, 0.0, 0.0, 0.0]], intercept: [0.520439004206308, 0.013144373718165254, -0.5335833779244662], predict: [[0.22893863971239053, 0.5093529602375896, 0.26170840005001983], [0.9364964626545248, 0.030733409538244206, 0.032770127807230987], [0.021479702084244462, 0.8665962568875086, 0.11192404102824681]] },
};

/** Coefficients agree to 1e-4 (all are well-conditioned problems), probabilities and values to 1e-5 relative. */
const COEF = 1e-4;

const NAMES = ['x0', 'x1', 'x2', 'x3'];
const PROBE = [Float64Array.from([0, 2.5, -1]), Float64Array.from([1, -4, 3]), Float64Array.from([0.2, 0.9, 0.5]), Float64Array.from([-0.5, 0, 1])];

function features(n: number, withMissing = false): Float64Array[] {
  const x0 = Float64Array.from({ length: n }, (_, i) => Math.sin(0.37 * i + 0.1) * 2 + 1);
  const x1 = Float64Array.from({ length: n }, (_, i) => (withMissing && i % 9 === 4 ? Number.NaN : Math.cos(0.23 * i) * 5));
  const x2 = Float64Array.from({ length: n }, (_, i) => ((i * 7919) % 97) / 97);
  const x3 = Float64Array.from({ length: n }, (_, i) => Math.cos(1.1 * i + 0.3));
  return [x0, x1, x2, x3];
}

function regressionTarget(n: number): Float64Array {
  const [x0, x1, x2, x3] = features(n);
  return Float64Array.from({ length: n }, (_, i) => 3 * x0![i]! - 2 * x1![i]! + 0.5 * x2![i]! + 0.3 * x3![i]! + Math.sin(3.1 * i) + 4);
}

function binaryTarget(n: number): Float64Array {
  const [x0, x1, x2] = features(n);
  return Float64Array.from({ length: n }, (_, i) => (1.2 * x0![i]! - 0.3 * x1![i]! + 2 * (x2![i]! - 0.5) + 1.5 * Math.sin(2.9 * i) > 0.8 ? 1 : 0));
}

function multiclassTarget(n: number): Float64Array {
  const [x0, x1, x2] = features(n);
  return Float64Array.from({ length: n }, (_, i) => {
    const s = [x0![i]! - 0.2 * x1![i]! + Math.sin(2.9 * i), -0.5 * x0![i]! + 0.3 * x1![i]! + 2 * x2![i]! + Math.cos(3.7 * i), 0.4 + 0.1 * x1![i]! + Math.sin(5.3 * i + 1)];
    return s.indexOf(Math.max(...s));
  });
}

const close = (got: number, want: number, tolerance: number) => expect(Math.abs(got - want)).toBeLessThanOrEqual(tolerance * Math.max(1, Math.abs(want)));

async function fit(task: Task, params: Record<string, unknown>, target: Float64Array, withMissing = false, classes?: number): Promise<LinearModelState> {
  const learner = task === 'regression' ? linearLearner : logisticLearner;
  return learner.fit({ features: features(target.length, withMissing), featureNames: NAMES, target, classes }, task, params, {});
}

describe('linear learner against scikit-learn (Lasso, ElasticNet, Ridge)', () => {
  const y = regressionTarget(80);
  const cases: [keyof typeof SKLEARN, Record<string, unknown>, boolean][] = [
    ['lasso', { penalty: 'l1', alpha: 0.1 }, false],
    ['elasticnet', { penalty: 'elasticnet', alpha: 0.1, l1_ratio: 0.3 }, false],
    // Ridge's loss is summed, not averaged: Ridge(alpha=5) on 80 rows is alpha = 5/80 here.
    ['ridge', { penalty: 'l2', alpha: 5 / 80 }, false],
    ['lasso_missing', { penalty: 'l1', alpha: 0.2 }, true],
    ['lasso_no_intercept', { penalty: 'l1', alpha: 0.1, fit_intercept: false }, false],
  ];
  for (const [name, params, missing] of cases) {
    it(`${name}: same coefficients and predictions`, async () => {
      const ref = SKLEARN[name];
      const state = await fit('regression', { ...params, tol: 1e-12, max_iter: 100_000 }, y, missing);
      if (state.task === 'multiclass') throw new Error('unexpected multiclass state');
      state.weights.forEach((w, j) => close(w, (ref.coef as number[])[j]!, COEF));
      if (params.fit_intercept !== false) close(state.intercept, ref.intercept[0]!, COEF);
      linearLearner.predict(state, PROBE).forEach((v, r) => close(v, (ref.predict as number[])[r]!, 1e-5));
    });
  }

  it('lasso zeroes a coefficient when alpha is large enough, as its soft threshold says', async () => {
    // With standardised columns, w_j = 0 exactly when |x_jᵀ r|/n ≤ alpha at the solution; alpha = 2 drops x2 and x3.
    const state = await fit('regression', { penalty: 'l1', alpha: 2, tol: 1e-12, max_iter: 100_000 }, y);
    if (state.task === 'multiclass') throw new Error('unexpected multiclass state');
    expect(state.weights.slice(2)).toEqual([0, 0]);
    expect(state.weights[0]).toBeGreaterThan(0);
  });
});

describe('logistic learner against scikit-learn LogisticRegression', () => {
  const y = binaryTarget(120);
  const cases: [keyof typeof SKLEARN, Record<string, unknown>][] = [
    ['logistic_l2', {}],
    ['logistic_none', { penalty: 'none' }],
    ['logistic_l1', { penalty: 'l1', C: 0.5 }],
    ['logistic_elasticnet', { penalty: 'elasticnet', C: 0.3, l1_ratio: 0.4 }],
  ];
  for (const [name, params] of cases) {
    it(`${name}: same coefficients and probabilities`, async () => {
      const ref = SKLEARN[name];
      const state = await fit('binary', { ...params, tol: 1e-10, max_iter: 10_000 }, y);
      if (state.task === 'multiclass') throw new Error('unexpected multiclass state');
      state.weights.forEach((w, j) => close(w, (ref.coef[0] as number[])[j]!, COEF));
      close(state.intercept, ref.intercept[0]!, COEF);
      // L1 gives exact zeros, not small numbers.
      (ref.coef[0] as number[]).forEach((c, j) => c === 0 && expect(state.weights[j]).toBe(0));
      logisticLearner.predict(state, PROBE).forEach((v, r) => close(v, (ref.predict[r] as number[])[1]!, 1e-5));
    });
  }

  const yk = multiclassTarget(150);
  const multi: [keyof typeof SKLEARN, Record<string, unknown>][] = [
    ['multinomial_l2', {}],
    ['multinomial_l1', { penalty: 'l1', C: 0.2 }],
    ['multinomial_elasticnet', { penalty: 'elasticnet', C: 0.2, l1_ratio: 0.5 }],
  ];
  for (const [name, params] of multi) {
    it(`${name}: same class coefficients and probabilities`, async () => {
      const ref = SKLEARN[name];
      const state = await fit('multiclass', { ...params, tol: 1e-10, max_iter: 10_000 }, yk, false, 3);
      if (state.task !== 'multiclass') throw new Error('expected a multiclass state');
      state.classWeights.forEach((row, k) => row.forEach((w, j) => close(w, (ref.coef[k] as number[])[j]!, COEF)));
      // Softmax scores are defined up to a shared constant: compare intercepts centred over the classes.
      const centred = (b: readonly number[]) => b.map((v) => v - b.reduce((a, c) => a + c, 0) / b.length);
      centred(state.classIntercepts).forEach((b, k) => close(b, centred(ref.intercept)[k]!, COEF));
      const probabilities = logisticLearner.predict(state, PROBE);
      expect(probabilities.length).toBe(3 * 3);
      probabilities.forEach((v, q) => close(v, (ref.predict[Math.floor(q / 3)] as number[])[q % 3]!, 1e-5));
    });
  }
});
