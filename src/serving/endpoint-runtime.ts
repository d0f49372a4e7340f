import { OrchardError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { pickRoute, specModelRefs, type EndpointSpec } from './endpoint-spec.js';
import { parseModelRef, resolveModelRef, type ModelRefDeps } from './model-ref.js';
import type { PredictionRecord } from './prediction-log-schema.js';
import type { PredictionLogWriter } from './prediction-log-writer.js';
import type { Rows } from './request-formats.js';
import { ServedModel, type Predictions } from './served-model.js';
import type { ServingMetrics } from './serving-metrics.js';

export interface EndpointRuntimeDeps {
  readonly models: ModelRefDeps;
  readonly log: PredictionLogWriter | null;
  readonly metrics: ServingMetrics;
  readonly logger: Logger;
  /** Wall-clock milliseconds, for the log's timestamps. */
  readonly now: () => number;
  /** A monotonic clock in milliseconds, for latencies. */
  readonly monotonic: () => number;
  /** A number in [0, 1) for canary draws. */
  readonly random: () => number;
}

/** What one request brings besides its rows. */
export interface PredictContext {
  readonly requestId: string;
  /** Lower-case header names. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

export interface EndpointAnswer extends Predictions {
  readonly endpoint: string;
  readonly model: string;
  readonly version: number | null;
  readonly digest: string;
  readonly requestId: string;
}

/** The models answering now. Replaced whole, so a request sees one consistent state. */
interface State {
  readonly spec: EndpointSpec;
  readonly routes: readonly ServedModel[];
  readonly shadow: ServedModel | null;
}

/**
 * One endpoint at run time: its spec's models loaded, traffic split between them, a shadow
 * fed a copy of each request, predictions logged. `refresh()` follows aliases and `apply()`
 * takes a new spec: either loads and warms the new models first, then swaps the whole state
 * in one assignment; requests already holding the old models finish on them, and the old
 * models are closed once idle — no request fails because of a switch.
 */
export class EndpointRuntime {
  readonly #deps: EndpointRuntimeDeps;
  #state: State;
  #switching: Promise<void> = Promise.resolve();

  private constructor(deps: EndpointRuntimeDeps, state: State) {
    this.#deps = deps;
    this.#state = state;
  }

  /**
   * Loads every model the spec names; refuses to start when one cannot be loaded.
   * @throws OrchardError from loading (NOT_FOUND, INTEGRITY_ERROR, …), its message prefixed with the endpoint.
   */
  static async start(deps: EndpointRuntimeDeps, spec: EndpointSpec): Promise<EndpointRuntime> {
    return new EndpointRuntime(deps, await loadState(deps, spec, null));
  }

  get spec(): EndpointSpec {
    return this.#state.spec;
  }

  /** The loaded models with their role, for metrics and metadata. */
  loaded(): { role: string; served: ServedModel }[] {
    const s = this.#state;
    return [...s.routes.map((served, i) => ({ role: `route${i}`, served })), ...(s.shadow ? [{ role: 'shadow', served: s.shadow }] : [])];
  }

  /** Re-reads the aliases the spec names; loads and switches to any that moved. Resolves when done (or failed, keeping the old models). */
  refresh(): Promise<void> {
    return this.#switch(async (current) => {
      for (const ref of specModelRefs(current.spec)) {
        if (parseModelRef(ref).kind !== 'alias') continue;
        const loaded = [...current.routes, ...(current.shadow ? [current.shadow] : [])].find((m) => refs.get(m) === ref);
        const now = await resolveModelRef(this.#deps.models, ref);
        if (!loaded || loaded.digest !== now.digest || loaded.version !== (now.version?.version ?? null)) return loadState(this.#deps, current.spec, current);
      }
      return current;
    });
  }

  /** Switches to a new spec (an update or rollback); the models it shares with the current spec stay loaded. */
  apply(spec: EndpointSpec): Promise<void> {
    return this.#switch((current) => loadState(this.#deps, spec, current));
  }

  /**
   * Predicts rows on the route the request falls to, logs them, and mirrors them to the shadow.
   * @throws OrchardError INVALID_ARGUMENT (rows by row and column), OVERLOADED, DEADLINE_EXCEEDED.
   */
  async predict(rows: Rows, ctx: PredictContext): Promise<EndpointAnswer> {
    const started = this.#deps.monotonic();
    const ts = this.#deps.now();
    const state = this.#state;
    const { spec } = state;
    const log = spec.log ? this.#deps.log : null;
    if (log && !log.accepting) {
      throw new OrchardError('OVERLOADED', `The prediction log of endpoint '${spec.name}' holds ${log.buffered} rows waiting to be written; retry after a second.`, { details: { retryAfterSeconds: 1 } });
    }
    let key: string | undefined;
    if (spec.sticky) {
      const raw = spec.sticky.from === 'header' ? ctx.headers[spec.sticky.name] : rows[0]?.[spec.sticky.name];
      key = raw === undefined || raw === null ? undefined : String(Array.isArray(raw) ? raw[0] : raw);
    }
    const served = state.routes[pickRoute(spec.routes, key, this.#deps.random())]!;
    const input = spec.sticky?.from === 'field' ? withoutField(rows, spec.sticky.name, served) : rows;
    const { rows: valid, predictions } = await served.predict(input, spec.timeoutMs);
    const latencyMs = this.#deps.monotonic() - started;
    if (log) log.append(records(spec.name, served, valid, predictions, ctx.requestId, ts, latencyMs / valid.length, false), served.signature);
    if (state.shadow) void this.#shadow(state.shadow, spec, input, ctx.requestId, ts);
    return { endpoint: spec.name, model: served.model, version: served.version, digest: served.digest, requestId: ctx.requestId, ...predictions };
  }

  /** Waits for switches in progress, then closes every model once its in-flight work is done. */
  async close(): Promise<void> {
    await this.#switching;
    await Promise.all(this.loaded().map((m) => m.served.close()));
  }

  async #shadow(shadow: ServedModel, spec: EndpointSpec, rows: Rows, requestId: string, ts: number): Promise<void> {
    const started = this.#deps.monotonic();
    try {
      const { rows: valid, predictions } = await shadow.predict(rows, spec.timeoutMs);
      const latency = (this.#deps.monotonic() - started) / valid.length;
      if (spec.log && this.#deps.log?.accepting) this.#deps.log.append(records(spec.name, shadow, valid, predictions, requestId, ts, latency, true), shadow.signature);
    } catch (error) {
      // A shadow's failure never reaches the caller; it is counted and logged.
      this.#deps.metrics.error(spec.name, `shadow:${(error as OrchardError).code ?? 'INTERNAL'}`);
      this.#deps.logger.warn(`Shadow model of endpoint '${spec.name}' failed: ${(error as Error).message}`);
    }
  }

  #switch(next: (current: State) => Promise<State>): Promise<void> {
    const run = this.#switching.then(async () => {
      const before = this.#state;
      const after = await next(before);
      if (after === before) return;
      this.#state = after;
      const kept = new Set([...after.routes, ...(after.shadow ? [after.shadow] : [])]);
      const retired = [...before.routes, ...(before.shadow ? [before.shadow] : [])].filter((m) => !kept.has(m));
      const from = before.routes.map((m) => `${m.model}@${m.version ?? m.digest.slice(0, 8)}`).join(', ');
      const to = after.routes.map((m) => `${m.model}@${m.version ?? m.digest.slice(0, 8)}`).join(', ');
      this.#deps.logger.info(`Endpoint '${after.spec.name}' switched from ${from} to ${to}`);
      // Requests that picked an old model before the swap finish on it; then it is freed.
      void Promise.all([...new Set(retired)].map((m) => m.close()));
    });
    this.#switching = run.catch((error: unknown) => {
      this.#deps.logger.error(`Endpoint '${this.#state.spec.name}' keeps its current models: ${(error as Error).message}`);
    });
    return run;
  }
}

