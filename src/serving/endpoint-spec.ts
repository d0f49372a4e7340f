import { throwIfIssues, type Issue } from '../core/errors.js';
import { parseModelRef } from './model-ref.js';

/** One traffic route: a model reference and its share of the requests, in percent. */
export interface TrafficRoute {
  readonly model: string;
  readonly weight: number;
}

/** Where the sticky routing key comes from: a request header or a field of the first row. */
export interface StickyKey {
  readonly from: 'header' | 'field';
  readonly name: string;
}

export interface BatchingOptions {
  /** Most rows a model predicts at once; a larger request is split across batches. */
  readonly maxBatchSize: number;
  /** How long a batch may wait for more rows while the model is busy; 0 sends what is queued at once. */
  readonly maxWaitMs: number;
  /** Most rows waiting per model; past it requests get 429 with Retry-After. */
  readonly maxQueueRows: number;
}

/**
 * An endpoint: which model versions answer, in what proportions, with what
 * batching, and whether predictions are logged. Stored as JSON in the metadata
 * store; every change is a new revision, so a rollback restores the one before.
 */
export interface EndpointSpec {
  readonly name: string;
  /** Weights add up to 100. A route naming an alias follows it as the alias moves. */
  readonly routes: readonly TrafficRoute[];
  /** A challenger that gets a copy of every request; its predictions are logged with shadow=true, never returned. */
  readonly shadow: string | null;
  /** With a key, the same key always reaches the same route (a hash of it picks the route), else routes are drawn at random. */
  readonly sticky: StickyKey | null;
  readonly batching: BatchingOptions;
  /** A request not answered within this many milliseconds gets 504. */
  readonly timeoutMs: number;
  /** Write each prediction to the endpoint's prediction log. */
  readonly log: boolean;
}

export const DEFAULT_BATCHING: BatchingOptions = Object.freeze({ maxBatchSize: 256, maxWaitMs: 0, maxQueueRows: 20_000 });
export const DEFAULT_TIMEOUT_MS = 10_000;
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/**
 * Parses an endpoint spec as users write it: `model` (one route of weight 100) or `routes`,
 * optional `shadow`, `sticky` (`header:<name>` or `field:<name>`), `batching`, `timeoutMs`, `log`.
 * `base` fills what `input` leaves out (an update).
 * @throws OrchardError `INVALID_ARGUMENT` listing every problem at once.
 */
