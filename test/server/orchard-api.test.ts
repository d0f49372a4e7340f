import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/server/app.js';
import { tempPlatform } from '../support/temp.js';

/** Orchard's own REST API (`/api/v1`): camelCase JSON, errors as `{ code, message, details }`, and an audit event for every write. */

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let app: FastifyInstance;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  const t = await tempPlatform();
  app = await buildServer(t.platform);
  cleanup = async () => {
    await app.close();
    await t.cleanup();
  };
});
afterAll(async () => cleanup?.());

const ANON = 'anonymous (loopback)';

async function call(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: Json }> {
  const res = await app.inject({ method, url: `/api/v1${path}`, headers, ...(body === undefined ? {} : { payload: body as object }) });
  return { status: res.statusCode, body: res.json() as Json };
}

async function ok(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<Json> {
  const res = await call(method, path, body);
  expect(res.status, `${method} ${path} → ${JSON.stringify(res.body)}`).toBe(200);
  return res.body;
}

/** The newest audit events about one entity, newest first. */
async function eventsOf(entityId: string, limit = 10): Promise<Json[]> {
  return (await ok('GET', `/events?entityId=${encodeURIComponent(entityId)}&limit=${limit}`)).items as Json[];
}

async function lastEvent(entityId: string): Promise<Json> {
  const [event] = await eventsOf(entityId, 1);
  expect(event, `no event for ${entityId}`).toBeDefined();
  return event!;
}

let counter = 0;
const unique = (base: string) => `${base}-${++counter}`;

function expectError(res: { status: number; body: Json }, status: number, code: string): void {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.body.code).toBe(code);
  expect(typeof res.body.message).toBe('string');
  expect(res.body.message.length).toBeGreaterThan(10);
  expect(res.body.details).toBeTypeOf('object');
}

describe('experiments', () => {
  it('creates, reads, renames, deletes and restores, recording each write', async () => {
    const name = unique('churn');
    const exp = await ok('POST', '/experiments', { name, tags: [{ key: 'team', value: 'growth' }] });
    expect(exp).toMatchObject({ name, lifecycleStage: 'active', artifactLocation: `mlflow-artifacts:/${exp.experimentId}`, tags: [{ key: 'team', value: 'growth' }] });
    expect(exp.experimentId).toMatch(/^\d+$/);
    expect(exp).toHaveProperty('creationTime');
    expect(exp).not.toHaveProperty('experiment_id');
    const id = exp.experimentId as string;

    const created = await lastEvent(id);
    expect(created).toMatchObject({ action: 'experiment.create', entityKind: 'experiment', entityId: id, actor: ANON, before: null });
    expect(created.after).toMatchObject({ experimentId: id, name });

    expect(await ok('GET', `/experiments/${id}`)).toEqual(exp);
    expect((await ok('GET', `/experiments/by-name/${encodeURIComponent(name)}`)).experimentId).toBe(id);

    const newName = unique('churn-v2');
    const renamed = await ok('PATCH', `/experiments/${id}`, { name: newName });
    expect(renamed).toMatchObject({ experimentId: id, name: newName });
    expect(await lastEvent(id)).toMatchObject({ action: 'experiment.rename', actor: ANON, before: { name }, after: { name: newName } });

    await ok('DELETE', `/experiments/${id}`);
    expect((await ok('GET', `/experiments/${id}`)).lifecycleStage).toBe('deleted');
    expect(await lastEvent(id)).toMatchObject({ action: 'experiment.delete', before: { lifecycleStage: 'active' }, after: { lifecycleStage: 'deleted' } });

    await ok('POST', `/experiments/${id}/restore`);
    expect((await ok('GET', `/experiments/${id}`)).lifecycleStage).toBe('active');
    expect(await lastEvent(id)).toMatchObject({ action: 'experiment.restore', before: { lifecycleStage: 'deleted' }, after: { lifecycleStage: 'active' } });

    const actions = (await eventsOf(id)).map((e) => e.action);
    expect(actions).toEqual(['experiment.restore', 'experiment.delete', 'experiment.rename', 'experiment.create']);
  });

  it('lists experiments by name fragment, paging with nextPageToken', async () => {
    const stem = unique('listme');
    const ids = new Set<string>();
    for (let i = 0; i < 5; i++) ids.add((await ok('POST', '/experiments', { name: `${stem}-${i}` })).experimentId as string);
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await ok('GET', `/experiments?name=${stem}&maxResults=2${token ? `&pageToken=${token}` : ''}`);
      seen.push(...(page.items as Json[]).map((e) => e.experimentId as string));
      token = page.nextPageToken as string | undefined;
      pages++;
    } while (token && pages < 10);
    expect(pages).toBe(3);
    expect(new Set(seen)).toEqual(ids);
    expect(seen).toHaveLength(5);
  });

  it('maps errors to statuses with { code, message, details }', async () => {
    expectError(await call('GET', '/experiments/424242'), 404, 'NOT_FOUND');
    expectError(await call('GET', '/experiments/by-name/nothing-called-this'), 404, 'NOT_FOUND');
    const name = unique('taken');
    await ok('POST', '/experiments', { name });
    const dup = await call('POST', '/experiments', { name });
    expectError(dup, 409, 'ALREADY_EXISTS');
    expect(dup.body.message).toContain(name);
    expectError(await call('POST', '/experiments', { name: '' }), 400, 'INVALID_ARGUMENT');
    expectError(await call('GET', '/experiments/not-a-number'), 400, 'INVALID_ARGUMENT');
    expectError(await call('DELETE', '/experiments/0'), 400, 'INVALID_ARGUMENT');
  });
});