/** The spec reference each loaded model was loaded for. */
const refs = new WeakMap<ServedModel, string>();

/** Loads the spec's models, reusing those of `current` whose reference still resolves to the same artifact. */
async function loadState(deps: EndpointRuntimeDeps, spec: EndpointSpec, current: State | null): Promise<State> {
  const existing = new Map<string, ServedModel>();
  if (current) for (const m of [...current.routes, ...(current.shadow ? [current.shadow] : [])]) if (refs.has(m)) existing.set(refs.get(m)!, m);
  const loaded = new Map<string, ServedModel>();
  const fresh: ServedModel[] = [];
  try {
    for (const ref of specModelRefs(spec)) {
      const resolved = await resolveModelRef(deps.models, ref);
      const old = existing.get(ref);
      const sameBatching = current && JSON.stringify(current.spec.batching) === JSON.stringify(spec.batching);
      if (old && sameBatching && old.digest === resolved.digest && old.version === (resolved.version?.version ?? null)) {
        loaded.set(ref, old);
        continue;
      }
      const served = await ServedModel.fromResolved(resolved, spec.batching);
      served.batcher.onBatch = (n) => deps.metrics.batchSize.observe({ endpoint: spec.name, model: `${served.model}@${served.version ?? '-'}` }, n);
      refs.set(served, ref);
      fresh.push(served);
      loaded.set(ref, served);
    }
  } catch (error) {
    await Promise.all(fresh.map((m) => m.close()));
    if (error instanceof OrchardError) throw new OrchardError(error.code, `Endpoint '${spec.name}' cannot load its models: ${error.message}`, { cause: error, details: { ...error.details, endpoint: spec.name } });
    throw error;
  }
  return Object.freeze({ spec, routes: spec.routes.map((r) => loaded.get(r.model)!), shadow: spec.shadow ? loaded.get(spec.shadow)! : null });
}

function withoutField(rows: Rows, field: string, served: ServedModel): Rows {
  if (served.signature.some((c) => c.name === field)) return rows;
  // The sticky key rides in the rows but is not a model input: take it out before validation.
  return rows.map((r) => {
    const { [field]: _drop, ...rest } = r;
    return rest;
  });
}

function records(endpoint: string, served: ServedModel, rows: Rows, p: Predictions, requestId: string, ts: number, latencyMs: number, shadow: boolean): PredictionRecord[] {
  return rows.map((features, i) => ({
    requestId,
    ts,
    endpoint,
    model: served.model,
    version: served.version,
    digest: served.digest,
    shadow,
    prediction: p.predictions[i]!,
    label: p.labels?.[i] ?? null,
    probabilities: p.probabilities && p.probabilities[i]!.length > 2 ? p.probabilities[i]! : null,
    latencyMs,
    features,
  }));
}
