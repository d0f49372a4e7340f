import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../../src/server/app.js';
import { isolatedPostgres, postgresUrl } from '../support/postgres.js';
import { tempPlatform } from '../support/temp.js';

/** The MLflow tracking flow end to end over HTTP, on PostgreSQL. */
describe.runIf(postgresUrl)('MLflow API on PostgreSQL', () => {
  let db: ReturnType<typeof isolatedPostgres>;
  let setup: Awaited<ReturnType<typeof tempPlatform>>;
  let app: FastifyInstance;
  const call = async (method: 'GET' | 'POST', url: string, payload?: object) => {
    const res = await app.inject({ method, url: `/api/2.0/mlflow/${url}`, payload });
    return { status: res.statusCode, body: res.json() };
  };

  beforeAll(async () => {
    db = isolatedPostgres();
    setup = await tempPlatform({ db: db.uri });
    app = await buildServer(setup.platform);
  });
  afterAll(async () => {
    await app?.close();
    await setup?.cleanup();
    await db?.drop();
  });

  it('creates an experiment and a run, logs 1000 metrics in a batch and reads the history back', async () => {
    const exp = await call('POST', 'experiments/create', { name: 'pg-flow' });
    expect(exp.body).toMatchObject({ experiment_id: expect.any(String) });
    const run = await call('POST', 'runs/create', { experiment_id: exp.body.experiment_id, run_name: 'pg' });
    const runId = run.body.run.info.run_id as string;
    const metrics = Array.from({ length: 1000 }, (_, i) => ({ key: 'loss', value: i === 500 ? 'NaN' : 1 / (i + 1), timestamp: 1_700_000_000_000 + i, step: i }));
    expect((await call('POST', 'runs/log-batch', { run_id: runId, metrics })).body).toEqual({});
    expect((await call('POST', 'runs/log-parameter', { run_id: runId, key: 'lr', value: '0.1' })).body).toEqual({});
    const history = await call('GET', `metrics/get-history?run_id=${runId}&metric_key=loss`);
    expect(history.body.metrics).toHaveLength(1000);
    expect(history.body.metrics[500].value).toBe('NaN');
    expect(history.body.metrics[999]).toEqual({ key: 'loss', value: 0.001, timestamp: 1_700_000_000_999, step: 999 });

    const overwrite = await call('POST', 'runs/log-batch', { run_id: runId, params: [{ key: 'lr', value: '0.2' }], metrics: [{ key: 'other', value: 1, timestamp: 1, step: 0 }] });
    expect(overwrite.status).toBe(400);
    expect(overwrite.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    expect((await call('GET', `metrics/get-history?run_id=${runId}&metric_key=other`)).body.metrics).toEqual([]);

    const found = await call('POST', 'runs/search', { experiment_ids: [exp.body.experiment_id], filter: "metrics.loss < 0.01 and params.lr = '0.1'" });
    expect(found.body.runs.map((r: { info: { run_id: string } }) => r.info.run_id)).toEqual([runId]);
    expect((await call('POST', 'experiments/create', { name: 'pg-flow' })).body.error_code).toBe('RESOURCE_ALREADY_EXISTS');
  });
});
