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
  pipeline_versions: PipelineVersionTable;
  pipeline_runs: PipelineRunTable;
  pipeline_steps: PipelineStepTable;
  pipeline_attempts: PipelineAttemptTable;
  pipeline_cache: PipelineCacheTable;
  monitor_results: MonitorResultTable;
  schedules: ScheduleTable;
  triggers: TriggerTable;
  loop_claims: LoopClaimTable;
  alert_rules: AlertRuleTable;
  alerts: AlertTable;
  metric_points: MetricPointTable;
  feedback: FeedbackTable;
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

export interface PipelineVersionTable {
  name: string;
  version: number;
  /** Digest of the bundle's code in the artifact store. */
  digest: string;
  git_commit: string | null;
  /** The file it was pushed from. */
  source: string;
  created_by: string;
  created_at: number;
}

export interface PipelineRunTable {
  run_id: string;
  pipeline: string;
  version: number | null;
  module_digest: string;
  /** The pipeline file of a run from source; null for a pushed version. */
  source: string | null;
  params_json: string;
  options_json: string;
  status: string;
  created_by: string;
  created_at: number;
  updated_at: number;
}

export interface PipelineStepTable {
  run_id: string;
  unit: string;
  node: string;
  item_index: number | null;
  status: string;
  step_run_id: string | null;
  cache_key: string | null;
  attempts: number;
  outputs_json: string | null;
  reason: string | null;
  started_at: number | null;
  ended_at: number | null;
}

export interface PipelineAttemptTable {
  run_id: string;
  unit: string;
  attempt: number;
  status: string;
  worker: string | null;
  failure_kind: string | null;
  message: string | null;
  started_at: number;
  ended_at: number | null;
}

export interface PipelineCacheTable {
  cache_key: string;
  outputs_json: string;
  step_run_id: string;
  created_at: number;
}

/** From 0005-monitoring on. */
export interface MonitorResultTable {
  result_id: Generated<number>;
  endpoint: string;
  computed_at: number;
  window_from: number | null;
  window_to: number | null;
  window_rows: number;
  reference: string;
  dataset_drifted: number;
  drifted_share: number;
  result_json: string;
}

export interface ScheduleTable {
  name: string;
  cron: string;
  timezone: string;
  pipeline: string;
  params_json: string;
  created_by: string;
  created_at: number;
}

export interface TriggerTable {
  name: string;
  kind: string;
  pattern: string | null;
  pipeline: string;
  params_json: string;
  created_by: string;
  created_at: number;
}

export interface LoopClaimTable {
  source: string;
  claim_key: string;
  claimed_by: string;
  claimed_at: number;
  run_id: string | null;
  error: string | null;
}

export interface AlertRuleTable {
  name: string;
  metric: string;
  labels_json: string;
  op: string;
  threshold: number;
  for_count: number;
  for_ms: number;
  webhooks_json: string;
  created_by: string;
  created_at: number;
}

export interface AlertTable {
  rule: string;
  labels_key: string;
  labels_json: string;
  state: string;
  value: number | null;
  breaches: number;
  last_point_at: number | null;
  pending_since: number | null;
  fired_at: number | null;
  resolved_at: number | null;
  updated_at: number;
}

export interface MetricPointTable {
  metric: string;
  labels_key: string;
  labels_json: string;
  value: number;
  at: number;
}

export interface FeedbackTable {
  endpoint: string;
  request_id: string;
  kind: string;
  value: number | null;
  text_value: string | null;
  comment: string | null;
  source: string;
  received_at: number;
}
