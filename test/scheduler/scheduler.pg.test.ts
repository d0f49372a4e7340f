import { describe } from 'vitest';
import type { Clock } from '../../src/core/clock.js';
import { loadConfig } from '../../src/core/config.js';
import { createOrchard } from '../../src/orchard.js';
import { isolatedPostgres, postgresUrl } from '../support/postgres.js';
import { tempDir } from '../support/temp.js';
import { exactlyOnceSuite } from './exactly-once.js';

describe.skipIf(!postgresUrl)('scheduler on PostgreSQL shared by three platforms', () => {
  let pg: ReturnType<typeof isolatedPostgres>;
  let dir: ReturnType<typeof tempDir>;
  exactlyOnceSuite(
    async (clock: Clock) => {
      pg = isolatedPostgres();
      dir = tempDir();
      const config = loadConfig({ ORCHARD_HOME: dir.path, ORCHARD_DB: pg.uri, ORCHARD_USER: 'tester' }, dir.path);
      const first = await createOrchard(config, { clock });
      return [first, await createOrchard(config, { clock }), await createOrchard(config, { clock })];
    },
    async (ps) => {
      for (const p of ps) await p.close();
      await pg.drop();
      dir.cleanup();
    },
  );
});
