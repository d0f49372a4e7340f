import { OrchardError } from '../core/errors.js';

/**
 * What a learner predicts. `binary`: the target is 0 or 1. `multiclass`: the target
 * holds class indices 0…K−1 (`TrainingData.classes` is K). `regression`: any number.
 */
export type Task = 'binary' | 'multiclass' | 'regression';

/** Training data as learners see it: numeric feature columns (NaN = missing) and a target. */
export interface TrainingData {
  readonly features: readonly Float64Array[];
  readonly featureNames: readonly string[];
  readonly target: Float64Array;
  /** Number of classes K for `multiclass` (the target holds 0…K−1); absent otherwise. */
  readonly classes?: number;
  /** Per feature, whether its values are category codes (ordinal-encoded) rather than quantities. */
  readonly categorical?: readonly boolean[];
}

export interface FitHooks {
  /** Called after each boosting round or optimiser step with the loss it reached. */
  onIteration?(iteration: number, loss: number): void;
}

/**
 * A learner: built-in or registered by a user. Fitting returns a state that
 * `save` turns into JSON and `load` turns back, giving bit-identical predictions.
 */
export interface Learner<State = unknown> {
  readonly name: string;
  readonly tasks: readonly Task[];
  /** Default parameters, with their types: `--param key=value` values are parsed to match. */
  readonly defaults: Readonly<Record<string, number | string | boolean | null>>;
  fit(data: TrainingData, task: Task, params: Readonly<Record<string, unknown>>, hooks: FitHooks): State | Promise<State>;
  /**
   * Predictions for rows of feature columns: the probability of class 1 (binary),
   * K class probabilities per row, row-major, length n × K (multiclass), or values (regression).
   */
  predict(state: State, features: readonly ArrayLike<number>[]): Float64Array;
  save(state: State): unknown;
  load(saved: unknown): State;
  /** Importance of each feature, when the learner has a notion of it. */
  importance?(state: State): Float64Array;
}

// Kept on the global object so a plugin bundled against another copy of this
// module (see core/load-module.ts) registers where the platform looks.
const REGISTRY = Symbol.for('orchard.learners');
const registry: Map<string, Learner> = ((globalThis as Record<symbol, unknown>)[REGISTRY] as Map<string, Learner> | undefined) ?? new Map<string, Learner>();
(globalThis as Record<symbol, unknown>)[REGISTRY] = registry;

/** Registers a learner under its name, so it can be used wherever a built-in one is. */
export function registerLearner<State>(learner: Learner<State>): void {
  registry.set(learner.name, learner as unknown as Learner);
}

export function learner(name: string): Learner {
  const found = registry.get(name);
  if (!found) throw new OrchardError('INVALID_ARGUMENT', `No learner named '${name}'; known learners: ${[...registry.keys()].join(', ')}. Register custom ones with registerLearner().`, { details: { learner: name } });
  return found;
}

export function learnerNames(): string[] {
  return [...registry.keys()];
}

/**
 * Parses `key=value` overrides against a learner's defaults: numbers stay numbers,
 * booleans booleans; unknown keys are refused with the known ones listed.
 */
export function parseParams(learnerName: string, defaults: Readonly<Record<string, number | string | boolean | null>>, overrides: Readonly<Record<string, unknown>>): Record<string, number | string | boolean | null> {
  const out: Record<string, number | string | boolean | null> = { ...defaults };
  for (const [key, raw] of Object.entries(overrides)) {
    if (!(key in defaults)) throw new OrchardError('INVALID_ARGUMENT', `Learner ${learnerName} has no parameter '${key}'; its parameters are ${Object.keys(defaults).join(', ')}.`, { details: { param: key } });
    const d = defaults[key];
    const text = String(raw);
    if (typeof d === 'number' || d === null) {
      if (d === null && (text === 'null' || text === 'none')) out[key] = null;
      else {
        const n = typeof raw === 'number' ? raw : Number(text);
        if (!Number.isFinite(n)) throw new OrchardError('INVALID_ARGUMENT', `Parameter ${key} of ${learnerName} must be a number, got '${text}'.`, { details: { param: key } });
        out[key] = n;
      }
    } else if (typeof d === 'boolean') {
      if (!['true', 'false'].includes(text)) throw new OrchardError('INVALID_ARGUMENT', `Parameter ${key} of ${learnerName} must be true or false, got '${text}'.`, { details: { param: key } });
      out[key] = text === 'true';
    } else out[key] = text;
  }
  return out;
}
