import { describe } from 'vitest';
import { metadataStoreContract } from '../contract/metadata-store.contract.js';
import { isolatedPostgres, postgresUrl } from '../support/postgres.js';

describe.runIf(postgresUrl)('postgres', () => {
  let db: ReturnType<typeof isolatedPostgres> | undefined;
  metadataStoreContract('postgres', {
    async uri() {
      db = isolatedPostgres();
      return db.uri;
    },
    async cleanup() {
      await db?.drop();
    },
  });
});
