import type { RegistryFilterClause, RegistryOrderClause } from '../registry/registry-filter.js';
import type { ApprovalRecord, ApprovalState, ModelVersion, ModelVersionStatus, RegisteredModel, StoredModelCard } from '../registry/types.js';
import type { KeyValue } from '../tracking/types.js';

export interface NewModel {
  readonly name: string;
  readonly description: string | null;
  readonly tags: readonly KeyValue[];
  readonly requiresApproval: boolean;
  readonly protectedAliases: readonly string[];
  readonly approvers: readonly string[];
  readonly createdBy: string;
  readonly now: number;
}

export interface ModelPatch {
  readonly description?: string | null;
  readonly requiresApproval?: boolean;
  readonly protectedAliases?: readonly string[];
  readonly approvers?: readonly string[];
}

export interface NewModelVersion {
  readonly name: string;
  readonly source: string;
  readonly runId: string | null;
  readonly digest: string | null;
  readonly datasets: readonly string[];
  readonly pipelineVersionId: string | null;
  readonly description: string | null;
  readonly tags: readonly KeyValue[];
  readonly createdBy: string;
  readonly now: number;
}

export interface ModelVersionPatch {
  readonly description?: string | null;
  readonly status?: ModelVersionStatus;
  readonly approval?: ApprovalState;
}

export interface RegistrySearch {
  readonly filter: readonly RegistryFilterClause[];
  readonly orderBy: readonly RegistryOrderClause[];
  readonly offset: number;
  readonly limit: number;
}

/**
 * The model registry's records: registered models, their versions, aliases, tags,
 * approval history and edited model cards. Policy (approval, archive rules, audit)
 * lives in `RegistryService`; this port stores and reads.
 *
 * Writes that touch several rows (rename, delete, a new version) must run inside
 * `MetadataStore.transaction` to be atomic.
 */
export interface RegistryRepository {
  /** Creates a model with its tags. @throws OrchardError `ALREADY_EXISTS` when the name is taken. */
  createModel(input: NewModel): Promise<RegisteredModel>;
  /** The model with its tags and aliases (ordered by alias name). */
  getModel(name: string): Promise<RegisteredModel | undefined>;
  /** Models matching every clause (`name`, `tag`), ordered by `orderBy` then name; paged by offset. */
  searchModels(query: RegistrySearch): Promise<RegisteredModel[]>;
  updateModel(name: string, patch: ModelPatch, now: number): Promise<void>;
  /**
   * Renames a model and everything that belongs to it (versions, tags, aliases, approvals, cards).
   * @throws OrchardError `ALREADY_EXISTS` when `newName` is taken.
   */
  renameModel(name: string, newName: string, now: number): Promise<void>;
  /** Removes the model with its versions, tags, aliases, approval history and cards. */
  deleteModel(name: string): Promise<void>;
  setModelTag(name: string, tag: KeyValue, now: number): Promise<void>;
  /** Returns false when the tag did not exist. */
  deleteModelTag(name: string, key: string, now: number): Promise<boolean>;

  /**
   * Adds the next version of an existing model: its number is one more than the highest ever
   * given (taken with a row lock, so concurrent registrations get distinct numbers).
   */
  createVersion(input: NewModelVersion): Promise<ModelVersion>;
  /** The version with its tags and the aliases pointing to it. */
  getVersion(name: string, version: number): Promise<ModelVersion | undefined>;
  /** The newest version of each status (READY, ARCHIVED) of each named model. */
  latestVersions(names: readonly string[]): Promise<ModelVersion[]>;
  /** Versions matching every clause, ordered by `orderBy`, then name ascending and version descending. */
  searchVersions(query: RegistrySearch): Promise<ModelVersion[]>;
  updateVersion(name: string, version: number, patch: ModelVersionPatch, now: number): Promise<void>;
  /** Removes a version with its tags, aliases, approval history and card. */
  deleteVersion(name: string, version: number): Promise<void>;
  setVersionTag(name: string, version: number, tag: KeyValue, now: number): Promise<void>;
  deleteVersionTag(name: string, version: number, key: string, now: number): Promise<boolean>;

  /** Points `alias` at `version`, replacing where it pointed before. */
  setAlias(name: string, alias: string, version: number, now: number): Promise<void>;
  /** Returns false when the alias did not exist. */
  deleteAlias(name: string, alias: string): Promise<boolean>;

  addApproval(record: ApprovalRecord): Promise<void>;
  /** The approval history of a version, oldest first. */
  approvals(name: string, version: number): Promise<ApprovalRecord[]>;

  /** Stores an edited card, replacing the previous one. */
  putCard(card: StoredModelCard): Promise<void>;
  getCard(name: string, version: number): Promise<StoredModelCard | undefined>;
  deleteCard(name: string, version: number): Promise<boolean>;
}
