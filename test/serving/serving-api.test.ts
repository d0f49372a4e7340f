import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/server/app.js';
import { Orchard } from '../../src/sdk/orchard-client.js';
import { predictionLogGlob } from '../../src/serving/prediction-log-writer.js';
import { ServingHub } from '../../src/serving/serving-hub.js';
import { tempPlatform } from '../support/temp.js';
import { ingestHomes, registerHomesModel } from '../support/serving.js';

const actor = { name: 'tester' };
const row = { size: 120, rooms: 3, city: 'oslo' };

describe('serving endpoints over HTTP', () => {
  let s: Awaited<ReturnType<typeof tempPlatform>>;
  let hub: ServingHub;
  let app: FastifyInstance;
  const post = (url: string, payload: unknown, headers: Record<string, string> = {}) => app.inject({ method: 'POST', url, payload: payload as object, headers });

  beforeAll(async () => {
    s = await tempPlatform();
    await ingestHomes(s.platform, s.home);
    await registerHomesModel(s.platform, 'homes', 5);
    await registerHomesModel(s.platform, 'homes', 25);
    await s.platform.registry.setAlias(actor, 'homes', 'champion', 1);
    await s.platform.registry.setAlias(actor, 'homes', 'challenger', 2);
    await s.platform.endpoints.create(actor, { name: 'homes', model: 'homes@champion' });
    await s.platform.endpoints.create(actor, { name: 'tiny', model: 'homes@1', batching: { maxBatchSize: 1, maxQueueRows: 4 } });
    hub = await ServingHub.start(s.platform, { endpoints: 'stored', pollMs: 60_000 });
    app = await buildServer(s.platform, { serving: hub });
  }, 120_000);
  afterAll(async () => {
    await app?.close();
    await hub?.close();
    await s?.cleanup();
  });

  it('answers the same prediction in Orchard, MLflow and v2 formats, with labels, probabilities, model and version', async () => {
    const embedded = await Orchard.embedded(s.platform).loadModel('homes@1');
    const expected = (await embedded.predict([row])).predictions[0]!;
    const a = (await post('/api/v1/endpoints/homes/predict', { rows: [row] })).json();
    expect(a).toMatchObject({ endpoint: 'homes', model: 'homes', version: 1, predictions: [expected], labels: [expected >= 0.5 ? '1' : '0'], probabilities: [[1 - expected, expected]] });
    expect((await post('/api/v1/endpoints/homes/predict', { columns: { size: [120], rooms: [3], city: ['oslo'] } })).json().predictions).toEqual([expected]);
    for (const body of [{ dataframe_split: { columns: ['size', 'rooms', 'city'], data: [[120, 3, 'oslo']] } }, { dataframe_records: [row] }, { instances: [row] }, { inputs: { size: [120], rooms: [3], city: ['oslo'] } }]) {
      expect((await post('/endpoints/homes/invocations', body)).json().predictions).toEqual([expected]);
    }
    const v2 = (await post('/v2/models/homes/infer', { id: 'r1', inputs: [{ name: 'size', shape: [1], datatype: 'INT64', data: [120] }, { name: 'rooms', shape: [1], datatype: 'INT64', data: [3] }, { name: 'city', shape: [1], datatype: 'BYTES', data: ['oslo'] }] })).json();
    expect(v2).toMatchObject({ model_name: 'homes', model_version: '1', id: 'r1', outputs: [{ name: 'prediction', shape: [1], data: [expected] }, { name: 'label' }, { name: 'probabilities', shape: [1, 2] }] });
    expect((await app.inject({ method: 'GET', url: '/v2/models/homes' })).json()).toMatchObject({ name: 'homes', versions: ['1'], inputs: [{ name: 'size', datatype: 'INT64' }, { name: 'rooms' }, { name: 'city', datatype: 'BYTES' }] });
    expect((await app.inject({ method: 'GET', url: '/v2/models/homes/ready' })).json()).toEqual({ name: 'homes', ready: true });
    expect((await app.inject({ method: 'GET', url: '/v2/health/ready' })).statusCode).toBe(200);
    await embedded.close();
  });

  it('echoes an incoming x-request-id and makes one otherwise', async () => {
    const r = await post('/api/v1/endpoints/homes/predict', { rows: [row] }, { 'x-request-id': 'abc-123' });
    expect(r.headers['x-request-id']).toBe('abc-123');
    expect(r.json().requestId).toBe('abc-123');
    expect((await post('/api/v1/endpoints/homes/predict', { rows: [row] })).headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('refuses bad input with 400 listing every issue, and unseen categories are predicted', async () => {
    const r = await post('/api/v1/endpoints/homes/predict', { rows: [{ size: 'NaN', rooms: 2, city: 'oslo' }, { size: 1, city: 3, colour: 'red' }] });
    expect(r.statusCode).toBe(400);
    expect(r.json().details.issues.map((i: { path: unknown[]; code: string }) => `${i.path.join('.')}:${i.code}`)).toEqual(['0.size:not_finite', '1.rooms:missing_column', '1.colour:unexpected_column']);
    expect((await post('/api/v1/endpoints/homes/predict', { rows: [{ ...row, city: 'atlantis' }] })).statusCode).toBe(200);
  });

  it('maps malformed JSON, a wrong content type, a huge payload and an unknown endpoint to clear errors', async () => {
    const bad = await app.inject({ method: 'POST', url: '/predict', payload: '{"rows": [', headers: { 'content-type': 'application/json' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toMatch(/not valid JSON/);
    const csv = await app.inject({ method: 'POST', url: '/api/v1/endpoints/homes/predict', payload: 'size,rooms\n1,2', headers: { 'content-type': 'text/csv' } });
    expect(csv.statusCode).toBe(415);
    const limit = s.platform.config.server.bodyLimitBytes;
    const huge = await app.inject({ method: 'POST', url: '/api/v1/endpoints/homes/predict', payload: `{"rows":[${'{"size":1,"rooms":1,"city":"oslo"},'.repeat(Math.ceil(limit / 30))}{}]}`, headers: { 'content-type': 'application/json' } });
    expect(huge.statusCode).toBe(413);
    const unknown = await post('/api/v1/endpoints/nope/predict', { rows: [row] });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().message).toMatch(/No endpoint 'nope' is served here; served endpoints: homes, tiny/);
    // Two endpoints: the unnamed routes ask for a name.
    expect((await post('/predict', { rows: [row] })).json().message).toMatch(/hosts 2 endpoints \(homes, tiny\); name one/);
  });

  it('answers 429 with Retry-After when the queue is full, never with a batch over its size', async () => {
    const results = await Promise.all(Array.from({ length: 30 }, () => post('/api/v1/endpoints/tiny/predict', { rows: [row, row] })));
    const codes = results.map((r) => r.statusCode);
    expect(codes.filter((c) => c === 429).length).toBeGreaterThan(0);
    expect(codes.every((c) => c === 200 || c === 429)).toBe(true);
    expect(results.find((r) => r.statusCode === 429)!.headers['retry-after']).toBe('1');
    const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(/orchard_serving_requests_total\{endpoint="tiny",code="429"\} \d+/);
    // Every batch of `tiny` had one row: the bucket le="1" holds them all.
    const count = Number(/orchard_serving_batch_size_rows_count\{endpoint="tiny",model="homes@1"\} (\d+)/.exec(metrics)![1]);
    expect(metrics).toContain(`orchard_serving_batch_size_rows_bucket{endpoint="tiny",model="homes@1",le="1"} ${count}`);
    expect(metrics).toMatch(/orchard_serving_model_info\{endpoint="homes",model="homes",version="1",digest="sha256:[0-9a-f]+",role="route0"\} 1/);
  });

  it('splits traffic by percent, mirrors to a shadow that is logged and not returned, and rolls back', async () => {
    const update = await app.inject({ method: 'PATCH', url: '/api/v1/endpoints/homes', payload: { routes: [{ model: 'homes@champion', weight: 70 }, { model: 'homes@challenger', weight: 30 }], shadow: 'homes@2' } });
    expect(update.statusCode).toBe(200);
    await hub.refresh();
    const n = 400;
    const versions = await Promise.all(Array.from({ length: n }, async (_, i) => (await post('/api/v1/endpoints/homes/predict', { rows: [row] }, { 'x-request-id': `split-${i}` })).json().version as number));
    const second = versions.filter((v) => v === 2).length;
    // 30% of 400 with a binomial standard deviation of sqrt(400·0.3·0.7) ≈ 9.2; allow 5 of them.
    expect(Math.abs(second - 120)).toBeLessThan(5 * Math.sqrt(n * 0.3 * 0.7));
    const rollback = await app.inject({ method: 'POST', url: '/api/v1/endpoints/homes/rollback' });
    expect(rollback.json().spec).toMatchObject({ routes: [{ model: 'homes@champion', weight: 100 }], shadow: null });
    await hub.refresh();
    expect(hub.get('homes').loaded().map((m) => m.role)).toEqual(['route0']);
    await hub.log.flush();
    const rows = await s.platform.engine.withConnection(async (c) =>
      (await c.runAndReadAll(`select shadow, count(*)::int as n, count(distinct request_id)::int as ids, min(version) as v from read_parquet('${predictionLogGlob(s.platform.blobs, 'homes')}') where request_id like 'split-%' group by shadow order by shadow`)).getRowObjectsJson(),
    );
    // Every request logged once by its route and once by the shadow (version 2), which no response showed.
    expect(rows).toEqual([{ shadow: false, n, ids: n, v: 1 }, { shadow: true, n, ids: n, v: 2 }]);
  });

  it('keeps traffic flowing while the champion moves: zero failures, and answers switch to the new version', async () => {
    let stop = false;
    const seen: { code: number; version: number }[] = [];
    const clients = Array.from({ length: 8 }, async () => {
      while (!stop) {
        const r = await post('/api/v1/endpoints/homes/predict', { rows: [row] });
        seen.push({ code: r.statusCode, version: r.statusCode === 200 ? r.json().version : -1 });
      }
    });
    while (seen.length < 200) await new Promise((r) => setTimeout(r, 5));
    // The promote goes through this server, which tells the endpoints at once.
    const promote = await app.inject({ method: 'PUT', url: '/api/v1/models/homes/aliases/champion', payload: { version: 2 } });
    expect(promote.statusCode).toBe(200);
    const before = seen.length;
    while (!seen.slice(before).some((x) => x.version === 2) || seen.length < before + 200) await new Promise((r) => setTimeout(r, 5));
    stop = true;
    await Promise.all(clients);
    expect(seen.filter((x) => x.code !== 200)).toEqual([]);
    const firstNew = seen.findIndex((x) => x.version === 2);
    expect(seen.slice(0, firstNew).every((x) => x.version === 1)).toBe(true);
    // Once switched, every later answer comes from the new version (in-flight ones on the old model finish first).
    expect(seen.slice(firstNew + 20).every((x) => x.version === 2)).toBe(true);
  });

  it('refuses to start an endpoint whose model artifact is corrupted, and says why', async () => {
    const digest = (await s.platform.registry.getVersion('homes', 1)).digest!.replace('sha256:', '');
    const dir = join(s.home, 'artifacts', 'sha256', digest.slice(0, 2));
    const file = readdirSync(dir).find((f) => f.startsWith(digest))!;
    writeFileSync(join(dir, file), '{"orchardModel":1,"learner":"gbdt"}');
    await expect(ServingHub.start(s.platform, { endpoints: [{ ...hub.get('tiny').spec, name: 'broken' }] })).rejects.toMatchObject({ code: 'INTEGRITY_ERROR', message: expect.stringMatching(/^Endpoint 'broken' cannot load its models: .*corrupted/) });
  });
});
