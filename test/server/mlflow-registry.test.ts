import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/server/app.js';
import { tempPlatform } from '../support/temp.js';

/**
 * MLflow's Model Registry REST API, in-process. Request and response shapes follow
 * mlflow/protos/model_registry.proto (messages RegisteredModel, ModelVersion,
 * RegisteredModelAlias and the request messages); error codes follow MLflow's
 * databricks_pb2 names, which its clients switch on.
 */

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let app: FastifyInstance;
let cleanup: () => Promise<void>;
let runId: string;

const API = '/api/2.0/mlflow';

async function call(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, body?: Record<string, unknown>): Promise<{ status: number; body: Json }> {
  if (method === 'GET') {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(body ?? {})) for (const item of Array.isArray(v) ? v : [v]) qs.append(k, String(item));
    const res = await app.inject({ method, url: `${API}/${path}?${qs.toString()}` });
    return { status: res.statusCode, body: res.json() as Json };
  }
  const res = await app.inject({ method, url: `${API}/${path}`, payload: body ?? {} });
  return { status: res.statusCode, body: res.json() as Json };
}

async function ok(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, body?: Record<string, unknown>): Promise<Json> {
  const res = await call(method, path, body);
  expect(res.status, `${method} ${path} → ${JSON.stringify(res.body)}`).toBe(200);
  return res.body;
}

beforeAll(async () => {
  const t = await tempPlatform();
  app = await buildServer(t.platform);
  cleanup = async () => {
    await app.close();
    await t.cleanup();
  };
  runId = (await ok('POST', 'runs/create', { experiment_id: '0' })).run.info.run_id as string;
});
afterAll(async () => cleanup?.());

