import type { Kysely } from 'kysely';
import type { ClaimRecord, ScheduleRecord, ScheduleRepository, TriggerKind, TriggerRecord } from '../loop-repositories.js';
import type { Database, ScheduleTable, TriggerTable } from '../schema.js';

export class KyselyScheduleRepository implements ScheduleRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async createSchedule(s: ScheduleRecord): Promise<void> {
    await this.#db
      .insertInto('schedules')
      .values({ name: s.name, cron: s.cron, timezone: s.timezone, pipeline: s.pipeline, params_json: JSON.stringify(s.params), created_by: s.createdBy, created_at: s.createdAt })
      .execute();
  }

  async getSchedule(name: string): Promise<ScheduleRecord | undefined> {
    const row = await this.#db.selectFrom('schedules').selectAll().where('name', '=', name).executeTakeFirst();
    return row ? scheduleOf(row) : undefined;
  }

  async listSchedules(): Promise<ScheduleRecord[]> {
    return (await this.#db.selectFrom('schedules').selectAll().orderBy('name').execute()).map(scheduleOf);
  }

  async deleteSchedule(name: string): Promise<boolean> {
    const r = await this.#db.deleteFrom('schedules').where('name', '=', name).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async createTrigger(t: TriggerRecord): Promise<void> {
    await this.#db
      .insertInto('triggers')
      .values({ name: t.name, kind: t.kind, pattern: t.pattern, pipeline: t.pipeline, params_json: JSON.stringify(t.params), created_by: t.createdBy, created_at: t.createdAt })
      .execute();
  }

  async getTrigger(name: string): Promise<TriggerRecord | undefined> {
    const row = await this.#db.selectFrom('triggers').selectAll().where('name', '=', name).executeTakeFirst();
    return row ? triggerOf(row) : undefined;
  }

  async listTriggers(kind?: TriggerKind): Promise<TriggerRecord[]> {
    let q = this.#db.selectFrom('triggers').selectAll();
    if (kind !== undefined) q = q.where('kind', '=', kind);
    return (await q.orderBy('name').execute()).map(triggerOf);
  }

  async deleteTrigger(name: string): Promise<boolean> {
    const r = await this.#db.deleteFrom('triggers').where('name', '=', name).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async claim(c: Omit<ClaimRecord, 'runId' | 'error'>): Promise<boolean> {
    const r = await this.#db
      .insertInto('loop_claims')
      .values({ source: c.source, claim_key: c.key, claimed_by: c.claimedBy, claimed_at: c.claimedAt, run_id: null, error: null })
      .onConflict((oc) => oc.columns(['source', 'claim_key']).doNothing())
      .executeTakeFirst();
    return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  async settleClaim(source: string, key: string, outcome: { runId: string | null; error: string | null }): Promise<void> {
    await this.#db.updateTable('loop_claims').set({ run_id: outcome.runId, error: outcome.error }).where('source', '=', source).where('claim_key', '=', key).execute();
  }

  async listClaims(source: string, limit: number): Promise<ClaimRecord[]> {
    const rows = await this.#db.selectFrom('loop_claims').selectAll().where('source', '=', source).orderBy('claimed_at', 'desc').orderBy('claim_key', 'desc').limit(limit).execute();
    return rows.map((r) => ({ source: r.source, key: r.claim_key, claimedBy: r.claimed_by, claimedAt: Number(r.claimed_at), runId: r.run_id, error: r.error }));
  }

  async lastClaim(source: string): Promise<ClaimRecord | undefined> {
    return (await this.listClaims(source, 1))[0];
  }
}

function scheduleOf(r: ScheduleTable): ScheduleRecord {
  return { name: r.name, cron: r.cron, timezone: r.timezone, pipeline: r.pipeline, params: JSON.parse(r.params_json), createdBy: r.created_by, createdAt: Number(r.created_at) };
}

function triggerOf(r: TriggerTable): TriggerRecord {
  return { name: r.name, kind: r.kind as TriggerKind, pattern: r.pattern, pipeline: r.pipeline, params: JSON.parse(r.params_json), createdBy: r.created_by, createdAt: Number(r.created_at) };
}
