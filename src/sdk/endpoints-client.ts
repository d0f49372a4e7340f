import type { Platform } from '../orchard.js';
import type { Endpoint, EndpointRevision } from '../serving/endpoint-service.js';
import { apiClient } from './api-client.js';

/** An endpoint spec as written: `model` or `routes`, and the optional rest (see EndpointSpec). */
export interface EndpointInput {
  readonly name?: string;
  readonly model?: string;
  readonly routes?: readonly { readonly model: string; readonly weight: number }[];
  readonly shadow?: string | null;
  /** `header:<name>` or `field:<column>`, or null for none. */
  readonly sticky?: string | null;
  readonly batching?: { readonly maxBatchSize?: number; readonly maxWaitMs?: number; readonly maxQueueRows?: number };
  readonly timeoutMs?: number;
  readonly log?: boolean;
}

/**
 * Serving endpoints, embedded or over HTTP. Every method throws `OrchardError`:
 * INVALID_ARGUMENT listing every problem of a spec, NOT_FOUND for an unknown endpoint or model,
 * ALREADY_EXISTS for a taken name, CONFLICT for a rollback with no earlier revision.
 * @example
 * await orchard.endpoints.create({ name: 'flights', routes: [{ model: 'flights@champion', weight: 90 }, { model: 'flights@challenger', weight: 10 }] });
 * await orchard.endpoints.rollback('flights');
 */
export interface EndpointsClient {
  create(spec: EndpointInput): Promise<Endpoint>;
  list(): Promise<Endpoint[]>;
  get(name: string): Promise<Endpoint>;
  /** Changes what `spec` names, keeps the rest; a new revision. */
  update(name: string, spec: EndpointInput): Promise<Endpoint>;
  delete(name: string): Promise<void>;
  /** Restores the revision before the current one, as a new revision. */
  rollback(name: string): Promise<Endpoint>;
  revisions(name: string): Promise<EndpointRevision[]>;
}

export function embeddedEndpointsClient(platform: Platform, actorName: string): EndpointsClient {
  const actor = { name: actorName };
  const e = platform.endpoints;
  return {
    create: (spec) => e.create(actor, spec),
    list: () => e.list(),
    get: (name) => e.get(name),
    update: (name, spec) => e.update(actor, name, spec),
    delete: (name) => e.delete(actor, name),
    rollback: (name) => e.rollback(actor, name),
    revisions: (name) => e.revisions(name),
  };
}

export function httpEndpointsClient(baseUrl: string, token: string | undefined): EndpointsClient {
  const api = apiClient(baseUrl, token);
  const at = (name: string) => `/endpoints/${encodeURIComponent(name)}`;
  return {
    create: (spec) => api.call('POST', '/endpoints', spec),
    list: async () => (await api.call<{ endpoints: Endpoint[] }>('GET', '/endpoints')).endpoints,
    get: (name) => api.call('GET', at(name)),
    update: (name, spec) => api.call('PATCH', at(name), spec),
    delete: async (name) => void (await api.call('DELETE', at(name))),
    rollback: (name) => api.call('POST', `${at(name)}/rollback`, {}),
    revisions: async (name) => (await api.call<{ revisions: EndpointRevision[] }>('GET', `${at(name)}/revisions`)).revisions,
  };
}
