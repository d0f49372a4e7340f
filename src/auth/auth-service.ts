import { createHash, randomBytes } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import { OrchardError, invalidArgument, notFound } from '../core/errors.js';
import { newId } from '../core/ids.js';
import type { MetadataStore } from '../metadata/metadata-store.js';
import type { Actor } from '../tracking/tracking-service.js';
import { ROLES, type Role, type Token } from '../tracking/types.js';

const RANK: Record<Role, number> = { viewer: 1, editor: 2, admin: 3 };
/** How often a token's last-used time is written, at most. */
const TOUCH_EVERY_MS = 60_000;
/** How long the "are tokens configured" answer is reused between requests. */
const ACTIVE_CACHE_MS = 1_000;

/** True when `role` may do what `required` allows. */
export function roleAllows(role: Role, required: Role): boolean {
  return RANK[role] >= RANK[required];
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/**
 * API tokens with roles. A token's secret is shown once, at creation; only its
 * SHA-256 is stored.
 */
export class AuthService {
  readonly #store: MetadataStore;
  readonly #clock: Clock;
  #activeCache: { at: number; count: number } | undefined;

  constructor(store: MetadataStore, clock: Clock) {
    this.#store = store;
    this.#clock = clock;
  }

  async createToken(actor: Actor, input: { name?: unknown; role: unknown }): Promise<{ token: Token; secret: string }> {
    if (!ROLES.includes(input.role as Role)) throw invalidArgument(`Role '${String(input.role)}' is unknown; use one of ${ROLES.join(', ')}.`, { field: 'role' });
    const name = input.name === undefined || input.name === null || input.name === '' ? `${input.role as string} token` : String(input.name);
    if (name.length > 200) throw invalidArgument(`Token name is ${name.length} characters; the limit is 200.`, { field: 'name' });
    const tokenId = newId('tok', 6);
    const secret = `orc_${randomBytes(24).toString('base64url')}`;
    const token: Token = { tokenId, name, role: input.role as Role, createdBy: actor.name, createdAt: this.#clock.now(), revokedAt: null, lastUsedAt: null };
    await this.#store.transaction(async (tx) => {
      await tx.tokens.create({ ...token, secretHash: hashSecret(secret) });
      await tx.events.append({ at: token.createdAt, actor: actor.name, action: 'token.create', entityKind: 'token', entityId: tokenId, before: null, after: token });
    });
    this.#activeCache = undefined;
    return { token, secret };
  }

  listTokens(): Promise<Token[]> {
    return this.#store.tokens.list();
  }

  async revokeToken(actor: Actor, tokenId: string): Promise<void> {
    await this.#store.transaction(async (tx) => {
      const token = await tx.tokens.get(tokenId);
      if (!token) throw notFound(`No token with id '${tokenId}'; list them with \`orchard token list\`.`, { tokenId });
      if (token.revokedAt !== null) throw invalidArgument(`Token '${tokenId}' is already revoked.`, { tokenId });
      const at = this.#clock.now();
      await tx.tokens.revoke(tokenId, at);
      await tx.events.append({ at, actor: actor.name, action: 'token.revoke', entityKind: 'token', entityId: tokenId, before: { revokedAt: null }, after: { revokedAt: at } });
    });
    this.#activeCache = undefined;
  }

  /** Number of tokens that are not revoked; briefly cached, since every request asks. */
  async activeTokenCount(): Promise<number> {
    const now = this.#clock.now();
    if (this.#activeCache && now - this.#activeCache.at < ACTIVE_CACHE_MS) return this.#activeCache.count;
    const count = await this.#store.tokens.countActive();
    this.#activeCache = { at: now, count };
    return count;
  }

  /**
   * Resolves a presented secret to its token.
   * @throws OrchardError `UNAUTHENTICATED` when the secret is unknown or revoked.
   */
  async authenticate(secret: string): Promise<Token> {
    const token = await this.#store.tokens.findBySecretHash(hashSecret(secret));
    if (!token) throw new OrchardError('UNAUTHENTICATED', 'The API token is not valid; create one with `orchard token create --role editor` and send it as "Authorization: Bearer <token>".');
    if (token.revokedAt !== null) throw new OrchardError('UNAUTHENTICATED', `The API token '${token.tokenId}' was revoked; ask an admin for a new one.`, { details: { tokenId: token.tokenId } });
    const now = this.#clock.now();
    if (token.lastUsedAt === null || now - token.lastUsedAt > TOUCH_EVERY_MS) await this.#store.tokens.touch(token.tokenId, now);
    return token;
  }
}