describe('registered models', () => {
  it('creates, gets, updates, renames and deletes in MLflow shapes', async () => {
    const created = await ok('POST', 'registered-models/create', { name: 'm-crud', description: 'd', tags: [{ key: 'team', value: 'ops' }] });
    expect(created.registered_model).toMatchObject({ name: 'm-crud', description: 'd', latest_versions: [], tags: [{ key: 'team', value: 'ops' }], aliases: [] });
    expect(typeof created.registered_model.creation_timestamp).toBe('number');
    expect(created.registered_model.last_updated_timestamp).toBe(created.registered_model.creation_timestamp);

    const dup = await call('POST', 'registered-models/create', { name: 'm-crud' });
    expect(dup.status).toBe(400);
    expect(dup.body.error_code).toBe('RESOURCE_ALREADY_EXISTS');

    const updated = await ok('PATCH', 'registered-models/update', { name: 'm-crud', description: 'new' });
    expect(updated.registered_model.description).toBe('new');
    await ok('POST', 'registered-models/set-tag', { name: 'm-crud', key: 'stage', value: 'x' });
    await ok('DELETE', 'registered-models/delete-tag', { name: 'm-crud', key: 'team' });
    const renamed = await ok('POST', 'registered-models/rename', { name: 'm-crud', new_name: 'm-crud-2' });
    expect(renamed.registered_model).toMatchObject({ name: 'm-crud-2', description: 'new', tags: [{ key: 'stage', value: 'x' }] });
    expect((await call('GET', 'registered-models/get', { name: 'm-crud' })).body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
    await ok('DELETE', 'registered-models/delete', { name: 'm-crud-2' });
    const gone = await call('GET', 'registered-models/get', { name: 'm-crud-2' });
    expect(gone.status).toBe(404);
    expect(gone.body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
  });

  it('searches with a filter, order and pages', async () => {
    for (const n of ['srch-a', 'srch-b', 'srch-c']) await ok('POST', 'registered-models/create', { name: n });
    await ok('POST', 'registered-models/set-tag', { name: 'srch-b', key: 'team', value: 'risk' });
    const first = await ok('GET', 'registered-models/search', { filter: "name LIKE 'srch-%'", max_results: 2, order_by: 'name DESC' });
    expect(first.registered_models.map((m: Json) => m.name)).toEqual(['srch-c', 'srch-b']);
    const second = await ok('GET', 'registered-models/search', { filter: "name LIKE 'srch-%'", max_results: 2, order_by: 'name DESC', page_token: first.next_page_token });
    expect(second.registered_models.map((m: Json) => m.name)).toEqual(['srch-a']);
    expect(second.next_page_token).toBeUndefined();
    const tagged = await ok('POST', 'registered-models/search', { filter: "tags.team = 'risk'" });
    expect(tagged.registered_models.map((m: Json) => m.name)).toEqual(['srch-b']);
    const bad = await call('GET', 'registered-models/search', { filter: "run_id = 'x'" });
    expect(bad.status).toBe(400);
    expect(bad.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    expect(bad.body.message).toContain('unknown field `run_id`');
  });
});

describe('model versions and aliases', () => {
  it('creates versions from runs, with latest versions and the download URI', async () => {
    await ok('POST', 'registered-models/create', { name: 'mv' });
    const v1 = await ok('POST', 'model-versions/create', { name: 'mv', source: `runs:/${runId}/model`, run_id: runId, description: 'first', tags: [{ key: 'k', value: 'v' }] });
    expect(v1.model_version).toMatchObject({ name: 'mv', version: '1', current_stage: 'None', status: 'READY', source: `runs:/${runId}/model`, run_id: runId, description: 'first', user_id: 'anonymous (loopback)', tags: [{ key: 'k', value: 'v' }], aliases: [] });
    const v2 = await ok('POST', 'model-versions/create', { name: 'mv', source: `runs:/${runId}/model` });
    expect(v2.model_version).toMatchObject({ version: '2', run_id: runId });

    const got = await ok('GET', 'registered-models/get', { name: 'mv' });
    expect(got.registered_model.latest_versions.map((v: Json) => [v.version, v.current_stage])).toEqual([['2', 'None']]);
    const uri = await ok('GET', 'model-versions/get-download-uri', { name: 'mv', version: '1' });
    expect(uri.artifact_uri).toBe(`mlflow-artifacts:/0/${runId}/artifacts/model`);
    expect((await ok('GET', 'model-versions/get', { name: 'mv', version: '2' })).model_version.version).toBe('2');

    const noSource = await call('POST', 'model-versions/create', { name: 'mv', run_id: runId });
    expect([noSource.status, noSource.body.error_code]).toEqual([400, 'INVALID_PARAMETER_VALUE']);
    const noModel = await call('POST', 'model-versions/create', { name: 'nope', source: `runs:/${runId}/model` });
    expect([noModel.status, noModel.body.error_code]).toEqual([404, 'RESOURCE_DOES_NOT_EXIST']);
    const noVersion = await call('GET', 'model-versions/get', { name: 'mv', version: '9' });
    expect([noVersion.status, noVersion.body.error_code]).toEqual([404, 'RESOURCE_DOES_NOT_EXIST']);
    expect(noVersion.body.message).toContain("Model 'mv' has no version 9; versions go up to 2");
    const badVersion = await call('GET', 'model-versions/get', { name: 'mv', version: 'x' });
    expect(badVersion.body.error_code).toBe('INVALID_PARAMETER_VALUE');
  });

  it('sets, gets and deletes aliases; reserved names and missing aliases get MLflow error codes', async () => {
    await ok('POST', 'registered-models/alias', { name: 'mv', alias: 'champion', version: '1' });
    const byAlias = await ok('GET', 'registered-models/alias', { name: 'mv', alias: 'champion' });
    expect(byAlias.model_version).toMatchObject({ version: '1', aliases: ['champion'] });
    expect((await ok('GET', 'registered-models/get', { name: 'mv' })).registered_model.aliases).toEqual([{ alias: 'champion', version: '1' }]);
    const reserved = await call('POST', 'registered-models/alias', { name: 'mv', alias: 'v2', version: '2' });
    expect([reserved.status, reserved.body.error_code]).toEqual([400, 'INVALID_PARAMETER_VALUE']);
    const wrongVersion = await call('POST', 'registered-models/alias', { name: 'mv', alias: 'challenger', version: '7' });
    expect(wrongVersion.body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
    await ok('DELETE', 'registered-models/alias', { name: 'mv', alias: 'champion' });
    const missing = await call('GET', 'registered-models/alias', { name: 'mv', alias: 'champion' });
    expect([missing.status, missing.body.error_code]).toEqual([404, 'RESOURCE_DOES_NOT_EXIST']);
  });

  it('archives through transition-stage, and an archived version takes no alias', async () => {
    const archived = await ok('POST', 'model-versions/transition-stage', { name: 'mv', version: '1', stage: 'Archived', archive_existing_versions: false });
    expect(archived.model_version.current_stage).toBe('Archived');
    const latest = await ok('POST', 'registered-models/get-latest-versions', { name: 'mv', stages: ['Archived'] });
    expect(latest.model_versions.map((v: Json) => v.version)).toEqual(['1']);
    const refused = await call('POST', 'registered-models/alias', { name: 'mv', alias: 'challenger', version: '1' });
    expect([refused.status, refused.body.error_code]).toEqual([409, 'INVALID_STATE']);
    expect(refused.body.message).toContain("Version 1 of model 'mv' is archived and cannot receive alias 'challenger'");
    const production = await call('POST', 'model-versions/transition-stage', { name: 'mv', version: '2', stage: 'Production', archive_existing_versions: false });
    expect(production.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    expect(production.body.message).toContain('Orchard uses aliases instead');
    await ok('POST', 'model-versions/transition-stage', { name: 'mv', version: '1', stage: 'None', archive_existing_versions: false });
  });

  it('updates, tags, searches and deletes versions', async () => {
    expect((await ok('PATCH', 'model-versions/update', { name: 'mv', version: '2', description: 'second' })).model_version.description).toBe('second');
    await ok('POST', 'model-versions/set-tag', { name: 'mv', version: '2', key: 'gate', value: 'passed' });
    const found = await ok('GET', 'model-versions/search', { filter: `name = 'mv' and tags.gate = 'passed'` });
    expect(found.model_versions.map((v: Json) => v.version)).toEqual(['2']);
    const byRun = await ok('POST', 'model-versions/search', { filter: `run_id = '${runId}'`, order_by: ['version_number ASC'] });
    expect(byRun.model_versions.map((v: Json) => `${v.name}/${v.version}`)).toEqual(['mv/1', 'mv/2']);
    await ok('DELETE', 'model-versions/delete-tag', { name: 'mv', version: '2', key: 'gate' });
    await ok('POST', 'registered-models/alias', { name: 'mv', alias: 'champion', version: '2' });
    const held = await call('DELETE', 'model-versions/delete', { name: 'mv', version: '2' });
    expect([held.status, held.body.error_code]).toEqual([409, 'INVALID_STATE']);
    const heldModel = await call('DELETE', 'registered-models/delete', { name: 'mv' });
    expect(heldModel.body.message).toContain("Model 'mv' still has aliases (champion → 2)");
    await ok('DELETE', 'model-versions/delete', { name: 'mv', version: '1' });
    expect((await call('GET', 'model-versions/get', { name: 'mv', version: '1' })).status).toBe(404);
  });

  it('refuses a protected alias for an unapproved version with INVALID_STATE and the command to approve', async () => {
    const created = await app.inject({ method: 'POST', url: '/api/v1/models', payload: { name: 'guarded', requiresApproval: true } });
    expect(created.statusCode).toBe(200);
    await ok('POST', 'model-versions/create', { name: 'guarded', source: `runs:/${runId}/model` });
    const refused = await call('POST', 'registered-models/alias', { name: 'guarded', alias: 'champion', version: '1' });
    expect([refused.status, refused.body.error_code]).toEqual([409, 'INVALID_STATE']);
    expect(refused.body.message).toMatch(/Cannot point alias 'champion' at version 1 of model 'guarded': the model requires approval for champion, and version 1 has no approval; request it with `orchard models request-approval guarded 1`/);
    await ok('POST', 'registered-models/alias', { name: 'guarded', alias: 'challenger', version: '1' });
  });
});
