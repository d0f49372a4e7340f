import type { Kysely, Migration } from 'kysely';

/**
 * Pipelines: pushed versions (bundles by digest), runs with the state of each unit
 * (a step or a fan-out item) and each attempt, and the step cache. Leases use the
 * `locks` table of migration 0001.
 */
export function pipelinesMigration(): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('pipeline_versions')
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('digest', 'text', (c) => c.notNull())
        .addColumn('git_commit', 'text')
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('pipeline_versions_pk', ['name', 'version'])
        .addUniqueConstraint('pipeline_versions_digest', ['name', 'digest'])
        .execute();

      // One row per pipeline run; run_id is the tracked run's id.
      await db.schema
        .createTable('pipeline_runs')
        .addColumn('run_id', 'text', (c) => c.primaryKey())
        .addColumn('pipeline', 'text', (c) => c.notNull())
        .addColumn('version', 'integer')
        .addColumn('module_digest', 'text', (c) => c.notNull())
        .addColumn('source', 'text')
        .addColumn('params_json', 'text', (c) => c.notNull())
        .addColumn('options_json', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('pipeline_runs_pipeline').on('pipeline_runs').columns(['pipeline', 'created_at']).execute();

      await db.schema
        .createTable('pipeline_steps')
        .addColumn('run_id', 'text', (c) => c.notNull())
        .addColumn('unit', 'text', (c) => c.notNull())
        .addColumn('node', 'text', (c) => c.notNull())
        .addColumn('item_index', 'integer')
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('step_run_id', 'text')
        .addColumn('cache_key', 'text')
        .addColumn('attempts', 'integer', (c) => c.notNull())
        .addColumn('outputs_json', 'text')
        .addColumn('reason', 'text')
        .addColumn('started_at', 'bigint')
        .addColumn('ended_at', 'bigint')
        .addPrimaryKeyConstraint('pipeline_steps_pk', ['run_id', 'unit'])
        .execute();

      await db.schema
        .createTable('pipeline_attempts')
        .addColumn('run_id', 'text', (c) => c.notNull())
        .addColumn('unit', 'text', (c) => c.notNull())
        .addColumn('attempt', 'integer', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('worker', 'text')
        .addColumn('failure_kind', 'text')
        .addColumn('message', 'text')
        .addColumn('started_at', 'bigint', (c) => c.notNull())
        .addColumn('ended_at', 'bigint')
        .addPrimaryKeyConstraint('pipeline_attempts_pk', ['run_id', 'unit', 'attempt'])
        .execute();

      await db.schema
        .createTable('pipeline_cache')
        .addColumn('cache_key', 'text', (c) => c.primaryKey())
        .addColumn('outputs_json', 'text', (c) => c.notNull())
        .addColumn('step_run_id', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
    },
  };
}
