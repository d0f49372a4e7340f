import type { Kysely, Migration } from 'kysely';

/**
 * The loop's machinery: cron schedules, triggers, claims (one row per fired
 * schedule tick or trigger event, so a tick fires once across processes), alert
 * rules and alert states, generic metric points, and feedback on predictions.
 * No auto-increment ids: every table is keyed by what it records, which also
 * keeps the SQLite and PostgreSQL tables identical.
 */
export function loopMigration(): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('schedules')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('cron', 'text', (c) => c.notNull())
        .addColumn('timezone', 'text', (c) => c.notNull())
        .addColumn('pipeline', 'text', (c) => c.notNull())
        .addColumn('params_json', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('triggers')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('pattern', 'text')
        .addColumn('pipeline', 'text', (c) => c.notNull())
        .addColumn('params_json', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      // The unique key is the exactly-once guarantee: the first insert of (source, claim_key) wins.
      await db.schema
        .createTable('loop_claims')
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('claim_key', 'text', (c) => c.notNull())
        .addColumn('claimed_by', 'text', (c) => c.notNull())
        .addColumn('claimed_at', 'bigint', (c) => c.notNull())
        .addColumn('run_id', 'text')
        .addColumn('error', 'text')
        .addPrimaryKeyConstraint('loop_claims_pk', ['source', 'claim_key'])
        .execute();
      await db.schema
        .createTable('alert_rules')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('metric', 'text', (c) => c.notNull())
        .addColumn('labels_json', 'text', (c) => c.notNull())
        .addColumn('op', 'text', (c) => c.notNull())
        .addColumn('threshold', 'double precision', (c) => c.notNull())
        .addColumn('for_count', 'integer', (c) => c.notNull())
        .addColumn('for_ms', 'bigint', (c) => c.notNull())
        .addColumn('webhooks_json', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('alerts')
        .addColumn('rule', 'text', (c) => c.notNull())
        .addColumn('labels_key', 'text', (c) => c.notNull())
        .addColumn('labels_json', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('value', 'double precision')
        .addColumn('breaches', 'integer', (c) => c.notNull())
        .addColumn('last_point_at', 'bigint')
        .addColumn('pending_since', 'bigint')
        .addColumn('fired_at', 'bigint')
        .addColumn('resolved_at', 'bigint')
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('alerts_pk', ['rule', 'labels_key'])
        .execute();
      await db.schema
        .createTable('metric_points')
        .addColumn('metric', 'text', (c) => c.notNull())
        .addColumn('labels_key', 'text', (c) => c.notNull())
        .addColumn('labels_json', 'text', (c) => c.notNull())
        .addColumn('value', 'double precision', (c) => c.notNull())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('metric_points_metric_at').on('metric_points').columns(['metric', 'at']).execute();
      await db.schema
        .createTable('feedback')
        .addColumn('endpoint', 'text', (c) => c.notNull())
        .addColumn('request_id', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('value', 'double precision')
        .addColumn('text_value', 'text')
        .addColumn('comment', 'text')
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('received_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('feedback_pk', ['endpoint', 'request_id', 'kind'])
        .execute();
    },
  };
}
