import type { Kysely } from 'kysely';
import type { FeedbackKind, FeedbackRecord, FeedbackRepository } from '../loop-repositories.js';
import type { Database } from '../schema.js';

export class KyselyFeedbackRepository implements FeedbackRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async put(records: readonly FeedbackRecord[]): Promise<string[]> {
    const replaced: string[] = [];
    for (const r of records) {
      const values = { value: r.value, text_value: r.textValue, comment: r.comment, source: r.source, received_at: r.receivedAt };
      const before = await this.#db.selectFrom('feedback').select('request_id').where('endpoint', '=', r.endpoint).where('request_id', '=', r.requestId).where('kind', '=', r.kind).executeTakeFirst();
      if (before) replaced.push(r.requestId);
      await this.#db
        .insertInto('feedback')
        .values({ endpoint: r.endpoint, request_id: r.requestId, kind: r.kind, ...values })
        .onConflict((oc) => oc.columns(['endpoint', 'request_id', 'kind']).doUpdateSet(values))
        .execute();
    }
    return replaced;
  }

  async list(endpoint: string, kind: FeedbackKind): Promise<FeedbackRecord[]> {
    const rows = await this.#db.selectFrom('feedback').selectAll().where('endpoint', '=', endpoint).where('kind', '=', kind).orderBy('request_id').execute();
    return rows.map((r) => ({
      endpoint: r.endpoint,
      requestId: r.request_id,
      kind: r.kind as FeedbackKind,
      value: r.value === null ? null : Number(r.value),
      textValue: r.text_value,
      comment: r.comment,
      source: r.source,
      receivedAt: Number(r.received_at),
    }));
  }
}
