import type { Kysely, Selectable } from 'kysely';
import type { EndpointRecord, EndpointRepository, EndpointRevisionRecord } from '../metadata-store.js';
import type { Database, EndpointTable } from '../schema.js';

export class KyselyEndpointRepository implements EndpointRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async create(input: { name: string; specJson: string; actor: string; now: number }): Promise<EndpointRecord> {
    await this.#db.insertInto('endpoints').values({ name: input.name, spec_json: input.specJson, created_at: input.now, updated_at: input.now, revision: 1 }).execute();
    await this.#db.insertInto('endpoint_revisions').values({ name: input.name, revision: 1, spec_json: input.specJson, actor: input.actor, created_at: input.now }).execute();
    return { name: input.name, specJson: input.specJson, revision: 1, createdAt: input.now, updatedAt: input.now };
  }

  async get(name: string): Promise<EndpointRecord | undefined> {
    const row = await this.#db.selectFrom('endpoints').selectAll().where('name', '=', name).executeTakeFirst();
    return row ? fromRow(row) : undefined;
  }

  async list(): Promise<EndpointRecord[]> {
    return (await this.#db.selectFrom('endpoints').selectAll().orderBy('name').execute()).map(fromRow);
  }

  async update(input: { name: string; specJson: string; actor: string; now: number }): Promise<EndpointRecord | undefined> {
    const current = await this.get(input.name);
    if (!current) return undefined;
    // Revision numbers come from the newest stored revision, so a number is never given twice.
    const last = await this.#db.selectFrom('endpoint_revisions').select((eb) => eb.fn.max('revision').as('r')).where('name', '=', input.name).executeTakeFirst();
    const revision = Number(last?.r ?? current.revision) + 1;
    await this.#db.insertInto('endpoint_revisions').values({ name: input.name, revision, spec_json: input.specJson, actor: input.actor, created_at: input.now }).execute();
    await this.#db.updateTable('endpoints').set({ spec_json: input.specJson, updated_at: input.now, revision }).where('name', '=', input.name).execute();
    return { ...current, specJson: input.specJson, revision, updatedAt: input.now };
  }

  async revisions(name: string, limit: number): Promise<EndpointRevisionRecord[]> {
    const rows = await this.#db.selectFrom('endpoint_revisions').selectAll().where('name', '=', name).orderBy('revision', 'desc').limit(limit).execute();
    return rows.map((r) => ({ name: r.name, revision: Number(r.revision), specJson: r.spec_json, actor: r.actor, createdAt: Number(r.created_at) }));
  }

  async delete(name: string): Promise<boolean> {
    await this.#db.deleteFrom('endpoint_revisions').where('name', '=', name).execute();
    const result = await this.#db.deleteFrom('endpoints').where('name', '=', name).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }
}

function fromRow(r: Selectable<EndpointTable>): EndpointRecord {
  return { name: r.name, specJson: r.spec_json, revision: Number(r.revision), createdAt: Number(r.created_at), updatedAt: Number(r.updated_at) };
}
