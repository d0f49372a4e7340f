import type { Clock } from '../core/clock.js';
import { OrchardError, invalidArgument, notFound, throwIfIssues } from '../core/errors.js';
import { RUN_ID_PATTERN } from '../core/ids.js';
import type { MetadataRepositories, MetadataStore } from '../metadata/metadata-store.js';
import type { ModelPatch } from '../metadata/registry-repository.js';
import { pageOf, pageSize, runNotFound, type Actor } from '../tracking/tracking-service.js';
import type { Page } from '../tracking/types.js';
import { decodePageToken, describe } from '../tracking/validation.js';
import { checkApprover, checkProtectedAlias, type Caller } from './approval-policy.js';
import { parseRegistryFilter, parseRegistryOrderBy, type RegistrySearchTarget } from './registry-filter.js';
import { aliasNotFound, conflict, modelNotFound, versionNotFound } from './registry-errors.js';
import { LIMITS, aliasIssues, aliasOf, booleanOf, modelNameOf, nameList, optionalText, tagsOf, versionOf } from './registry-validation.js';
import { DEFAULT_PROTECTED_ALIASES, type ApprovalRecord, type ModelVersion, type RegisteredModel } from './types.js';

export interface ModelInput {
  readonly name: unknown;
  readonly description?: unknown;
  readonly tags?: unknown;
  readonly requiresApproval?: unknown;
  /** Aliases that need an approved version; default `champion`. */
  readonly protectedAliases?: unknown;
  readonly approvers?: unknown;
}

export interface VersionInput {
  readonly name: unknown;
  /** The run whose model to register; the source defaults to `runs:/<run>/model`. */
  readonly runId?: unknown;
  readonly source?: unknown;
  readonly description?: unknown;
  readonly tags?: unknown;
  readonly pipelineVersionId?: unknown;
}

export interface SearchInput {
  /** Versions only: restricts the search to this model. */
  readonly model?: unknown;
  readonly filter?: unknown;
  readonly orderBy?: unknown;
  readonly maxResults?: unknown;
  readonly pageToken?: unknown;
}

/** The tag training runs carry: the content digest of their model artifact. */
export const MODEL_DIGEST_TAG = 'orchard.model';

/**
 * Use cases of the model registry: models, immutable versions with their provenance,
 * aliases, archive and the approval workflow. Every change is one transaction with its
 * audit event (entity `model`, id = the model's name, state before and after).
 */
export class RegistryService {
  readonly #store: MetadataStore;
  readonly #clock: Clock;

  constructor(store: MetadataStore, clock: Clock) {
    this.#store = store;
    this.#clock = clock;
  }

  // ---- models ------------------------------------------------------------------------------

  async createModel(actor: Actor, input: ModelInput): Promise<RegisteredModel> {
    const parsed = parseModelInput(input);
    return this.#store.transaction(async (tx) => this.#createModel(tx, actor, parsed));
  }

  async getModel(name: unknown): Promise<RegisteredModel> {
    return this.#model(this.#store, modelNameOf(name));
  }

  async searchModels(query: SearchInput = {}): Promise<Page<RegisteredModel>> {
    const { filter, orderBy, offset, limit } = searchOf(query, 'models', 100, 1000);
    return pageOf(await this.#store.registry.searchModels({ filter, orderBy, offset, limit: limit + 1 }), limit, offset);
  }

  /** Changes the description or approval settings; approval settings are for admins only. */
  async updateModel(caller: Caller, name: unknown, input: Omit<ModelInput, 'name' | 'tags'>): Promise<RegisteredModel> {
    const n = modelNameOf(name);
    const patch: ModelPatch = {
      description: optionalText(input.description, 'description', LIMITS.descriptionLength),
      requiresApproval: booleanOf(input.requiresApproval, 'requiresApproval'),
      protectedAliases: protectedAliasesOf(input.protectedAliases),
      approvers: nameList(input.approvers, 'approvers'),
    };
    const settings = patch.requiresApproval !== undefined || patch.protectedAliases !== undefined || patch.approvers !== undefined;
    if (settings && caller.role !== 'admin') {
      throw new OrchardError('PERMISSION_DENIED', `Only admins change the approval settings of model '${n}' (requiresApproval, protectedAliases, approvers); ${caller.actor.name} has role ${caller.role}.`, {
        details: { name: n, role: caller.role },
      });
    }
    return this.#store.transaction(async (tx) => {
      const before = await this.#model(tx, n);
      await tx.registry.updateModel(n, patch, this.#clock.now());
      const after = await this.#model(tx, n);
      await this.#audit(tx, caller.actor, 'model.update', n, settingsOf(before), settingsOf(after));
      return after;
    });
  }

