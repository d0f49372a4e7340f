import type { Kysely } from 'kysely';
import type { LockRecord, LockRepository } from '../metadata-store.js';
import type { Database } from '../schema.js';

export class KyselyLockRepository implements LockRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async acquire(input: { name: string; owner: string; expiresAt: number; now: number; replaceOwner?: string }): Promise<{ acquired: boolean; holder: LockRecord | undefined }> {
    const inserted = await this.#db
      .insertInto('locks')
      .values({ name: input.name, owner: input.owner, expires_at: input.expiresAt })
      .onConflict((oc) => oc.column('name').doNothing())
      .executeTakeFirst();
    let acquired = Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0;
    if (!acquired) {
      // One conditional update: two runners racing for an expired lease cannot both win.
      const updated = await this.#db
        .updateTable('locks')
        .set({ owner: input.owner, expires_at: input.expiresAt })
        .where('name', '=', input.name)
        .where((eb) => {
          const takeable = [eb('expires_at', '<', input.now), eb('owner', '=', input.owner)];
          if (input.replaceOwner !== undefined) takeable.push(eb('owner', '=', input.replaceOwner));
          return eb.or(takeable);
        })
        .executeTakeFirst();
      acquired = Number(updated.numUpdatedRows) > 0;
    }
    return { acquired, holder: await this.get(input.name) };
  }

  async renew(name: string, owner: string, expiresAt: number): Promise<boolean> {
    const r = await this.#db.updateTable('locks').set({ expires_at: expiresAt }).where('name', '=', name).where('owner', '=', owner).executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async release(name: string, owner: string): Promise<boolean> {
    const r = await this.#db.deleteFrom('locks').where('name', '=', name).where('owner', '=', owner).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async get(name: string): Promise<LockRecord | undefined> {
    const row = await this.#db.selectFrom('locks').selectAll().where('name', '=', name).executeTakeFirst();
    return row ? { name: row.name, owner: row.owner, expiresAt: Number(row.expires_at) } : undefined;
  }
}
