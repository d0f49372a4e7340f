import { OrchardError, invalidArgument, notFound, throwIfIssues, type Issue } from '../core/errors.js';
import type { Clock } from '../core/clock.js';
import { RUN_ID_PATTERN, newRunId } from '../core/ids.js';
import type { MetadataRepositories, MetadataStore } from '../metadata/metadata-store.js';
import { parseRunFilter, parseRunOrderBy } from './run-filter.js';
import { generateRunName } from './run-names.js';
import { RUN_STATUSES, VIEW_TYPES, type Experiment, type KeyValue, type MetricPoint, type Page, type Run, type RunInfo, type RunStatus, type ViewType } from './types.js';
import { LIMITS, decodePageToken, encodePageToken, keyIssues, parseBatch, requireString, type BatchLimits, type RawBatch } from './validation.js';

/** Who performs a write, recorded in its audit event. */
export interface Actor {
  readonly name: string;
}

export const RUN_NAME_TAG = 'mlflow.runName';
export const PARENT_RUN_TAG = 'mlflow.parentRunId';
const MLFLOW_ARTIFACTS = 'mlflow-artifacts:/';
/** MLflow's page size for metric histories. */
export const HISTORY_PAGE = 25_000;

/**
 * Use cases of experiment tracking, written against the metadata store port.
 * Every write happens in one transaction together with its audit event.
 */
export class TrackingService {
  readonly #store: MetadataStore;
  readonly #clock: Clock;

  constructor(store: MetadataStore, clock: Clock) {
    this.#store = store;
    this.#clock = clock;
  }

  // ---- experiments -------------------------------------------------------------------------

