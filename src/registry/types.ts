/** Records of the model registry, as every store adapter returns them. */
import type { KeyValue } from '../tracking/types.js';

/** A version is `READY` until archived; an archived version cannot receive an alias. */
export type ModelVersionStatus = 'READY' | 'ARCHIVED';
export const MODEL_VERSION_STATUSES: readonly ModelVersionStatus[] = ['READY', 'ARCHIVED'];

/**
 * Where a version stands in the approval workflow: `none` (never requested), `pending`,
 * `approved` or `rejected`. Only `approved` versions may take a protected alias of a
 * model that requires approval.
 */
export type ApprovalState = 'none' | 'pending' | 'approved' | 'rejected';

/** The alias every model protects unless configured otherwise. */
export const DEFAULT_PROTECTED_ALIASES: readonly string[] = Object.freeze(['champion']);

export interface ModelAlias {
  readonly alias: string;
  readonly version: number;
}

export interface RegisteredModel {
  readonly name: string;
  readonly description: string | null;
  readonly tags: readonly KeyValue[];
  /** Aliases of the model's versions, by alias name. */
  readonly aliases: readonly ModelAlias[];
  /** When true, a protected alias may only point to an approved version. */
  readonly requiresApproval: boolean;
  /** Aliases that need an approved version when `requiresApproval` is set (default `champion`). */
  readonly protectedAliases: readonly string[];
  /** Who may approve besides admins: actor names, token names or token ids. */
  readonly approvers: readonly string[];
  /** Highest version number ever given; numbers are never reused, even after a delete. */
  readonly lastVersion: number;
  readonly createdBy: string;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** An immutable registered copy of a run's model, with its provenance. */
export interface ModelVersion {
  readonly name: string;
  readonly version: number;
  /** Where the model lives, e.g. `runs:/<run id>/model`. */
  readonly source: string;
  readonly runId: string | null;
  /** Content digest of the model artifact (`sha256:…`), when the run stored an Orchard model. */
  readonly digest: string | null;
  /** Dataset versions the run consumed (`name@N`), read from lineage at registration. */
  readonly datasets: readonly string[];
  /** The pipeline version that produced it, when given. */
  readonly pipelineVersionId: string | null;
  readonly status: ModelVersionStatus;
  readonly approval: ApprovalState;
  readonly description: string | null;
  readonly tags: readonly KeyValue[];
  /** Aliases pointing to this version. */
  readonly aliases: readonly string[];
  readonly createdBy: string;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** One step of a version's approval history. */
export interface ApprovalRecord {
  readonly name: string;
  readonly version: number;
  readonly action: 'requested' | 'approved' | 'rejected';
  readonly actor: string;
  readonly comment: string | null;
  readonly at: number;
}

/** A model card edited by a user; without one, the card is generated from the metadata. */
export interface StoredModelCard {
  readonly name: string;
  readonly version: number;
  readonly markdown: string;
  readonly updatedBy: string;
  readonly updatedAt: number;
}

export interface ModelCard {
  readonly name: string;
  readonly version: number;
  readonly markdown: string;
  /** True when no edited card is stored and this one was generated from the metadata. */
  readonly generated: boolean;
  readonly updatedBy?: string;
  readonly updatedAt?: number;
}
