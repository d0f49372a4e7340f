import type { Kysely, Selectable } from 'kysely';
import type {
  PipelineAttemptRecord,
  PipelineCacheRecord,
  PipelineRepository,
  PipelineRunRecord,
  PipelineStepRecord,
  PipelineVersionRecord,
} from '../metadata-store.js';
import type { Database, PipelineRunTable, PipelineStepTable, PipelineVersionTable } from '../schema.js';

export class KyselyPipelineRepository implements PipelineRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async addVersion(input: Omit<PipelineVersionRecord, 'version'>): Promise<{ version: PipelineVersionRecord; created: boolean }> {
    const same = await this.#db.selectFrom('pipeline_versions').selectAll().where('name', '=', input.name).where('digest', '=', input.digest).executeTakeFirst();
    if (same) return { version: versionFrom(same), created: false };
    const last = await this.#db
      .selectFrom('pipeline_versions')
      .select((eb) => eb.fn.max('version').as('v'))
      .where('name', '=', input.name)
      .executeTakeFirst();
    const version = Number(last?.v ?? 0) + 1;
    await this.#db
      .insertInto('pipeline_versions')
      .values({ name: input.name, version, digest: input.digest, git_commit: input.gitCommit, source: input.source, created_by: input.createdBy, created_at: input.createdAt })
      .execute();
    return { version: { ...input, version }, created: true };
  }

  async getVersion(name: string, version: number | 'latest'): Promise<PipelineVersionRecord | undefined> {
    let q = this.#db.selectFrom('pipeline_versions').selectAll().where('name', '=', name);
    q = version === 'latest' ? q.orderBy('version', 'desc').limit(1) : q.where('version', '=', version);
    const row = await q.executeTakeFirst();
    return row ? versionFrom(row) : undefined;
  }

  async listVersions(name?: string): Promise<PipelineVersionRecord[]> {
    let q = this.#db.selectFrom('pipeline_versions').selectAll();
    if (name !== undefined) q = q.where('name', '=', name);
    const rows = await q.orderBy('name').orderBy('version', 'desc').execute();
    return rows.map(versionFrom);
  }

  async createRun(run: PipelineRunRecord): Promise<void> {
    await this.#db
      .insertInto('pipeline_runs')
      .values({
        run_id: run.runId,
        pipeline: run.pipeline,
        version: run.version,
        module_digest: run.moduleDigest,
        source: run.source,
        params_json: JSON.stringify(run.params),
        options_json: JSON.stringify(run.options),
        status: run.status,
        created_by: run.createdBy,
        created_at: run.createdAt,
        updated_at: run.updatedAt,
      })
      .execute();
  }

  async getRun(runId: string): Promise<PipelineRunRecord | undefined> {
    const row = await this.#db.selectFrom('pipeline_runs').selectAll().where('run_id', '=', runId).executeTakeFirst();
    return row ? runFrom(row) : undefined;
  }

  async setRunStatus(runId: string, status: string, at: number): Promise<void> {
    await this.#db.updateTable('pipeline_runs').set({ status, updated_at: at }).where('run_id', '=', runId).execute();
  }

  async putStep(step: PipelineStepRecord): Promise<void> {
    const row = {
      run_id: step.runId,
      unit: step.unit,
      node: step.node,
      item_index: step.index,
      status: step.status,
      step_run_id: step.stepRunId,
      cache_key: step.cacheKey,
      attempts: step.attempts,
      outputs_json: step.outputs === null ? null : JSON.stringify(step.outputs),
      reason: step.reason,
      started_at: step.startedAt,
      ended_at: step.endedAt,
    };
    const { run_id: _r, unit: _u, ...rest } = row;
    await this.#db
      .insertInto('pipeline_steps')
      .values(row)
      .onConflict((oc) => oc.columns(['run_id', 'unit']).doUpdateSet(rest))
      .execute();
  }

  async listSteps(runId: string): Promise<PipelineStepRecord[]> {
    const rows = await this.#db.selectFrom('pipeline_steps').selectAll().where('run_id', '=', runId).orderBy('unit').execute();
    return rows.map(stepFrom);
  }

  async putAttempt(a: PipelineAttemptRecord): Promise<void> {
    const row = {
      run_id: a.runId,
      unit: a.unit,
      attempt: a.attempt,
      status: a.status,
      worker: a.worker,
      failure_kind: a.failureKind,
      message: a.message,
      started_at: a.startedAt,
      ended_at: a.endedAt,
    };
    const { run_id: _r, unit: _u, attempt: _a, ...rest } = row;
    await this.#db
      .insertInto('pipeline_attempts')
      .values(row)
      .onConflict((oc) => oc.columns(['run_id', 'unit', 'attempt']).doUpdateSet(rest))
      .execute();
  }

  async listAttempts(runId: string): Promise<PipelineAttemptRecord[]> {
    const rows = await this.#db.selectFrom('pipeline_attempts').selectAll().where('run_id', '=', runId).orderBy('unit').orderBy('attempt').execute();
    return rows.map((r) => ({
      runId: r.run_id,
      unit: r.unit,
      attempt: Number(r.attempt),
      status: r.status,
      worker: r.worker,
      failureKind: r.failure_kind,
      message: r.message,
      startedAt: Number(r.started_at),
      endedAt: r.ended_at === null ? null : Number(r.ended_at),
    }));
  }

  async getCache(cacheKey: string): Promise<PipelineCacheRecord | undefined> {
    const row = await this.#db.selectFrom('pipeline_cache').selectAll().where('cache_key', '=', cacheKey).executeTakeFirst();
    return row ? { cacheKey: row.cache_key, outputs: JSON.parse(row.outputs_json), stepRunId: row.step_run_id, createdAt: Number(row.created_at) } : undefined;
  }

  async putCache(entry: PipelineCacheRecord): Promise<void> {
    const row = { cache_key: entry.cacheKey, outputs_json: JSON.stringify(entry.outputs), step_run_id: entry.stepRunId, created_at: entry.createdAt };
    await this.#db
      .insertInto('pipeline_cache')
      .values(row)
      .onConflict((oc) => oc.column('cache_key').doUpdateSet({ outputs_json: row.outputs_json, step_run_id: row.step_run_id, created_at: row.created_at }))
      .execute();
  }
}

function versionFrom(r: Selectable<PipelineVersionTable>): PipelineVersionRecord {
  return { name: r.name, version: Number(r.version), digest: r.digest, gitCommit: r.git_commit, source: r.source, createdBy: r.created_by, createdAt: Number(r.created_at) };
}

function runFrom(r: Selectable<PipelineRunTable>): PipelineRunRecord {
  return {
    runId: r.run_id,
    pipeline: r.pipeline,
    version: r.version === null ? null : Number(r.version),
    moduleDigest: r.module_digest,
    source: r.source,
    params: JSON.parse(r.params_json),
    options: JSON.parse(r.options_json),
    status: r.status,
    createdBy: r.created_by,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}

function stepFrom(r: Selectable<PipelineStepTable>): PipelineStepRecord {
  return {
    runId: r.run_id,
    unit: r.unit,
    node: r.node,
    index: r.item_index === null ? null : Number(r.item_index),
    status: r.status,
    stepRunId: r.step_run_id,
    cacheKey: r.cache_key,
    attempts: Number(r.attempts),
    outputs: r.outputs_json === null ? null : JSON.parse(r.outputs_json),
    reason: r.reason,
    startedAt: r.started_at === null ? null : Number(r.started_at),
    endedAt: r.ended_at === null ? null : Number(r.ended_at),
  };
}
