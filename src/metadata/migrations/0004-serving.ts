import type { Kysely, Migration } from 'kysely';
import type { SqlDialectName } from '../dialect.js';

/**
 * Serving: an endpoint's current revision number, and every revision of its spec,
 * so a rollback restores the spec before the current one.
 */
export function servingMigration(_dialect: SqlDialectName): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema.alterTable('endpoints').addColumn('revision', 'integer', (c) => c.notNull().defaultTo(1)).execute();
      await db.schema
        .createTable('endpoint_revisions')
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('revision', 'integer', (c) => c.notNull())
        .addColumn('spec_json', 'text', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('endpoint_revisions_pk', ['name', 'revision'])
        .execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropTable('endpoint_revisions').execute();
      await db.schema.alterTable('endpoints').dropColumn('revision').execute();
    },
  };
}