  async createExperiment(actor: Actor, input: { name: unknown; artifactLocation?: unknown; tags?: unknown }): Promise<Experiment> {
    const name = experimentName(input.name);
    let artifactLocation: string | undefined;
    if (input.artifactLocation !== undefined && input.artifactLocation !== null && input.artifactLocation !== '') {
      artifactLocation = requireString(input.artifactLocation, 'artifact_location', 'mlflow-artifacts:/team-a');
      if (!artifactLocation.startsWith(MLFLOW_ARTIFACTS)) {
        throw invalidArgument(`artifact_location '${artifactLocation}' is not served by Orchard; omit it, or use a location under ${MLFLOW_ARTIFACTS} so artifacts go through the artifact proxy.`, {
          field: 'artifact_location',
        });
      }
    }
    const tags = parseBatch({ tags: input.tags }, 0, LIMITS.orchardBatch).tags;
    const now = this.#clock.now();
    return this.#store.transaction(async (tx) => {
      const experiment = await tx.experiments.create({ name, artifactLocation, tags, now });
      await this.#audit(tx, actor, 'experiment.create', 'experiment', experiment.experimentId, null, experiment);
      return experiment;
    });
  }

  async getExperiment(experimentId: unknown): Promise<Experiment> {
    const id = experimentIdOf(experimentId);
    const found = await this.#store.experiments.get(id);
    if (!found) throw notFound(`No experiment with id '${id}'; list them with \`orchard experiments list\`.`, { experimentId: id });
    return found;
  }

  async getExperimentByName(name: unknown): Promise<Experiment> {
    const n = requireString(name, 'experiment_name', "'flights'");
    const found = await this.#store.experiments.getByName(n);
    if (!found) throw notFound(`No experiment named '${n}'; create it first, or list them with \`orchard experiments list\`.`, { experimentName: n });
    return found;
  }

  /** The experiment with this name, created when missing (safe against a concurrent create). */
  async ensureExperiment(actor: Actor, name: string): Promise<Experiment> {
    try {
      return await this.getExperimentByName(name);
    } catch (error) {
      if (!(error instanceof OrchardError && error.code === 'NOT_FOUND')) throw error;
    }
    try {
      return await this.createExperiment(actor, { name });
    } catch (error) {
      if (error instanceof OrchardError && error.code === 'ALREADY_EXISTS') return this.getExperimentByName(name);
      throw error;
    }
  }

  async searchExperiments(query: { viewType?: unknown; nameLike?: { pattern: string; caseInsensitive: boolean }; exactName?: string; maxResults?: unknown; pageToken?: unknown; orderBy?: ExperimentOrder[] }): Promise<Page<Experiment>> {
    const limit = pageSize(query.maxResults, 1000, 50_000);
    const offset = decodePageToken(query.pageToken);
    const items = await this.#store.experiments.search({
      viewType: viewTypeOf(query.viewType),
      nameLike: query.nameLike,
      exactName: query.exactName,
      orderBy: query.orderBy,
      offset,
      limit: limit + 1,
    });
    return pageOf(items, limit, offset);
  }

  async renameExperiment(actor: Actor, experimentId: unknown, newName: unknown): Promise<void> {
    const name = experimentName(newName);
    await this.#store.transaction(async (tx) => {
      const before = await this.#experiment(tx, experimentId);
      await tx.experiments.rename(before.experimentId, name, this.#clock.now());
      await this.#audit(tx, actor, 'experiment.rename', 'experiment', before.experimentId, { name: before.name }, { name });
    });
  }

  async setExperimentLifecycle(actor: Actor, experimentId: unknown, stage: 'active' | 'deleted'): Promise<void> {
    await this.#store.transaction(async (tx) => {
      const before = await this.#experiment(tx, experimentId);
      if (stage === 'deleted' && before.experimentId === '0') {
        throw invalidArgument('The Default experiment (id 0) cannot be deleted; it is where runs without an experiment go.', { experimentId: '0' });
      }
      await tx.experiments.setLifecycleStage(before.experimentId, stage, this.#clock.now());
      const action = stage === 'deleted' ? 'experiment.delete' : 'experiment.restore';
      await this.#audit(tx, actor, action, 'experiment', before.experimentId, { lifecycleStage: before.lifecycleStage }, { lifecycleStage: stage });
    });
  }

  async setExperimentTag(actor: Actor, experimentId: unknown, key: unknown, value: unknown): Promise<void> {
    const [tag] = parseBatch({ tags: [{ key, value }] }, 0, LIMITS.orchardBatch).tags;
    await this.#store.transaction(async (tx) => {
      const exp = await this.#experiment(tx, experimentId);
      await tx.experiments.setTag(exp.experimentId, tag!, this.#clock.now());
      await this.#audit(tx, actor, 'experiment.set_tag', 'experiment', exp.experimentId, null, tag);
    });
  }

  // ---- runs --------------------------------------------------------------------------------

  /**
   * Creates a run, with its tags and (from code) its params, in one transaction. `ended`
   * records a run that is already over (a pipeline step served from the cache): it ends
   * at its start time with that status.
   */
  async createRun(
    actor: Actor,
    input: { experimentId?: unknown; runName?: unknown; startTime?: unknown; tags?: unknown; userId?: unknown; parentRunId?: unknown; params?: unknown; ended?: 'FINISHED' | 'FAILED' | 'KILLED' },
  ): Promise<Run> {
    const experimentId = experimentIdOf(input.experimentId ?? '0');
    const { tags, params } = parseBatch({ tags: input.tags, params: input.params }, 0, LIMITS.orchardBatch);
    const startTime = input.startTime === undefined || input.startTime === null ? this.#clock.now() : integerOf(input.startTime, 'start_time');
    const tagName = tags.find((t) => t.key === RUN_NAME_TAG)?.value;
    const runName = input.runName === undefined || input.runName === null || input.runName === '' ? (tagName ?? generateRunName()) : requireString(input.runName, 'run_name', "'baseline'");
    const parentRunId = input.parentRunId === undefined || input.parentRunId === null || input.parentRunId === '' ? (tags.find((t) => t.key === PARENT_RUN_TAG)?.value ?? null) : runIdOf(input.parentRunId);
    const userId = typeof input.userId === 'string' && input.userId !== '' ? input.userId : actor.name;
    const runId = newRunId();
    return this.#store.transaction(async (tx) => {
      const exp = await this.#experiment(tx, experimentId);
      if (exp.lifecycleStage !== 'active') {
        throw invalidArgument(`Experiment '${exp.name}' (id ${exp.experimentId}) is deleted; restore it or choose another experiment.`, { experimentId });
      }
      if (parentRunId !== null && !(await tx.runs.getInfo(parentRunId))) throw notFound(`Parent run '${parentRunId}' does not exist.`, { runId: parentRunId });
      const allTags: KeyValue[] = [...tags.filter((t) => t.key !== RUN_NAME_TAG), { key: RUN_NAME_TAG, value: runName }];
      if (parentRunId !== null && !tags.some((t) => t.key === PARENT_RUN_TAG)) allTags.push({ key: PARENT_RUN_TAG, value: parentRunId });
      await tx.runs.create({
        runId,
        experimentId,
        runName,
        userId,
        status: 'RUNNING',
        startTime,
        artifactUri: `${exp.artifactLocation.replace(/\/+$/, '')}/${runId}/artifacts`,
        parentRunId,
        tags: allTags,
      });
      if (params.length > 0) await tx.runs.insertParams(runId, params);
      if (input.ended !== undefined) await tx.runs.update(runId, { status: input.ended, endTime: startTime });
      const run = (await tx.runs.get(runId))!;
      await this.#audit(tx, actor, 'run.create', 'run', runId, null, run.info);
      return run;
    });
  }

  async getRun(runId: unknown): Promise<Run> {
    const id = runIdOf(runId);
    const run = await this.#store.runs.get(id);
    if (!run) throw runNotFound(id);
    return run;
  }

  async updateRun(actor: Actor, runId: unknown, patch: { status?: unknown; endTime?: unknown; runName?: unknown }): Promise<RunInfo> {
    const id = runIdOf(runId);
    const issues: Issue[] = [];
    let status: RunStatus | undefined;
    if (patch.status !== undefined && patch.status !== null && patch.status !== '') {
      if (!RUN_STATUSES.includes(patch.status as RunStatus)) issues.push({ code: 'invalid_value', path: ['status'], message: `'${String(patch.status)}' is not a run status; use one of ${RUN_STATUSES.join(', ')}` });
      else status = patch.status as RunStatus;
    }
    let endTime: number | undefined;
    if (patch.endTime !== undefined && patch.endTime !== null) {
      const parsed = Number.isSafeInteger(Number(patch.endTime)) ? Number(patch.endTime) : undefined;
      if (parsed === undefined) issues.push({ code: 'invalid_value', path: ['end_time'], message: `must be milliseconds since the epoch, got '${String(patch.endTime)}'` });
      else endTime = parsed;
    }
    const runName = typeof patch.runName === 'string' && patch.runName !== '' ? patch.runName : undefined;
    throwIfIssues('run update', issues);
    if (status !== undefined && status !== 'RUNNING' && status !== 'SCHEDULED' && endTime === undefined) endTime = this.#clock.now();
    return this.#store.transaction(async (tx) => {
      const before = await this.#activeRun(tx, id);
      await tx.runs.update(id, { status, endTime, runName });
      if (runName !== undefined) await tx.runs.setTags(id, [{ key: RUN_NAME_TAG, value: runName }]);
      const after = (await tx.runs.getInfo(id))!;
      await this.#audit(tx, actor, 'run.update', 'run', id, before, after);
      return after;
    });
  }

  async setRunLifecycle(actor: Actor, runId: unknown, stage: 'active' | 'deleted'): Promise<void> {
    const id = runIdOf(runId);
    await this.#store.transaction(async (tx) => {
      const before = await this.#run(tx, id);
      await tx.runs.setLifecycleStage(id, stage, stage === 'deleted' ? this.#clock.now() : null);
      await this.#audit(tx, actor, stage === 'deleted' ? 'run.delete' : 'run.restore', 'run', id, { lifecycleStage: before.lifecycleStage }, { lifecycleStage: stage });
    });
  }

  /**
   * Logs metrics, params and tags of a run in one transaction: all land or none do.
   * Params are immutable: logging a key again with another value is INVALID_ARGUMENT.
   */
  async logBatch(actor: Actor, runId: unknown, raw: RawBatch, limits: BatchLimits = LIMITS.orchardBatch): Promise<void> {
    const id = runIdOf(runId);
    const batch = parseBatch(raw, this.#clock.now(), limits);
    if (batch.metrics.length + batch.params.length + batch.tags.length === 0) return;
    await this.#store.transaction(async (tx) => {
      await this.#activeRun(tx, id);
      if (batch.params.length > 0) {
        const existing = await tx.runs.getParams(id, batch.params.map((p) => p.key));
        const conflicts = batch.params.filter((p) => existing.has(p.key) && existing.get(p.key) !== p.value);
        if (conflicts.length > 0) {
          throwIfIssues(
            'log batch',
            conflicts.map((p) => ({
              code: 'param_overwrite',
              path: ['params', p.key],
              message: `param '${p.key}' of run ${id} is already '${existing.get(p.key)}' and cannot change to '${p.value}'; params are immutable — log a new run, or use a tag or metric for values that change`,
            })),
          );
        }
        await tx.runs.insertParams(id, batch.params.filter((p) => !existing.has(p.key)));
      }
      if (batch.tags.length > 0) await tx.runs.setTags(id, batch.tags);
      if (batch.metrics.length > 0) await tx.metrics.log(id, batch.metrics);
      await this.#audit(tx, actor, 'run.log_batch', 'run', id, null, summariseBatch(batch.metrics, batch.params, batch.tags));
    });
  }

  async deleteTag(actor: Actor, runId: unknown, key: unknown): Promise<void> {
    const id = runIdOf(runId);
    throwIfIssues('tag key', keyIssues(key, ['key']));
    await this.#store.transaction(async (tx) => {
      await this.#activeRun(tx, id);
      if (!(await tx.runs.deleteTag(id, key as string))) throw notFound(`Run ${id} has no tag '${String(key)}'.`, { runId: id, key });
      await this.#audit(tx, actor, 'run.delete_tag', 'run', id, { key }, null);
    });
  }

  async metricHistory(runId: unknown, key: unknown, page: { maxResults?: unknown; pageToken?: unknown } = {}): Promise<Page<MetricPoint>> {
    const id = runIdOf(runId);
    throwIfIssues('metric key', keyIssues(key, ['metric_key']));
    const limit = pageSize(page.maxResults, HISTORY_PAGE, 1_000_000);
    const offset = decodePageToken(page.pageToken);
    if (!(await this.#store.runs.getInfo(id))) throw runNotFound(id);
    const items = await this.#store.metrics.history(id, key as string, { offset, limit: limit + 1 });
    return pageOf(items, limit, offset);
  }

  async searchRuns(query: { experimentIds?: unknown; filter?: unknown; orderBy?: unknown; viewType?: unknown; maxResults?: unknown; pageToken?: unknown }): Promise<Page<Run>> {
    const ids = query.experimentIds === undefined || query.experimentIds === null ? ['0'] : Array.isArray(query.experimentIds) ? query.experimentIds : [query.experimentIds];
    if (query.filter !== undefined && query.filter !== null && typeof query.filter !== 'string') throw invalidArgument(`filter must be a string such as "metrics.auc > 0.8", got ${typeof query.filter}.`);
    const orderBy = query.orderBy === undefined || query.orderBy === null ? [] : Array.isArray(query.orderBy) ? query.orderBy.map(String) : [String(query.orderBy)];
    const limit = pageSize(query.maxResults, 1000, 50_000);
    const offset = decodePageToken(query.pageToken);
    const items = await this.#store.runs.search({
      experimentIds: ids.map(experimentIdOf),
      filter: parseRunFilter(query.filter as string | undefined),
      orderBy: parseRunOrderBy(orderBy),
      viewType: viewTypeOf(query.viewType),
      offset,
      limit: limit + 1,
    });
    return pageOf(items, limit, offset);
  }

  // ---- helpers -----------------------------------------------------------------------------

  async #experiment(tx: MetadataRepositories, experimentId: unknown): Promise<Experiment> {
    const id = experimentIdOf(experimentId);
    const exp = await tx.experiments.get(id);
    if (!exp) throw notFound(`No experiment with id '${id}'; list them with \`orchard experiments list\`.`, { experimentId: id });
    return exp;
  }

  async #run(tx: MetadataRepositories, runId: string): Promise<RunInfo> {
    const info = await tx.runs.getInfo(runId);
    if (!info) throw runNotFound(runId);
    return info;
  }

  async #activeRun(tx: MetadataRepositories, runId: string): Promise<RunInfo> {
    const info = await this.#run(tx, runId);
    if (info.lifecycleStage !== 'active') {
      throw invalidArgument(`Run ${runId} is deleted, so nothing can be logged to it; restore it first (runs/restore).`, { runId, lifecycleStage: info.lifecycleStage });
    }
    return info;
  }

  async #audit(tx: MetadataRepositories, actor: Actor, action: string, entityKind: string, entityId: string, before: unknown, after: unknown): Promise<void> {
    await tx.events.append({ at: this.#clock.now(), actor: actor.name, action, entityKind, entityId, before, after });
  }
}