describe('runs', () => {
  let experimentId: string;
  beforeAll(async () => {
    experimentId = (await ok('POST', '/experiments', { name: unique('runs') })).experimentId as string;
  });

  it('creates a run with camelCase info, a parent, and an audit event', async () => {
    const parent = await ok('POST', '/runs', { experimentId, runName: 'sweep', startTime: 1_700_000_000_000 });
    expect(parent.info).toMatchObject({
      experimentId,
      runName: 'sweep',
      status: 'RUNNING',
      startTime: 1_700_000_000_000,
      endTime: null,
      lifecycleStage: 'active',
      parentRunId: null,
      userId: ANON,
    });
    const runId = parent.info.runId as string;
    expect(runId).toMatch(/^[0-9a-f]{32}$/);
    expect(parent.info.artifactUri).toBe(`mlflow-artifacts:/${experimentId}/${runId}/artifacts`);
    expect(parent).toMatchObject({ metrics: [], params: [], tags: [{ key: 'mlflow.runName', value: 'sweep' }] });

    const event = await lastEvent(runId);
    expect(event).toMatchObject({ action: 'run.create', entityKind: 'run', actor: ANON, before: null });
    expect(event.after).toMatchObject({ runId, experimentId, runName: 'sweep' });

    const child = await ok('POST', '/runs', { experimentId, parentRunId: runId });
    expect(child.info.parentRunId).toBe(runId);
    expect(child.tags).toContainEqual({ key: 'mlflow.parentRunId', value: runId });
    expect(child.info.runName).toMatch(/\S/);

    expectError(await call('POST', '/runs', { experimentId, parentRunId: 'c'.repeat(32) }), 404, 'NOT_FOUND');
    expectError(await call('POST', '/runs', { experimentId: '424242' }), 404, 'NOT_FOUND');
  });

  it('logs a batch, updates, tags and reads back; each write is audited', async () => {
    const run = await ok('POST', '/runs', { experimentId, runName: 'batchy' });
    const id = run.info.runId as string;
    await ok('POST', `/runs/${id}/batch`, {
      metrics: [
        { key: 'auc', value: 0.7, step: 0, timestamp: 1000 },
        { key: 'auc', value: 0.8, step: 1, timestamp: 1001 },
        { key: 'loss', value: 'NaN', step: 0, timestamp: 1000 },
      ],
      params: [{ key: 'learner', value: 'gbdt' }, { key: 'depth', value: 6 }],
      tags: [{ key: 'stage', value: 'dev' }],
    });
    const batchEvent = await lastEvent(id);
    expect(batchEvent).toMatchObject({ action: 'run.log_batch', actor: ANON, before: null });
    expect(batchEvent.after).toMatchObject({ metricPoints: 3, params: [{ key: 'learner', value: 'gbdt' }, { key: 'depth', value: '6' }], tags: [{ key: 'stage', value: 'dev' }] });
    expect(new Set(batchEvent.after.metricKeys)).toEqual(new Set(['auc', 'loss']));

    const got = await ok('GET', `/runs/${id}`);
    expect(got.metrics).toEqual(expect.arrayContaining([{ key: 'auc', value: 0.8, step: 1, timestamp: 1001 }, { key: 'loss', value: 'NaN', step: 0, timestamp: 1000 }]));
    expect(got.params).toEqual([{ key: 'depth', value: '6' }, { key: 'learner', value: 'gbdt' }]);
    expect(got.tags).toContainEqual({ key: 'stage', value: 'dev' });

    const info = await ok('PATCH', `/runs/${id}`, { status: 'FINISHED', endTime: 1_700_000_999_000 });
    expect(info).toMatchObject({ runId: id, status: 'FINISHED', endTime: 1_700_000_999_000 });
    const updateEvent = await lastEvent(id);
    expect(updateEvent).toMatchObject({ action: 'run.update', actor: ANON });
    expect(updateEvent.before).toMatchObject({ status: 'RUNNING', endTime: null });
    expect(updateEvent.after).toMatchObject({ status: 'FINISHED', endTime: 1_700_000_999_000 });

    await ok('DELETE', `/runs/${id}/tags/stage`);
    expect((await ok('GET', `/runs/${id}`)).tags).not.toContainEqual({ key: 'stage', value: 'dev' });
    expect(await lastEvent(id)).toMatchObject({ action: 'run.delete_tag', before: { key: 'stage' }, after: null });
    expectError(await call('DELETE', `/runs/${id}/tags/stage`), 404, 'NOT_FOUND');
  });

  it('refuses a param overwrite, naming both values, and writes nothing of the batch', async () => {
    const id = (await ok('POST', '/runs', { experimentId })).info.runId as string;
    await ok('POST', `/runs/${id}/batch`, { params: [{ key: 'lr', value: '0.1' }] });
    const eventsBefore = await eventsOf(id, 100);
    const res = await call('POST', `/runs/${id}/batch`, { metrics: [{ key: 'acc', value: 1, step: 0 }], params: [{ key: 'lr', value: '0.5' }] });
    expectError(res, 400, 'INVALID_ARGUMENT');
    expect(res.body.message).toContain("'0.1'");
    expect(res.body.message).toContain("'0.5'");
    expect(res.body.details.issues).toEqual([expect.objectContaining({ code: 'param_overwrite', path: ['params', 'lr'] })]);
    const run = await ok('GET', `/runs/${id}`);
    expect(run.params).toEqual([{ key: 'lr', value: '0.1' }]);
    expect(run.metrics).toEqual([]);
    expect((await ok('GET', `/runs/${id}/metrics/acc`)).items).toEqual([]);
    expect(await eventsOf(id, 100)).toEqual(eventsBefore);
  });

  it('reports every invalid batch item at once', async () => {
    const id = (await ok('POST', '/runs', { experimentId })).info.runId as string;
    const res = await call('POST', `/runs/${id}/batch`, {
      metrics: [{ key: 'ok', value: 1 }, { key: 'bad value', value: 'abc' }, { key: 'x', value: 1, step: 1.5 }],
      params: [{ key: '../escape', value: 'v' }],
    });
    expectError(res, 400, 'INVALID_ARGUMENT');
    const paths = (res.body.details.issues as Json[]).map((i) => i.path.join('.'));
    expect(paths).toEqual(['metrics.1.value', 'metrics.2.step', 'params.0.key']);
    expect((await ok('GET', `/runs/${id}`)).metrics).toEqual([]);
  });

  it('pages a metric history in step order', async () => {
    const id = (await ok('POST', '/runs', { experimentId })).info.runId as string;
    const steps = Array.from({ length: 250 }, (_, i) => 249 - i);
    await ok('POST', `/runs/${id}/batch`, { metrics: steps.map((step) => ({ key: 'loss', value: step * 2, step, timestamp: 5000 + step })) });
    const collected: Json[] = [];
    const sizes: number[] = [];
    let token: string | undefined;
    do {
      const page = await ok('GET', `/runs/${id}/metrics/loss?maxResults=100${token ? `&pageToken=${token}` : ''}`);
      sizes.push(page.items.length as number);
      collected.push(...(page.items as Json[]));
      token = page.nextPageToken as string | undefined;
    } while (token && sizes.length < 10);
    expect(sizes).toEqual([100, 100, 50]);
    expect(collected.map((m) => m.step)).toEqual(Array.from({ length: 250 }, (_, i) => i));
    expect(collected[7]).toEqual({ key: 'loss', value: 14, step: 7, timestamp: 5007 });
    expectError(await call('GET', `/runs/${id}/metrics/loss?pageToken=garbage`), 400, 'INVALID_ARGUMENT');
    expectError(await call('GET', `/runs/${id}/metrics/loss?maxResults=0`), 400, 'INVALID_ARGUMENT');
  });

  it('searches runs with the filter language', async () => {
    const exp = (await ok('POST', '/experiments', { name: unique('search') })).experimentId as string;
    for (const [name, auc] of [['r1', 0.6], ['r2', 0.9], ['r3', 0.8]] as const) {
      const id = (await ok('POST', '/runs', { experimentId: exp, runName: name })).info.runId as string;
      await ok('POST', `/runs/${id}/batch`, { metrics: [{ key: 'auc', value: auc }] });
    }
    const page = await ok('POST', '/runs/search', { experimentIds: [exp], filter: 'metrics.auc >= 0.8', orderBy: ['metrics.auc DESC'] });
    expect((page.items as Json[]).map((r) => r.info.runName)).toEqual(['r2', 'r3']);
    const first = await ok('POST', '/runs/search', { experimentIds: [exp], orderBy: ['metrics.auc ASC'], maxResults: 2 });
    expect((first.items as Json[]).map((r) => r.info.runName)).toEqual(['r1', 'r3']);
    const second = await ok('POST', '/runs/search', { experimentIds: [exp], orderBy: ['metrics.auc ASC'], maxResults: 2, pageToken: first.nextPageToken });
    expect((second.items as Json[]).map((r) => r.info.runName)).toEqual(['r2']);
    expect(second.nextPageToken).toBeUndefined();
    expectError(await call('POST', '/runs/search', { experimentIds: [exp], filter: 'metrics.auc ~ 1' }), 400, 'INVALID_ARGUMENT');
  });

  it('deletes and restores a run; a deleted run takes no writes', async () => {
    const id = (await ok('POST', '/runs', { experimentId })).info.runId as string;
    await ok('DELETE', `/runs/${id}`);
    expect((await ok('GET', `/runs/${id}`)).info.lifecycleStage).toBe('deleted');
    expect(await lastEvent(id)).toMatchObject({ action: 'run.delete', before: { lifecycleStage: 'active' }, after: { lifecycleStage: 'deleted' } });
    expectError(await call('POST', `/runs/${id}/batch`, { metrics: [{ key: 'a', value: 1 }] }), 400, 'INVALID_ARGUMENT');
    await ok('POST', `/runs/${id}/restore`);
    expect(await lastEvent(id)).toMatchObject({ action: 'run.restore', before: { lifecycleStage: 'deleted' }, after: { lifecycleStage: 'active' } });
    await ok('POST', `/runs/${id}/batch`, { metrics: [{ key: 'a', value: 1 }] });
    expectError(await call('GET', `/runs/${'d'.repeat(32)}`), 404, 'NOT_FOUND');
    expectError(await call('GET', '/runs/not-a-run-id'), 400, 'INVALID_ARGUMENT');
  });
});

