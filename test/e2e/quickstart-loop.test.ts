import { DuckDBInstance } from '@duckdb/node-api';
import { afterEach, describe, expect, it } from 'vitest';
import { killChildren, orchard, userEnv } from '../support/cli.js';
import { tempDir } from '../support/temp.js';

afterEach(() => killChildren());

describe('orchard quickstart (the closed loop)', () => {
  it('trains, serves, replays March–June with delayed labels, fires a drift alert, retrains through the triggered pipeline, promotes, and the endpoint switches', async () => {
    const home = tempDir('orchard-quickstart-loop-');
    try {
      const env = userEnv({ ORCHARD_HOME: home.path });
      const result = await orchard(['quickstart', '--train-rows', '30000', '--replay-rows', '3000'], { env, timeoutMs: 240_000 });
      expect(result.code, `stdout:\n${result.stdout}\nstderr:\n${result.stderr}`).toBe(0);
      expect(result.stdout).toMatch(/^Done in /m);
      const months = [...result.stdout.matchAll(/^(2001-0[3-6])\s+3,000\s+v(\d+)\s+([\d.]+)/gm)].map((m) => ({ month: m[1], version: Number(m[2]) }));
      expect(months.map((m) => m.month)).toEqual(['2001-03', '2001-04', '2001-05', '2001-06']);
      expect(months[0]!.version).toBe(1);

      // The drift alert: the monitor saw March's dates outside the first model's training data.
      const alerts = await orchard(['alerts', 'list', '--json'], { env });
      expect(alerts.code, alerts.stderr).toBe(0);
      const drift = (JSON.parse(alerts.stdout) as { rule: string; state: string; firedAt: number | null }[]).find((a) => a.rule === 'flights-data-drift');
      expect(drift).toMatchObject({ state: 'firing' });
      expect(drift!.firedAt).not.toBeNull();

      // The run it triggered: a pipeline run of flights-retrain, tagged with what fired it, finished.
      const triggers = await orchard(['triggers', 'list', '--json'], { env });
      const fired = (JSON.parse(triggers.stdout) as { name: string; lastClaim?: { key: string; runId: string | null } }[]).find((t) => t.name === 'retrain-on-data-drift');
      expect(fired?.lastClaim?.key).toMatch(/^flights-data-drift\[\["endpoint","flights"\]\]@/);
      const run = await orchard(['runs', 'show', fired!.lastClaim!.runId!, '--json'], { env });
      expect(run.code, run.stderr).toBe(0);
      const triggered = JSON.parse(run.stdout) as { info: { status: string }; tags: { key: string; value: string }[] };
      expect(triggered.info.status).toBe('FINISHED');
      expect(triggered.tags).toContainEqual({ key: 'orchard.trigger', value: 'alert' });
      expect(triggered.tags).toContainEqual({ key: 'orchard.pipeline', value: 'flights-retrain' });

      // The promotion that followed, and the endpoint answering with the new champion the next month.
      expect(result.stdout).toMatch(/2001-03\s+retrain-on-data-drift: run [0-9a-f]{32} finished; gate passed: .*; promoted v2/);
      expect(months[1]!.version).toBe(2);
      const show = await orchard(['models', 'show', 'flights', '--json'], { env });
      expect(show.code, show.stderr).toBe(0);
      const model = JSON.parse(show.stdout) as { aliases?: { alias: string; version: number }[]; versions?: { version: number; aliases: string[] }[] };
      const champion = model.versions?.find((v) => v.aliases.includes('champion'))?.version ?? model.aliases?.find((a) => a.alias === 'champion')?.version;
      expect(champion).toBe(months[3]!.version);

      // Every replayed request is in the prediction log with the version that answered it, and every label arrived.
      const db = await DuckDBInstance.create(':memory:');
      const c = await db.connect();
      const rows = (await c.runAndReadAll(`select count(*)::int as n, count(distinct request_id)::int as ids, count(distinct version)::int as versions from read_parquet('${home.path}/artifacts/prediction-log/flights/**/*.parquet', hive_partitioning = false)`)).getRowObjectsJS()[0] as { n: number; ids: number; versions: number };
      c.closeSync();
      db.closeSync();
      expect(rows).toEqual({ n: 4 * 3000, ids: 4 * 3000, versions: new Set(months.map((m) => m.version)).size });
      const history = await orchard(['monitor', 'show', 'flights', '--history', '10', '--json'], { env });
      expect(history.code, history.stderr).toBe(0);
      expect(history.stdout).toMatch(/"labelled": 3000/);

      // Again in the same home: the loop starts afresh (its schedule, rules with their alerts, and triggers replaced).
      const again = await orchard(['quickstart', '--train-rows', '20000', '--replay-rows', '1000'], { env, timeoutMs: 240_000 });
      expect(again.code, `stdout:\n${again.stdout}\nstderr:\n${again.stderr}`).toBe(0);
      const replaced = /replaced the earlier quickstart's (.*)$/m.exec(again.stderr + again.stdout)?.[1]?.split(', ').sort();
      expect(replaced).toEqual(['rule flights-concept-drift', 'rule flights-data-drift', 'schedule monitor-flights', 'trigger retrain-on-concept-drift', 'trigger retrain-on-data-drift']);
      expect(again.stdout).toMatch(/2001-03\s+retrain-on-data-drift: run [0-9a-f]{32} finished/);
    } finally {
      home.cleanup();
    }
  }, 300_000);
});
