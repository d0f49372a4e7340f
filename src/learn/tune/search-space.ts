import { OrchardError, throwIfIssues, type Issue } from '../../core/errors.js';
import { seededRandom } from '../../core/random.js';
import { parseParams } from '../learner.js';

/** A value a learner parameter can take, typed like the learner's defaults. */
export type ParamValue = number | string | boolean | null;

/** Candidate parameter settings: the searched parameters only (fixed ones are merged later). */
export type Candidate = Readonly<Record<string, ParamValue>>;

/**
 * How one parameter is searched: a list of values (`--grid`, or `choice:` in `--random`)
 * or a numeric distribution (`uniform`, `loguniform`, whole numbers `int`, all bounds inclusive).
 */
export type Dimension =
  | { readonly kind: 'values'; readonly name: string; readonly values: readonly ParamValue[] }
  | { readonly kind: 'uniform' | 'loguniform' | 'int'; readonly name: string; readonly low: number; readonly high: number };

/** A parsed search space: its dimensions in parameter-name order (the order draws are made in). */
export interface SearchSpace {
  readonly learner: string;
  readonly dimensions: readonly Dimension[];
  /** True when some dimension came from `--random`: candidates are drawn, not enumerated. */
  readonly random: boolean;
}

export const RANDOM_FORMS = 'uniform:LOW:HIGH, loguniform:LOW:HIGH (LOW > 0), int:LOW:HIGH (whole numbers, both ends included) or choice:A,B,…';

/**
 * Parses `--grid name=v1,v2` and `--random name=<distribution>` texts against a
 * learner's defaults: names must be its parameters, values must parse as their
 * types. Every problem is reported at once, each naming the parameter, the bad
 * text and the accepted forms.
 * @throws OrchardError INVALID_ARGUMENT listing every issue.
 */
export function parseSearchSpace(learnerName: string, defaults: Readonly<Record<string, ParamValue>>, grid: readonly string[], random: readonly string[]): SearchSpace {
  const issues: Issue[] = [];
  const dims = new Map<string, Dimension>();
  const seen = new Set<string>();
  const add = (option: string, index: number, text: string, parse: (name: string, body: string) => Dimension | string) => {
    const path = [option, index];
    const eq = text.indexOf('=');
    if (eq <= 0) {
      issues.push({ code: 'invalid_format', path, message: `'${text}' is not name=values; e.g. ${option === 'grid' ? '--grid max_depth=4,6,8' : '--random learning_rate=loguniform:0.01:0.3'}` });
      return;
    }
    const name = text.slice(0, eq).trim();
    if (!(name in defaults)) {
      issues.push({ code: 'unknown_param', path, message: `learner ${learnerName} has no parameter '${name}'; its parameters are ${Object.keys(defaults).join(', ')}` });
      return;
    }
    if (seen.has(name)) {
      issues.push({ code: 'duplicate_param', path, message: `parameter '${name}' is searched twice; give it once, in --grid or --random` });
      return;
    }
    seen.add(name);
    const parsed = parse(name, text.slice(eq + 1).trim());
    if (typeof parsed === 'string') issues.push({ code: 'invalid_value', path, message: parsed });
    else dims.set(name, parsed);
  };
  const values = (name: string, body: string, what: string): ParamValue[] | string => {
    const parts = body.split(',').map((p) => p.trim());
    if (parts.some((p) => p === '')) return `${what} '${body}' for ${name} has an empty value; list values separated by commas, e.g. ${name}=${exampleValues(defaults[name]!)}`;
    const out: ParamValue[] = [];
    for (const part of parts) {
      try {
        out.push(parseParams(learnerName, defaults, { [name]: part })[name]!);
      } catch (error) {
        if (!(error instanceof OrchardError)) throw error;
        return `${what} '${body}' for ${name}: ${error.message}`;
      }
    }
    return out;
  };
  grid.forEach((text, i) =>
    add('grid', i, text, (name, body) => {
      const parsed = values(name, body, 'grid values');
      return typeof parsed === 'string' ? parsed : { kind: 'values', name, values: parsed };
    }),
  );
  random.forEach((text, i) => add('random', i, text, (name, body) => parseDistribution(name, body, defaults[name]!, (b) => values(name, b, 'choice'))));
  throwIfIssues(`search space for ${learnerName}`, issues);
  if (dims.size === 0) throw new OrchardError('INVALID_ARGUMENT', `The search space for ${learnerName} is empty; give --grid name=v1,v2 or --random name=${RANDOM_FORMS.split(',')[0]}.`);
  return { learner: learnerName, dimensions: [...dims.values()].sort((a, b) => (a.name < b.name ? -1 : 1)), random: random.length > 0 };
}

