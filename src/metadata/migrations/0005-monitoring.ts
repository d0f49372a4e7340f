import type { Kysely, Migration } from 'kysely';
import type { SqlDialectName } from '../dialect.js';

/**
 * Monitor results: one row per monitor run over an endpoint's prediction log window, the
 * endpoint's drift and data-quality time series. The full result (per feature) is JSON; the
 * columns a listing filters or plots on are plain.
 */
export function monitoringMigration(dialect: SqlDialectName): Migration {
  const serial = dialect === 'postgres' ? 'bigserial' : 'integer';
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('monitor_results')
        .addColumn('result_id', serial, (c) => (dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement()))
        .addColumn('endpoint', 'text', (c) => c.notNull())
        .addColumn('computed_at', 'bigint', (c) => c.notNull())
        .addColumn('window_from', 'bigint')
        .addColumn('window_to', 'bigint')
        .addColumn('window_rows', 'bigint', (c) => c.notNull())
        .addColumn('reference', 'text', (c) => c.notNull())
        .addColumn('dataset_drifted', 'integer', (c) => c.notNull())
        .addColumn('drifted_share', 'double precision', (c) => c.notNull())
        .addColumn('result_json', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('monitor_results_endpoint_time').on('monitor_results').columns(['endpoint', 'computed_at']).execute();
    },
  };
}
