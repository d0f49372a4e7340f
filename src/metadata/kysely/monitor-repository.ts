import type { Kysely, Selectable } from 'kysely';
import type { MonitorResultRecord, MonitorResultRepository } from '../monitor-repository.js';
import type { Database, MonitorResultTable } from '../schema.js';

export class KyselyMonitorResultRepository implements MonitorResultRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async add(record: Omit<MonitorResultRecord, 'id'>): Promise<MonitorResultRecord> {
    const row = await this.#db
      .insertInto('monitor_results')
      .values({
        endpoint: record.endpoint,
        computed_at: record.computedAt,
        window_from: record.windowFrom,
        window_to: record.windowTo,
        window_rows: record.windowRows,
        reference: record.reference,
        dataset_drifted: record.datasetDrifted ? 1 : 0,
        drifted_share: record.driftedShare,
        result_json: record.resultJson,
      })
      .returning('result_id')
      .executeTakeFirstOrThrow();
    return { ...record, id: Number(row.result_id) };
  }

  async latest(endpoint: string): Promise<MonitorResultRecord | undefined> {
    const [first] = await this.list(endpoint, { limit: 1 });
    return first;
  }

  async list(endpoint: string, query: { limit: number; since?: number }): Promise<MonitorResultRecord[]> {
    let q = this.#db.selectFrom('monitor_results').selectAll().where('endpoint', '=', endpoint);
    if (query.since !== undefined) q = q.where('computed_at', '>=', query.since);
    const rows = await q.orderBy('computed_at', 'desc').orderBy('result_id', 'desc').limit(query.limit).execute();
    return rows.map(fromRow);
  }
}

function fromRow(r: Selectable<MonitorResultTable>): MonitorResultRecord {
  return {
    id: Number(r.result_id),
    endpoint: r.endpoint,
    computedAt: Number(r.computed_at),
    windowFrom: r.window_from === null ? null : Number(r.window_from),
    windowTo: r.window_to === null ? null : Number(r.window_to),
    windowRows: Number(r.window_rows),
    reference: r.reference,
    datasetDrifted: Number(r.dataset_drifted) === 1,
    driftedShare: Number(r.drifted_share),
    resultJson: r.result_json,
  };
}
