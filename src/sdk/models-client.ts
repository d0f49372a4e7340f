import type { Platform } from '../orchard.js';
import { embeddedCaller } from '../registry/approval-policy.js';
import type { ApprovalRecord, ModelCard, ModelVersion, RegisteredModel } from '../registry/types.js';
import type { AuditEvent, Page } from '../tracking/types.js';
import { apiClient } from './api-client.js';

export interface ModelSettings {
  readonly description?: string | null;
  /** When true, protected aliases may only point to approved versions. */
  readonly requiresApproval?: boolean;
  /** Aliases that need approval; default `['champion']`. */
  readonly protectedAliases?: readonly string[];
  /** Who may approve besides admins: actor names, token names or token ids. */
  readonly approvers?: readonly string[];
}

/** `description` and `tags` are the version's; the approval settings apply when the model is created. */
export interface RegisterOptions extends ModelSettings {
  readonly tags?: Readonly<Record<string, string>>;
  readonly pipelineVersionId?: string;
}

export interface SearchOptions {
  /** MLflow's filter subset, e.g. `name LIKE 'flights%'` or `run_id = '…'`. */
  readonly filter?: string;
  readonly orderBy?: readonly string[];
  readonly maxResults?: number;
  readonly pageToken?: string;
}

/**
 * The model registry from the SDK, embedded or against a server. Embedded, the caller is an
 * admin (whoever opens the stores); remote, the token's role and name decide.
 *
 * @example
 * const v = await orchard.models.register('flights', run.runId, { requiresApproval: true });
 * await orchard.models.requestApproval('flights', v.version, 'beats champion on March');
 * // …an approver, with their own token:
 * await orchard.models.approve('flights', v.version, 'slices look fine');
 * await orchard.models.setAlias('flights', 'champion', v.version);
 * const champion = await orchard.models.getByAlias('flights', 'champion');
 */
export interface ModelsClient {
  /** Registers a run's model as the next version of `name`, creating the model (with `options`' settings) if needed. */
  register(name: string, runId: string, options?: RegisterOptions): Promise<ModelVersion>;
  create(name: string, options?: ModelSettings & { tags?: Readonly<Record<string, string>> }): Promise<RegisteredModel>;
  /** The model with its newest READY and ARCHIVED versions. */
  get(name: string): Promise<RegisteredModel & { latestVersions: ModelVersion[] }>;
  list(options?: SearchOptions): Promise<Page<RegisteredModel>>;
  /** Changes the description; approval settings need an admin. */
  update(name: string, settings: ModelSettings): Promise<RegisteredModel>;
  rename(name: string, newName: string): Promise<RegisteredModel>;
  /** Refused while an alias points into the model, unless `force`. */
  delete(name: string, options?: { force?: boolean }): Promise<void>;
  getVersion(name: string, version: number): Promise<ModelVersion>;
  /** Versions of one model, newest first unless ordered otherwise. */
  versions(name: string, options?: SearchOptions): Promise<Page<ModelVersion>>;
  /** Versions of any model matching `filter`. */
  searchVersions(options?: SearchOptions): Promise<Page<ModelVersion>>;
  updateVersion(name: string, version: number, patch: { description?: string | null }): Promise<ModelVersion>;
  deleteVersion(name: string, version: number, options?: { force?: boolean }): Promise<void>;
  archive(name: string, version: number): Promise<ModelVersion>;
  restore(name: string, version: number): Promise<ModelVersion>;
  /** Points an alias at a version; a protected alias needs an approved version (OrchardError `CONFLICT`). */
  setAlias(name: string, alias: string, version: number): Promise<ModelVersion>;
  deleteAlias(name: string, alias: string): Promise<void>;
  getByAlias(name: string, alias: string): Promise<ModelVersion>;
  requestApproval(name: string, version: number, comment?: string): Promise<ModelVersion>;
  /** Approves a pending request; the approver must not be the requester (`PERMISSION_DENIED`). */
  approve(name: string, version: number, comment?: string): Promise<ModelVersion>;
  reject(name: string, version: number, comment: string): Promise<ModelVersion>;
  approvals(name: string, version: number): Promise<ApprovalRecord[]>;
  /** The stored card, or the generated one; `generated: true` ignores a stored edit. */
  card(name: string, options?: { version?: number; generated?: boolean }): Promise<ModelCard>;
  setCard(name: string, markdown: string, options?: { version?: number }): Promise<ModelCard>;
  resetCard(name: string, options?: { version?: number }): Promise<ModelCard>;
  /** The model's audit events, newest first. */
  events(name: string, options?: { limit?: number }): Promise<AuditEvent[]>;
}

