import type { FastifyInstance } from 'fastify';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/core/config.js';
import { createOrchard, type Platform } from '../../src/orchard.js';
import { buildServer } from '../../src/server/app.js';
import { tempDir } from '../support/temp.js';

/**
 * Hostile and broken requests, sent over a real socket: `inject` would normalise
 * `..` in paths, a real client does not have to. After each, the server must
 * still answer, and nothing may land outside the artifact store.
 */

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const BODY_LIMIT = 4096;

let platform: Platform;
let app: FastifyInstance;
let home: string;
let port: number;
let cleanupDir: () => void;

beforeAll(async () => {
  const dir = tempDir();
  cleanupDir = dir.cleanup;
  home = dir.path;
  const config = loadConfig({ ORCHARD_HOME: home, ORCHARD_USER: 'tester', ORCHARD_BODY_LIMIT: String(BODY_LIMIT) }, home);
  expect(config.server.bodyLimitBytes).toBe(BODY_LIMIT);
  platform = await createOrchard(config);
  app = await buildServer(platform);
  await app.listen({ port: 0, host: '127.0.0.1' });
  port = (app.server.address() as AddressInfo).port;
});

afterAll(async () => {
  await app?.close();
  await platform?.close();
  cleanupDir?.();
});

interface RawResponse {
  /** 0 when no response arrived. */
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
  /** True when the whole message arrived (Content-Length honoured or final chunk seen). */
  readonly complete: boolean;
  readonly error?: Error;
}

/** One HTTP request on a fresh connection, the path sent byte for byte as given. */
function raw(method: string, path: string, body?: string | Buffer, headers: Record<string, string | number> = {}): Promise<RawResponse> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (r: RawResponse) => {
      if (!settled) {
        settled = true;
        resolve(r);
      }
    };
    const req = request({ host: '127.0.0.1', port, method, path, agent: false, headers }, (res) => {
      const chunks: Buffer[] = [];
      const done = (error?: Error) =>
        finish({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), complete: res.complete && !error, ...(error ? { error } : {}) });
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => done());
      res.on('aborted', () => done(new Error('aborted')));
      res.on('error', (e) => done(e));
      res.on('close', () => done(res.complete ? undefined : new Error('closed before the end')));
    });
    req.on('error', (error) => finish({ status: 0, headers: {}, body: Buffer.alloc(0), complete: false, error }));
    if (body !== undefined) req.write(body);
    req.end();
  });
}

const json = (r: RawResponse): Json => JSON.parse(r.body.toString('utf8')) as Json;

async function postJson(path: string, body: unknown): Promise<RawResponse> {
  return raw('POST', path, JSON.stringify(body), { 'content-type': 'application/json' });
}

async function expectAlive(): Promise<void> {
  const health = await raw('GET', '/health');
  expect(health.status).toBe(200);
  expect(json(health)).toEqual({ status: 'ok' });
  // A write still goes through, so the store was not left locked or broken.
  const run = await postJson('/api/2.0/mlflow/runs/create', { experiment_id: '0' });
  expect(run.status).toBe(200);
}

async function newRun(): Promise<{ runId: string; root: string }> {
  const res = await postJson('/api/2.0/mlflow/runs/create', { experiment_id: '0' });
  expect(res.status, res.body.toString()).toBe(200);
  const info = json(res).run.info as Json;
  return { runId: info.run_id as string, root: (info.artifact_uri as string).slice('mlflow-artifacts:/'.length) };
}

/** Every file under a folder, relative to it. */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const full = join(d, name);
      if (statSync(full).isDirectory()) walk(full);
      else out.push(relative(dir, full));
    }
  };
  walk(dir);
  return out.sort();
}

function expectBadRequest(r: RawResponse, code = 'INVALID_ARGUMENT', status = 400): Json {
  expect(r.status, r.body.toString()).toBe(status);
  const body = json(r);
  expect(body.code).toBe(code);
  expect(typeof body.message).toBe('string');
  return body;
}

