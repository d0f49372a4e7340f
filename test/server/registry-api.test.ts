import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/server/app.js';
import { tempPlatform } from '../support/temp.js';

/** Orchard's registry API (`/api/v1/models…`) with tokens: roles, approvals, cards, audit. */

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let app: FastifyInstance;
let cleanup: () => Promise<void>;
let runId: string;
const tokens: Record<'alice' | 'bob' | 'carol' | 'viewer', string> = { alice: '', bob: '', carol: '', viewer: '' };

async function call(who: keyof typeof tokens | undefined, method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, payload?: Record<string, unknown>): Promise<{ status: number; body: Json }> {
  const res = await app.inject({ method, url: `/api/v1${url}`, headers: who ? { authorization: `Bearer ${tokens[who]}` } : {}, ...(payload ? { payload } : {}) });
  return { status: res.statusCode, body: res.json() as Json };
}

beforeAll(async () => {
  const t = await tempPlatform();
  const p = t.platform;
  const actor = { name: 'setup' };
  await p.datasets.ingestRows(actor, 'shops', Array.from({ length: 300 }, (_, i) => ({ shop: `s${i % 3}`, visits: (i * 37) % 200, sold: (i * 37) % 200 > 120 ? 1 : 0 })));
  runId = (await p.training.train(actor, { data: 'shops', target: 'sold', learner: 'gbdt', params: { max_iter: '5' } })).runId;
  tokens.alice = (await p.auth.createToken(actor, { name: 'alice', role: 'editor' })).secret;
  tokens.bob = (await p.auth.createToken(actor, { name: 'bob', role: 'admin' })).secret;
  tokens.carol = (await p.auth.createToken(actor, { name: 'carol', role: 'editor' })).secret;
  tokens.viewer = (await p.auth.createToken(actor, { name: 'watcher', role: 'viewer' })).secret;
  app = await buildServer(p);
  cleanup = async () => {
    await app.close();
    await t.cleanup();
  };
});
afterAll(async () => cleanup?.());

describe('approval workflow over HTTP', () => {
  it('blocks promotion until an approver other than the requester approves; the audit log shows both', async () => {
    expect((await call(undefined, 'GET', '/models')).status).toBe(401);
    const registered = await call('alice', 'POST', '/models/flights/versions', { runId, requiresApproval: true, approvers: ['carol'], description: 'first try' });
    expect(registered.status, JSON.stringify(registered.body)).toBe(200);
    expect(registered.body).toMatchObject({ name: 'flights', version: 1, runId, source: `runs:/${runId}/model`, datasets: ['shops@1'], approval: 'none', createdBy: expect.stringMatching(/^alice \(tok_/) });
    expect((await call('viewer', 'POST', '/models/flights/versions/1/approval-request', {})).status).toBe(403);
    const requested = await call('alice', 'POST', '/models/flights/versions/1/approval-request', { comment: 'ready' });
    expect(requested.body.approval).toBe('pending');

    const refused = await call('alice', 'PUT', '/models/flights/aliases/champion', { version: 1 });
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ code: 'CONFLICT', details: { name: 'flights', version: 1, alias: 'champion', approval: 'pending' } });
    expect(refused.body.message).toMatch(/at version 1 of model 'flights': the model requires approval for champion, and version 1 is pending approval \(requested by alice \(tok_\w+\)\).*`orchard models approve flights 1`/);

    const self = await call('alice', 'POST', '/models/flights/versions/1/approve', {});
    expect(self.status).toBe(403);
    expect(self.body.message).toContain('four-eyes');
    expect((await call('viewer', 'POST', '/models/flights/versions/1/approve', {})).body.code).toBe('PERMISSION_DENIED');

    const approved = await call('carol', 'POST', '/models/flights/versions/1/approve', { comment: 'slices look fine' });
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    expect(approved.body.approval).toBe('approved');
    const promoted = await call('alice', 'PUT', '/models/flights/aliases/champion', { version: 1 });
    expect(promoted.status).toBe(200);
    expect(promoted.body.aliases).toEqual(['champion']);
    expect((await call('viewer', 'GET', '/models/flights/aliases/champion')).body.version).toBe(1);

    const events = (await call('viewer', 'GET', '/events?entityKind=model&entityId=flights')).body.items as Json[];
    const trail = events.reverse().map((e) => [e.action, e.actor.replace(/ \(tok_\w+\)/, '')]);
    expect(trail).toEqual([
      ['model.create', 'alice'],
      ['model_version.create', 'alice'],
      ['model_approval.request', 'alice'],
      ['model_approval.approve', 'carol'],
      ['model_alias.set', 'alice'],
    ]);
    const history = await call('viewer', 'GET', '/models/flights/versions/1/approvals');
    expect(history.body.items.map((a: Json) => [a.action, a.comment])).toEqual([
      ['requested', 'ready'],
      ['approved', 'slices look fine'],
    ]);
  });

  it('leaves approval settings and deletes to admins', async () => {
    const editor = await call('alice', 'PATCH', '/models/flights', { requiresApproval: false });
    expect(editor.status).toBe(403);
    expect(editor.body.message).toContain("Only admins change the approval settings of model 'flights'");
    expect((await call('alice', 'PATCH', '/models/flights', { description: 'delays over 15 min' })).body.description).toBe('delays over 15 min');
    expect((await call('bob', 'PATCH', '/models/flights', { protectedAliases: ['champion', 'prod'] })).body.protectedAliases).toEqual(['champion', 'prod']);
    expect((await call('alice', 'DELETE', '/models/flights')).status).toBe(403);
    const held = await call('bob', 'DELETE', '/models/flights');
    expect(held.status).toBe(409);
    expect(held.body.message).toContain('--force');
  });
});

