import type { Kysely, Selectable } from 'kysely';
import type { ColumnSchema, DatasetVersion } from '../../data/types.js';
import type { DatasetRepository } from '../metadata-store.js';
import type { Database, DatasetVersionTable } from '../schema.js';

export class KyselyDatasetRepository implements DatasetRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async addVersion(input: Omit<DatasetVersion, 'version'>): Promise<{ version: DatasetVersion; created: boolean }> {
    const same = await this.#db.selectFrom('dataset_versions').selectAll().where('name', '=', input.name).where('digest', '=', input.digest).executeTakeFirst();
    if (same) return { version: fromRow(same), created: false };
    await this.#db
      .insertInto('datasets')
      .values({ name: input.name, description: null, created_at: input.createdAt })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
    const last = await this.#db
      .selectFrom('dataset_versions')
      .select((eb) => eb.fn.max('version').as('v'))
      .where('name', '=', input.name)
      .executeTakeFirst();
    const version = Number(last?.v ?? 0) + 1;
    await this.#db
      .insertInto('dataset_versions')
      .values({
        name: input.name,
        version,
        digest: input.digest,
        source: input.source,
        rows: input.rows,
        bytes: input.bytes,
        schema_json: JSON.stringify(input.columns),
        profile_digest: input.profileDigest,
        run_id: input.runId,
        created_by: input.createdBy,
        created_at: input.createdAt,
      })
      .execute();
    return { version: { ...input, version }, created: true };
  }

  async get(name: string, version: number | 'latest'): Promise<DatasetVersion | undefined> {
    let q = this.#db.selectFrom('dataset_versions').selectAll().where('name', '=', name);
    q = version === 'latest' ? q.orderBy('version', 'desc').limit(1) : q.where('version', '=', version);
    const row = await q.executeTakeFirst();
    return row ? fromRow(row) : undefined;
  }

  async listDatasets(): Promise<{ name: string; latest: DatasetVersion }[]> {
    const rows = await this.#db
      .selectFrom('dataset_versions as v')
      .selectAll('v')
      .where(({ eb, selectFrom }) => eb('v.version', '=', selectFrom('dataset_versions as w').select((e) => e.fn.max('w.version').as('m')).whereRef('w.name', '=', 'v.name')))
      .orderBy('v.name')
      .execute();
    return rows.map((r) => ({ name: r.name, latest: fromRow(r) }));
  }

  async listVersions(name: string): Promise<DatasetVersion[]> {
    const rows = await this.#db.selectFrom('dataset_versions').selectAll().where('name', '=', name).orderBy('version', 'desc').execute();
    return rows.map(fromRow);
  }

  async setProfile(name: string, version: number, profileDigest: string): Promise<void> {
    await this.#db.updateTable('dataset_versions').set({ profile_digest: profileDigest }).where('name', '=', name).where('version', '=', version).execute();
  }
}

function fromRow(r: Selectable<DatasetVersionTable>): DatasetVersion {
  return {
    name: r.name,
    version: Number(r.version),
    digest: r.digest,
    source: r.source,
    rows: Number(r.rows),
    bytes: Number(r.bytes),
    columns: JSON.parse(r.schema_json) as ColumnSchema[],
    profileDigest: r.profile_digest,
    runId: r.run_id,
    createdBy: r.created_by,
    createdAt: Number(r.created_at),
  };
}
