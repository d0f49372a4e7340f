import { sql, type Kysely, type RawBuilder, type Selectable, type SqlBool } from 'kysely';
import { alreadyExists } from '../../core/errors.js';
import type { FilterClause, OrderClause } from '../../tracking/run-filter.js';
import type { KeyValue, LifecycleStage, MetricPoint, Run, RunInfo, RunStatus } from '../../tracking/types.js';
import type { SqlDialectName } from '../dialect.js';
import type { NewRun, RunRepository, RunSearch } from '../metadata-store.js';
import type { Database, MetricTable, RunTable } from '../schema.js';
import { chunked, metricFromRow } from './rows.js';

export class KyselyRunRepository implements RunRepository {
  readonly #db: Kysely<Database>;
  readonly #dialect: SqlDialectName;

  constructor(db: Kysely<Database>, dialect: SqlDialectName) {
    this.#db = db;
    this.#dialect = dialect;
  }

  async create(run: NewRun): Promise<void> {
    await this.#db
      .insertInto('runs')
      .values({
        run_id: run.runId,
        experiment_id: Number(run.experimentId),
        run_name: run.runName,
        user_id: run.userId,
        status: run.status,
        start_time: run.startTime,
        end_time: null,
        lifecycle_stage: 'active',
        artifact_uri: run.artifactUri,
        parent_run_id: run.parentRunId,
        deleted_time: null,
      })
      .execute();
    await this.setTags(run.runId, run.tags);
  }

  async getInfo(runId: string): Promise<RunInfo | undefined> {
    const row = await this.#db.selectFrom('runs').selectAll().where('run_id', '=', runId).executeTakeFirst();
    return row ? runInfoFromRow(row) : undefined;
  }

  async get(runId: string): Promise<Run | undefined> {
    const row = await this.#db.selectFrom('runs').selectAll().where('run_id', '=', runId).executeTakeFirst();
    return row ? (await this.#withData([row]))[0] : undefined;
  }

  async update(runId: string, patch: { status?: RunStatus; endTime?: number | null; runName?: string }): Promise<void> {
    const set: Partial<RunTable> = {};
    if (patch.status !== undefined) set.status = patch.status;
    if (patch.endTime !== undefined) set.end_time = patch.endTime;
    if (patch.runName !== undefined) set.run_name = patch.runName;
    if (Object.keys(set).length === 0) return;
    await this.#db.updateTable('runs').set(set).where('run_id', '=', runId).execute();
  }

  async setLifecycleStage(runId: string, stage: LifecycleStage, deletedTime: number | null): Promise<void> {
    await this.#db.updateTable('runs').set({ lifecycle_stage: stage, deleted_time: deletedTime }).where('run_id', '=', runId).execute();
  }

  async getParams(runId: string, keys: readonly string[]): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    for (const part of chunked(keys, 500)) {
      const rows = await this.#db.selectFrom('params').select(['key', 'value']).where('run_id', '=', runId).where('key', 'in', part).execute();
      for (const r of rows) found.set(r.key, r.value);
    }
    return found;
  }

  async insertParams(runId: string, params: readonly KeyValue[]): Promise<void> {
    for (const part of chunked(params, 500)) {
      try {
        await this.#db
          .insertInto('params')
          .values(part.map((p) => ({ run_id: runId, key: p.key, value: p.value })))
          .execute();
      } catch (cause) {
        if (isUniqueViolation(cause)) {
          throw alreadyExists(`A param of run ${runId} was logged concurrently by another writer; params are immutable, retry to see which value won.`, { runId });
        }
        throw cause;
      }
    }
  }

  async setTags(runId: string, tags: readonly KeyValue[]): Promise<void> {
    // The last value for a key wins within one call.
    const unique = [...new Map(tags.map((t) => [t.key, t.value])).entries()];
    for (const part of chunked(unique, 500)) {
      await this.#db
        .insertInto('tags')
        .values(part.map(([key, value]) => ({ run_id: runId, key, value })))
        .onConflict((oc) => oc.columns(['run_id', 'key']).doUpdateSet((eb) => ({ value: eb.ref('excluded.value') })))
        .execute();
    }
  }

