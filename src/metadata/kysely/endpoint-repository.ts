import type { Kysely, Selectable } from 'kysely';
import type { EndpointRecord, EndpointRepository } from '../metadata-store.js';
import type { Database, EndpointTable } from '../schema.js';

export class KyselyEndpointRepository implements EndpointRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async create(input: { name: string; specJson: string; actor: string; now: number }): Promise<EndpointRecord> {
    await this.#db.insertInto('endpoints').values({ name: input.name, spec_json: input.specJson, created_at: input.now, updated_at: input.now }).execute();
    return { name: input.name, specJson: input.specJson, createdAt: input.now, updatedAt: input.now };
  }

  async get(name: string): Promise<EndpointRecord | undefined> {
    const row = await this.#db.selectFrom('endpoints').selectAll().where('name', '=', name).executeTakeFirst();
    return row ? fromRow(row) : undefined;
  }

  async update(input: { name: string; specJson: string; actor: string; now: number }): Promise<EndpointRecord | undefined> {
    const current = await this.get(input.name);
    if (!current) return undefined;
    await this.#db.updateTable('endpoints').set({ spec_json: input.specJson, updated_at: input.now }).where('name', '=', input.name).execute();
    return { ...current, specJson: input.specJson, updatedAt: input.now };
  }
}

function fromRow(r: Selectable<EndpointTable>): EndpointRecord {
  return { name: r.name, specJson: r.spec_json, createdAt: Number(r.created_at), updatedAt: Number(r.updated_at) };
}