describe('malformed bodies', () => {
  it('answers 400 to malformed JSON, on both APIs', async () => {
    for (const path of ['/api/2.0/mlflow/experiments/create', '/api/v1/experiments', '/api/2.0/mlflow/runs/log-batch']) {
      const res = await raw('POST', path, '{"name": "half', { 'content-type': 'application/json' });
      const body = expectBadRequest(res);
      expect(body.message).toMatch(/not valid JSON/);
      if (path.startsWith('/api/2.0')) expect(body.error_code).toBe('INVALID_PARAMETER_VALUE');
    }
    await expectAlive();
  });

  it('answers 400 to a body that is a JSON array, a string or a number', async () => {
    for (const body of ['[{"name": "x"}]', '"x"', '42']) {
      const res = await raw('POST', '/api/2.0/mlflow/experiments/create', body, { 'content-type': 'application/json' });
      expect(expectBadRequest(res).message).toMatch(/JSON object/);
    }
    const v1 = await raw('POST', '/api/v1/experiments', '[]', { 'content-type': 'application/json' });
    expectBadRequest(v1);
    await expectAlive();
  });

  it('answers 400 to an empty JSON body and 415 to a form-encoded one', async () => {
    expectBadRequest(await raw('POST', '/api/2.0/mlflow/experiments/create', '', { 'content-type': 'application/json', 'content-length': 0 }));
    const form = await raw('POST', '/api/2.0/mlflow/experiments/create', 'name=x', { 'content-type': 'application/x-www-form-urlencoded' });
    const body = expectBadRequest(form, 'UNSUPPORTED_MEDIA_TYPE', 415);
    expect(body.message).toContain('application/json');
  });

  it('reports wrong types item by item and writes nothing', async () => {
    const { runId } = await newRun();
    const res = await postJson('/api/2.0/mlflow/runs/log-batch', {
      run_id: runId,
      metrics: [
        { key: 'fine', value: 1, timestamp: 1, step: 0 },
        { key: 'acc', value: 'abc', timestamp: 1, step: 0 },
        { key: 'acc', value: 1, timestamp: 1, step: 1.5 },
        { key: 'acc', value: 1, timestamp: 'yesterday', step: 0 },
        { key: 'acc', value: {}, timestamp: 1, step: 0 },
      ],
      params: 'not a list',
    });
    const body = expectBadRequest(res);
    expect(body.error_code).toBe('INVALID_PARAMETER_VALUE');
    const paths = (body.details.issues as Json[]).map((i) => (i.path as unknown[]).join('.'));
    expect(paths).toEqual(['params', 'metrics.1.value', 'metrics.2.step', 'metrics.3.timestamp', 'metrics.4.value']);
    expect(body.message).toContain("'abc'");
    expect(body.message).toContain('1.5');
    const history = await raw('GET', `/api/2.0/mlflow/metrics/get-history?run_id=${runId}&metric_key=fine`);
    expect(json(history).metrics ?? []).toEqual([]);

    const single = await postJson('/api/2.0/mlflow/runs/log-metric', { run_id: runId, key: 'x', value: 'abc', timestamp: 1, step: 0 });
    expectBadRequest(single);
  });

  it('rejects wrongly typed ids and paging arguments', async () => {
    expectBadRequest(await raw('GET', '/api/2.0/mlflow/experiments/get?experiment_id=abc'));
    expectBadRequest(await postJson('/api/2.0/mlflow/runs/create', { experiment_id: { id: 1 } }));
    expectBadRequest(await postJson('/api/2.0/mlflow/runs/update', { run_id: 12345, status: 'FINISHED' }));
    expectBadRequest(await postJson('/api/2.0/mlflow/experiments/search', { max_results: 'lots' }));
    expectBadRequest(await postJson('/api/2.0/mlflow/runs/search', { experiment_ids: ['0'], page_token: 'forged' }));
    expectBadRequest(await postJson('/api/2.0/mlflow/runs/search', { experiment_ids: ['0'], filter: 42 }));
    await expectAlive();
  });

  it('answers 404 RESOURCE_DOES_NOT_EXIST for unknown runs and experiments', async () => {
    const ghost = '0123456789abcdef0123456789abcdef';
    for (const r of [
      await raw('GET', `/api/2.0/mlflow/runs/get?run_id=${ghost}`),
      await postJson('/api/2.0/mlflow/runs/log-batch', { run_id: ghost, metrics: [{ key: 'a', value: 1, timestamp: 1, step: 0 }] }),
      await raw('GET', `/api/2.0/mlflow/metrics/get-history?run_id=${ghost}&metric_key=a`),
      await raw('GET', '/api/2.0/mlflow/experiments/get?experiment_id=99999'),
      await postJson('/api/2.0/mlflow/runs/create', { experiment_id: '99999' }),
    ]) {
      const body = expectBadRequest(r, 'NOT_FOUND', 404);
      expect(body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
    }
    expectBadRequest(await raw('GET', `/api/v1/runs/${ghost}`), 'NOT_FOUND', 404);
    expectBadRequest(await raw('GET', '/api/v1/experiments/99999'), 'NOT_FOUND', 404);
  });

  it('refuses a param overwrite with 400, keeping the first value', async () => {
    const { runId } = await newRun();
    expect((await postJson('/api/2.0/mlflow/runs/log-parameter', { run_id: runId, key: 'alpha', value: '1' })).status).toBe(200);
    const res = await postJson('/api/2.0/mlflow/runs/log-parameter', { run_id: runId, key: 'alpha', value: '2' });
    expect(expectBadRequest(res).error_code).toBe('INVALID_PARAMETER_VALUE');
    const run = json(await raw('GET', `/api/2.0/mlflow/runs/get?run_id=${runId}`)).run as Json;
    expect(run.data.params).toEqual([{ key: 'alpha', value: '1' }]);
  });
});

describe('body size limit', () => {
  const bigBatch = (runId: string) => ({
    run_id: runId,
    metrics: Array.from({ length: 200 }, (_, step) => ({ key: 'loss', value: 0.123456789, timestamp: 1_700_000_000_000, step })),
  });

  it('answers 413 PAYLOAD_TOO_LARGE above the configured limit and writes nothing', async () => {
    const { runId } = await newRun();
    const payload = JSON.stringify(bigBatch(runId));
    expect(payload.length).toBeGreaterThan(BODY_LIMIT);
    const res = await raw('POST', '/api/2.0/mlflow/runs/log-batch', payload, { 'content-type': 'application/json' });
    const body = expectBadRequest(res, 'PAYLOAD_TOO_LARGE', 413);
    expect(body.message).toContain(String(BODY_LIMIT));
    expect(body.details).toEqual({ limitBytes: BODY_LIMIT });
    const history = json(await raw('GET', `/api/2.0/mlflow/metrics/get-history?run_id=${runId}&metric_key=loss`));
    expect(history.metrics ?? []).toEqual([]);
    await expectAlive();
  });

  it('applies the limit to chunked bodies without a Content-Length too', async () => {
    const { runId } = await newRun();
    const res = await raw('POST', '/api/v1/runs/' + runId + '/batch', JSON.stringify({ metrics: bigBatch(runId).metrics }), {
      'content-type': 'application/json',
      'transfer-encoding': 'chunked',
    });
    expectBadRequest(res, 'PAYLOAD_TOO_LARGE', 413);
    await expectAlive();
  });

  it('does not limit artifact uploads, which are streamed', async () => {
    const { root } = await newRun();
    const big = Buffer.alloc(BODY_LIMIT * 16, 7);
    const put = await raw('PUT', `/api/2.0/mlflow-artifacts/artifacts/${root}/big.bin`, big, { 'content-type': 'application/octet-stream' });
    expect(put.status, put.body.toString()).toBe(200);
    const got = await raw('GET', `/api/2.0/mlflow-artifacts/artifacts/${root}/big.bin`);
    expect(got.status).toBe(200);
    expect(got.body.equals(big)).toBe(true);
  });
});

describe('artifact paths that try to escape', () => {
  const marker = `escape-${process.pid}-${Date.now()}`;
  let runId: string;
  let root: string;

  beforeAll(async () => {
    ({ runId, root } = await newRun());
    // Something real to aim at, next to orchard.db in the home.
    writeFileSync(join(home, 'secret.txt'), 'do not serve me');
  });

  const escapes = (name: string) => [
    `/api/2.0/mlflow-artifacts/artifacts/1/../../${name}`,
    `/api/2.0/mlflow-artifacts/artifacts/${root}/../../../../${name}`,
    `/api/2.0/mlflow-artifacts/artifacts/%2e%2e/%2e%2e/${name}`,
    `/api/2.0/mlflow-artifacts/artifacts/${root}/%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2f${name}`,
    `/api/2.0/mlflow-artifacts/artifacts/..%2f..%2f..%2f${name}`,
    `/api/2.0/mlflow-artifacts/artifacts/%2Ftmp%2F${name}`,
    `/api/2.0/mlflow-artifacts/artifacts//tmp/${name}`,
    `/api/2.0/mlflow-artifacts/artifacts/${root}/..%5c..%5c${name}`,
    `/api/2.0/mlflow-artifacts/artifacts/${root}/x%00/${name}`,
    `/ajax-api/2.0/mlflow-artifacts/artifacts/${root}/../../../${name}`,
    `/api/v1/runs/${runId}/artifacts/../../../../${name}`,
    `/api/v1/runs/${runId}/artifacts/%2e%2e/%2e%2e/%2e%2e/${name}`,
    `/api/v1/runs/${runId}/artifacts/%2Fetc%2F${name}`,
  ];

  it('refuses uploads with 400 or 404 and writes nothing outside the store', async () => {
    const before = filesUnder(dirname(home)).filter((f) => f.includes(marker));
    expect(before).toEqual([]);
    const blobsBefore = filesUnder(join(home, 'artifacts'));
    for (const path of escapes(`${marker}.txt`)) {
      const res = await raw('PUT', path, `payload for ${path}`, { 'content-type': 'text/plain' });
      expect([400, 404], `${path} → ${res.status} ${res.body.toString()}`).toContain(res.status);
    }
    // Nothing with the marker anywhere near the home, in /tmp, or in the artifact tree.
    expect(filesUnder(dirname(home)).filter((f) => f.includes(marker))).toEqual([]);
    expect(existsSync(join('/tmp', `${marker}.txt`))).toBe(false);
    expect(filesUnder(join(home, 'artifacts'))).toEqual(blobsBefore);
    const index = await platform.store.artifacts.listPrefix('', 1000);
    expect(index.filter((r) => r.path.includes(marker))).toEqual([]);
    await expectAlive();
  });

  it('refuses downloads and deletes of escaping paths with 400 or 404', async () => {
    for (const target of ['secret.txt', 'orchard.db', 'etc/passwd']) {
      for (const path of escapes(target)) {
        for (const method of ['GET', 'DELETE']) {
          const res = await raw(method, path);
          expect([400, 404], `${method} ${path} → ${res.status}`).toContain(res.status);
          expect(res.body.toString()).not.toContain('do not serve me');
          expect(res.body.toString()).not.toContain('root:');
          expect(res.body.includes(Buffer.from('SQLite format'))).toBe(false);
        }
      }
    }
    expect(existsSync(join(home, 'secret.txt'))).toBe(true);
    expect(existsSync(join(home, 'orchard.db'))).toBe(true);
    await expectAlive();
  });

  it('refuses listings of escaping folders', async () => {
    for (const path of [
      '/api/2.0/mlflow-artifacts/artifacts?path=..',
      '/api/2.0/mlflow-artifacts/artifacts?path=%2Fetc',
      `/api/2.0/mlflow-artifacts/artifacts?path=${root}%2F..%2F..`,
      `/api/2.0/mlflow/artifacts/list?run_id=${runId}&path=..%2F..%2F..`,
      `/api/v1/runs/${runId}/artifacts?path=..%2F..`,
      `/api/v1/runs/${runId}/artifacts?path=%2Fetc`,
    ]) {
      const res = await raw('GET', path);
      expect(res.status, `${path} → ${res.body.toString()}`).toBe(400);
      expect(json(res).code).toBe('INVALID_ARGUMENT');
    }
    await expectAlive();
  });

  it('accepts a plain nested path next to those attempts', async () => {
    const put = await raw('PUT', `/api/2.0/mlflow-artifacts/artifacts/${root}/ok/file.txt`, 'fine', { 'content-type': 'text/plain' });
    expect(put.status).toBe(200);
    expect((await raw('GET', `/api/2.0/mlflow-artifacts/artifacts/${root}/ok/file.txt`)).body.toString()).toBe('fine');
  });
});

describe('broken transfers and corrupted blobs', () => {
  it('records nothing when an upload is cut off midway', async () => {
    const { root } = await newRun();
    const path = `/api/2.0/mlflow-artifacts/artifacts/${root}/partial.bin`;
    await new Promise<void>((resolve) => {
      const req = request({ host: '127.0.0.1', port, method: 'PUT', path, agent: false, headers: { 'content-type': 'application/octet-stream', 'content-length': 1_000_000 } });
      req.on('error', () => resolve());
      req.on('response', (res) => {
        res.resume();
        res.on('close', () => resolve());
      });
      req.write(Buffer.alloc(10_000, 1), () => setImmediate(() => req.destroy()));
      req.on('close', () => resolve());
    });
    // The server notices the cut asynchronously; wait for its temp file to go.
    await vi.waitFor(() => expect(filesUnder(join(home, 'artifacts', '.tmp'))).toEqual([]), { timeout: 5000, interval: 20 });
    const got = await raw('GET', path);
    expect(got.status).toBe(404);
    await expectAlive();
  });

  it('fails the download of a corrupted blob (500 INTEGRITY_ERROR or a cut transfer) and stays up', async () => {
    const { root } = await newRun();
    const original = Buffer.from(Array.from({ length: 200_000 }, (_, i) => (i * 7 + 3) % 251));
    const put = await raw('PUT', `/api/2.0/mlflow-artifacts/artifacts/${root}/model.bin`, original, { 'content-type': 'application/octet-stream' });
    expect(put.status).toBe(200);
    const record = await platform.store.artifacts.get(`${root}/model.bin`);
    expect(record).toBeDefined();
    const hex = record!.digest.slice('sha256:'.length);
    const blobFile = join(home, 'artifacts', 'sha256', hex.slice(0, 2), hex);
    expect(statSync(blobFile).size).toBe(original.length);

    // Bit rot: same length, one byte changed near the end.
    const rotten = Buffer.from(original);
    rotten[rotten.length - 10] = (rotten[rotten.length - 10]! + 1) % 256;
    writeFileSync(blobFile, rotten);

    for (const path of [`/api/2.0/mlflow-artifacts/artifacts/${root}/model.bin`, `/api/v1/runs/${root.split('/')[1]}/artifacts/model.bin`]) {
      const res = await raw('GET', path);
      if (res.status === 500) {
        expect(json(res).code).toBe('INTEGRITY_ERROR');
      } else {
        // Headers went out before the end of the blob was checked: the transfer must be cut,
        // so the client cannot take the corrupted bytes for the artifact.
        expect(res.status).toBe(200);
        expect(res.complete, `${path}: a corrupted blob was delivered as a complete ${res.body.length}-byte response`).toBe(false);
        expect(res.body.equals(rotten)).toBe(false);
      }
    }
    await expectAlive();
  });

  it('fails the download of a blob that grew or shrank on disk', async () => {
    const { root, runId } = await newRun();
    const original = Buffer.alloc(150_000, 'a');
    for (const [name, damaged] of [
      ['grown.bin', Buffer.concat([original, Buffer.alloc(100_000, 'b')])],
      ['shrunk.bin', original.subarray(0, 100_000)],
    ] as const) {
      // A distinct blob per case: the first byte differs.
      const bytes = Buffer.from(original);
      bytes[0] = name.charCodeAt(0);
      const broken = Buffer.from(damaged);
      broken[0] = name.charCodeAt(0);
      expect((await raw('PUT', `/api/v1/runs/${runId}/artifacts/${name}`, bytes, { 'content-type': 'application/octet-stream' })).status).toBe(200);
      const hex = (await platform.store.artifacts.get(`${root}/${name}`))!.digest.slice('sha256:'.length);
      writeFileSync(join(home, 'artifacts', 'sha256', hex.slice(0, 2), hex), broken);
      const res = await raw('GET', `/api/v1/runs/${runId}/artifacts/${name}`);
      if (res.status === 500) expect(json(res).code).toBe('INTEGRITY_ERROR');
      else expect(res.complete, `${name}: delivered as a complete ${res.body.length}-byte response`).toBe(false);
    }
    await expectAlive();
  });

  it('fails the download of a small corrupted blob as well', async () => {
    const { root } = await newRun();
    const put = await raw('PUT', `/api/2.0/mlflow-artifacts/artifacts/${root}/small.txt`, 'hello world', { 'content-type': 'text/plain' });
    expect(put.status).toBe(200);
    const record = await platform.store.artifacts.get(`${root}/small.txt`);
    const hex = record!.digest.slice('sha256:'.length);
    writeFileSync(join(home, 'artifacts', 'sha256', hex.slice(0, 2), hex), 'hello WORLD');
    const res = await raw('GET', `/api/2.0/mlflow-artifacts/artifacts/${root}/small.txt`);
    if (res.status === 500) expect(json(res).code).toBe('INTEGRITY_ERROR');
    else expect(res.complete, `a corrupted blob was delivered as a complete response: '${res.body.toString()}'`).toBe(false);
    await expectAlive();
  });
});
