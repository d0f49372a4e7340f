import { evaluatePredictions } from '../evaluate.js';
import type { Learner, Task } from '../learner.js';
import type { ParamValue } from './search-space.js';
import { trainingViews, validationViews, type SharedFeatures } from './shared-features.js';

/** What a worker thread is started with: the learner, the task, plugin files to load first, and the shared data. */
export interface TrialSetup {
  readonly learner: string;
  readonly task: Task;
  /** Modules (paths) that register custom learners; each worker loads them before its first trial. */
  readonly plugins: readonly string[];
  readonly featureNames: readonly string[];
  readonly shared: SharedFeatures;
}

/** One trial: the complete learner parameters, and how many training rows to fit on. */
export interface TrialRequest {
  readonly params: Readonly<Record<string, ParamValue>>;
  readonly rows: number;
}

/** A trial's result: validation metrics, or the learner's error. Never an exception. */
export type TrialOutcome =
  | { readonly ok: true; readonly metrics: Record<string, number>; readonly seconds: number }
  | { readonly ok: false; readonly error: string; readonly seconds: number };

/** Messages from a worker thread to the pool. */
export type WorkerMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'setup-failed'; readonly error: string }
  | { readonly type: 'outcome'; readonly id: number; readonly outcome: TrialOutcome };

/** Messages from the pool to a worker thread. */
export interface TrialMessage extends TrialRequest {
  readonly id: number;
}

/**
 * Fits `l` on the first `request.rows` shared training rows and scores it on the
 * validation rows. A learner that throws gives a failed outcome with its message.
 */
export async function runTrial(l: Learner, setup: TrialSetup, request: TrialRequest, now: () => number): Promise<TrialOutcome> {
  const started = now();
  try {
    const train = trainingViews(setup.shared, request.rows);
    // Trials already fill the cores, one per worker: a learner's own extra threads (gbdt's
    // n_threads left to choose) would only fight them.
    const params = request.params.n_threads === null ? { ...request.params, n_threads: 1 } : request.params;
    const state = await l.fit({ features: train.features, featureNames: setup.featureNames, target: train.target }, setup.task, params, {});
    const valid = validationViews(setup.shared);
    const metrics = evaluatePredictions(setup.task, valid.target, l.predict(state, valid.features));
    return { ok: true, metrics, seconds: (now() - started) / 1000 };
  } catch (error) {
    return { ok: false, error: errorText(error), seconds: (now() - started) / 1000 };
  }
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