describe('models, versions and cards over HTTP', () => {
  it('lists, shows and searches', async () => {
    const list = await call('viewer', 'GET', `/models?filter=${encodeURIComponent("name LIKE 'fl%'")}`);
    expect(list.body.items.map((m: Json) => m.name)).toEqual(['flights']);
    const show = await call('viewer', 'GET', '/models/flights');
    expect(show.body).toMatchObject({ name: 'flights', aliases: [{ alias: 'champion', version: 1 }], latestVersions: [{ version: 1 }] });
    const versions = await call('viewer', 'GET', '/models/flights/versions');
    expect(versions.body.items.map((v: Json) => v.version)).toEqual([1]);
    expect((await call('viewer', 'GET', '/models/nope/versions')).status).toBe(404);
    const all = await call('viewer', 'GET', `/model-versions?filter=${encodeURIComponent(`run_id = '${runId}'`)}`);
    expect(all.body.items.map((v: Json) => `${v.name}/${v.version}`)).toEqual(['flights/1']);
  });

  it('serves the generated card, stores an edit, and resets it', async () => {
    const card = await call('viewer', 'GET', '/models/flights/card');
    expect(card.body).toMatchObject({ name: 'flights', version: 1, generated: true });
    expect(card.body.markdown).toContain('# flights — version 1');
    expect(card.body.markdown).toMatch(/\| approved \| carol \(tok_\w+\) \| slices look fine \|/);
    const edited = await call('alice', 'PUT', '/models/flights/card', { markdown: '# Flights\n\nOwned by ops.', version: 1 });
    expect(edited.body.generated).toBe(false);
    expect((await call('viewer', 'GET', '/models/flights/card?version=1')).body.markdown).toBe('# Flights\n\nOwned by ops.');
    expect((await call('viewer', 'GET', '/models/flights/card?version=1&generated=true')).body.generated).toBe(true);
    expect((await call('alice', 'DELETE', '/models/flights/card?version=1')).body.generated).toBe(true);
    expect((await call('alice', 'PUT', '/models/flights/card', { markdown: 42 })).status).toBe(400);
  });

  it('archives and restores, and validates input with clear messages', async () => {
    expect((await call('alice', 'POST', '/models/flights/versions', { runId })).body.version).toBe(2);
    expect((await call('alice', 'POST', '/models/flights/versions/2/archive')).body.status).toBe('ARCHIVED');
    expect((await call('alice', 'POST', '/models/flights/versions/2/restore')).body.status).toBe('READY');
    const bad = await call('alice', 'POST', '/models/bad%2Fname/versions', { runId });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toContain('may not contain /, @');
    const noRun = await call('alice', 'POST', '/models/flights/versions', {});
    expect(noRun.body.message).toContain("Registering a version of 'flights' needs a run id");
  });
});
