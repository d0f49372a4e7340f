import type { Kysely } from 'kysely';
import type { AuditEvent, NewAuditEvent } from '../../tracking/types.js';
import type { EventRepository } from '../metadata-store.js';
import type { Database } from '../schema.js';

export class KyselyEventRepository implements EventRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async append(event: NewAuditEvent): Promise<number> {
    const row = await this.#db
      .insertInto('events')
      .values({
        at: event.at,
        actor: event.actor,
        action: event.action,
        entity_kind: event.entityKind,
        entity_id: event.entityId,
        before_json: event.before === undefined || event.before === null ? null : JSON.stringify(event.before),
        after_json: event.after === undefined || event.after === null ? null : JSON.stringify(event.after),
      })
      .returning('event_id')
      .executeTakeFirstOrThrow();
    return Number(row.event_id);
  }

  async list(query: { entityKind?: string; entityId?: string; actor?: string; beforeId?: number; limit: number }): Promise<AuditEvent[]> {
    let q = this.#db.selectFrom('events').selectAll();
    if (query.entityKind !== undefined) q = q.where('entity_kind', '=', query.entityKind);
    if (query.entityId !== undefined) q = q.where('entity_id', '=', query.entityId);
    if (query.actor !== undefined) q = q.where('actor', '=', query.actor);
    if (query.beforeId !== undefined) q = q.where('event_id', '<', query.beforeId);
    const rows = await q.orderBy('event_id', 'desc').limit(query.limit).execute();
    return rows.map((r) => ({
      eventId: Number(r.event_id),
      at: Number(r.at),
      actor: r.actor,
      action: r.action,
      entityKind: r.entity_kind,
      entityId: r.entity_id,
      before: r.before_json === null ? null : JSON.parse(r.before_json),
      after: r.after_json === null ? null : JSON.parse(r.after_json),
    }));
  }
}
