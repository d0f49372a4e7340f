import { spawn } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/core/config.js';
import { createOrchard } from '../../src/orchard.js';
import { BIN, ROOT, freePort, killChildren, orchard, userEnv } from '../support/cli.js';
import { ingestHomes, registerHomesModel } from '../support/serving.js';
import { tempDir } from '../support/temp.js';

/** `orchard serve` and `orchard endpoints` as a user runs them; needs dist/ (`npm test` builds it). */
describe('orchard serve', () => {
  const dir = tempDir('orchard-serve-');
  const env = userEnv({ ORCHARD_HOME: dir.path });
  const row = { size: 120, rooms: 3, city: 'oslo' };

  beforeAll(async () => {
    const platform = await createOrchard(loadConfig({ ORCHARD_HOME: dir.path, ORCHARD_USER: 'e2e' }, dir.path));
    await ingestHomes(platform, dir.path);
    await registerHomesModel(platform, 'homes', 5);
    await registerHomesModel(platform, 'homes', 8);
    await platform.registry.setAlias({ name: 'e2e' }, 'homes', 'champion', 1);
    await platform.close();
  }, 120_000);
  afterEach(() => killChildren());
  afterAll(() => dir.cleanup());

  it('manages endpoints from the command line, with rollback', async () => {
    expect((await orchard(['endpoints', 'create', 'web', 'homes@champion'], { env })).stdout).toMatch(/routes\s+homes@champion/);
    const split = await orchard(['endpoints', 'update', 'web', '--route', 'homes@1=80', '--route', 'homes@2=20', '--sticky', 'header:x-user'], { env });
    expect(split.stdout).toMatch(/routes\s+homes@1=80% homes@2=20%/);
    expect((await orchard(['endpoints', 'list'], { env })).stdout).toMatch(/web\s+homes@1=80% homes@2=20%\s+-\s+2/);
    expect((await orchard(['endpoints', 'rollback', 'web'], { env })).stdout).toMatch(/revision 3 restores the spec before[\s\S]*routes\s+homes@champion/);
    const bad = await orchard(['endpoints', 'create', 'web2', 'homes@9'], { env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/homes/);
    expect((await orchard(['endpoints', 'delete', 'web'], { env })).code).toBe(0);
  }, 60_000);

  it('loses no logged prediction answered with 2xx when SIGTERM arrives under load', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [BIN, 'serve', 'homes@champion', '--port', String(port)], { env, cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    while (!/Serving homes@champion as endpoint 'homes'/.test(out)) {
      if (child.exitCode !== null) throw new Error(out);
      await new Promise((r) => setTimeout(r, 50));
    }
    const ok = new Set<string>();
    let failedAfterStop = 0;
    let stopping = false;
    const clients = Array.from({ length: 8 }, async (_, c) => {
      for (let i = 0; ; i++) {
        const id = `c${c}-${i}`;
        try {
          const r = await fetch(`http://127.0.0.1:${port}/predict`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': id }, body: JSON.stringify({ rows: [row, row] }) });
          if (r.status === 200) ok.add(id);
          else if (!stopping) throw new Error(`HTTP ${r.status} before SIGTERM: ${await r.text()}`);
          else {
            failedAfterStop++;
            return; // refused while closing: this client is done
          }
          await r.arrayBuffer().catch(() => {});
        } catch (error) {
          if (!stopping) throw error;
          return; // the server is gone
        }
      }
    });
    while (ok.size < 300) await new Promise((r) => setTimeout(r, 10));
    stopping = true;
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    await Promise.all(clients);
    expect(out).toMatch(/written/);
    const glob = join(dir.path, 'artifacts', 'prediction-log', 'homes', '*', '*.parquet');
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    const logged = (await c.runAndReadAll(`select request_id, count(*)::int as n, min(version) as v from read_parquet('${glob}') group by request_id`)).getRowObjectsJson() as { request_id: string; n: number; v: number }[];
    c.closeSync();
    db.closeSync();
    const byId = new Map(logged.map((r) => [r.request_id, r]));
    const missing = [...ok].filter((id) => byId.get(id)?.n !== 2);
    expect(missing).toEqual([]);
    expect(logged.every((r) => r.v === 1)).toBe(true);
    expect(ok.size + failedAfterStop).toBeGreaterThanOrEqual(300);
  }, 90_000);

  it('refuses to start when the model artifact is corrupted, and says why', async () => {
    const platform = await createOrchard(loadConfig({ ORCHARD_HOME: dir.path }, dir.path));
    const digest = (await platform.registry.getVersion('homes', 2)).digest!.replace('sha256:', '');
    await platform.close();
    const folder = join(dir.path, 'artifacts', 'sha256', digest.slice(0, 2));
    writeFileSync(join(folder, readdirSync(folder).find((f) => f.startsWith(digest))!), 'not the model');
    const r = await orchard(['serve', 'homes@2', '--port', String(await freePort())], { env });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/Endpoint 'homes' cannot load its models: .*corrupted/);
  }, 60_000);
});
