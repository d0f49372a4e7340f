import { DuckDBInstance } from '@duckdb/node-api';
import { afterEach, describe, expect, it } from 'vitest';
import { killChildren, orchard, userEnv } from '../support/cli.js';
import { tempDir } from '../support/temp.js';

afterEach(() => killChildren());

describe('orchard quickstart (the closed loop)', () => {
  it('trains, serves, replays March–June, retrains when the delay rate moves, promotes, and the endpoint switches', async () => {
    const home = tempDir('orchard-quickstart-loop-');
    try {
      const env = userEnv({ ORCHARD_HOME: home.path });
      const result = await orchard(['quickstart', '--train-rows', '30000', '--replay-rows', '3000'], { env, timeoutMs: 240_000 });
      expect(result.code, `stdout:\n${result.stdout}\nstderr:\n${result.stderr}`).toBe(0);
      expect(result.stdout).toMatch(/^Done in /m);
      const months = [...result.stdout.matchAll(/^(2001-0[3-6])\s+3,000\s+v(\d+)\s+([\d.]+)/gm)].map((m) => ({ month: m[1], version: Number(m[2]) }));
      expect(months.map((m) => m.month)).toEqual(['2001-03', '2001-04', '2001-05', '2001-06']);
      expect(months[0]!.version).toBe(1);

      // The registry agrees with what the endpoint said: the last month was served by the champion.
      const show = await orchard(['models', 'show', 'flights', '--json'], { env });
      expect(show.code, show.stderr).toBe(0);
      const model = JSON.parse(show.stdout) as { aliases?: { alias: string; version: number }[]; versions?: { version: number; aliases: string[] }[] };
      const champion = model.versions?.find((v) => v.aliases.includes('champion'))?.version ?? model.aliases?.find((a) => a.alias === 'champion')?.version;
      expect(champion).toBe(months[3]!.version);
      if (champion! > 1) expect(result.stdout).toMatch(/alert: delayed .* → retraining on 2001-0[345]/);

      // Every replayed row is in the prediction log, with the version that answered it.
      const db = await DuckDBInstance.create(':memory:');
      const c = await db.connect();
      const rows = (await c.runAndReadAll(`select count(*)::int as n, count(distinct version)::int as versions from read_parquet('${home.path}/artifacts/prediction-log/flights/**/*.parquet', hive_partitioning = false)`)).getRowObjectsJS()[0] as { n: number; versions: number };
      c.closeSync();
      db.closeSync();
      expect(rows.n).toBe(4 * 3000);
      expect(rows.versions).toBe(new Set(months.map((m) => m.version)).size);
    } finally {
      home.cleanup();
    }
  }, 300_000);
});
