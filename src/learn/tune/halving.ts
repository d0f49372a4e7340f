import { OrchardError } from '../../core/errors.js';

/**
 * Successive halving as scikit-learn's HalvingGridSearchCV / HalvingRandomSearchCV
 * plan it (`BaseSuccessiveHalving._run_search`): every candidate runs on
 * `min_resources`; the best `ceil(n / factor)` go on to `factor` times the resource,
 * until a rung holds at most `factor` candidates or the resource runs out.
 */
export interface HalvingOptions {
  /** How many times fewer candidates each rung keeps (and more resource it gives); > 1. Default 3. */
  readonly factor?: number;
  /**
   * Resource of the first rung: a number, or `exhaust` (the default, as HalvingGridSearchCV:
   * as large as lets the last required rung use up to `maxResources`).
   */
  readonly minResources?: number | 'exhaust';
  /** The most any candidate may use (training rows, or the resource parameter's largest value). */
  readonly maxResources: number;
  /** The smallest first-rung resource `exhaust` may choose (scikit-learn's `smallest`). */
  readonly smallest: number;
  /** Replay the first rung's resource while too many candidates remain (scikit-learn's `aggressive_elimination`). */
  readonly aggressiveElimination?: boolean;
}

export interface HalvingSchedule {
  readonly factor: number;
  readonly minResources: number;
  readonly maxResources: number;
  /** Rungs needed so the last one holds fewer than `factor` candidates… */
  readonly requiredRungs: number;
  /** …and rungs the resource allows from `minResources` without passing `maxResources`. */
  readonly possibleRungs: number;
  /** Resource of each rung (scikit-learn's `n_resources_`). */
  readonly resources: readonly number[];
  /** Candidates run in each rung (scikit-learn's `n_candidates_`). */
  readonly candidates: readonly number[];
}

/** The largest k with base^k ≤ x: scikit-learn's `floor(log(x, base))` without floating-point misses (log(1000)/log(10) is 2.999… in JavaScript; Python's log(243, 3) is 4.999…). */
export function floorLog(x: number, base: number): number {
  let k = 0;
  for (let p = base; p <= x; p *= base) k++;
  return k;
}

/**
 * Plans the rungs for `nCandidates` candidates.
 * @throws OrchardError INVALID_ARGUMENT for a factor ≤ 1 or resources that cannot hold one rung.
 */
export function halvingSchedule(nCandidates: number, options: HalvingOptions): HalvingSchedule {
  const factor = options.factor ?? 3;
  const { maxResources, smallest } = options;
  if (!(factor > 1) || !Number.isFinite(factor)) throw new OrchardError('INVALID_ARGUMENT', `The halving factor must be a number > 1, got ${factor}; 3 keeps a third of the candidates at each rung.`);
  if (!Number.isInteger(nCandidates) || nCandidates < 1) throw new OrchardError('INVALID_ARGUMENT', `Successive halving needs at least one candidate, got ${nCandidates}.`);
  const given = options.minResources ?? 'exhaust';
  if (given !== 'exhaust' && (!Number.isInteger(given) || given < 1)) throw new OrchardError('INVALID_ARGUMENT', `The minimum resource must be a whole number ≥ 1 or 'exhaust', got ${given}.`);
  const requiredRungs = 1 + floorLog(nCandidates, factor);
  // 'exhaust' starts as large as possible so the last required rung uses (nearly) all of maxResources.
  const minResources = given === 'exhaust' ? Math.max(smallest, Math.floor(maxResources / factor ** (requiredRungs - 1))) : given;
  if (minResources > maxResources) {
    throw new OrchardError('INVALID_ARGUMENT', `The minimum resource ${minResources} is more than the maximum ${maxResources}; lower the minimum or raise the maximum resource.`, { details: { minResources, maxResources } });
  }
  const possibleRungs = 1 + floorLog(Math.floor(maxResources / minResources), factor);
  const rungs = options.aggressiveElimination ? requiredRungs : Math.min(possibleRungs, requiredRungs);
  const resources: number[] = [];
  const counts: number[] = [];
  let n = nCandidates;
  for (let i = 0; i < rungs; i++) {
    // Aggressive elimination repeats the first resource until the remaining rungs fit.
    const power = options.aggressiveElimination ? Math.max(0, i - requiredRungs + possibleRungs) : i;
    resources.push(Math.min(Math.trunc(factor ** power * minResources), maxResources));
    counts.push(n);
    n = Math.ceil(n / factor);
  }
  return { factor, minResources, maxResources, requiredRungs, possibleRungs, resources, candidates: counts };
}

/**
 * Indices of the `k` best scores (higher is better), best first; NaN (failed or
 * undefined) ranks last, and ties go to the earlier candidate, so the order is deterministic.
 */
export function topK(scores: readonly number[], k: number): number[] {
  return scores
    .map((score, index) => ({ score, index }))
    .sort((a, b) => {
      const an = Number.isNaN(a.score);
      const bn = Number.isNaN(b.score);
      if (an !== bn) return an ? 1 : -1;
      return an || a.score === b.score ? a.index - b.index : b.score - a.score;
    })
    .slice(0, k)
    .map((e) => e.index);
}
