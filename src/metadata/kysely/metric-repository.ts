import { sql, type Kysely } from 'kysely';
import type { MetricPoint } from '../../tracking/types.js';
import type { MetricRepository } from '../metadata-store.js';
import type { Database } from '../schema.js';
import { chunked, metricFromRow } from './rows.js';

export class KyselyMetricRepository implements MetricRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async log(runId: string, points: readonly MetricPoint[]): Promise<void> {
    if (points.length === 0) return;
    const rows = points.map((p) => ({
      run_id: runId,
      key: p.key,
      value: Number.isNaN(p.value) ? 0 : p.value,
      step: p.step,
      timestamp: p.timestamp,
      is_nan: Number.isNaN(p.value) ? 1 : 0,
    }));
    for (const part of chunked(rows, 500)) await this.#db.insertInto('metrics').values(part).execute();

    // The latest point per key: highest step, then latest timestamp, then the later one in the batch.
    const latest = new Map<string, (typeof rows)[number]>();
    for (const r of rows) {
      const cur = latest.get(r.key);
      if (!cur || r.step > cur.step || (r.step === cur.step && r.timestamp >= cur.timestamp)) latest.set(r.key, r);
    }
    for (const part of chunked([...latest.values()], 500)) {
      await this.#db
        .insertInto('latest_metrics')
        .values(part)
        .onConflict((oc) =>
          oc
            .columns(['run_id', 'key'])
            .doUpdateSet((eb) => ({
              value: eb.ref('excluded.value'),
              step: eb.ref('excluded.step'),
              timestamp: eb.ref('excluded.timestamp'),
              is_nan: eb.ref('excluded.is_nan'),
            }))
            .where(
              sql<boolean>`excluded.step > latest_metrics.step or (excluded.step = latest_metrics.step and excluded.timestamp >= latest_metrics.timestamp)`,
            ),
        )
        .execute();
    }
  }

  async history(runId: string, key: string, page: { offset: number; limit: number }): Promise<MetricPoint[]> {
    const rows = await this.#db
      .selectFrom('metrics')
      .select(['key', 'value', 'step', 'timestamp', 'is_nan'])
      .where('run_id', '=', runId)
      .where('key', '=', key)
      .orderBy('step')
      .orderBy('timestamp')
      .limit(page.limit)
      .offset(page.offset)
      .execute();
    return rows.map(metricFromRow);
  }
}