describe('run artifacts', () => {
  it('uploads, downloads and lists files relative to the run; uploads are audited', async () => {
    const exp = (await ok('POST', '/experiments', { name: unique('arts') })).experimentId as string;
    const run = await ok('POST', '/runs', { experimentId: exp });
    const id = run.info.runId as string;
    const bytes = Buffer.from('col_a,col_b\n1,2\n3,4\n');
    const put = await app.inject({ method: 'PUT', url: `/api/v1/runs/${id}/artifacts/data/sample.csv`, payload: bytes, headers: { 'content-type': 'text/csv' } });
    expect(put.statusCode, put.body).toBe(200);
    const digest = (put.json() as Json).digest as string;
    expect(put.json()).toEqual({ path: 'data/sample.csv', digest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/), size: bytes.length });
    // The digest is the SHA-256 of the bytes, checked independently.
    const { createHash } = await import('node:crypto');
    expect(digest).toBe(`sha256:${createHash('sha256').update(bytes).digest('hex')}`);

    const down = await app.inject({ method: 'GET', url: `/api/v1/runs/${id}/artifacts/data/sample.csv` });
    expect(down.statusCode).toBe(200);
    expect(down.rawPayload.equals(bytes)).toBe(true);
    expect(down.headers['content-type']).toContain('text/csv');
    expect(down.headers.etag).toBe(`"${digest}"`);

    const root = await ok('GET', `/runs/${id}/artifacts`);
    expect(root.items).toEqual([{ path: 'data', isDir: true, size: null, digest: null }]);
    const inner = await ok('GET', `/runs/${id}/artifacts?path=data`);
    expect(inner.items).toEqual([{ path: 'sample.csv', isDir: false, size: bytes.length, digest }]);

    const logical = `${exp}/${id}/artifacts/data/sample.csv`;
    const event = await lastEvent(logical);
    expect(event).toMatchObject({ action: 'artifact.upload', entityKind: 'artifact', actor: ANON, before: null, after: { digest, size: bytes.length, runId: id } });

    // Overwriting records the previous content as `before`.
    const again = await app.inject({ method: 'PUT', url: `/api/v1/runs/${id}/artifacts/data/sample.csv`, payload: 'new', headers: { 'content-type': 'text/csv' } });
    expect(again.statusCode).toBe(200);
    expect(await lastEvent(logical)).toMatchObject({ action: 'artifact.upload', before: { digest, size: bytes.length } });
    expect((await app.inject({ method: 'GET', url: `/api/v1/runs/${id}/artifacts/data/sample.csv` })).body).toBe('new');

    const missing = await app.inject({ method: 'GET', url: `/api/v1/runs/${id}/artifacts/nope.txt` });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().code).toBe('NOT_FOUND');
    const noRun = await app.inject({ method: 'PUT', url: `/api/v1/runs/${'e'.repeat(32)}/artifacts/x.txt`, payload: 'x', headers: { 'content-type': 'text/plain' } });
    expect(noRun.statusCode).toBe(404);
  });

  it('records artifact deletes made through the proxy', async () => {
    const run = await ok('POST', '/runs', {});
    const id = run.info.runId as string;
    const path = `0/${id}/artifacts/tmp.txt`;
    expect((await app.inject({ method: 'PUT', url: `/api/v1/runs/${id}/artifacts/tmp.txt`, payload: 'bye', headers: { 'content-type': 'text/plain' } })).statusCode).toBe(200);
    expect((await app.inject({ method: 'DELETE', url: `/api/2.0/mlflow-artifacts/artifacts/${path}` })).statusCode).toBe(200);
    expect(await lastEvent(path)).toMatchObject({ action: 'artifact.delete', actor: ANON, before: { files: 1 }, after: null });
  });
});

