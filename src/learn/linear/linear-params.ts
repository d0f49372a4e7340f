import { throwIfIssues, type Issue } from '../../core/errors.js';

export const PENALTIES = ['none', 'l2', 'l1', 'elasticnet'] as const;
export type Penalty = (typeof PENALTIES)[number];

/**
 * What the solvers need, on the mean scale: minimise mean loss + l1·‖w‖₁ + l2/2·‖w‖²
 * (intercepts never penalised). `tol` keeps the meaning scikit-learn gives it for the
 * estimator the learner mirrors (see `gradientTolerance` in linear-learner.ts).
 */
export interface LinearFitOptions {
  readonly penalty: Penalty;
  readonly l1: number;
  readonly l2: number;
  readonly fitIntercept: boolean;
  readonly maxIter: number;
  readonly tol: number;
}

/** Defaults of the `logistic` learner: scikit-learn's LogisticRegression. */
export const LOGISTIC_DEFAULTS = { penalty: 'l2', C: 1, l1_ratio: null, max_iter: 100, tol: 0.0001, fit_intercept: true } as const;

/** Defaults of the `linear` learner: scikit-learn's ElasticNet family (l2 penalty, as Ridge). */
export const LINEAR_DEFAULTS = { penalty: 'l2', alpha: 0.0001, l1_ratio: null, max_iter: 1000, tol: 0.0001, fit_intercept: true } as const;

function common(learner: string, p: Readonly<Record<string, unknown>>, issues: Issue[]): { penalty: Penalty; ratio: number; maxIter: number; tol: number; fitIntercept: boolean } {
  const penalty = String(p.penalty) as Penalty;
  if (!PENALTIES.includes(penalty)) issues.push({ code: 'bad_penalty', path: ['penalty'], message: `${learner} has no penalty '${String(p.penalty)}'; use one of ${PENALTIES.join(', ')}` });
  const raw = p.l1_ratio;
  const given = raw !== null && raw !== undefined;
  const l1Ratio = Number(raw);
  if (penalty === 'elasticnet' && !given) issues.push({ code: 'missing_l1_ratio', path: ['l1_ratio'], message: `penalty=elasticnet needs l1_ratio between 0 and 1 (1 is pure L1, 0 pure L2), e.g. l1_ratio=0.5` });
  else if (penalty === 'elasticnet' && !(l1Ratio >= 0 && l1Ratio <= 1)) issues.push({ code: 'bad_l1_ratio', path: ['l1_ratio'], message: `l1_ratio must be between 0 and 1, got ${String(raw)}` });
  else if (penalty !== 'elasticnet' && given) issues.push({ code: 'unused_l1_ratio', path: ['l1_ratio'], message: `l1_ratio is only used with penalty=elasticnet, got penalty=${String(p.penalty)}; set penalty=elasticnet or leave l1_ratio out` });
  const maxIter = Number(p.max_iter);
  if (!Number.isInteger(maxIter) || maxIter < 1) issues.push({ code: 'bad_max_iter', path: ['max_iter'], message: `max_iter must be a whole number ≥ 1, got ${String(p.max_iter)}` });
  const tol = Number(p.tol);
  if (!(tol > 0 && Number.isFinite(tol))) issues.push({ code: 'bad_tol', path: ['tol'], message: `tol must be a number > 0, got ${String(p.tol)}` });
  if (typeof p.fit_intercept !== 'boolean') issues.push({ code: 'bad_fit_intercept', path: ['fit_intercept'], message: `fit_intercept must be true or false, got ${String(p.fit_intercept)}` });
  const ratio = penalty === 'l1' ? 1 : penalty === 'elasticnet' ? l1Ratio : 0;
  return { penalty, ratio, maxIter, tol, fitIntercept: p.fit_intercept === true };
}

/**
 * The logistic learner's parameters, as scikit-learn's LogisticRegression: the summed
 * loss Σ logloss + (1/C)·(l1_ratio‖w‖₁ + (1 − l1_ratio)/2·‖w‖²), divided by the rows n.
 * @throws INVALID_ARGUMENT listing every bad parameter.
 */
export function logisticOptions(p: Readonly<Record<string, unknown>>, rows: number): LinearFitOptions {
  const issues: Issue[] = [];
  const base = common('logistic', p, issues);
  const C = Number(p.C);
  if (!(C > 0 && Number.isFinite(C))) issues.push({ code: 'bad_C', path: ['C'], message: `C (inverse penalty strength) must be a number > 0, got ${String(p.C)}; smaller C penalises more` });
  throwIfIssues('parameters of logistic', issues);
  const strength = base.penalty === 'none' ? 0 : 1 / (C * Math.max(rows, 1));
  return { ...base, l1: strength * base.ratio, l2: strength * (1 - base.ratio) };
}

/**
 * The linear learner's parameters, as scikit-learn's ElasticNet: 1/(2n)‖y − Xw − b‖² +
 * alpha·(l1_ratio‖w‖₁ + (1 − l1_ratio)/2·‖w‖²). penalty=l1 is Lasso(alpha); penalty=l2 is
 * Ridge(alpha·n), whose loss is not divided by n.
 * @throws INVALID_ARGUMENT listing every bad parameter.
 */
export function leastSquaresOptions(p: Readonly<Record<string, unknown>>): LinearFitOptions {
  const issues: Issue[] = [];
  const base = common('linear', p, issues);
  const alpha = Number(p.alpha);
  if (!(alpha >= 0 && Number.isFinite(alpha))) issues.push({ code: 'bad_alpha', path: ['alpha'], message: `alpha (penalty strength) must be a number ≥ 0, got ${String(p.alpha)}` });
  throwIfIssues('parameters of linear', issues);
  const strength = base.penalty === 'none' ? 0 : alpha;
  return { ...base, l1: strength * base.ratio, l2: strength * (1 - base.ratio) };
}