export type ExperimentOrder = { field: 'name' | 'experiment_id' | 'creation_time' | 'last_update_time'; ascending: boolean };

function summariseBatch(metrics: readonly MetricPoint[], params: readonly KeyValue[], tags: readonly KeyValue[]): Record<string, unknown> {
  const keys = [...new Set(metrics.map((m) => m.key))];
  return { metricPoints: metrics.length, metricKeys: keys.slice(0, 50), params, tags };
}

export function pageOf<T>(items: T[], limit: number, offset: number): Page<T> {
  return items.length > limit ? { items: items.slice(0, limit), nextPageToken: encodePageToken(offset + limit) } : { items };
}

export function pageSize(value: unknown, fallback: number, max: number): number {
  if (value === undefined || value === null || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max) throw invalidArgument(`max_results must be an integer from 1 to ${max}, got '${String(value)}'.`, { field: 'max_results' });
  return n;
}

function viewTypeOf(value: unknown): ViewType {
  if (value === undefined || value === null || value === '') return 'ACTIVE_ONLY';
  if (VIEW_TYPES.includes(value as ViewType)) return value as ViewType;
  throw invalidArgument(`view_type '${String(value)}' is unknown; use one of ${VIEW_TYPES.join(', ')}.`, { field: 'view_type' });
}

