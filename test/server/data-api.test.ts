import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/server/app.js';
import { tempPlatform } from '../support/temp.js';

describe('datasets API', () => {
  let setup: Awaited<ReturnType<typeof tempPlatform>>;
  let app: FastifyInstance;
  beforeAll(async () => {
    setup = await tempPlatform();
    app = await buildServer(setup.platform);
    writeFileSync(join(setup.home, 'a.csv'), 'x,y\n' + Array.from({ length: 50 }, (_, i) => `${i},${i % 2 ? 'odd' : 'even'}`).join('\n'));
  });
  afterAll(async () => {
    await app.close();
    await setup.cleanup();
  });

  it('ingests a server-side file, serves the version, its lineage and an HTML profile', async () => {
    const created = await app.inject({ method: 'POST', url: '/api/v1/datasets', payload: { name: 'a', source: join(setup.home, 'a.csv') } });
    expect(created.statusCode, created.body).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/api/v1/datasets/a@1' })).json()).toMatchObject({ name: 'a', version: 1, rows: 50, versions: [1] });
    expect((await app.inject({ method: 'GET', url: '/api/v1/datasets/a/profile' })).statusCode).toBe(404);
    expect((await app.inject({ method: 'POST', url: '/api/v1/datasets/a/profile', payload: {} })).json().rows).toBe(50);
    const html = await app.inject({ method: 'GET', url: '/api/v1/datasets/a@1/profile.html' });
    expect(html.headers['content-type']).toContain('text/html');
    expect(html.body).toContain('<svg');
    const lineage = (await app.inject({ method: 'GET', url: '/api/v1/datasets/a/lineage' })).json();
    expect(lineage.upstream.map((e: { relation: string }) => e.relation)).toEqual(['produced']);
  });

  it('rejects malformed split specs and schemas with 400 and the fix', async () => {
    const split = await app.inject({ method: 'POST', url: '/api/v1/datasets/a/split', payload: { spec: { kind: 'random' } } });
    expect(split.statusCode).toBe(400);
    expect(split.json().message).toMatch(/"fractions" must map part names to numbers/);
    const kind = await app.inject({ method: 'POST', url: '/api/v1/datasets/a/split', payload: { spec: { kind: 'shuffle' } } });
    expect(kind.json().message).toMatch(/Split kind "shuffle" is unknown/);
    const validate = await app.inject({ method: 'POST', url: '/api/v1/datasets/a/validate', payload: { schema: { orchardSchema: 1, columns: [{ name: 'x' }] } } });
    expect(validate.statusCode).toBe(400);
    expect(validate.json().details.issues.length).toBeGreaterThan(0);
    const missing = await app.inject({ method: 'POST', url: '/api/v1/datasets', payload: { name: 'b', source: '/no/such/file.csv' } });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().message).toContain('/no/such/file.csv does not exist');
    expect((await app.inject({ method: 'GET', url: '/api/v1/datasets/nope' })).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: '/api/v1/datasets/bad%20name' })).statusCode).toBe(400);
  });
});