function parseDistribution(name: string, body: string, current: ParamValue, values: (body: string) => ParamValue[] | string): Dimension | string {
  const colon = body.indexOf(':');
  const kind = colon < 0 ? body : body.slice(0, colon);
  const rest = colon < 0 ? '' : body.slice(colon + 1);
  const bad = `'${body}' for ${name} is not a distribution; accepted forms: ${RANDOM_FORMS}`;
  if (kind === 'choice') {
    const parsed = values(rest);
    return typeof parsed === 'string' ? parsed : { kind: 'values', name, values: parsed };
  }
  if (kind !== 'uniform' && kind !== 'loguniform' && kind !== 'int') return bad;
  if (typeof current !== 'number' && current !== null) return `${name} takes ${typeof current} values, so it cannot follow ${kind}:…; use choice:A,B,…`;
  const bounds = rest.split(':');
  if (bounds.length !== 2 || bounds.some((b) => b.trim() === '')) return bad;
  const [low, high] = bounds.map((b) => Number(b)) as [number, number];
  if (!Number.isFinite(low) || !Number.isFinite(high)) return `bounds of '${body}' for ${name} must be numbers; accepted forms: ${RANDOM_FORMS}`;
  if (low >= high) return `'${body}' for ${name} needs LOW < HIGH, got ${low} and ${high}`;
  if (kind === 'loguniform' && low <= 0) return `'${body}' for ${name}: loguniform needs LOW > 0, got ${low}`;
  if (kind === 'int' && (!Number.isInteger(low) || !Number.isInteger(high))) return `'${body}' for ${name}: int needs whole-number bounds, got ${low} and ${high}`;
  return { kind, name, low, high };
}

function exampleValues(current: ParamValue): string {
  if (typeof current === 'boolean') return 'true,false';
  if (typeof current === 'string') return `${current},other`;
  return '1,2,3';
}

/** Number of settings a list-only space holds (the grid's size); Infinity when a dimension is continuous. */
export function gridSize(space: SearchSpace): number {
  return space.dimensions.reduce((n, d) => (d.kind === 'values' ? n * d.values.length : Number.POSITIVE_INFINITY), 1);
}

/** The `index`-th setting of a list-only space, the last parameter varying fastest (scikit-learn's ParameterGrid order). */
function gridPoint(space: SearchSpace, index: number): Candidate {
  const out: Record<string, ParamValue> = {};
  let rest = index;
  for (let d = space.dimensions.length - 1; d >= 0; d--) {
    const dim = space.dimensions[d]!;
    if (dim.kind !== 'values') throw new OrchardError('INTERNAL', `gridPoint on the continuous dimension ${dim.name}.`);
    out[dim.name] = dim.values[rest % dim.values.length]!;
    rest = Math.floor(rest / dim.values.length);
  }
  return Object.fromEntries(space.dimensions.map((d) => [d.name, out[d.name]!]));
}

/**
 * The candidates to try. Without `trials`, a list-only space gives every grid
 * setting. With `trials`, settings are drawn with a seeded generator, as
 * scikit-learn's ParameterSampler does: from a list-only space without
 * replacement (at most its size), otherwise each parameter independently
 * (lists uniformly, distributions by their law).
 * @throws OrchardError INVALID_ARGUMENT when a space with distributions has no `trials`.
 */
export function candidates(space: SearchSpace, trials: number | undefined, seed: number): Candidate[] {
  const size = gridSize(space);
  if (trials === undefined) {
    if (!Number.isFinite(size)) throw new OrchardError('INVALID_ARGUMENT', 'A search with --random distributions needs the number of candidates to draw; give --trials N.');
    return Array.from({ length: size }, (_, i) => gridPoint(space, i));
  }
  if (!Number.isInteger(trials) || trials < 1) throw new OrchardError('INVALID_ARGUMENT', `--trials must be a whole number ≥ 1, got ${trials}.`);
  const random = seededRandom(seed);
  if (Number.isFinite(size)) {
    // Partial Fisher–Yates over the grid's indices: distinct settings, in draw order.
    const indices = Array.from({ length: size }, (_, i) => i);
    const n = Math.min(trials, size);
    for (let i = 0; i < n; i++) {
      const j = i + Math.floor(random() * (size - i));
      [indices[i], indices[j]] = [indices[j]!, indices[i]!];
    }
    return indices.slice(0, n).map((i) => gridPoint(space, i));
  }
  return Array.from({ length: trials }, () => Object.fromEntries(space.dimensions.map((d) => [d.name, draw(d, random)])));
}

function draw(d: Dimension, random: () => number): ParamValue {
  const u = random();
  switch (d.kind) {
    case 'values':
      return d.values[Math.floor(u * d.values.length)]!;
    case 'uniform':
      return d.low + u * (d.high - d.low);
    case 'loguniform':
      return Math.exp(Math.log(d.low) + u * (Math.log(d.high) - Math.log(d.low)));
    case 'int':
      return d.low + Math.floor(u * (d.high - d.low + 1));
  }
}