function experimentIdOf(value: unknown): string {
  const text = typeof value === 'number' ? String(value) : value;
  if (typeof text !== 'string' || !/^\d{1,15}$/.test(text)) {
    throw invalidArgument(`experiment_id must be the decimal id of an experiment such as '0', got ${text === undefined ? 'nothing' : `'${String(text)}'`}.`, { field: 'experiment_id' });
  }
  return String(Number(text));
}

function runIdOf(value: unknown): string {
  if (typeof value !== 'string' || !RUN_ID_PATTERN.test(value)) {
    throw invalidArgument(`run_id must be 32 lowercase hex characters, got ${value === undefined ? 'nothing' : `'${String(value)}'`}; copy it from \`orchard runs list\`.`, { field: 'run_id' });
  }
  return value;
}

function integerOf(value: unknown, name: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw invalidArgument(`${name} must be an integer of milliseconds since the epoch, got '${String(value)}'.`, { field: name });
  return n;
}

function experimentName(value: unknown): string {
  const name = requireString(value, 'name', "'flights-delay'");
  if (name.length > LIMITS.experimentNameLength) throw invalidArgument(`Experiment name is ${name.length} characters; the limit is ${LIMITS.experimentNameLength}.`, { field: 'name' });
  return name;
}

export function runNotFound(runId: string): OrchardError {
  return notFound(`Run '${runId}' does not exist; find run ids with \`orchard runs list\`.`, { runId });
}
