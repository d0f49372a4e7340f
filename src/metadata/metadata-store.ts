import type { FilterClause, OrderClause } from '../tracking/run-filter.js';
import type {
  AuditEvent,
  Experiment,
  KeyValue,
  LifecycleStage,
  MetricPoint,
  NewAuditEvent,
  Role,
  Run,
  RunInfo,
  RunStatus,
  Token,
  ViewType,
} from '../tracking/types.js';
import type { DatasetVersion, LineageEdge } from '../data/types.js';
import type { StoredValue } from '../pipelines/types.js';
import type { SqlDialectName } from './dialect.js';
import type { MonitorResultRepository } from './monitor-repository.js';
import type { AlertRepository, FeedbackRepository, ScheduleRepository } from './loop-repositories.js';
import type { RegistryRepository } from './registry-repository.js';

/**
 * The metadata store port. Constructors do no I/O: call `init()` (connect and
 * migrate), use the repositories, then `destroy()`.
 *
 * Adapters translate driver errors into `OrchardError`s:
 * `STORE_BUSY` (locked past the busy timeout), `STORE_READ_ONLY`,
 * `STORE_UNAVAILABLE` (cannot connect or open), `ALREADY_EXISTS` (unique key).
 */
export interface MetadataStore extends MetadataRepositories {
  readonly dialect: SqlDialectName;
  /** Where the store lives, for messages (a file path or a URL without password). */
  readonly location: string;
  /** Opens the connection and applies pending migrations. Idempotent. */
  init(): Promise<void>;
  /** Applies pending migrations; returns the names applied. */
  migrate(): Promise<string[]>;
  /** Closes every connection. The store cannot be used afterwards. */
  destroy(): Promise<void>;
  /**
   * Runs `fn` in one transaction: either every write inside it lands or none does.
   * On SQLite the transaction takes the write lock at its start (BEGIN IMMEDIATE).
   */
  transaction<T>(fn: (tx: MetadataRepositories) => Promise<T>): Promise<T>;
}

export interface MetadataRepositories {
  readonly experiments: ExperimentRepository;
  readonly runs: RunRepository;
  readonly metrics: MetricRepository;
  readonly artifacts: ArtifactIndexRepository;
  readonly events: EventRepository;
  readonly tokens: TokenRepository;
  readonly datasets: DatasetRepository;
  readonly lineage: LineageRepository;
  /** Registered models, versions, aliases, approvals and model cards (src/metadata/registry-repository.ts). */
  readonly registry: RegistryRepository;
  readonly pipelines: PipelineRepository;
  readonly locks: LockRepository;
  /** Monitor results per endpoint, a time series (src/metadata/monitor-repository.ts). */
  readonly monitors: MonitorResultRepository;
  /** Serving endpoints and every revision of their specs. */
  readonly endpoints: EndpointRepository;
  /** Schedules, triggers and their claims (src/metadata/loop-repositories.ts). */
  readonly schedules: ScheduleRepository;
  /** Alert rules, alerts, metric points. */
  readonly alerts: AlertRepository;
  /** Ground truth and human feedback on logged predictions. */
  readonly feedback: FeedbackRepository;
}

