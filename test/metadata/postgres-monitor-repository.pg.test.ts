import { describe } from 'vitest';
import { monitorRepositoryContract } from '../contract/monitor-repository.contract.js';
import { isolatedPostgres, postgresUrl } from '../support/postgres.js';

describe.runIf(postgresUrl)('postgres', () => {
  let db: ReturnType<typeof isolatedPostgres> | undefined;
  monitorRepositoryContract('postgres', {
    async uri() {
      db = isolatedPostgres();
      return db.uri;
    },
    async cleanup() {
      await db?.drop();
    },
  });
});
