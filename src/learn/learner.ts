import { OrchardError, throwIfIssues, type Issue } from '../core/errors.js';

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
  /** Further kinds of importance by name (gbdt: `split`, the number of splits on each feature), logged beside the main one. */
  importanceKinds?(state: State): Readonly<Record<string, Float64Array>>;
}

/** Where a learner comes from when a plugin registered it: the module's absolute path and its bundle's sha256 (hex). */
export interface LearnerOrigin {
  readonly path: string;
  readonly digest: string;
}

interface RegistryState {
  readonly origins: Map<string, LearnerOrigin>;
  /** The plugin being imported right now, so its registerLearner calls are attributed to it. */
  loading: { readonly origin: LearnerOrigin; readonly previous: Map<string, { learner?: Learner; origin?: LearnerOrigin }> } | undefined;
}

// Kept on the global object so a plugin bundled against another copy of this
// module (see core/load-module.ts) registers where the platform looks.
const REGISTRY = Symbol.for('orchard.learners');
const STATE = Symbol.for('orchard.learners.state');
const slots = globalThis as Record<symbol, unknown>;
const registry: Map<string, Learner> = (slots[REGISTRY] as Map<string, Learner> | undefined) ?? new Map<string, Learner>();
slots[REGISTRY] = registry;
const state: RegistryState = (slots[STATE] as RegistryState | undefined) ?? { origins: new Map(), loading: undefined };
slots[STATE] = state;

const TASKS: readonly Task[] = ['binary', 'multiclass', 'regression'];
const NAME = /^[A-Za-z0-9][\w.-]{0,63}$/u;

/** Everything wrong with a value offered as a learner, all at once. */
export function learnerShapeIssues(value: unknown): Issue[] {
  if (value === null || typeof value !== 'object') return [{ code: 'invalid_type', path: [], message: `a learner must be an object with name, tasks, defaults, fit, predict, save and load; got ${value === null ? 'null' : typeof value}` }];
  const l = value as Record<string, unknown>;
  const issues: Issue[] = [];
  if (typeof l.name !== 'string' || !NAME.test(l.name)) issues.push({ code: 'invalid_name', path: ['name'], message: `must be 1–64 letters, digits, '_', '-' or '.', starting with a letter or digit; got ${JSON.stringify(l.name) ?? 'nothing'}` });
  if (!Array.isArray(l.tasks) || l.tasks.length === 0 || l.tasks.some((t) => !TASKS.includes(t as Task))) issues.push({ code: 'invalid_tasks', path: ['tasks'], message: `must be a non-empty list of ${TASKS.join(', ')}; got ${JSON.stringify(l.tasks) ?? 'nothing'}` });
  const defaults = l.defaults;
  if (defaults === null || typeof defaults !== 'object' || Array.isArray(defaults)) issues.push({ code: 'invalid_defaults', path: ['defaults'], message: 'must be an object of parameter defaults (numbers, strings, booleans or null); use {} for none' });
  else for (const [k, v] of Object.entries(defaults)) if (v !== null && !['number', 'string', 'boolean'].includes(typeof v)) issues.push({ code: 'invalid_default', path: ['defaults', k], message: `must be a number, string, boolean or null; got ${typeof v}` });
  for (const method of ['fit', 'predict', 'save', 'load'] as const) if (typeof l[method] !== 'function') issues.push({ code: 'missing_method', path: [method], message: `must be a function; got ${l[method] === undefined ? 'nothing' : typeof l[method]}` });
  if (l.importance !== undefined && typeof l.importance !== 'function') issues.push({ code: 'invalid_type', path: ['importance'], message: `must be a function when given; got ${typeof l.importance}` });
  if (l.importanceKinds !== undefined && typeof l.importanceKinds !== 'function') issues.push({ code: 'invalid_type', path: ['importanceKinds'], message: `must be a function when given; got ${typeof l.importanceKinds}` });
  return issues;
}

/**
 * Registers a learner under its name, so it can be used wherever a built-in one is
 * (`orchard train --learner <name>`). Called from a plugin module, the learner is
 * recorded as coming from that plugin, and models trained with it name the plugin.
 * @throws OrchardError `INVALID_ARGUMENT` listing every problem when the learner is malformed
 *   (missing fit/predict/save/load, bad name, tasks or defaults), or when a plugin takes a
 *   name that is built in or belongs to another plugin.
 * @example
 * import { registerLearner, type Learner } from 'orchard';
 * const mean: Learner<{ mean: number }> = {
 *   name: 'mean', tasks: ['regression'], defaults: {},
 *   fit: (data) => ({ mean: data.target.reduce((a, b) => a + b, 0) / data.target.length }),
 *   predict: (s, features) => new Float64Array(features[0]?.length ?? 0).fill(s.mean),
 *   save: (s) => s, load: (saved) => saved as { mean: number },
 * };
 * registerLearner(mean);
 */
export function registerLearner<State>(learner: Learner<State>): void {
  const name = typeof (learner as { name?: unknown } | null)?.name === 'string' ? (learner as { name: string }).name : '(unnamed)';
  throwIfIssues(`learner '${name}'`, learnerShapeIssues(learner));
  const loading = state.loading;
  if (loading) {
    const existing = registry.get(name);
    const owner = state.origins.get(name);
    if (existing && existing !== (learner as unknown) && owner?.path !== loading.origin.path) {
      const taken = owner ? `plugin ${owner.path} registered it first` : 'it is built in or registered by the program';
      throw new OrchardError('INVALID_ARGUMENT', `A learner named '${name}' exists already (${taken}); give the plugin's learner another name.`, { details: { learner: name } });
    }
    if (!loading.previous.has(name)) loading.previous.set(name, { learner: existing, origin: owner });
    state.origins.set(name, loading.origin);
  } else state.origins.delete(name);
  registry.set(name, learner as unknown as Learner);
}

/**
 * Runs `load` (which imports a plugin module) so that learners it registers are recorded
 * as coming from `origin`; if it throws, they are unregistered again. Returns the names registered.
 */
export async function registeringFrom(origin: LearnerOrigin, load: () => Promise<void>): Promise<string[]> {
  if (state.loading) throw new OrchardError('INTERNAL', `Plugin ${origin.path} started loading while ${state.loading.origin.path} was still loading; load plugins one at a time.`);
  const loading: NonNullable<RegistryState['loading']> = { origin, previous: new Map() };
  state.loading = loading;
  try {
    await load();
    return [...loading.previous.keys()];
  } catch (error) {
    // Nothing half-registered: put back what the failed plugin replaced.
    for (const [name, previous] of loading.previous) {
      if (previous.learner) registry.set(name, previous.learner);
      else registry.delete(name);
      if (previous.origin) state.origins.set(name, previous.origin);
      else state.origins.delete(name);
    }
    throw error;
  } finally {
    state.loading = undefined;
  }
}

/** The learner of that name, or undefined. */
export function findLearner(name: string): Learner | undefined {
  return registry.get(name);
}

/** The plugin a learner came from; undefined for built-in learners and ones registered by the program itself. */
export function learnerOrigin(name: string): LearnerOrigin | undefined {
  return state.origins.get(name);
}

export function learner(name: string): Learner {
  const found = registry.get(name);
  if (!found) throw new OrchardError('INVALID_ARGUMENT', `No learner named '${name}'; known learners: ${[...registry.keys()].join(', ')}. Load a plugin that registers it with --plugin <file> (or "plugins" in the Orchard config), or call registerLearner().`, { details: { learner: name } });
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