  async renameModel(actor: Actor, name: unknown, newName: unknown): Promise<RegisteredModel> {
    const [from, to] = [modelNameOf(name), modelNameOf(newName, 'new_name')];
    return this.#store.transaction(async (tx) => {
      await this.#model(tx, from);
      await tx.registry.renameModel(from, to, this.#clock.now());
      await this.#audit(tx, actor, 'model.rename', to, { name: from }, { name: to });
      return this.#model(tx, to);
    });
  }

  /** Deletes a model and all its versions; refused while an alias points into it, unless `force`. */
  async deleteModel(actor: Actor, name: unknown, options: { force?: boolean } = {}): Promise<void> {
    const n = modelNameOf(name);
    await this.#store.transaction(async (tx) => {
      const model = await this.#model(tx, n);
      if (model.aliases.length > 0 && !options.force) {
        throw conflict(
          `Model '${n}' still has aliases (${model.aliases.map((a) => `${a.alias} → ${a.version}`).join(', ')}) that deployments may resolve; remove them with \`orchard models demote ${n} --alias <alias>\`, or delete anyway with --force.`,
          { name: n, aliases: model.aliases },
        );
      }
      const versions = await tx.registry.searchVersions({ filter: [{ field: 'name', comparator: '=', value: n }], orderBy: [], offset: 0, limit: 1_000_000 });
      await tx.registry.deleteModel(n);
      await this.#audit(tx, actor, 'model.delete', n, { ...model, versions: versions.map((v) => v.version) }, null);
    });
  }

  async setModelTag(actor: Actor, name: unknown, key: unknown, value: unknown): Promise<void> {
    const n = modelNameOf(name);
    const [tag] = tagsOf([{ key, value }], 'model tag');
    await this.#store.transaction(async (tx) => {
      const model = await this.#model(tx, n);
      await tx.registry.setModelTag(n, tag!, this.#clock.now());
      await this.#audit(tx, actor, 'model.set_tag', n, { key: tag!.key, value: model.tags.find((t) => t.key === tag!.key)?.value ?? null }, tag);
    });
  }

  async deleteModelTag(actor: Actor, name: unknown, key: unknown): Promise<void> {
    const n = modelNameOf(name);
    await this.#store.transaction(async (tx) => {
      const model = await this.#model(tx, n);
      const before = model.tags.find((t) => t.key === key);
      if (!before) throw notFound(`Model '${n}' has no tag '${String(key)}'.`, { name: n, key });
      await tx.registry.deleteModelTag(n, before.key, this.#clock.now());
      await this.#audit(tx, actor, 'model.delete_tag', n, before, null);
    });
  }

  // ---- versions ----------------------------------------------------------------------------

  /**
   * Registers a new version of an existing model from a run. With no `source`, the run must
   * have stored an Orchard model (`orchard.model` tag); its digest and the dataset versions
   * the run consumed (from lineage) are recorded with the version.
   */
  async createVersion(actor: Actor, input: VersionInput): Promise<ModelVersion> {
    const parsed = parseVersionInput(input);
    return this.#store.transaction(async (tx) => this.#createVersion(tx, actor, parsed));
  }

  /**
   * Registers a run's model under `name`, creating the model first when it does not exist.
   * `description` and `tags` are the version's; the approval settings apply to a new model only
   * (an existing model's are changed by an admin with `updateModel`).
   */
  async register(actor: Actor, input: VersionInput & Omit<ModelInput, 'name' | 'tags' | 'description'>): Promise<ModelVersion> {
    const version = parseVersionInput(input);
    const model = parseModelInput({ ...input, description: undefined, tags: undefined });
    return this.#store.transaction(async (tx) => {
      const existing = await tx.registry.getModel(version.name);
      if (!existing) await this.#createModel(tx, actor, model);
      else {
        const differs = [
          input.requiresApproval !== undefined && input.requiresApproval !== null && model.requiresApproval !== existing.requiresApproval,
          input.protectedAliases !== undefined && input.protectedAliases !== null && model.protectedAliases.join() !== existing.protectedAliases.join(),
          input.approvers !== undefined && input.approvers !== null && model.approvers.join() !== existing.approvers.join(),
        ].some(Boolean);
        // Registering must not look as if it changed who approves: say so instead of ignoring it.
        if (differs) {
          throw invalidArgument(
            `Model '${version.name}' already exists with other approval settings (requires approval: ${existing.requiresApproval ? `yes, for ${existing.protectedAliases.join(', ')}` : 'no'}); register without them, and have an admin change them with \`orchard models update ${version.name}\`.`,
            { name: version.name },
          );
        }
      }
      return this.#createVersion(tx, actor, version);
    });
  }

  async getVersion(name: unknown, version: unknown): Promise<ModelVersion> {
    const n = modelNameOf(name);
    return this.#version(this.#store, await this.#model(this.#store, n), versionOf(version));
  }

  async searchVersions(query: SearchInput = {}): Promise<Page<ModelVersion>> {
    const { filter, orderBy, offset, limit } = searchOf(query, 'versions', 1000, 200_000);
    if (query.model !== undefined) {
      const model = await this.#model(this.#store, modelNameOf(query.model));
      filter.unshift({ field: 'name', comparator: '=', value: model.name });
    }
    return pageOf(await this.#store.registry.searchVersions({ filter, orderBy, offset, limit: limit + 1 }), limit, offset);
  }

  /** The newest READY and the newest ARCHIVED version of a model (MLflow's latest versions per stage). */
  async latestVersions(name: unknown): Promise<ModelVersion[]> {
    const n = modelNameOf(name);
    await this.#model(this.#store, n);
    return this.#store.registry.latestVersions([n]);
  }

  /** Latest versions of many models at once, for listings. */
  latestVersionsOf(names: readonly string[]): Promise<ModelVersion[]> {
    return this.#store.registry.latestVersions(names);
  }

  /** Versions are immutable except for their description and tags. */
  async updateVersion(actor: Actor, name: unknown, version: unknown, input: { description?: unknown }): Promise<ModelVersion> {
    const n = modelNameOf(name);
    const v = versionOf(version);
    const description = optionalText(input.description, 'description', LIMITS.descriptionLength);
    return this.#store.transaction(async (tx) => {
      const before = await this.#version(tx, await this.#model(tx, n), v);
      if (description !== undefined) await tx.registry.updateVersion(n, v, { description }, this.#clock.now());
      const after = (await tx.registry.getVersion(n, v))!;
      await this.#audit(tx, actor, 'model_version.update', n, { version: v, description: before.description }, { version: v, description: after.description });
      return after;
    });
  }

  /** Deletes one version; refused while an alias points to it, unless `force`. The number is never reused. */
  async deleteVersion(actor: Actor, name: unknown, version: unknown, options: { force?: boolean } = {}): Promise<void> {
    const n = modelNameOf(name);
    const v = versionOf(version);
    await this.#store.transaction(async (tx) => {
      const before = await this.#version(tx, await this.#model(tx, n), v);
      if (before.aliases.length > 0 && !options.force) {
        throw conflict(`Version ${v} of model '${n}' is the target of ${before.aliases.join(', ')}; move or remove those aliases first, or delete anyway with --force.`, { name: n, version: v, aliases: before.aliases });
      }
      await tx.registry.deleteVersion(n, v);
      await this.#audit(tx, actor, 'model_version.delete', n, before, null);
    });
  }

  /** Archives a version: it keeps its record but can no longer receive an alias. */
  async archiveVersion(actor: Actor, name: unknown, version: unknown): Promise<ModelVersion> {
    return this.#setStatus(actor, name, version, 'ARCHIVED');
  }

  /** Brings an archived version back to READY. */
  async restoreVersion(actor: Actor, name: unknown, version: unknown): Promise<ModelVersion> {
    return this.#setStatus(actor, name, version, 'READY');
  }

  async setVersionTag(actor: Actor, name: unknown, version: unknown, key: unknown, value: unknown): Promise<void> {
    const n = modelNameOf(name);
    const v = versionOf(version);
    const [tag] = tagsOf([{ key, value }], 'model version tag');
    await this.#store.transaction(async (tx) => {
      const before = await this.#version(tx, await this.#model(tx, n), v);
      await tx.registry.setVersionTag(n, v, tag!, this.#clock.now());
      await this.#audit(tx, actor, 'model_version.set_tag', n, { version: v, key: tag!.key, value: before.tags.find((t) => t.key === tag!.key)?.value ?? null }, { version: v, ...tag });
    });
  }

  async deleteVersionTag(actor: Actor, name: unknown, version: unknown, key: unknown): Promise<void> {
    const n = modelNameOf(name);
    const v = versionOf(version);
    await this.#store.transaction(async (tx) => {
      const before = (await this.#version(tx, await this.#model(tx, n), v)).tags.find((t) => t.key === key);
      if (!before) throw notFound(`Version ${v} of model '${n}' has no tag '${String(key)}'.`, { name: n, version: v, key });
      await tx.registry.deleteVersionTag(n, v, before.key, this.#clock.now());
      await this.#audit(tx, actor, 'model_version.delete_tag', n, { version: v, ...before }, null);
    });
  }

  // ---- aliases -----------------------------------------------------------------------------

  /**
   * Points `alias` at a version. Refused for an archived version, and — when the model
   * requires approval and the alias is protected — for a version that is not approved.
   */
  async setAlias(actor: Actor, name: unknown, alias: unknown, version: unknown): Promise<ModelVersion> {
    const n = modelNameOf(name);
    const a = aliasOf(alias);
    const v = versionOf(version);
    return this.#store.transaction(async (tx) => {
      const model = await this.#model(tx, n);
      const target = await this.#version(tx, model, v);
      if (target.status === 'ARCHIVED') {
        throw conflict(`Version ${v} of model '${n}' is archived and cannot receive alias '${a}'; restore it with \`orchard models restore ${n} ${v}\`, or choose a READY version.`, {
          name: n,
          version: v,
          alias: a,
          status: target.status,
        });
      }
      checkProtectedAlias(model, target, a, await tx.registry.approvals(n, v));
      const previous = model.aliases.find((x) => x.alias === a)?.version ?? null;
      if (previous === v) return target;
      await tx.registry.setAlias(n, a, v, this.#clock.now());
      await this.#audit(tx, actor, 'model_alias.set', n, { alias: a, version: previous }, { alias: a, version: v });
      return (await tx.registry.getVersion(n, v))!;
    });
  }

  async deleteAlias(actor: Actor, name: unknown, alias: unknown): Promise<void> {
    const n = modelNameOf(name);
    const a = aliasOf(alias);
    await this.#store.transaction(async (tx) => {
      const model = await this.#model(tx, n);
      const before = model.aliases.find((x) => x.alias === a);
      if (!before) throw aliasNotFound(model, a);
      await tx.registry.deleteAlias(n, a);
      await this.#audit(tx, actor, 'model_alias.delete', n, before, null);
    });
  }

  async getByAlias(name: unknown, alias: unknown): Promise<ModelVersion> {
    const n = modelNameOf(name);
    if (typeof alias !== 'string' || alias === '') throw invalidArgument(`alias must be a name such as 'champion', got ${describe(alias)}.`, { field: 'alias' });
    const model = await this.#model(this.#store, n);
    const found = model.aliases.find((x) => x.alias === alias);
    if (!found) throw aliasNotFound(model, alias);
    return this.#version(this.#store, model, found.version);
  }

  // ---- approvals ---------------------------------------------------------------------------

  async requestApproval(actor: Actor, name: unknown, version: unknown, comment?: unknown): Promise<ModelVersion> {
    const n = modelNameOf(name);
    const v = versionOf(version);
    const text = optionalText(comment, 'comment', LIMITS.commentLength) ?? null;
    return this.#store.transaction(async (tx) => {
      const before = await this.#version(tx, await this.#model(tx, n), v);
      if (before.status === 'ARCHIVED') throw conflict(`Version ${v} of model '${n}' is archived; restore it (\`orchard models restore ${n} ${v}\`) before requesting approval.`, { name: n, version: v });
      if (before.approval === 'pending' || before.approval === 'approved') {
        throw conflict(`Version ${v} of model '${n}' is already ${before.approval === 'pending' ? 'pending approval' : 'approved'}; see \`orchard models show ${n} --version ${v}\`.`, { name: n, version: v, approval: before.approval });
      }
      return this.#decide(tx, actor, before, 'requested', 'pending', text);
    });
  }

  /** Approves a pending request. The approver is an admin or a listed approver, and not the requester. */
  async approve(caller: Caller, name: unknown, version: unknown, comment?: unknown): Promise<ModelVersion> {
    return this.#review(caller, name, version, 'approve', optionalText(comment, 'comment', LIMITS.commentLength) ?? null);
  }

  /** Rejects a pending request; the comment (why) is required. */
  async reject(caller: Caller, name: unknown, version: unknown, comment: unknown): Promise<ModelVersion> {
    const text = optionalText(comment, 'comment', LIMITS.commentLength);
    if (!text) throw invalidArgument('A rejection needs a comment saying why, e.g. --comment "AUC below the champion on March data".', { field: 'comment' });
    return this.#review(caller, name, version, 'reject', text);
  }

  async approvals(name: unknown, version: unknown): Promise<ApprovalRecord[]> {
    const n = modelNameOf(name);
    const v = versionOf(version);
    await this.#version(this.#store, await this.#model(this.#store, n), v);
    return this.#store.registry.approvals(n, v);
  }

  // ---- helpers -----------------------------------------------------------------------------

  async #review(caller: Caller, name: unknown, version: unknown, decision: 'approve' | 'reject', comment: string | null): Promise<ModelVersion> {
    const n = modelNameOf(name);
    const v = versionOf(version);
    return this.#store.transaction(async (tx) => {
      const model = await this.#model(tx, n);
      const before = await this.#version(tx, model, v);
      if (before.approval !== 'pending') {
        const why = before.approval === 'none' ? `no approval was requested; request it with \`orchard models request-approval ${n} ${v}\`` : `it is already ${before.approval}`;
        throw conflict(`Cannot ${decision} version ${v} of model '${n}': ${why}.`, { name: n, version: v, approval: before.approval });
      }
      const history = await tx.registry.approvals(n, v);
      const requester = [...history].reverse().find((r) => r.action === 'requested')?.actor;
      checkApprover(model, before, caller, requester, decision);
      return this.#decide(tx, caller.actor, before, decision === 'approve' ? 'approved' : 'rejected', decision === 'approve' ? 'approved' : 'rejected', comment);
    });
  }

  async #decide(tx: MetadataRepositories, actor: Actor, before: ModelVersion, action: ApprovalRecord['action'], state: ModelVersion['approval'], comment: string | null): Promise<ModelVersion> {
    const now = this.#clock.now();
    await tx.registry.addApproval({ name: before.name, version: before.version, action, actor: actor.name, comment, at: now });
    await tx.registry.updateVersion(before.name, before.version, { approval: state }, now);
    const verb = action === 'requested' ? 'request' : action === 'approved' ? 'approve' : 'reject';
    await this.#audit(tx, actor, `model_approval.${verb}`, before.name, { version: before.version, approval: before.approval }, { version: before.version, approval: state, comment });
    return (await tx.registry.getVersion(before.name, before.version))!;
  }

  async #setStatus(actor: Actor, name: unknown, version: unknown, status: ModelVersion['status']): Promise<ModelVersion> {
    const n = modelNameOf(name);
    const v = versionOf(version);
    return this.#store.transaction(async (tx) => {
      const before = await this.#version(tx, await this.#model(tx, n), v);
      if (before.status === status) return before;
      if (status === 'ARCHIVED' && before.aliases.length > 0) {
        throw conflict(
          `Version ${v} of model '${n}' is the target of ${before.aliases.join(', ')}, and an archived version cannot hold an alias; point ${before.aliases.length === 1 ? 'it' : 'them'} at another version (\`orchard models promote ${n} <version> --alias ${before.aliases[0]}\`) or remove ${before.aliases.length === 1 ? 'it' : 'them'} (\`orchard models demote ${n} --alias ${before.aliases[0]}\`) first.`,
          { name: n, version: v, aliases: before.aliases },
        );
      }
      await tx.registry.updateVersion(n, v, { status }, this.#clock.now());
      await this.#audit(tx, actor, status === 'ARCHIVED' ? 'model_version.archive' : 'model_version.restore', n, { version: v, status: before.status }, { version: v, status });
      return (await tx.registry.getVersion(n, v))!;
    });
  }

  async #createModel(tx: MetadataRepositories, actor: Actor, m: ParsedModel): Promise<RegisteredModel> {
    const model = await tx.registry.createModel({ ...m, createdBy: actor.name, now: this.#clock.now() });
    await this.#audit(tx, actor, 'model.create', model.name, null, model);
    return model;
  }

  async #createVersion(tx: MetadataRepositories, actor: Actor, input: ParsedVersion): Promise<ModelVersion> {
    await this.#model(tx, input.name);
    let digest: string | null = null;
    let datasets: string[] = [];
    if (input.runId !== null) {
      const run = await tx.runs.get(input.runId);
      if (!run) throw runNotFound(input.runId);
      digest = run.tags.find((t) => t.key === MODEL_DIGEST_TAG)?.value ?? null;
      if (digest === null && input.sourceGiven === false) {
        throw invalidArgument(`Run ${input.runId} stored no model (it has no ${MODEL_DIGEST_TAG} tag); register a finished training run (\`orchard train\` prints its id), or pass the model's source URI.`, { runId: input.runId });
      }
      const upstream = await tx.lineage.edges('run', input.runId, 'upstream');
      datasets = [...new Set(upstream.filter((e) => e.srcKind === 'dataset_version').map((e) => e.srcId))];
    }
    const now = this.#clock.now();
    const created = await tx.registry.createVersion({ ...input, digest, datasets, createdBy: actor.name, now });
    const id = `${created.name}/${created.version}`;
    const from = digest !== null ? { srcKind: 'model_artifact', srcId: digest } : input.runId !== null ? { srcKind: 'run', srcId: input.runId } : undefined;
    if (from) await tx.lineage.add([{ ...from, dstKind: 'model_version', dstId: id, relation: 'registered_as', createdAt: now }]);
    await this.#audit(tx, actor, 'model_version.create', created.name, null, created);
    return created;
  }

  async #model(repos: MetadataRepositories, name: string): Promise<RegisteredModel> {
    const model = await repos.registry.getModel(name);
    if (!model) throw modelNotFound(name);
    return model;
  }

  async #version(repos: MetadataRepositories, model: RegisteredModel, version: number): Promise<ModelVersion> {
    const found = await repos.registry.getVersion(model.name, version);
    if (!found) throw versionNotFound(model, version);
    return found;
  }

  async #audit(tx: MetadataRepositories, actor: Actor, action: string, model: string, before: unknown, after: unknown): Promise<void> {
    await tx.events.append({ at: this.#clock.now(), actor: actor.name, action, entityKind: 'model', entityId: model, before, after });
  }
}

