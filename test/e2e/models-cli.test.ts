import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, killChildren, orchard, startCliServer, userEnv } from '../support/cli.js';
import { tempDir } from '../support/temp.js';

/**
 * The approval workflow as users type it: train a tiny model, register it, request approval,
 * fail to promote, approve as another user (a second token), promote, read the audit log.
 * Needs dist/ (`npm test` builds it first).
 */
describe('orchard models: approval before champion', () => {
  const home = tempDir();
  const local = userEnv({ ORCHARD_HOME: home.path });
  beforeAll(() => {
    if (!existsSync(join(ROOT, 'dist', 'cli', 'main.js'))) throw new Error('dist/ is missing: run `npm run build` first (`npm test` does).');
    const lines = ['day,shop,visits,sold'];
    for (let i = 0; i < 600; i++) lines.push(`2024-0${1 + (i % 4)}-${String(1 + (i % 27)).padStart(2, '0')} 09:00:00,s${i % 5},${(i * 37) % 200},${(i * 37) % 200 > 120 ? 1 : 0}`);
    writeFileSync(join(home.path, 'shops.csv'), lines.join('\n'));
  });
  afterEach(() => killChildren());
  afterAll(() => home.cleanup());

  // Fifteen commands, each a Node process: more than the default 30 s on a busy machine.
  it('refuses to promote until an approver other than the requester approves, and the audit log shows both', { timeout: 120_000 }, async () => {
    const ok = async (args: string[], env = local) => {
      const r = await orchard(args, { env, cwd: home.path });
      expect(r.code, `orchard ${args.join(' ')}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`).toBe(0);
      return r.stdout;
    };
    await ok(['data', 'ingest', 'shops', 'shops.csv']);
    const runId = (JSON.parse(await ok(['train', '--data', 'shops', '--target', 'sold', '--param', 'max_iter=5', '--json'])) as { runId: string }).runId;
    const alice = (JSON.parse(await ok(['token', 'create', '--role', 'editor', '--name', 'alice', '--json'])) as { secret: string }).secret;
    const bob = (JSON.parse(await ok(['token', 'create', '--role', 'admin', '--name', 'bob', '--json'])) as { secret: string }).secret;

    const server = await startCliServer(local);
    const as = (token: string) => ({ ...local, ORCHARD_URL: server.url, ORCHARD_TOKEN: token });
    const registered = JSON.parse(await ok(['models', 'register', 'flights', runId, '--require-approval', '--json'], as(alice))) as { version: number; datasets: string[]; digest: string };
    expect(registered).toMatchObject({ version: 1, datasets: ['shops@1'] });
    expect(registered.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(await ok(['models', 'request-approval', 'flights', '1', '--comment', 'beats the baseline'], as(alice))).toContain('flights version 1 is pending approval.');

    const early = await orchard(['models', 'promote', 'flights', '1'], { env: as(alice), cwd: home.path });
    expect(early.code).toBe(1);
    expect(early.stderr).toMatch(/^orchard: Cannot point alias 'champion' at version 1 of model 'flights': the model requires approval for champion, and version 1 is pending approval \(requested by alice \(tok_\w+\)\); .*`orchard models approve flights 1`\.\n$/);

    const self = await orchard(['models', 'approve', 'flights', '1'], { env: as(alice), cwd: home.path });
    expect(self.code).toBe(1);
    expect(self.stderr).toContain('four-eyes rule');

    expect(await ok(['models', 'approve', 'flights', '1', '--comment', 'slices look fine'], as(bob))).toContain('flights version 1 is approved.');
    expect(await ok(['models', 'promote', 'flights', '1'], as(alice))).toContain('flights@champion → version 1.');
    expect(await ok(['models', 'show', 'flights'], as(bob))).toMatch(/^1 +READY +approved +champion /m);

    const events = JSON.parse(await ok(['models', 'events', 'flights', '--json'], as(bob))) as { action: string; actor: string }[];
    const trail = events.map((e) => `${e.action} by ${e.actor.replace(/ \(tok_\w+\)$/, '')}`).reverse();
    expect(trail).toEqual(['model.create by alice', 'model_version.create by alice', 'model_approval.request by alice', 'model_approval.approve by bob', 'model_alias.set by alice']);
    const table = await ok(['models', 'events', 'flights'], as(bob));
    expect(table).toMatch(/model_approval\.approve +bob \(tok_\w+\) +version 1: pending → approved "slices look fine"/);
    expect(table).toMatch(/model_alias\.set +alice \(tok_\w+\) +champion: - → 1/);

    const card = await ok(['models', 'card', 'flights'], as(bob));
    expect(card).toContain('# flights — version 1');
    expect(card).toMatch(/\| approved \| bob \(tok_\w+\) \| slices look fine \|/);
    writeFileSync(join(home.path, 'card.md'), '# Flights\n\nOwned by the ops team.\n');
    await ok(['models', 'card', 'flights', '--version', '1', '--edit-file', 'card.md'], as(alice));
    expect(await ok(['models', 'card', 'flights'], as(bob))).toContain('Owned by the ops team.');

    const viewerless = await orchard(['models', 'approve', 'flights', '1'], { env: { ...local, ORCHARD_URL: server.url }, cwd: home.path });
    expect(viewerless.code).toBe(1);
    expect(viewerless.stderr).toContain('requires an API token');
    expect(await server.stop()).toEqual({ code: 0, signal: null });
  });

  it('explains bad arguments with exit status 2', async () => {
    const bad = await orchard(['models', 'promote', 'flights', 'one'], { env: local, cwd: home.path });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("version must be a version number such as 3, got 'one'");
    const missing = await orchard(['models', 'show', 'nope'], { env: local, cwd: home.path });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("No registered model named 'nope'");
  });
});
