import type { Clock } from '../core/clock.js';
import { OrchardError, notFound } from '../core/errors.js';
import type { EndpointRecord, MetadataRepositories, MetadataStore } from '../metadata/metadata-store.js';
import type { Actor } from '../tracking/tracking-service.js';
import { parseEndpointSpec, specModelRefs, type EndpointSpec } from './endpoint-spec.js';
import { resolveModelRef, type ModelRefDeps } from './model-ref.js';

/** A stored endpoint: its spec and revision. */
export interface Endpoint {
  readonly spec: EndpointSpec;
  readonly revision: number;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export interface EndpointRevision {
  readonly revision: number;
  readonly spec: EndpointSpec;
  readonly actor: string;
  readonly createdAt: number;
}

/**
 * Endpoints in the metadata store: create, read, update, delete, rollback. Every change
 * is one transaction with its audit event (entity kind `endpoint`), and every model a spec
 * names is resolved first, so an endpoint never names a model that does not exist.
 * Listeners registered with `onChange` hear of every change made through this service.
 */
export class EndpointService {
  readonly #store: MetadataStore;
  readonly #models: ModelRefDeps;
  readonly #clock: Clock;
  readonly #listeners = new Set<(name: string) => void>();

  constructor(store: MetadataStore, models: ModelRefDeps, clock: Clock) {
    this.#store = store;
    this.#models = models;
    this.#clock = clock;
  }

  /** @throws OrchardError INVALID_ARGUMENT (every spec problem), NOT_FOUND (a model), ALREADY_EXISTS (the name). */
  async create(actor: Actor, input: unknown): Promise<Endpoint> {
    const spec = parseEndpointSpec(input);
    await this.#checkModels(spec);
    const record = await this.#store.transaction(async (tx) => {
      if (await tx.endpoints.get(spec.name)) throw new OrchardError('ALREADY_EXISTS', `Endpoint '${spec.name}' already exists; change it with \`orchard endpoints update ${spec.name}\` or pick another name.`, { details: { endpoint: spec.name } });
      const r = await tx.endpoints.create({ name: spec.name, specJson: JSON.stringify(spec), actor: actor.name, now: this.#clock.now() });
      await this.#audit(tx, actor, 'endpoint.create', spec.name, null, spec);
      return r;
    });
    this.#emit(spec.name);
    return toEndpoint(record);
  }

  /** @throws OrchardError NOT_FOUND naming the known endpoints. */
  async get(name: string): Promise<Endpoint> {
    const record = await this.#store.endpoints.get(name);
    if (!record) throw await this.#notFound(name);
    return toEndpoint(record);
  }

  async list(): Promise<Endpoint[]> {
    return (await this.#store.endpoints.list()).map(toEndpoint);
  }

  /** Changes what `input` names and keeps the rest (`name` cannot change). */
  async update(actor: Actor, name: string, input: unknown): Promise<Endpoint> {
    const current = await this.get(name);
    if (input && typeof input === 'object' && 'name' in input && (input as { name: unknown }).name !== name) {
      throw new OrchardError('INVALID_ARGUMENT', `An endpoint cannot be renamed (from '${name}' to ${JSON.stringify((input as { name: unknown }).name)}); create a new one and delete this one.`);
    }
    const spec = parseEndpointSpec(input, current.spec);
    await this.#checkModels(spec);
    return this.#write(actor, 'endpoint.update', current, spec);
  }

  /** Restores the spec of the revision before the current one, as a new revision. @throws CONFLICT when there is none. */
  async rollback(actor: Actor, name: string): Promise<Endpoint> {
    const current = await this.get(name);
    const revisions = await this.#store.endpoints.revisions(name, 2);
    const previous = revisions[1];
    if (!previous) throw new OrchardError('CONFLICT', `Endpoint '${name}' has only revision ${current.revision}; there is nothing to roll back to.`, { details: { endpoint: name } });
    return this.#write(actor, 'endpoint.rollback', current, parseEndpointSpec(JSON.parse(previous.specJson) as unknown));
  }

  async revisions(name: string, limit = 20): Promise<EndpointRevision[]> {
    await this.get(name);
    return (await this.#store.endpoints.revisions(name, limit)).map((r) => ({ revision: r.revision, spec: parseEndpointSpec(JSON.parse(r.specJson) as unknown), actor: r.actor, createdAt: r.createdAt }));
  }

  async delete(actor: Actor, name: string): Promise<void> {
    await this.#store.transaction(async (tx) => {
      const before = await tx.endpoints.get(name);
      if (!before || !(await tx.endpoints.delete(name))) throw await this.#notFound(name);
      await this.#audit(tx, actor, 'endpoint.delete', name, JSON.parse(before.specJson), null);
    });
    this.#emit(name);
  }

  /** Calls `listener(name)` after each change made through this service; returns the unsubscribe. */
  onChange(listener: (name: string) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async #write(actor: Actor, action: string, current: Endpoint, spec: EndpointSpec): Promise<Endpoint> {
    const record = await this.#store.transaction(async (tx) => {
      const r = await tx.endpoints.update({ name: spec.name, specJson: JSON.stringify(spec), actor: actor.name, now: this.#clock.now() });
      if (!r) throw await this.#notFound(spec.name);
      await this.#audit(tx, actor, action, spec.name, current.spec, spec);
      return r;
    });
    this.#emit(spec.name);
    return toEndpoint(record);
  }

  async #checkModels(spec: EndpointSpec): Promise<void> {
    for (const ref of specModelRefs(spec)) await resolveModelRef(this.#models, ref);
  }

  async #notFound(name: string): Promise<OrchardError> {
    const known = (await this.#store.endpoints.list()).map((e) => e.name);
    return notFound(`No endpoint '${name}'; ${known.length ? `known endpoints: ${known.join(', ')}` : 'none exist yet — create one with `orchard endpoints create <name> <model>@<alias>`'}.`, { endpoint: name });
  }

  async #audit(tx: MetadataRepositories, actor: Actor, action: string, name: string, before: unknown, after: unknown): Promise<void> {
    await tx.events.append({ at: this.#clock.now(), actor: actor.name, action, entityKind: 'endpoint', entityId: name, before, after });
  }

  #emit(name: string): void {
    for (const l of this.#listeners) l(name);
  }
}

function toEndpoint(r: EndpointRecord): Endpoint {
  return { spec: parseEndpointSpec(JSON.parse(r.specJson) as unknown), revision: r.revision, createdAt: r.createdAt, updatedAt: r.updatedAt };
}