/** A stored endpoint: its current spec (JSON, parsed by serving) and revision number. */
export interface EndpointRecord {
  readonly name: string;
  readonly specJson: string;
  readonly revision: number;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export interface EndpointRevisionRecord {
  readonly name: string;
  readonly revision: number;
  readonly specJson: string;
  readonly actor: string;
  readonly createdAt: number;
}

/**
 * Endpoints. Writes are meant to run inside `MetadataStore.transaction` with their audit event.
 * Revisions are numbered from 1 per endpoint and never reused while the endpoint exists.
 */
export interface EndpointRepository {
  /** Creates revision 1. Throws ALREADY_EXISTS when the name is taken. */
  create(input: { name: string; specJson: string; actor: string; now: number }): Promise<EndpointRecord>;
  get(name: string): Promise<EndpointRecord | undefined>;
  /** Every endpoint, ordered by name. */
  list(): Promise<EndpointRecord[]>;
  /** Stores a new revision as the current spec; returns the record, or undefined when the endpoint does not exist. */
  update(input: { name: string; specJson: string; actor: string; now: number }): Promise<EndpointRecord | undefined>;
  /** Revisions, newest first. */
  revisions(name: string, limit: number): Promise<EndpointRevisionRecord[]>;
  /** Deletes the endpoint and its revisions; false when it did not exist. */
  delete(name: string): Promise<boolean>;
}

export interface ExperimentSearch {
  readonly viewType: ViewType;
  /** An SQL LIKE pattern the name must match (`%` any run, `_` one character). */
  readonly nameLike?: { readonly pattern: string; readonly caseInsensitive: boolean };
  readonly exactName?: string;
  readonly orderBy?: readonly { field: 'name' | 'experiment_id' | 'creation_time' | 'last_update_time'; ascending: boolean }[];
  readonly offset: number;
  readonly limit: number;
}

export interface ExperimentRepository {
  /** Creates an experiment; its artifact location defaults to `mlflow-artifacts:/<id>`. Throws ALREADY_EXISTS on a taken name. */
  create(input: { name: string; artifactLocation?: string; tags: readonly KeyValue[]; now: number }): Promise<Experiment>;
  get(experimentId: string): Promise<Experiment | undefined>;
  getByName(name: string): Promise<Experiment | undefined>;
  /** Ordered by the given fields, then by id; returns at most `limit` items starting at `offset`. */
  search(query: ExperimentSearch): Promise<Experiment[]>;
  rename(experimentId: string, name: string, now: number): Promise<void>;
  setLifecycleStage(experimentId: string, stage: LifecycleStage, now: number): Promise<void>;
  setTag(experimentId: string, tag: KeyValue, now: number): Promise<void>;
}

/** A run as created: a new run is active, has no end time, and may carry initial tags. */
export type NewRun = Omit<RunInfo, 'endTime' | 'lifecycleStage'> & { readonly tags: readonly KeyValue[] };

export interface RunSearch {
  readonly experimentIds: readonly string[];
  readonly filter: readonly FilterClause[];
  readonly orderBy: readonly OrderClause[];
  readonly viewType: ViewType;
  readonly offset: number;
  readonly limit: number;
}

export interface RunRepository {
  create(run: NewRun): Promise<void>;
  getInfo(runId: string): Promise<RunInfo | undefined>;
  /** The run with its params, tags and latest metric values (never the full history). */
  get(runId: string): Promise<Run | undefined>;
  update(runId: string, patch: { status?: RunStatus; endTime?: number | null; runName?: string }): Promise<void>;
  setLifecycleStage(runId: string, stage: LifecycleStage, deletedTime: number | null): Promise<void>;
  /** Existing values of the given param keys, for the immutability check. */
  getParams(runId: string, keys: readonly string[]): Promise<Map<string, string>>;
  /** Inserts params whose keys are not set yet; throws ALREADY_EXISTS if one was set concurrently. */
  insertParams(runId: string, params: readonly KeyValue[]): Promise<void>;
  /** Sets tags, overwriting existing values. */
  setTags(runId: string, tags: readonly KeyValue[]): Promise<void>;
  /** Deletes a tag; returns false if it did not exist. */
  deleteTag(runId: string, key: string): Promise<boolean>;
  /**
   * Runs matching every filter clause, ordered by `orderBy` then start time (newest first)
   * and run id, so paging by offset is stable. Metric clauses read the latest values only.
   */
  search(query: RunSearch): Promise<Run[]>;
}

export interface MetricRepository {
  /** Appends points to the history and advances each key's latest value. */
  log(runId: string, points: readonly MetricPoint[]): Promise<void>;
  /** The history of one metric, ordered by step, timestamp and insertion. */
  history(runId: string, key: string, page: { offset: number; limit: number }): Promise<MetricPoint[]>;
}

export interface ArtifactIndexRecord {
  readonly path: string;
  readonly runId: string | null;
  readonly digest: string;
  readonly size: number;
  readonly createdAt: number;
}

export interface ArtifactIndexRepository {
  /** Records that `path` holds the blob `digest`, replacing what the path held before. */
  put(record: ArtifactIndexRecord): Promise<ArtifactIndexRecord | undefined>;
  get(path: string): Promise<ArtifactIndexRecord | undefined>;
  /** Every file whose path starts with `prefix` (use a trailing slash for folders), ordered by path. */
  listPrefix(prefix: string, limit: number): Promise<ArtifactIndexRecord[]>;
  listByRun(runId: string): Promise<ArtifactIndexRecord[]>;
  delete(path: string): Promise<boolean>;
}

export interface EventRepository {
  append(event: NewAuditEvent): Promise<number>;
  /** Newest first; `beforeId` pages backwards. */
  list(query: { entityKind?: string; entityId?: string; actor?: string; beforeId?: number; limit: number }): Promise<AuditEvent[]>;
}

export interface TokenRepository {
  create(token: Token & { secretHash: string }): Promise<void>;
  findBySecretHash(secretHash: string): Promise<Token | undefined>;
  get(tokenId: string): Promise<Token | undefined>;
  list(): Promise<Token[]>;
  /** Number of tokens that are not revoked. */
  countActive(): Promise<number>;
  revoke(tokenId: string, at: number): Promise<boolean>;
  touch(tokenId: string, at: number): Promise<void>;
}

export type { Role };

export interface DatasetRepository {
  /**
   * Registers a version: the dataset is created on first use; the version number is the
   * next one. When a version with the same digest exists, returns it instead (no duplicate).
   */
  addVersion(input: Omit<DatasetVersion, 'version'>): Promise<{ version: DatasetVersion; created: boolean }>;
  get(name: string, version: number | 'latest'): Promise<DatasetVersion | undefined>;
  /** Dataset names with their latest version, by name. */
  listDatasets(): Promise<{ name: string; latest: DatasetVersion }[]>;
  /** Versions of one dataset, newest first. */
  listVersions(name: string): Promise<DatasetVersion[]>;
  setProfile(name: string, version: number, profileDigest: string): Promise<void>;
}

export interface LineageRepository {
  add(edges: readonly LineageEdge[]): Promise<void>;
  /** Edges into (`upstream`) or out of (`downstream`) a node. */
  edges(kind: string, id: string, direction: 'upstream' | 'downstream'): Promise<LineageEdge[]>;
}

/** A pushed pipeline version: its bundle in the artifact store, by digest. */
export interface PipelineVersionRecord {
  readonly name: string;
  readonly version: number;
  readonly digest: string;
  readonly gitCommit: string | null;
  readonly source: string;
  readonly createdBy: string;
  readonly createdAt: number;
}

export interface PipelineRunRecord {
  /** The tracked run's id. */
  readonly runId: string;
  readonly pipeline: string;
  readonly version: number | null;
  readonly moduleDigest: string;
  readonly source: string | null;
  /** The resolved parameters (pipeline and per step), JSON. */
  readonly params: unknown;
  /** Run options (no-cache, stored local inputs, concurrency), JSON. */
  readonly options: unknown;
  readonly status: string;
  readonly createdBy: string;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export interface PipelineStepRecord {
  readonly runId: string;
  readonly unit: string;
  readonly node: string;
  readonly index: number | null;
  readonly status: string;
  readonly stepRunId: string | null;
  readonly cacheKey: string | null;
  readonly attempts: number;
  readonly outputs: Readonly<Record<string, StoredValue>> | null;
  /** Why it was skipped or failed. */
  readonly reason: string | null;
  readonly startedAt: number | null;
  readonly endedAt: number | null;
}

export interface PipelineAttemptRecord {
  readonly runId: string;
  readonly unit: string;
  readonly attempt: number;
  /** `RUNNING`, `SUCCEEDED`, `FAILED`, or `LOST` (its runner died). */
  readonly status: string;
  /** Where it ran, `host:pid`. */
  readonly worker: string | null;
  readonly failureKind: string | null;
  readonly message: string | null;
  readonly startedAt: number;
  readonly endedAt: number | null;
}

export interface PipelineCacheRecord {
  readonly cacheKey: string;
  readonly outputs: Readonly<Record<string, StoredValue>>;
  /** The step run that computed the outputs. */
  readonly stepRunId: string;
  readonly createdAt: number;
}

export interface PipelineRepository {
  /** Registers a version (numbered after the last one), or returns the existing one with the same digest. */
  addVersion(input: Omit<PipelineVersionRecord, 'version'>): Promise<{ version: PipelineVersionRecord; created: boolean }>;
  getVersion(name: string, version: number | 'latest'): Promise<PipelineVersionRecord | undefined>;
  /** Versions of one pipeline (or of all), newest first. */
  listVersions(name?: string): Promise<PipelineVersionRecord[]>;
  createRun(run: PipelineRunRecord): Promise<void>;
  getRun(runId: string): Promise<PipelineRunRecord | undefined>;
  setRunStatus(runId: string, status: string, at: number): Promise<void>;
  /** Inserts or replaces a unit's state. */
  putStep(step: PipelineStepRecord): Promise<void>;
  /** Units of a run, by unit name. */
  listSteps(runId: string): Promise<PipelineStepRecord[]>;
  /** Inserts or replaces an attempt. */
  putAttempt(attempt: PipelineAttemptRecord): Promise<void>;
  /** Attempts of a run, by unit then attempt number. */
  listAttempts(runId: string): Promise<PipelineAttemptRecord[]>;
  getCache(cacheKey: string): Promise<PipelineCacheRecord | undefined>;
  /** Inserts or replaces a cache entry. */
  putCache(entry: PipelineCacheRecord): Promise<void>;
}

export interface LockRecord {
  readonly name: string;
  readonly owner: string;
  readonly expiresAt: number;
}

/** Named leases with an expiry, for leaders and pipeline runners. Every call is atomic on its own. */
export interface LockRepository {
  /**
   * Takes the lock for `owner` until `expiresAt` when it is free, expired at `now`,
   * already the owner's, or held by `replaceOwner` (a holder known to be dead).
   * Returns whether it was taken and who holds it afterwards.
   */
  acquire(input: { name: string; owner: string; expiresAt: number; now: number; replaceOwner?: string }): Promise<{ acquired: boolean; holder: LockRecord | undefined }>;
  /** Extends a lock the owner holds; false when someone else holds it now. */
  renew(name: string, owner: string, expiresAt: number): Promise<boolean>;
  /** Releases a lock the owner holds; false when it did not hold it. */
  release(name: string, owner: string): Promise<boolean>;
  get(name: string): Promise<LockRecord | undefined>;
}
