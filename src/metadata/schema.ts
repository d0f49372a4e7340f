import type { Generated } from 'kysely';

/**
 * Table shapes of the metadata database, shared by every adapter.
 * Times are integer milliseconds since the Unix epoch; JSON is stored as text.
 */
export interface Database {
  experiments: ExperimentTable;
  experiment_tags: KeyValueTable & { experiment_id: number };
  runs: RunTable;
  params: KeyValueTable & { run_id: string };
  tags: KeyValueTable & { run_id: string };
  metrics: MetricTable;
  latest_metrics: MetricTable;
  blobs: BlobTable;
  artifact_files: ArtifactFileTable;
  lineage_edges: LineageEdgeTable;
  datasets: DatasetTable;
  dataset_versions: DatasetVersionTable;
  models: ModelTable;
  model_versions: ModelVersionTable;
  model_aliases: ModelAliasTable;
  model_tags: KeyValueTable & { name: string };
  model_version_tags: KeyValueTable & { name: string; version: number };
  model_approvals: ModelApprovalTable;
  model_cards: ModelCardTable;
  endpoints: EndpointTable;
  endpoint_revisions: EndpointRevisionTable;
  events: EventTable;
  tokens: TokenTable;
  locks: LockTable;
}

export interface KeyValueTable {
  key: string;
  value: string;
}

export interface ExperimentTable {
  experiment_id: Generated<number>;
  name: string;
  artifact_location: string;
  lifecycle_stage: string;
  creation_time: number;
  last_update_time: number;
}

export interface RunTable {
  run_id: string;
  experiment_id: number;
  run_name: string;
  user_id: string;
  status: string;
  start_time: number;
  end_time: number | null;
  lifecycle_stage: string;
  artifact_uri: string;
  parent_run_id: string | null;
  deleted_time: number | null;
}

export interface MetricTable {
  run_id: string;
  key: string;
  /** 0 when `is_nan` is 1: SQLite cannot store NaN. */
  value: number;
  step: number;
  timestamp: number;
  is_nan: number;
}

export interface BlobTable {
  digest: string;
  size: number;
  created_at: number;
}

export interface ArtifactFileTable {
  /** Logical path, `<experiment_id>/<run_id>/artifacts/<relative path>` for run artifacts. */
  path: string;
  run_id: string | null;
  digest: string;
  size: number;
  created_at: number;
}

export interface LineageEdgeTable {
  edge_id: Generated<number>;
  src_kind: string;
  src_id: string;
  dst_kind: string;
  dst_id: string;
  relation: string;
  created_at: number;
}

export interface DatasetTable {
  name: string;
  description: string | null;
  created_at: number;
}

export interface DatasetVersionTable {
  name: string;
  version: number;
  digest: string;
  source: string;
  rows: number;
  bytes: number;
  schema_json: string;
  profile_digest: string | null;
  run_id: string | null;
  created_by: string;
  created_at: number;
}

export interface ModelTable {
  name: string;
  description: string | null;
  requires_approval: number;
  created_at: number;
  updated_at: number;
  /** From 0002-registry on. */
  created_by: Generated<string>;
  /** JSON list of alias names. */
  protected_aliases: Generated<string>;
  /** JSON list of actor names, token names or token ids. */
  approvers: Generated<string>;
  last_version: Generated<number>;
}

export interface ModelVersionTable {
  name: string;
  version: number;
  run_id: string | null;
  source: string;
  digest: string | null;
  status: string;
  approval: string;
  description: string | null;
  created_by: string;
  created_at: number;
  updated_at: number;
  /** JSON list of `name@N` dataset versions; from 0002-registry on. */
  datasets_json: Generated<string>;
  pipeline_version_id: string | null;
}

export interface ModelAliasTable {
  name: string;
  alias: string;
  version: number;
  updated_at: number;
}

export interface ModelApprovalTable {
  approval_id: Generated<number>;
  name: string;
  version: number;
  action: string;
  actor: string;
  comment: string | null;
  at: number;
}

export interface ModelCardTable {
  name: string;
  version: number;
  markdown: string;
  updated_by: string;
  updated_at: number;
}

export interface EndpointTable {
  name: string;
  spec_json: string;
  created_at: number;
  updated_at: number;
  /** From 0004-serving on. */
  revision: Generated<number>;
}

/** Every spec an endpoint has had (0004-serving). */
export interface EndpointRevisionTable {
  name: string;
  revision: number;
  spec_json: string;
  actor: string;
  created_at: number;
}

export interface EventTable {
  event_id: Generated<number>;
  at: number;
  actor: string;
  action: string;
  entity_kind: string;
  entity_id: string;
  before_json: string | null;
  after_json: string | null;
}

export interface TokenTable {
  token_id: string;
  name: string;
  role: string;
  secret_hash: string;
  created_by: string;
  created_at: number;
  revoked_at: number | null;
  last_used_at: number | null;
}

export interface LockTable {
  name: string;
  owner: string;
  expires_at: number;
}
