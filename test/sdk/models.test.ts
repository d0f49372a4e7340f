import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/core/logger.js';
import { Orchard } from '../../src/sdk/orchard-client.js';
import { startServer, type RunningServer } from '../../src/server/start-server.js';
import { tempPlatform } from '../support/temp.js';

/** `orchard.models`, the same scenario embedded and over HTTP with two users (tokens when remote). */
describe.each(['embedded', 'remote'] as const)('SDK models %s', (mode) => {
  let setup: Awaited<ReturnType<typeof tempPlatform>>;
  let server: RunningServer | undefined;
  let alice: Orchard;
  let bob: Orchard;
  let runId: string;

  beforeAll(async () => {
    setup = await tempPlatform();
    const p = setup.platform;
    await p.datasets.ingestRows({ name: 'setup' }, 'shops', Array.from({ length: 300 }, (_, i) => ({ shop: `s${i % 3}`, visits: (i * 37) % 200, sold: (i * 37) % 200 > 120 ? 1 : 0 })));
    runId = (await p.training.train({ name: 'setup' }, { data: 'shops', target: 'sold', learner: 'gbdt', params: { max_iter: '5' } })).runId;
    if (mode === 'remote') {
      const editor = await p.auth.createToken({ name: 'setup' }, { name: 'alice', role: 'editor' });
      const admin = await p.auth.createToken({ name: 'setup' }, { name: 'bob', role: 'admin' });
      server = await startServer(p, { host: '127.0.0.1', port: 0, logger: silentLogger });
      alice = Orchard.remote(server.url, editor.secret);
      bob = Orchard.remote(server.url, admin.secret);
    } else {
      alice = Orchard.embedded(p, 'alice');
      bob = Orchard.embedded(p, 'bob');
    }
  });
  afterAll(async () => {
    await alice?.close();
    await bob?.close();
    await server?.close();
    await setup?.cleanup();
  });

  it('registers, refuses an unapproved champion, and promotes once another user approves', async () => {
    const v = await alice.models.register('flights', runId, { requiresApproval: true, tags: { gate: 'passed' } });
    expect(v).toMatchObject({ name: 'flights', version: 1, runId, datasets: ['shops@1'], tags: [{ key: 'gate', value: 'passed' }], approval: 'none' });
    await expect(alice.models.setAlias('flights', 'champion', 1)).rejects.toMatchObject({ code: 'CONFLICT', details: { approval: 'none' } });
    expect((await alice.models.requestApproval('flights', 1, 'ready')).approval).toBe('pending');
    await expect(alice.models.approve('flights', 1)).rejects.toMatchObject({ code: 'PERMISSION_DENIED', message: expect.stringContaining('four-eyes') });
    expect((await bob.models.approve('flights', 1, 'ok')).approval).toBe('approved');
    expect((await alice.models.setAlias('flights', 'champion', 1)).aliases).toEqual(['champion']);
    expect((await bob.models.getByAlias('flights', 'champion')).version).toBe(1);
    expect((await bob.models.approvals('flights', 1)).map((a) => a.action)).toEqual(['requested', 'approved']);
    const actions = (await bob.models.events('flights')).map((e) => e.action);
    expect(actions.slice(0, 3)).toEqual(['model_alias.set', 'model_approval.approve', 'model_approval.request']);
  });

  it('lists, searches, archives and edits cards', async () => {
    await alice.models.register('flights', runId);
    expect((await bob.models.list({ filter: "name = 'flights'" })).items.map((m) => m.name)).toEqual(['flights']);
    expect((await bob.models.get('flights')).latestVersions.map((x) => x.version)).toEqual([2]);
    expect((await bob.models.versions('flights', { orderBy: ['version_number ASC'] })).items.map((x) => x.version)).toEqual([1, 2]);
    expect((await bob.models.searchVersions({ filter: `run_id = '${runId}'`, maxResults: 1 })).nextPageToken).toBeDefined();
    expect((await alice.models.archive('flights', 2)).status).toBe('ARCHIVED');
    await expect(alice.models.setAlias('flights', 'challenger', 2)).rejects.toMatchObject({ code: 'CONFLICT' });
    expect((await alice.models.restore('flights', 2)).status).toBe('READY');
    const card = await bob.models.card('flights');
    expect(card).toMatchObject({ version: 1, generated: true });
    expect(card.markdown).toContain('| shop | categorical |');
    await alice.models.setCard('flights', '# edited', { version: 1 });
    expect((await bob.models.card('flights')).markdown).toBe('# edited');
    expect((await bob.models.card('flights', { generated: true })).markdown).toBe(card.markdown);
    expect((await alice.models.resetCard('flights', { version: 1 })).markdown).toBe(card.markdown);
  });

  it('keeps approval settings for admins and deletes with force', async () => {
    if (mode === 'remote') await expect(alice.models.update('flights', { requiresApproval: false })).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
    expect((await bob.models.update('flights', { approvers: ['carol'] })).approvers).toEqual(['carol']);
    await expect(bob.models.delete('flights')).rejects.toMatchObject({ code: 'CONFLICT' });
    await bob.models.delete('flights', { force: true });
    await expect(bob.models.get('flights')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
