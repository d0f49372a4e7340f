import type { Clock } from '../../core/clock.js';
import { invalidArgument } from '../../core/errors.js';
import type { MetadataStore } from '../../metadata/metadata-store.js';
import type { Actor } from '../../tracking/tracking-service.js';

/**
 * The hand-off from pipelines to serving. The `deploy` step records which model an
 * endpoint should serve by writing the endpoint's spec in the `endpoints` table; serving
 * reads that spec and serves it. Only the route changes on an existing endpoint: its
 * batching, shadow, logging and other settings are kept.
 */

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** Settings of a new endpoint, as serving's spec has them (one route of weight 100). */
const NEW_ENDPOINT = { shadow: null, sticky: null, batching: { maxBatchSize: 256, maxWaitMs: 0, maxQueueRows: 20_000 }, timeoutMs: 10_000, log: true };

/**
 * The spec an endpoint should have to serve `model` (pure): the existing spec with every
 * request routed to `model`, or a new spec with serving's defaults.
 * @throws OrchardError `INVALID_ARGUMENT` for a bad endpoint name or a stored spec that is not a JSON object.
 */
export function desiredEndpointSpec(name: string, model: string, existingJson: string | undefined): Record<string, unknown> {
  if (!NAME.test(name)) throw invalidArgument(`'${name}' is not an endpoint name; use 1–64 letters, digits, '.', '_' or '-', starting with a letter or digit.`, { endpoint: name });
  let base: Record<string, unknown> = { name, ...NEW_ENDPOINT };
  if (existingJson !== undefined) {
    const parsed: unknown = JSON.parse(existingJson);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw invalidArgument(`The stored spec of endpoint '${name}' is not a JSON object; fix it with \`orchard endpoints\` before deploying to it.`, { endpoint: name });
    base = parsed as Record<string, unknown>;
  }
  // `model` (serving's shorthand for one route) would conflict with `routes`: keep the routes form only.
  const { model: _shorthand, ...rest } = base;
  return { ...rest, name, routes: [{ model, weight: 100 }] };
}

/**
 * Points an endpoint at a model reference (`flights@champion` follows the alias as it moves),
 * creating the endpoint when it does not exist, with an `endpoint.deploy` audit event, in one
 * transaction. Returns whether the endpoint was created and whether anything changed.
 */
export async function setEndpointModel(store: MetadataStore, clock: Clock, actor: Actor, endpoint: string, model: string): Promise<{ created: boolean; changed: boolean; spec: Record<string, unknown> }> {
  return store.transaction(async (tx) => {
    const existing = await tx.endpoints.get(endpoint);
    const spec = desiredEndpointSpec(endpoint, model, existing?.specJson);
    const specJson = JSON.stringify(spec);
    if (existing && existing.specJson === specJson) return { created: false, changed: false, spec };
    const now = clock.now();
    if (existing) await tx.endpoints.update({ name: endpoint, specJson, actor: actor.name, now });
    else await tx.endpoints.create({ name: endpoint, specJson, actor: actor.name, now });
    await tx.events.append({ at: now, actor: actor.name, action: 'endpoint.deploy', entityKind: 'endpoint', entityId: endpoint, before: existing ? JSON.parse(existing.specJson) : null, after: spec });
    return { created: !existing, changed: true, spec };
  });
}
