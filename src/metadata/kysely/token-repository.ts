import type { Kysely, Selectable } from 'kysely';
import type { Role, Token } from '../../tracking/types.js';
import type { TokenRepository } from '../metadata-store.js';
import type { Database, TokenTable } from '../schema.js';

export class KyselyTokenRepository implements TokenRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async create(token: Token & { secretHash: string }): Promise<void> {
    await this.#db
      .insertInto('tokens')
      .values({
        token_id: token.tokenId,
        name: token.name,
        role: token.role,
        secret_hash: token.secretHash,
        created_by: token.createdBy,
        created_at: token.createdAt,
        revoked_at: token.revokedAt,
        last_used_at: token.lastUsedAt,
      })
      .execute();
  }

  async findBySecretHash(secretHash: string): Promise<Token | undefined> {
    const row = await this.#db.selectFrom('tokens').selectAll().where('secret_hash', '=', secretHash).executeTakeFirst();
    return row ? fromRow(row) : undefined;
  }

  async get(tokenId: string): Promise<Token | undefined> {
    const row = await this.#db.selectFrom('tokens').selectAll().where('token_id', '=', tokenId).executeTakeFirst();
    return row ? fromRow(row) : undefined;
  }

  async list(): Promise<Token[]> {
    const rows = await this.#db.selectFrom('tokens').selectAll().orderBy('created_at').orderBy('token_id').execute();
    return rows.map(fromRow);
  }

  async countActive(): Promise<number> {
    const row = await this.#db
      .selectFrom('tokens')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('revoked_at', 'is', null)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async revoke(tokenId: string, at: number): Promise<boolean> {
    const result = await this.#db.updateTable('tokens').set({ revoked_at: at }).where('token_id', '=', tokenId).where('revoked_at', 'is', null).executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async touch(tokenId: string, at: number): Promise<void> {
    await this.#db.updateTable('tokens').set({ last_used_at: at }).where('token_id', '=', tokenId).execute();
  }
}

function fromRow(r: Selectable<TokenTable>): Token {
  return {
    tokenId: r.token_id,
    name: r.name,
    role: r.role as Role,
    createdBy: r.created_by,
    createdAt: Number(r.created_at),
    revokedAt: r.revoked_at === null ? null : Number(r.revoked_at),
    lastUsedAt: r.last_used_at === null ? null : Number(r.last_used_at),
  };
}
