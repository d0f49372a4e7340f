import type { Kysely, Selectable } from 'kysely';
import type { ArtifactIndexRecord, ArtifactIndexRepository } from '../metadata-store.js';
import type { ArtifactFileTable, Database } from '../schema.js';

export class KyselyArtifactIndexRepository implements ArtifactIndexRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async put(record: ArtifactIndexRecord): Promise<ArtifactIndexRecord | undefined> {
    const previous = await this.get(record.path);
    await this.#db
      .insertInto('blobs')
      .values({ digest: record.digest, size: record.size, created_at: record.createdAt })
      .onConflict((oc) => oc.column('digest').doNothing())
      .execute();
    await this.#db
      .insertInto('artifact_files')
      .values({ path: record.path, run_id: record.runId, digest: record.digest, size: record.size, created_at: record.createdAt })
      .onConflict((oc) =>
        oc.column('path').doUpdateSet({ run_id: record.runId, digest: record.digest, size: record.size, created_at: record.createdAt }),
      )
      .execute();
    return previous;
  }

  async get(path: string): Promise<ArtifactIndexRecord | undefined> {
    const row = await this.#db.selectFrom('artifact_files').selectAll().where('path', '=', path).executeTakeFirst();
    return row ? fromRow(row) : undefined;
  }

  async listPrefix(prefix: string, limit: number): Promise<ArtifactIndexRecord[]> {
    let q = this.#db.selectFrom('artifact_files').selectAll();
    // A range scan on the primary key instead of LIKE, so no escaping and the index is used.
    if (prefix !== '') q = q.where('path', '>=', prefix).where('path', '<', prefix + '\u{10FFFF}');
    const rows = await q.orderBy('path').limit(limit).execute();
    return rows.map(fromRow);
  }

  async listByRun(runId: string): Promise<ArtifactIndexRecord[]> {
    const rows = await this.#db.selectFrom('artifact_files').selectAll().where('run_id', '=', runId).orderBy('path').execute();
    return rows.map(fromRow);
  }

  async delete(path: string): Promise<boolean> {
    const result = await this.#db.deleteFrom('artifact_files').where('path', '=', path).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }
}

function fromRow(r: Selectable<ArtifactFileTable>): ArtifactIndexRecord {
  return { path: r.path, runId: r.run_id, digest: r.digest, size: Number(r.size), createdAt: Number(r.created_at) };
}