  async deleteTag(runId: string, key: string): Promise<boolean> {
    const result = await this.#db.deleteFrom('tags').where('run_id', '=', runId).where('key', '=', key).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  async search(query: RunSearch): Promise<Run[]> {
    if (query.experimentIds.length === 0) return [];
    let q = this.#db
      .selectFrom('runs')
      .selectAll('runs')
      .where(
        'runs.experiment_id',
        'in',
        query.experimentIds.map((id) => Number(id)),
      );
    if (query.viewType !== 'ALL') q = q.where('runs.lifecycle_stage', '=', query.viewType === 'ACTIVE_ONLY' ? 'active' : 'deleted');
    for (const clause of query.filter) q = q.where(this.#condition(clause));

    const orderSql: RawBuilder<unknown>[] = [];
    query.orderBy.forEach((o, i) => {
      const dir = sql.raw(o.ascending ? 'asc' : 'desc');
      if (o.entity === 'attribute') {
        const col = sql.ref(`runs.${o.key}`);
        orderSql.push(sql`(${col} is null) asc`, sql`${col} ${dir}`);
        return;
      }
      const table = o.entity === 'metric' ? 'latest_metrics' : o.entity === 'param' ? 'params' : 'tags';
      const value = o.entity === 'metric' ? sql`case when x.is_nan = 1 then null else x.value end` : sql`x.value`;
      // A scalar subquery per ordering key reads one indexed row per run.
      const expr = sql`(select ${value} from ${sql.table(table)} x where x.run_id = runs.run_id and x.key = ${o.key})`;
      orderSql.push(sql`(${expr} is null) asc`, sql`${expr} ${dir}`);
      void i;
    });
    if (!query.orderBy.some((o) => o.entity === 'attribute' && o.key === 'start_time')) orderSql.push(sql`runs.start_time desc`);
    orderSql.push(sql`runs.run_id asc`);
    const rows = await q
      .orderBy(sql`${sql.join(orderSql)}`)
      .limit(query.limit)
      .offset(query.offset)
      .execute();
    return this.#withData(rows);
  }

  #condition(clause: FilterClause): RawBuilder<SqlBool> {
    const { entity, key, comparator, value } = clause;
    if (entity === 'attribute') return this.#compare(sql.ref(`runs.${key}`), comparator, value);
    const table = entity === 'metric' ? 'latest_metrics' : entity === 'param' ? 'params' : 'tags';
    const exists = (cond: RawBuilder<SqlBool> | null) =>
      sql<SqlBool>`exists (select 1 from ${sql.table(table)} x where x.run_id = runs.run_id and x.key = ${key}${cond ? sql` and ${cond}` : sql``})`;
    if (comparator === 'IS NULL') return sql<SqlBool>`not ${exists(null)}`;
    if (comparator === 'IS NOT NULL') return exists(null);
    const nanGuard = entity === 'metric' ? sql`x.is_nan = 0 and ` : sql``;
    return exists(sql<SqlBool>`${nanGuard}${this.#compare(sql.ref('x.value'), comparator, value)}`);
  }

  #compare(column: RawBuilder<unknown> | ReturnType<typeof sql.ref>, comparator: FilterClause['comparator'], value: FilterClause['value']): RawBuilder<SqlBool> {
    switch (comparator) {
      case 'IN':
      case 'NOT IN': {
        const list = value as readonly string[];
        return sql<SqlBool>`${column} ${sql.raw(comparator.toLowerCase())} (${sql.join(list.map((v) => sql`${v}`))})`;
      }
      case 'LIKE':
        return sql<SqlBool>`${column} like ${value}`;
      case 'ILIKE':
        return this.#dialect === 'postgres' ? sql<SqlBool>`${column} ilike ${value}` : sql<SqlBool>`lower(${column}) like lower(${value})`;
      case 'IS NULL':
        return sql<SqlBool>`${column} is null`;
      case 'IS NOT NULL':
        return sql<SqlBool>`${column} is not null`;
      default:
        return sql<SqlBool>`${column} ${sql.raw(comparator)} ${value}`;
    }
  }

  async #withData(rows: Selectable<RunTable>[]): Promise<Run[]> {
    if (rows.length === 0) return [];
    const ids = rows.map((r) => r.run_id);
    const params = new Map<string, KeyValue[]>();
    const tags = new Map<string, KeyValue[]>();
    const metrics = new Map<string, MetricPoint[]>();
    const push = <T>(m: Map<string, T[]>, k: string, v: T) => {
      const list = m.get(k);
      if (list) list.push(v);
      else m.set(k, [v]);
    };
    for (const part of chunked(ids, 500)) {
      const [p, t, lm] = await Promise.all([
        this.#db.selectFrom('params').selectAll().where('run_id', 'in', part).orderBy('key').execute(),
        this.#db.selectFrom('tags').selectAll().where('run_id', 'in', part).orderBy('key').execute(),
        this.#db.selectFrom('latest_metrics').selectAll().where('run_id', 'in', part).orderBy('key').execute(),
      ]);
      for (const r of p) push(params, r.run_id, { key: r.key, value: r.value });
      for (const r of t) push(tags, r.run_id, { key: r.key, value: r.value });
      for (const r of lm as Selectable<MetricTable>[]) push(metrics, r.run_id, metricFromRow(r));
    }
    return rows.map((r) => ({
      info: runInfoFromRow(r),
      metrics: metrics.get(r.run_id) ?? [],
      params: params.get(r.run_id) ?? [],
      tags: tags.get(r.run_id) ?? [],
    }));
  }
}

function runInfoFromRow(r: Selectable<RunTable>): RunInfo {
  return {
    runId: r.run_id,
    experimentId: String(r.experiment_id),
    runName: r.run_name,
    userId: r.user_id,
    status: r.status as RunStatus,
    startTime: Number(r.start_time),
    endTime: r.end_time === null ? null : Number(r.end_time),
    lifecycleStage: r.lifecycle_stage as LifecycleStage,
    artifactUri: r.artifact_uri,
    parentRunId: r.parent_run_id,
  };
}

function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: string })?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}