type ParsedModel = ReturnType<typeof parseModelInput>;
type ParsedVersion = ReturnType<typeof parseVersionInput>;

function parseModelInput(input: ModelInput) {
  return {
    name: modelNameOf(input.name),
    description: optionalText(input.description, 'description', LIMITS.descriptionLength) ?? null,
    tags: tagsOf(input.tags, 'model tags'),
    requiresApproval: booleanOf(input.requiresApproval, 'requiresApproval') ?? false,
    protectedAliases: protectedAliasesOf(input.protectedAliases) ?? [...DEFAULT_PROTECTED_ALIASES],
    approvers: nameList(input.approvers, 'approvers') ?? [],
  };
}

function parseVersionInput(input: VersionInput) {
  const name = modelNameOf(input.name);
  let runId: string | null = null;
  if (input.runId !== undefined && input.runId !== null && input.runId !== '') {
    if (typeof input.runId !== 'string' || !RUN_ID_PATTERN.test(input.runId)) {
      throw invalidArgument(`run_id must be 32 lowercase hex characters, got ${describe(input.runId)}; copy it from \`orchard runs list\`.`, { field: 'run_id' });
    }
    runId = input.runId;
  }
  const sourceGiven = input.source !== undefined && input.source !== null && input.source !== '';
  if (sourceGiven && typeof input.source !== 'string') throw invalidArgument(`source must be a URI such as runs:/<run id>/model, got ${describe(input.source)}.`, { field: 'source' });
  const fromSource = sourceGiven ? /^runs:\/([0-9a-f]{32})(?:\/|$)/.exec(input.source as string)?.[1] : undefined;
  if (runId !== null && fromSource !== undefined && fromSource !== runId) {
    throw invalidArgument(`source '${String(input.source)}' names run ${fromSource}, but run_id is ${runId}; give one run.`, { field: 'source' });
  }
  runId ??= fromSource ?? null;
  if (runId === null && !sourceGiven) throw invalidArgument(`Registering a version of '${name}' needs a run id (or a source URI such as runs:/<run id>/model).`, { field: 'run_id' });
  const pipeline = input.pipelineVersionId;
  if (pipeline !== undefined && pipeline !== null && (typeof pipeline !== 'string' || pipeline === '')) {
    throw invalidArgument(`pipelineVersionId must be a non-empty string, got ${describe(pipeline)}.`, { field: 'pipelineVersionId' });
  }
  return {
    name,
    runId,
    source: sourceGiven ? (input.source as string) : `runs:/${runId}/model`,
    sourceGiven,
    description: optionalText(input.description, 'description', LIMITS.descriptionLength) ?? null,
    tags: tagsOf(input.tags, 'model version tags'),
    pipelineVersionId: (pipeline as string | null | undefined) ?? null,
  };
}

function protectedAliasesOf(value: unknown): string[] | undefined {
  const list = nameList(value, 'protectedAliases');
  if (list) throwIfIssues('protected aliases', list.flatMap((a, i) => aliasIssues(a, ['protectedAliases', i])));
  return list;
}

function searchOf(query: SearchInput, target: RegistrySearchTarget, fallback: number, max: number) {
  if (query.filter !== undefined && query.filter !== null && typeof query.filter !== 'string') throw invalidArgument(`filter must be a string such as "name LIKE 'flights%'", got ${describe(query.filter)}.`, { field: 'filter' });
  const orderBy = query.orderBy === undefined || query.orderBy === null ? [] : (Array.isArray(query.orderBy) ? query.orderBy : [query.orderBy]).map(String);
  return {
    filter: parseRegistryFilter(query.filter as string | undefined, target),
    orderBy: parseRegistryOrderBy(orderBy, target),
    offset: decodePageToken(query.pageToken),
    limit: pageSize(query.maxResults, fallback, max),
  };
}

function settingsOf(m: RegisteredModel) {
  return { description: m.description, requiresApproval: m.requiresApproval, protectedAliases: m.protectedAliases, approvers: m.approvers };
}
