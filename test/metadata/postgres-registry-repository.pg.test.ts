import { describe } from 'vitest';
import { registryRepositoryContract } from '../contract/registry-repository.contract.js';
import { isolatedPostgres, postgresUrl } from '../support/postgres.js';

describe.runIf(postgresUrl)('postgres', () => {
  let db: ReturnType<typeof isolatedPostgres> | undefined;
  registryRepositoryContract('postgres', {
    async uri() {
      db = isolatedPostgres();
      return db.uri;
    },
    async cleanup() {
      await db?.drop();
    },
  });
});
