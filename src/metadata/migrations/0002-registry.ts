import { sql, type Kysely, type Migration } from 'kysely';
import type { SqlDialectName } from '../dialect.js';

/**
 * The model registry on top of the tables 0001 created: who created a model, its
 * approval settings and version counter; the provenance of a version (dataset versions,
 * pipeline version); tags of models and versions; the approval history; edited model cards.
 */
export function registryMigration(dialect: SqlDialectName): Migration {
  const serial = dialect === 'postgres' ? 'bigserial' : 'integer';
  const serialKey = (col: import('kysely').ColumnDefinitionBuilder) => (dialect === 'postgres' ? col.primaryKey() : col.primaryKey().autoIncrement());

  return {
    async up(db: Kysely<any>) {
      // SQLite adds one column per ALTER TABLE statement.
      await db.schema.alterTable('models').addColumn('created_by', 'text', (c) => c.notNull().defaultTo('')).execute();
      await db.schema.alterTable('models').addColumn('protected_aliases', 'text', (c) => c.notNull().defaultTo('["champion"]')).execute();
      await db.schema.alterTable('models').addColumn('approvers', 'text', (c) => c.notNull().defaultTo('[]')).execute();
      // Version numbers come from this counter, so a deleted version's number is never given again.
      await db.schema.alterTable('models').addColumn('last_version', 'integer', (c) => c.notNull().defaultTo(0)).execute();
      await sql`update models set last_version = coalesce((select max(v.version) from model_versions v where v.name = models.name), 0)`.execute(db);

      await db.schema.alterTable('model_versions').addColumn('datasets_json', 'text', (c) => c.notNull().defaultTo('[]')).execute();
      await db.schema.alterTable('model_versions').addColumn('pipeline_version_id', 'text').execute();
      await db.schema.createIndex('model_versions_run').on('model_versions').column('run_id').execute();
      await db.schema.createIndex('model_aliases_version').on('model_aliases').columns(['name', 'version']).execute();

      await db.schema
        .createTable('model_tags')
        .addColumn('name', 'text', (c) => c.notNull().references('models.name'))
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('value', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('model_tags_pk', ['name', 'key'])
        .execute();
      await db.schema
        .createTable('model_version_tags')
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('value', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('model_version_tags_pk', ['name', 'version', 'key'])
        .addForeignKeyConstraint('model_version_tags_version', ['name', 'version'], 'model_versions', ['name', 'version'])
        .execute();

      await db.schema
        .createTable('model_approvals')
        .addColumn('approval_id', serial, serialKey)
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('comment', 'text')
        .addColumn('at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('model_approvals_version').on('model_approvals').columns(['name', 'version']).execute();

      await db.schema
        .createTable('model_cards')
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('markdown', 'text', (c) => c.notNull())
        .addColumn('updated_by', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('model_cards_pk', ['name', 'version'])
        .execute();
    },
  };
}