describe('events, actors and tokens', () => {
  // A server of its own: once a token exists, anonymous requests are refused.
  let secured: FastifyInstance;
  let done: () => Promise<void>;
  let admin: Record<string, string>;
  let adminActor: string;

  beforeAll(async () => {
    const t = await tempPlatform();
    secured = await buildServer(t.platform);
    const created = await t.platform.auth.createToken({ name: 'test-setup' }, { role: 'admin', name: 'ci' });
    admin = { authorization: `Bearer ${created.secret}` };
    adminActor = `ci (${created.token.tokenId})`;
    done = async () => {
      await secured.close();
      await t.cleanup();
    };
  });
  afterAll(async () => done?.());

  async function as(headers: Record<string, string>, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<{ status: number; body: Json }> {
    const res = await secured.inject({ method, url: `/api/v1${path}`, headers, ...(body === undefined ? {} : { payload: body as object }) });
    return { status: res.statusCode, body: res.json() as Json };
  }

  it('records the token holder as the actor and filters events by actor', async () => {
    expect((await as(admin, 'GET', '/whoami')).body).toEqual({ actor: adminActor, role: 'admin', authenticated: true });
    const name = unique('by-token');
    const created = await as(admin, 'POST', '/experiments', { name });
    expect(created.status).toBe(200);
    const id = created.body.experimentId as string;
    const events = await as(admin, 'GET', `/events?entityId=${id}`);
    expect(events.body.items).toEqual([expect.objectContaining({ action: 'experiment.create', actor: adminActor, entityId: id })]);
    const mine = await as(admin, 'GET', `/events?actor=${encodeURIComponent(adminActor)}&limit=1000`);
    expect((mine.body.items as Json[]).every((e) => e.actor === adminActor)).toBe(true);
    expect((mine.body.items as Json[]).some((e) => e.entityId === id)).toBe(true);
  });

  it('pages events newest first with before/nextBefore and validates limit', async () => {
    for (let i = 0; i < 5; i++) expect((await as(admin, 'POST', '/experiments', { name: unique('paged-events') })).status).toBe(200);
    const all = (await as(admin, 'GET', '/events?entityKind=experiment&limit=1000')).body.items as Json[];
    const ids = all.map((e) => e.eventId as number);
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    const seen: number[] = [];
    let before: number | undefined;
    for (let guard = 0; guard < 50; guard++) {
      const page = (await as(admin, 'GET', `/events?entityKind=experiment&limit=2${before === undefined ? '' : `&before=${before}`}`)).body;
      seen.push(...(page.items as Json[]).map((e) => e.eventId as number));
      before = page.nextBefore as number | undefined;
      if (before === undefined) break;
    }
    expect(seen).toEqual(ids);
    for (const bad of ['0', '1001', 'abc']) {
      const res = await as(admin, 'GET', `/events?limit=${bad}`);
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('INVALID_ARGUMENT');
    }
  });

  it('audits token creation and revocation without storing the secret, and enforces roles', async () => {
    const created = await as(admin, 'POST', '/tokens', { role: 'viewer', name: 'dashboard' });
    expect(created.status).toBe(200);
    const { secret, token } = created.body as { secret: string; token: Json };
    expect(secret).toMatch(/^orc_/);
    const event = ((await as(admin, 'GET', `/events?entityId=${token.tokenId}`)).body.items as Json[])[0]!;
    expect(event).toMatchObject({ action: 'token.create', actor: adminActor, before: null, after: { tokenId: token.tokenId, role: 'viewer' } });
    expect(JSON.stringify(event)).not.toContain(secret);
    expect(JSON.stringify((await as(admin, 'GET', '/tokens')).body)).not.toContain(secret);

    const viewer = { authorization: `Bearer ${secret}` };
    expect((await as(viewer, 'GET', '/experiments/0')).status).toBe(200);
    const write = await as(viewer, 'POST', '/experiments', { name: unique('viewer-write') });
    expect(write.status).toBe(403);
    expect(write.body.code).toBe('PERMISSION_DENIED');
    expect((await as(viewer, 'GET', '/tokens')).status).toBe(403);

    const anonymous = await as({}, 'GET', '/experiments/0');
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.code).toBe('UNAUTHENTICATED');
    expect((await as({ authorization: 'Bearer orc_not-a-real-token' }, 'GET', '/experiments/0')).status).toBe(401);

    expect((await as(admin, 'DELETE', `/tokens/${token.tokenId}`)).status).toBe(200);
    const revoked = ((await as(admin, 'GET', `/events?entityId=${token.tokenId}`)).body.items as Json[])[0]!;
    expect(revoked).toMatchObject({ action: 'token.revoke', actor: adminActor, before: { revokedAt: null } });
    expect(revoked.after.revokedAt).toBeTypeOf('number');
    expect((await as(viewer, 'GET', '/experiments/0')).status).toBe(401);
  });

  it('accepts the token as the password of HTTP Basic auth, as MLflow clients send it', async () => {
    const { secret } = (await as(admin, 'POST', '/tokens', { role: 'viewer', name: 'basic' })).body as { secret: string };
    const basic = { authorization: `Basic ${Buffer.from(`someone:${secret}`).toString('base64')}` };
    const who = await as(basic, 'GET', '/whoami');
    expect(who.status).toBe(200);
    expect(who.body).toMatchObject({ role: 'viewer', authenticated: true });
    const wrong = { authorization: `Basic ${Buffer.from('someone:orc_wrong').toString('base64')}` };
    expect((await as(wrong, 'GET', '/whoami')).status).toBe(401);
    expect((await as({ authorization: 'Token abc' }, 'GET', '/whoami')).status).toBe(401);
  });

  it('keeps /health, /ready and /version open without a token', async () => {
    for (const path of ['/health', '/ready', '/version']) {
      const res = await secured.inject({ method: 'GET', url: path });
      expect(res.statusCode, path).toBe(200);
    }
    expect((await secured.inject({ method: 'GET', url: '/ready' })).json()).toEqual({ status: 'ready' });
    const { version } = JSON.parse((await import('node:fs')).readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect((await secured.inject({ method: 'GET', url: '/version' })).json()).toEqual({ version });
  });

  it('lets an editor write but not delete (an admin route)', async () => {
    const { secret } = (await as(admin, 'POST', '/tokens', { role: 'editor' })).body as { secret: string };
    const editor = { authorization: `Bearer ${secret}` };
    const created = await as(editor, 'POST', '/experiments', { name: unique('editor') });
    expect(created.status).toBe(200);
    const del = await as(editor, 'DELETE', `/experiments/${created.body.experimentId}`);
    expect(del.status).toBe(403);
    expect(del.body.code).toBe('PERMISSION_DENIED');
    expect((await as(admin, 'GET', `/experiments/${created.body.experimentId}`)).body.lifecycleStage).toBe('active');
  });
});
