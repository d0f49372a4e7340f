import { CompiledQuery, sql, type Kysely } from 'kysely';
import type { MetricPoint } from '../../tracking/types.js';
import type { SqlDialectName } from '../dialect.js';
import type { MetricRepository } from '../metadata-store.js';
import type { Database } from '../schema.js';
import { chunked, metricFromRow } from './rows.js';

/** Rows per history insert: 6,000 parameters, within SQLite's and PostgreSQL's limits. */
const HISTORY_CHUNK = 1000;
const insertSqlCache = new Map<string, string>();

function historyInsertSql(dialect: SqlDialectName, rows: number): string {
  const cacheKey = `${dialect}:${rows}`;
  let text = insertSqlCache.get(cacheKey);
  if (text === undefined) {
    const tuples: string[] = new Array(rows);
    for (let i = 0; i < rows; i++) {
      const b = i * 6;
      tuples[i] = dialect === 'postgres' ? `($${b + 1}, $${b + 2}, $${b + 3}, $${b + 4}, $${b + 5}, $${b + 6})` : '(?, ?, ?, ?, ?, ?)';
    }
    text = `insert into "metrics" ("run_id", "key", "value", "step", "timestamp", "is_nan") values ${tuples.join(', ')}`;
    if (insertSqlCache.size > 64) insertSqlCache.clear();
    insertSqlCache.set(cacheKey, text);
  }
  return text;
}

export class KyselyMetricRepository implements MetricRepository {
  readonly #db: Kysely<Database>;
  readonly #dialect: SqlDialectName;

  constructor(db: Kysely<Database>, dialect: SqlDialectName) {
    this.#db = db;
    this.#dialect = dialect;
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
    // The history insert is the hot path: its SQL depends only on the row count, so it is
    // built once per size and reused (and, on SQLite, its prepared statement too).
    for (const part of chunked(rows, HISTORY_CHUNK)) {
      const params: unknown[] = new Array(part.length * 6);
      part.forEach((r, i) => {
        params[i * 6] = r.run_id;
        params[i * 6 + 1] = r.key;
        params[i * 6 + 2] = r.value;
        params[i * 6 + 3] = r.step;
        params[i * 6 + 4] = r.timestamp;
        params[i * 6 + 5] = r.is_nan;
      });
      await this.#db.executeQuery(CompiledQuery.raw(historyInsertSql(this.#dialect, part.length), params));
    }

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