export function embeddedModelsClient(platform: Platform, actorName: string): ModelsClient {
  const { registry, modelCards, store } = platform;
  const caller = embeddedCaller(actorName);
  const actor = caller.actor;
  return {
    register: (name, runId, o = {}) => registry.register(actor, { name, runId, ...o }),
    create: (name, o = {}) => registry.createModel(actor, { name, ...o }),
    get: async (name) => {
      const model = await registry.getModel(name);
      return { ...model, latestVersions: await registry.latestVersionsOf([model.name]) };
    },
    list: (o = {}) => registry.searchModels(o),
    update: (name, settings) => registry.updateModel(caller, name, settings),
    rename: (name, newName) => registry.renameModel(actor, name, newName),
    delete: (name, o = {}) => registry.deleteModel(actor, name, o),
    getVersion: (name, version) => registry.getVersion(name, version),
    versions: (name, o = {}) => registry.searchVersions({ ...o, model: name }),
    searchVersions: (o = {}) => registry.searchVersions(o),
    updateVersion: (name, version, patch) => registry.updateVersion(actor, name, version, patch),
    deleteVersion: (name, version, o = {}) => registry.deleteVersion(actor, name, version, o),
    archive: (name, version) => registry.archiveVersion(actor, name, version),
    restore: (name, version) => registry.restoreVersion(actor, name, version),
    setAlias: (name, alias, version) => registry.setAlias(actor, name, alias, version),
    deleteAlias: (name, alias) => registry.deleteAlias(actor, name, alias),
    getByAlias: (name, alias) => registry.getByAlias(name, alias),
    requestApproval: (name, version, comment) => registry.requestApproval(actor, name, version, comment),
    approve: (name, version, comment) => registry.approve(caller, name, version, comment),
    reject: (name, version, comment) => registry.reject(caller, name, version, comment),
    approvals: (name, version) => registry.approvals(name, version),
    card: (name, o = {}) => (o.generated ? modelCards.generated(name, o.version) : modelCards.card(name, o.version)),
    setCard: (name, markdown, o = {}) => modelCards.setCard(actor, name, markdown, o.version),
    resetCard: (name, o = {}) => modelCards.resetCard(actor, name, o.version),
    events: (name, o = {}) => store.events.list({ entityKind: 'model', entityId: name, limit: o.limit ?? 100 }),
  };
}

export function httpModelsClient(baseUrl: string, token: string | undefined): ModelsClient {
  const { call } = apiClient(baseUrl, token);
  const enc = encodeURIComponent;
  const m = (name: string) => `/models/${enc(name)}`;
  const v = (name: string, version: number) => `${m(name)}/versions/${enc(String(version))}`;
  const qs = (q: Record<string, unknown>) => {
    const p = new URLSearchParams();
    for (const [k, val] of Object.entries(q)) {
      if (val === undefined || val === null) continue;
      for (const item of Array.isArray(val) ? val : [val]) p.append(k, String(item));
    }
    const s = p.toString();
    return s === '' ? '' : `?${s}`;
  };
  return {
    register: (name, runId, o = {}) => call('POST', `${m(name)}/versions`, { runId, ...o }),
    create: (name, o = {}) => call('POST', '/models', { name, ...o }),
    get: (name) => call('GET', m(name)),
    list: (o = {}) => call('GET', `/models${qs({ ...o })}`),
    update: (name, settings) => call('PATCH', m(name), settings),
    rename: (name, newName) => call('PATCH', m(name), { name: newName }),
    delete: async (name, o = {}) => void (await call('DELETE', `${m(name)}${qs({ force: o.force })}`)),
    getVersion: (name, version) => call('GET', v(name, version)),
    versions: (name, o = {}) => call('GET', `${m(name)}/versions${qs({ ...o })}`),
    searchVersions: (o = {}) => call('GET', `/model-versions${qs({ ...o })}`),
    updateVersion: (name, version, patch) => call('PATCH', v(name, version), patch),
    deleteVersion: async (name, version, o = {}) => void (await call('DELETE', `${v(name, version)}${qs({ force: o.force })}`)),
    archive: (name, version) => call('POST', `${v(name, version)}/archive`, {}),
    restore: (name, version) => call('POST', `${v(name, version)}/restore`, {}),
    setAlias: (name, alias, version) => call('PUT', `${m(name)}/aliases/${enc(alias)}`, { version }),
    deleteAlias: async (name, alias) => void (await call('DELETE', `${m(name)}/aliases/${enc(alias)}`)),
    getByAlias: (name, alias) => call('GET', `${m(name)}/aliases/${enc(alias)}`),
    requestApproval: (name, version, comment) => call('POST', `${v(name, version)}/approval-request`, { comment }),
    approve: (name, version, comment) => call('POST', `${v(name, version)}/approve`, { comment }),
    reject: (name, version, comment) => call('POST', `${v(name, version)}/reject`, { comment }),
    approvals: async (name, version) => (await call<{ items: ApprovalRecord[] }>('GET', `${v(name, version)}/approvals`)).items,
    card: (name, o = {}) => call('GET', `${m(name)}/card${qs({ version: o.version, generated: o.generated })}`),
    setCard: (name, markdown, o = {}) => call('PUT', `${m(name)}/card`, { markdown, version: o.version }),
    resetCard: (name, o = {}) => call('DELETE', `${m(name)}/card${qs({ version: o.version })}`),
    events: async (name, o = {}) => (await call<{ items: AuditEvent[] }>('GET', `/events${qs({ entityKind: 'model', entityId: name, limit: o.limit })}`)).items,
  };
}