export function parseEndpointSpec(input: unknown, base?: EndpointSpec): EndpointSpec {
  const issues: Issue[] = [];
  const add = (path: (string | number)[], code: string, message: string) => issues.push({ code, path, message });
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throwIfIssues('endpoint spec', [{ code: 'invalid_type', path: [], message: 'expected a JSON object with name and model (or routes)' }]);
  }
  const o = input as Record<string, unknown>;
  const known = ['name', 'model', 'routes', 'shadow', 'sticky', 'batching', 'timeoutMs', 'log'];
  for (const k of Object.keys(o)) if (!known.includes(k)) add([k], 'unknown_key', `unknown key; known keys: ${known.join(', ')}`);

  const name = o.name ?? base?.name;
  if (typeof name !== 'string' || !NAME.test(name)) add(['name'], 'invalid_name', `${JSON.stringify(name)} is not an endpoint name; use 1–64 letters, digits, '.', '_' or '-', starting with a letter or digit`);

  let routes: TrafficRoute[] = base ? [...base.routes] : [];
  if (o.model !== undefined && o.routes !== undefined) add(['model'], 'conflict', 'give either model (one route) or routes, not both');
  if (o.model !== undefined) {
    routes = [{ model: o.model as string, weight: 100 }];
    checkRef(o.model, ['model'], add);
  } else if (o.routes !== undefined) {
    routes = [];
    if (!Array.isArray(o.routes) || o.routes.length === 0) add(['routes'], 'invalid_type', 'expected a non-empty list of { model, weight }');
    else
      o.routes.forEach((r: unknown, i) => {
        const route = (r ?? {}) as Record<string, unknown>;
        checkRef(route.model, ['routes', i, 'model'], add);
        const w = route.weight ?? ((o.routes as unknown[]).length === 1 ? 100 : undefined);
        if (typeof w !== 'number' || !Number.isFinite(w) || w < 0 || w > 100) add(['routes', i, 'weight'], 'invalid_weight', `weight ${JSON.stringify(route.weight)} must be a percentage from 0 to 100`);
        routes.push({ model: String(route.model), weight: Number(w) });
      });
  }
  if (routes.length === 0 && !issues.some((i) => i.path[0] === 'routes' || i.path[0] === 'model')) add(['model'], 'required', 'name the model to serve: model "flights@champion", or routes [{ model, weight }]');
  const total = routes.reduce((s, r) => s + r.weight, 0);
  if (routes.length > 0 && issues.every((i) => i.path[0] !== 'routes') && Math.abs(total - 100) > 1e-9) add(['routes'], 'invalid_weights', `route weights add up to ${total}; they must add up to 100`);

  const shadow = o.shadow === undefined ? (base?.shadow ?? null) : o.shadow;
  if (shadow !== null) checkRef(shadow, ['shadow'], add);

  let sticky: StickyKey | null = base?.sticky ?? null;
  if (o.sticky !== undefined) {
    sticky = null;
    if (o.sticky !== null) {
      // Stored specs hold { from, name }; users write header:<name> or field:<name>.
      const stored = o.sticky as { from?: unknown; name?: unknown };
      const text = typeof o.sticky === 'string' ? o.sticky : typeof stored === 'object' && typeof stored.from === 'string' && typeof stored.name === 'string' ? `${stored.from}:${stored.name}` : null;
      const m = text === null ? null : /^(header|field):(.+)$/.exec(text);
      if (!m) add(['sticky'], 'invalid_sticky', `${JSON.stringify(o.sticky)} is not a sticky key; write header:<name> (e.g. header:x-user-id) or field:<column>`);
      else sticky = { from: m[1] as 'header' | 'field', name: m[1] === 'header' ? m[2]!.toLowerCase() : m[2]! };
    }
  }

  const b = (o.batching ?? {}) as Record<string, unknown>;
  const baseBatching = base?.batching ?? DEFAULT_BATCHING;
  const int = (key: keyof BatchingOptions, min: number, max: number): number => {
    const v = b[key] ?? baseBatching[key];
    if (!Number.isInteger(v) || (v as number) < min || (v as number) > max) add(['batching', key], 'out_of_range', `${JSON.stringify(b[key])} must be a whole number from ${min} to ${max}`);
    return v as number;
  };
  if (o.batching !== undefined && (o.batching === null || typeof o.batching !== 'object')) add(['batching'], 'invalid_type', 'expected { maxBatchSize, maxWaitMs, maxQueueRows }');
  for (const k of Object.keys(b)) if (!(k in DEFAULT_BATCHING)) add(['batching', k], 'unknown_key', 'known keys: maxBatchSize, maxWaitMs, maxQueueRows');
  const batching = { maxBatchSize: int('maxBatchSize', 1, 100_000), maxWaitMs: int('maxWaitMs', 0, 1000), maxQueueRows: int('maxQueueRows', 1, 10_000_000) };

  const timeoutMs = o.timeoutMs ?? base?.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!Number.isInteger(timeoutMs) || (timeoutMs as number) < 1 || (timeoutMs as number) > 600_000) add(['timeoutMs'], 'out_of_range', `${JSON.stringify(timeoutMs)} must be a whole number of milliseconds from 1 to 600000`);
  const log = o.log ?? base?.log ?? true;
  if (typeof log !== 'boolean') add(['log'], 'invalid_type', `${JSON.stringify(log)} must be true or false`);

  throwIfIssues('endpoint spec', issues);
  return Object.freeze({ name: name as string, routes: Object.freeze(routes), shadow: shadow as string | null, sticky, batching: Object.freeze(batching), timeoutMs: timeoutMs as number, log: log as boolean });
}

function checkRef(value: unknown, path: (string | number)[], add: (path: (string | number)[], code: string, message: string) => void): void {
  if (typeof value !== 'string') return add(path, 'invalid_type', `expected a model reference such as flights@champion, got ${JSON.stringify(value)}`);
  try {
    parseModelRef(value);
  } catch (e) {
    add(path, 'invalid_model_ref', (e as Error).message);
  }
}

/** The model references an endpoint loads: its routes' and its shadow's, each once. */
export function specModelRefs(spec: EndpointSpec): string[] {
  return [...new Set([...spec.routes.map((r) => r.model), ...(spec.shadow ? [spec.shadow] : [])])];
}

/**
 * Picks a route: by `key` (a stable FNV-1a hash, so a key keeps its route while the weights
 * stay the same) or by `draw` (a number in [0, 1)). Routes of weight 0 are never picked.
 */
export function pickRoute(routes: readonly TrafficRoute[], key: string | undefined, draw: number): number {
  const u = key === undefined ? draw : fnv1a(key) / 0x1_0000_0000;
  let acc = 0;
  const target = u * 100;
  for (let i = 0; i < routes.length; i++) {
    acc += routes[i]!.weight;
    if (target < acc && routes[i]!.weight > 0) return i;
  }
  for (let i = routes.length - 1; i >= 0; i--) if (routes[i]!.weight > 0) return i;
  return 0;
}

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  // A final avalanche so keys differing in the last character spread over the whole range.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  return h >>> 0;
}
