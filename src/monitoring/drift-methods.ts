/**
 * Which drift statistic a feature gets, its threshold, and the verdicts. Pure.
 *
 * Defaults follow Evidently's automatic choice (release notes of evidently 0.1.50, "Stat test
 * auto selection", and docs.evidentlyai.com "Data drift → How it works"): with at most 1,000
 * reference rows, numerical features (more than 5 distinct values) get the two-sample
 * Kolmogorov–Smirnov test, categorical ones (and numerical ones with at most 5 distinct values)
 * the chi-square test, binary ones (at most 2 categories) the z-test for proportions, all at
 * p < 0.05; above 1,000 reference rows numerical features get the Wasserstein distance normalised
 * by the reference's standard deviation and categorical ones the Jensen–Shannon distance, both
 * drifting at ≥ 0.1. A dataset drifts when at least half of its features drift.
 */
import { invalidArgument, throwIfIssues, type Issue } from '../core/errors.js';

export type DriftMethod = 'ks' | 'chisquare' | 'z' | 'wasserstein' | 'jensenshannon' | 'psi' | 'linf';
export const DRIFT_METHODS: readonly DriftMethod[] = ['ks', 'chisquare', 'z', 'wasserstein', 'jensenshannon', 'psi', 'linf'];

/** Tests whose score is a p-value: drift when the p-value is below the threshold. The others are distances: drift at or above it. */
export const P_VALUE_METHODS: ReadonlySet<DriftMethod> = new Set(['ks', 'chisquare', 'z']);

/** Default thresholds (Evidently's: 0.05 for p-values, 0.1 for distances and PSI). */
export const DEFAULT_THRESHOLDS: Readonly<Record<DriftMethod, number>> = { ks: 0.05, chisquare: 0.05, z: 0.05, wasserstein: 0.1, jensenshannon: 0.1, psi: 0.1, linf: 0.1 };

/** Methods that need numbers, and those that work on categories (numbers binned). */
const NUMERIC_ONLY: ReadonlySet<DriftMethod> = new Set(['ks', 'wasserstein']);
const CATEGORICAL_ONLY: ReadonlySet<DriftMethod> = new Set(['chisquare', 'z']);

export const SMALL_REFERENCE_ROWS = 1000;
/** Evidently treats a numerical feature with at most this many distinct values as categorical. */
export const FEW_DISTINCT = 5;
export const DEFAULT_DRIFT_SHARE = 0.5;

export type FeatureType = 'numeric' | 'categorical';

export interface FeatureDriftOverride {
  readonly method?: DriftMethod;
  readonly threshold?: number;
}

export interface DriftOptions {
  /** Per-feature method and threshold, overriding the defaults. */
  readonly features?: Readonly<Record<string, FeatureDriftOverride>>;
  /** The share of features that must drift for the dataset to drift (default 0.5). */
  readonly driftShare?: number;
}

/**
 * The method Evidently would pick for a feature: `type` is the column's kind, `referenceRows`
 * the reference's non-null rows, `distinct` its distinct values in the reference.
 */
export function defaultMethod(type: FeatureType, referenceRows: number, distinct: number): DriftMethod {
  const categorical = type === 'categorical' || distinct <= FEW_DISTINCT;
  if (referenceRows <= SMALL_REFERENCE_ROWS) {
    if (!categorical) return 'ks';
    return distinct <= 2 ? 'z' : 'chisquare';
  }
  return categorical ? 'jensenshannon' : 'wasserstein';
}

/** The method and threshold of one feature: the override where given, else the default. */
export function chooseMethod(name: string, type: FeatureType, referenceRows: number, distinct: number, options: DriftOptions = {}): { method: DriftMethod; threshold: number } {
  const override = options.features?.[name];
  let method = override?.method ?? defaultMethod(type, referenceRows, distinct);
  // A numeric-only test on a text column cannot run; say so rather than fail.
  if (type === 'categorical' && NUMERIC_ONLY.has(method)) {
    throw invalidArgument(`Drift method '${method}' needs numbers, but feature \`${name}\` is categorical; use chisquare, z, jensenshannon, psi or linf.`, { feature: name, method });
  }
  if (method === 'z' && type === 'numeric' && distinct > 2) method = 'chisquare';
  return { method, threshold: override?.threshold ?? DEFAULT_THRESHOLDS[method] };
}

/** Whether a score crosses its threshold. A NaN score never drifts. */
export function drifted(method: DriftMethod, score: number, threshold: number): boolean {
  if (Number.isNaN(score)) return false;
  return P_VALUE_METHODS.has(method) ? score < threshold : score >= threshold;
}

/** Dataset drift: at least `share` of the features with a verdict drifted (none: no drift). */
export function datasetDrift(verdicts: readonly boolean[], share = DEFAULT_DRIFT_SHARE): { drifted: boolean; driftedShare: number } {
  if (verdicts.length === 0) return { drifted: false, driftedShare: 0 };
  const driftedShare = verdicts.filter(Boolean).length / verdicts.length;
  return { drifted: driftedShare >= share, driftedShare };
}

/**
 * Parses per-feature overrides written `feature=method[:threshold]` (CLI `--stattest`),
 * and the drift share, reporting every bad item at once.
 */
export function parseDriftOptions(items: readonly string[], driftShare?: string): DriftOptions {
  const issues: Issue[] = [];
  const features: Record<string, FeatureDriftOverride> = {};
  items.forEach((item, i) => {
    const m = /^([^=]+)=([a-z]+)(?::(.+))?$/.exec(item);
    if (!m) return issues.push({ code: 'invalid_format', path: ['stattest', i], message: `'${item}' is not feature=method[:threshold] (e.g. distance=psi:0.2)` });
    const [, name, method, threshold] = m;
    if (!DRIFT_METHODS.includes(method as DriftMethod)) return issues.push({ code: 'unknown_method', path: ['stattest', i], message: `unknown method '${method}'; use one of ${DRIFT_METHODS.join(', ')}` });
    const t = threshold === undefined ? undefined : Number(threshold);
    if (t !== undefined && !(Number.isFinite(t) && t >= 0)) return issues.push({ code: 'invalid_threshold', path: ['stattest', i], message: `threshold '${threshold}' is not a non-negative number` });
    features[name!] = { method: method as DriftMethod, ...(t === undefined ? {} : { threshold: t }) };
  });
  let share: number | undefined;
  if (driftShare !== undefined) {
    share = Number(driftShare);
    if (!(share > 0 && share <= 1)) issues.push({ code: 'invalid_share', path: ['driftShare'], message: `'${driftShare}' is not a share in (0, 1] (e.g. 0.5)` });
  }
  throwIfIssues('drift options', issues);
  return { features, ...(share === undefined ? {} : { driftShare: share }) };
}

export const isCategoricalMethod = (m: DriftMethod): boolean => CATEGORICAL_ONLY.has(m);
