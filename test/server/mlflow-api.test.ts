import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/server/app.js';
import { tempPlatform } from '../support/temp.js';

/**
 * The MLflow-compatible Tracking API and artifact proxy, in-process. Shapes and
 * error codes follow MLflow's published REST API reference
 * (https://mlflow.org/docs/latest/rest-api.html), which MLflow clients rely on.
 */

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

const API = '/api/2.0/mlflow';

async function post(path: string, body: unknown): Promise<{ status: number; body: Json }> {
  const res = await app.inject({ method: 'POST', url: `${API}/${path}`, payload: body as object });
  return { status: res.statusCode, body: res.json() as Json };
}

async function get(path: string, query: Record<string, string | string[]> = {}): Promise<{ status: number; body: Json }> {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) for (const item of Array.isArray(v) ? v : [v]) qs.append(k, item);
  const res = await app.inject({ method: 'GET', url: `${API}/${path}?${qs.toString()}` });
  return { status: res.statusCode, body: res.json() as Json };
}

/** POST that must succeed; returns the body. */
async function ok(path: string, body: unknown): Promise<Json> {
  const res = await post(path, body);
  expect(res.status, `${path} → ${JSON.stringify(res.body)}`).toBe(200);
  return res.body;
}

async function okGet(path: string, query: Record<string, string | string[]> = {}): Promise<Json> {
  const res = await get(path, query);
  expect(res.status, `${path} → ${JSON.stringify(res.body)}`).toBe(200);
  return res.body;
}

let nameCounter = 0;
const uniqueName = (base: string) => `${base}-${++nameCounter}`;

async function newExperiment(base = 'exp'): Promise<string> {
  const { experiment_id } = await ok('experiments/create', { name: uniqueName(base) });
  return experiment_id as string;
}

async function newRun(experimentId: string, extra: Json = {}): Promise<Json> {
  const { run } = await ok('runs/create', { experiment_id: experimentId, start_time: 1_700_000_000_000, ...extra });
  return run as Json;
}

const tagValue = (run: Json, key: string) => (run.data.tags as Json[]).find((t) => t.key === key)?.value;
const paramValue = (run: Json, key: string) => (run.data.params as Json[]).find((t) => t.key === key)?.value;
const metricOf = (run: Json, key: string) => (run.data.metrics as Json[]).find((t) => t.key === key);

describe('experiments', () => {
  it('has a Default experiment with id "0"', async () => {
    const { experiment } = await okGet('experiments/get', { experiment_id: '0' });
    expect(experiment).toMatchObject({ experiment_id: '0', name: 'Default', lifecycle_stage: 'active', artifact_location: 'mlflow-artifacts:/0' });
    const byName = await okGet('experiments/get-by-name', { experiment_name: 'Default' });
    expect(byName.experiment.experiment_id).toBe('0');
  });

  it('creates an experiment and reads it back by id and by name', async () => {
    const name = uniqueName('create');
    const created = await ok('experiments/create', { name, tags: [{ key: 'team', value: 'fraud' }] });
    expect(typeof created.experiment_id).toBe('string');
    expect(created.experiment_id).toMatch(/^[1-9]\d*$/);

    const { experiment } = await okGet('experiments/get', { experiment_id: created.experiment_id });
    expect(experiment).toMatchObject({
      experiment_id: created.experiment_id,
      name,
      lifecycle_stage: 'active',
      artifact_location: `mlflow-artifacts:/${created.experiment_id}`,
      tags: [{ key: 'team', value: 'fraud' }],
    });
    expect(typeof experiment.creation_time).toBe('number');
    expect(typeof experiment.last_update_time).toBe('number');

    const byName = await okGet('experiments/get-by-name', { experiment_name: name });
    expect(byName.experiment.experiment_id).toBe(created.experiment_id);
  });

  it('refuses a duplicate name with 400 RESOURCE_ALREADY_EXISTS', async () => {
    const name = uniqueName('dup');
    await ok('experiments/create', { name });
    const again = await post('experiments/create', { name });
    expect(again.status).toBe(400);
    expect(again.body.error_code).toBe('RESOURCE_ALREADY_EXISTS');
    expect(again.body.message).toContain(name);
  });

  it('answers 404 RESOURCE_DOES_NOT_EXIST for unknown ids and names, 400 for a missing name', async () => {
    const byId = await get('experiments/get', { experiment_id: '987654' });
    expect(byId.status).toBe(404);
    expect(byId.body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
    const byName = await get('experiments/get-by-name', { experiment_name: 'no-such-experiment' });
    expect(byName.status).toBe(404);
    expect(byName.body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
    const noName = await post('experiments/create', {});
    expect(noName.status).toBe(400);
    expect(noName.body.error_code).toBe('INVALID_PARAMETER_VALUE');
  });

  it('searches with name LIKE and pages with next_page_token (POST and GET)', async () => {
    const prefix = uniqueName('pageme');
    const created = new Set<string>();
    for (let i = 0; i < 5; i++) created.add(await newExperiment(`${prefix}-x`));
    await newExperiment('unrelated');

    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await ok('experiments/search', { max_results: 2, filter: `name LIKE '${prefix}-x%'`, ...(token ? { page_token: token } : {}) });
      seen.push(...(page.experiments as Json[]).map((e) => e.experiment_id as string));
      token = page.next_page_token as string | undefined;
      pages++;
      expect(pages).toBeLessThan(10);
    } while (token);
    expect(pages).toBe(3);
    expect(seen).toHaveLength(5);
    expect(new Set(seen)).toEqual(created);

    // GET with the query string, as the MLflow client sends reads.
    const viaGet = await okGet('experiments/search', { max_results: '10', filter: `name LIKE '${prefix}-x%'` });
    expect(new Set((viaGet.experiments as Json[]).map((e) => e.experiment_id))).toEqual(created);
    expect(viaGet.next_page_token).toBeUndefined();

    // LIKE is case-sensitive; ILIKE is not.
    const upper = await ok('experiments/search', { filter: `name LIKE '${prefix.toUpperCase()}-X%'` });
    expect(upper.experiments ?? []).toHaveLength(0);
    const ilike = await ok('experiments/search', { filter: `name ILIKE '${prefix.toUpperCase()}-X%'` });
    expect(ilike.experiments).toHaveLength(5);

    const ordered = await ok('experiments/search', { filter: `name LIKE '${prefix}-x%'`, order_by: ['name DESC'] });
    const names = (ordered.experiments as Json[]).map((e) => e.name as string);
    expect(names).toEqual([...names].sort().reverse());
  });

  it('renames with experiments/update, refusing a taken name', async () => {
    const id = await newExperiment('rename-me');
    const newName = uniqueName('renamed');
    await ok('experiments/update', { experiment_id: id, new_name: newName });
    expect((await okGet('experiments/get', { experiment_id: id })).experiment.name).toBe(newName);
    expect((await okGet('experiments/get-by-name', { experiment_name: newName })).experiment.experiment_id).toBe(id);

    const taken = await post('experiments/update', { experiment_id: id, new_name: 'Default' });
    expect(taken.status).toBe(400);
    expect(taken.body.error_code).toBe('RESOURCE_ALREADY_EXISTS');
    const missing = await post('experiments/update', { experiment_id: '987654', new_name: uniqueName('x') });
    expect(missing.status).toBe(404);
    expect(missing.body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
  });

  it('deletes and restores; deleted experiments leave ACTIVE_ONLY searches and take no runs', async () => {
    const id = await newExperiment('doomed');
    const name = (await okGet('experiments/get', { experiment_id: id })).experiment.name as string;
    await ok('experiments/delete', { experiment_id: id });
    expect((await okGet('experiments/get', { experiment_id: id })).experiment.lifecycle_stage).toBe('deleted');

    const active = await ok('experiments/search', { filter: `name = '${name}'` });
    expect(active.experiments ?? []).toHaveLength(0);
    const deleted = await ok('experiments/search', { filter: `name = '${name}'`, view_type: 'DELETED_ONLY' });
    expect((deleted.experiments as Json[]).map((e) => e.experiment_id)).toEqual([id]);

    const run = await post('runs/create', { experiment_id: id });
    expect(run.status).toBe(400);
    expect(run.body.error_code).toBe('INVALID_PARAMETER_VALUE');

    await ok('experiments/restore', { experiment_id: id });
    expect((await okGet('experiments/get', { experiment_id: id })).experiment.lifecycle_stage).toBe('active');
    await newRun(id);

    const defaultDelete = await post('experiments/delete', { experiment_id: '0' });
    expect(defaultDelete.status).toBe(400);
    expect(defaultDelete.body.error_code).toBe('INVALID_PARAMETER_VALUE');
  });
});

describe('experiment tags and the ajax-api prefix', () => {
  it('sets an experiment tag, overwriting its value', async () => {
    const id = await newExperiment('tagged');
    await ok('experiments/set-experiment-tag', { experiment_id: id, key: 'owner', value: 'ana' });
    await ok('experiments/set-experiment-tag', { experiment_id: id, key: 'owner', value: 'bo' });
    expect((await okGet('experiments/get', { experiment_id: id })).experiment.tags).toEqual([{ key: 'owner', value: 'bo' }]);
    const missing = await post('experiments/set-experiment-tag', { experiment_id: '987654', key: 'owner', value: 'x' });
    expect(missing.status).toBe(404);
  });

  it('serves the same API under /ajax-api/2.0/mlflow, as the MLflow UI calls it', async () => {
    const res = await app.inject({ method: 'GET', url: '/ajax-api/2.0/mlflow/experiments/get?experiment_id=0' });
    expect(res.statusCode).toBe(200);
    expect(res.json().experiment.name).toBe('Default');
    const unknown = await app.inject({ method: 'GET', url: '/api/2.0/mlflow/experiments/list-everything' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error_code).toBe('ENDPOINT_NOT_FOUND');
  });
});

describe('runs', () => {
  it('deletes and restores a run; a deleted run leaves ACTIVE_ONLY searches and takes no writes', async () => {
    const exp = await newExperiment('run-lifecycle');
    const run_id = (await newRun(exp)).info.run_id as string;
    await ok('runs/delete', { run_id });
    expect((await okGet('runs/get', { run_id })).run.info.lifecycle_stage).toBe('deleted');
    expect((await ok('runs/search', { experiment_ids: [exp] })).runs ?? []).toHaveLength(0);
    const deleted = await ok('runs/search', { experiment_ids: [exp], run_view_type: 'DELETED_ONLY' });
    expect((deleted.runs as Json[]).map((r) => r.info.run_id)).toEqual([run_id]);
    const write = await post('runs/log-metric', { run_id, key: 'm', value: 1, timestamp: 1, step: 0 });
    expect(write.status).toBe(400);
    expect(write.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    await ok('runs/restore', { run_id });
    expect((await okGet('runs/get', { run_id })).run.info.lifecycle_stage).toBe('active');
    await ok('runs/log-metric', { run_id, key: 'm', value: 1, timestamp: 1, step: 0 });
    expect((await ok('runs/search', { experiment_ids: [exp], run_view_type: 'ALL' })).runs).toHaveLength(1);
  });

  it('creates a run whose info has run_id, run_uuid and an mlflow-artifacts URI', async () => {
    const exp = await newExperiment('runs');
    const run = await newRun(exp, { run_name: 'baseline', tags: [{ key: 'stage', value: 'dev' }], user_id: 'alice' });
    expect(run.info.run_id).toMatch(/^[0-9a-f]{32}$/);
    expect(run.info.run_uuid).toBe(run.info.run_id);
    expect(run.info).toMatchObject({
      experiment_id: exp,
      run_name: 'baseline',
      user_id: 'alice',
      status: 'RUNNING',
      start_time: 1_700_000_000_000,
      lifecycle_stage: 'active',
      artifact_uri: `mlflow-artifacts:/${exp}/${run.info.run_id}/artifacts`,
    });
    expect(run.info.end_time).toBeUndefined();
    expect(tagValue(run, 'stage')).toBe('dev');
    expect(tagValue(run, 'mlflow.runName')).toBe('baseline');

    const fetched = await okGet('runs/get', { run_id: run.info.run_id });
    expect(fetched.run.info).toEqual(run.info);
    const byUuid = await okGet('runs/get', { run_uuid: run.info.run_id });
    expect(byUuid.run.info.run_id).toBe(run.info.run_id);
  });

  it('puts a run without experiment_id in the Default experiment', async () => {
    const { run } = await ok('runs/create', {});
    expect(run.info.experiment_id).toBe('0');
    expect(run.info.artifact_uri).toBe(`mlflow-artifacts:/0/${run.info.run_id}/artifacts`);
  });

  it('updates status, end time and name', async () => {
    const run = await newRun(await newExperiment('update'));
    const id = run.info.run_id as string;
    const updated = await ok('runs/update', { run_id: id, status: 'FINISHED', end_time: 1_700_000_123_000, run_name: 'renamed' });
    expect(updated.run_info).toMatchObject({ run_id: id, run_uuid: id, status: 'FINISHED', end_time: 1_700_000_123_000, run_name: 'renamed' });
    const { run: after } = await okGet('runs/get', { run_id: id });
    expect(after.info).toMatchObject({ status: 'FINISHED', end_time: 1_700_000_123_000, run_name: 'renamed' });
    expect(tagValue(after, 'mlflow.runName')).toBe('renamed');

    const bad = await post('runs/update', { run_id: id, status: 'DONE' });
    expect(bad.status).toBe(400);
    expect(bad.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    expect(bad.body.message).toContain('DONE');
  });

  it('answers 404 for an unknown run and 400 for a malformed run id', async () => {
    const unknown = await get('runs/get', { run_id: 'f'.repeat(32) });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
    const malformed = await get('runs/get', { run_id: 'not-a-run' });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    const logUnknown = await post('runs/log-metric', { run_id: 'e'.repeat(32), key: 'x', value: 1, timestamp: 1, step: 0 });
    expect(logUnknown.status).toBe(404);
    expect(logUnknown.body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
  });

  it('logs a metric, a param and a tag, and deletes the tag', async () => {
    const run = await newRun(await newExperiment('log'));
    const run_id = run.info.run_id as string;
    await ok('runs/log-metric', { run_id, key: 'auc', value: 0.91, timestamp: 1_700_000_000_500, step: 3 });
    await ok('runs/log-parameter', { run_id, key: 'learner', value: 'gbdt' });
    await ok('runs/set-tag', { run_id, key: 'stage', value: 'prod' });
    // run_uuid is accepted as well (older clients).
    await ok('runs/set-tag', { run_uuid: run_id, key: 'owner', value: 'bob' });

    let { run: got } = await okGet('runs/get', { run_id });
    expect(metricOf(got, 'auc')).toEqual({ key: 'auc', value: 0.91, timestamp: 1_700_000_000_500, step: 3 });
    expect(paramValue(got, 'learner')).toBe('gbdt');
    expect(tagValue(got, 'stage')).toBe('prod');
    expect(tagValue(got, 'owner')).toBe('bob');

    await ok('runs/delete-tag', { run_id, key: 'stage' });
    ({ run: got } = await okGet('runs/get', { run_id }));
    expect(tagValue(got, 'stage')).toBeUndefined();
    expect(tagValue(got, 'owner')).toBe('bob');
    const again = await post('runs/delete-tag', { run_id, key: 'stage' });
    expect(again.status).toBe(404);
    expect(again.body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
  });

  it('logs a batch of 1000 metrics and returns the whole history in step order', async () => {
    const run = await newRun(await newExperiment('batch'));
    const run_id = run.info.run_id as string;
    // Sent in a scrambled order: the history must come back sorted by step.
    const steps = Array.from({ length: 1000 }, (_, i) => (i * 617) % 1000);
    expect(new Set(steps).size).toBe(1000);
    const metrics = steps.map((step) => ({ key: 'loss', value: 1 / (step + 1), timestamp: 1_700_000_000_000 + step, step }));
    await ok('runs/log-batch', { run_id, metrics });
    await ok('runs/log-batch', { run_id, params: [{ key: 'epochs', value: '1000' }], tags: [{ key: 'kind', value: 'sweep' }] });

    const history = await okGet('metrics/get-history', { run_id, metric_key: 'loss' });
    expect(history.metrics).toHaveLength(1000);
    expect(history.next_page_token).toBeUndefined();
    (history.metrics as Json[]).forEach((m, i) => {
      expect(m).toEqual({ key: 'loss', value: 1 / (i + 1), timestamp: 1_700_000_000_000 + i, step: i });
    });

    const { run: got } = await okGet('runs/get', { run_id });
    // The run shows the latest point: the highest step.
    expect(metricOf(got, 'loss')).toEqual({ key: 'loss', value: 1 / 1000, timestamp: 1_700_000_000_999, step: 999 });
    expect(paramValue(got, 'epochs')).toBe('1000');
    expect(tagValue(got, 'kind')).toBe('sweep');
  });

  it('pages a metric history with max_results and next_page_token', async () => {
    const run = await newRun(await newExperiment('history-pages'));
    const run_id = run.info.run_id as string;
    await ok('runs/log-batch', { run_id, metrics: Array.from({ length: 7 }, (_, step) => ({ key: 'acc', value: step / 10, timestamp: 1000 + step, step })) });
    const steps: number[] = [];
    let token: string | undefined;
    do {
      const page = await okGet('metrics/get-history', { run_id, metric_key: 'acc', max_results: '3', ...(token ? { page_token: token } : {}) });
      steps.push(...(page.metrics as Json[]).map((m) => m.step as number));
      token = page.next_page_token as string | undefined;
    } while (token && steps.length < 100);
    expect(steps).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it('refuses a log-batch over MLflow\'s limit of 1000 metrics, writing nothing', async () => {
    const run = await newRun(await newExperiment('too-big'));
    const run_id = run.info.run_id as string;
    const metrics = Array.from({ length: 1001 }, (_, step) => ({ key: 'm', value: step, timestamp: 1, step }));
    const res = await post('runs/log-batch', { run_id, metrics });
    expect(res.status).toBe(400);
    expect(res.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    expect(res.body.message).toContain('1001');
    expect((await okGet('metrics/get-history', { run_id, metric_key: 'm' })).metrics ?? []).toHaveLength(0);
    // The limit counts every item: 1000 metrics and a param are one too many.
    const mixed = await post('runs/log-batch', { run_id, metrics: metrics.slice(0, 1000), params: [{ key: 'p', value: '1' }] });
    expect(mixed.status).toBe(400);
    expect(mixed.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    expect((await okGet('runs/get', { run_id })).run.data.params).toEqual([]);
  });

  it('round-trips NaN and ±Infinity as the strings protobuf JSON uses', async () => {
    const run = await newRun(await newExperiment('nan'));
    const run_id = run.info.run_id as string;
    await ok('runs/log-metric', { run_id, key: 'weird', value: 'NaN', timestamp: 1, step: 0 });
    await ok('runs/log-metric', { run_id, key: 'weird', value: 'Infinity', timestamp: 2, step: 1 });
    await ok('runs/log-metric', { run_id, key: 'weird', value: '-Infinity', timestamp: 3, step: 2 });
    await ok('runs/log-batch', { run_id, metrics: [{ key: 'weird', value: 'NaN', timestamp: 4, step: 3 }] });

    const history = await okGet('metrics/get-history', { run_id, metric_key: 'weird' });
    expect((history.metrics as Json[]).map((m) => m.value)).toEqual(['NaN', 'Infinity', '-Infinity', 'NaN']);
    const { run: got } = await okGet('runs/get', { run_id });
    expect(metricOf(got, 'weird')).toEqual({ key: 'weird', value: 'NaN', timestamp: 4, step: 3 });
  });

  it('keeps params immutable: the same value is fine, another value is refused and nothing of that batch is written', async () => {
    const run = await newRun(await newExperiment('params'));
    const run_id = run.info.run_id as string;
    await ok('runs/log-parameter', { run_id, key: 'lr', value: '0.1' });
    await ok('runs/log-parameter', { run_id, key: 'lr', value: '0.1' });
    await ok('runs/log-batch', { run_id, params: [{ key: 'lr', value: '0.1' }] });

    const changed = await post('runs/log-parameter', { run_id, key: 'lr', value: '0.2' });
    expect(changed.status).toBe(400);
    expect(changed.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    expect(changed.body.message).toContain("'0.1'");
    expect(changed.body.message).toContain("'0.2'");

    const batch = await post('runs/log-batch', {
      run_id,
      metrics: [{ key: 'acc', value: 0.5, timestamp: 10, step: 0 }],
      params: [{ key: 'depth', value: '6' }, { key: 'lr', value: '0.3' }],
      tags: [{ key: 'note', value: 'should not land' }],
    });
    expect(batch.status).toBe(400);
    expect(batch.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    expect(batch.body.message).toContain("'0.1'");
    expect(batch.body.message).toContain("'0.3'");

    const history = await okGet('metrics/get-history', { run_id, metric_key: 'acc' });
    expect(history.metrics ?? []).toHaveLength(0);
    const { run: got } = await okGet('runs/get', { run_id });
    expect(got.data.params).toEqual([{ key: 'lr', value: '0.1' }]);
    expect(metricOf(got, 'acc')).toBeUndefined();
    expect(tagValue(got, 'note')).toBeUndefined();
  });
});

describe('runs/search', () => {
  let exp: string;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    exp = await newExperiment('search');
    const spec = [
      { name: 'a', x: 0.95, learner: 'gbdt', stage: 'prod', finish: true },
      { name: 'b', x: 0.85, learner: 'gbdt', stage: 'prod', finish: false },
      { name: 'c', x: 0.9, learner: 'gbdt', stage: 'dev', finish: true },
      { name: 'd', x: 0.99, learner: 'linear', stage: 'prod', finish: true },
      { name: 'e', x: 0.5, learner: 'gbdt', stage: 'prod', finish: true },
      { name: 'f', x: 0.7, learner: 'forest', stage: 'staging', finish: false },
    ];
    for (const s of spec) {
      const run = await newRun(exp, { run_name: `run-${s.name}` });
      const run_id = run.info.run_id as string;
      ids[s.name] = run_id;
      await ok('runs/log-batch', {
        run_id,
        metrics: [{ key: 'x', value: s.x, timestamp: 1, step: 0 }],
        params: [{ key: 'learner', value: s.learner }],
        tags: [{ key: 'stage', value: s.stage }],
      });
      if (s.finish) await ok('runs/update', { run_id, status: 'FINISHED', end_time: 1_700_000_100_000 });
    }
  });

  const names = (body: Json) => ((body.runs ?? []) as Json[]).map((r) => (r.info.run_name as string).slice('run-'.length));
  const search = (body: Json) => ok('runs/search', { experiment_ids: [exp], ...body });

  it('filters on metrics, params and tags joined by AND', async () => {
    const res = await search({ filter: "metrics.x > 0.8 and params.learner = 'gbdt' and tags.stage = 'prod'" });
    expect(names(res).sort()).toEqual(['a', 'b']);
  });

  it('supports IN, LIKE and attributes.status', async () => {
    expect(names(await search({ filter: "tags.stage IN ('staging', 'dev')" })).sort()).toEqual(['c', 'f']);
    expect(names(await search({ filter: "params.learner LIKE 'f%'" }))).toEqual(['f']);
    expect(names(await search({ filter: "attributes.status = 'RUNNING'" })).sort()).toEqual(['b', 'f']);
    expect(names(await search({ filter: "attributes.status = 'FINISHED' and metrics.x >= 0.9" })).sort()).toEqual(['a', 'c', 'd']);
    expect(names(await search({ filter: "attributes.run_name = 'run-e'" }))).toEqual(['e']);
  });

  it('orders by a metric, descending', async () => {
    expect(names(await search({ order_by: ['metrics.x DESC'] }))).toEqual(['d', 'a', 'c', 'b', 'f', 'e']);
    expect(names(await search({ order_by: ['metrics.x ASC'], filter: "params.learner = 'gbdt'" }))).toEqual(['e', 'b', 'c', 'a']);
  });

  it('pages with max_results and next_page_token', async () => {
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await search({ order_by: ['metrics.x DESC'], max_results: 4, ...(token ? { page_token: token } : {}) });
      seen.push(...names(page));
      token = page.next_page_token as string | undefined;
      pages++;
    } while (token && pages < 10);
    expect(pages).toBe(2);
    expect(seen).toEqual(['d', 'a', 'c', 'b', 'f', 'e']);
  });

  it('returns whole runs with info and data', async () => {
    const res = await search({ filter: "attributes.run_name = 'run-a'" });
    const run = (res.runs as Json[])[0]!;
    expect(run.info.run_id).toBe(ids.a);
    expect(run.info.run_uuid).toBe(ids.a);
    expect(metricOf(run, 'x')?.value).toBe(0.95);
    expect(paramValue(run, 'learner')).toBe('gbdt');
  });

  it('rejects a malformed filter with 400 INVALID_PARAMETER_VALUE naming the problem', async () => {
    const res = await post('runs/search', { experiment_ids: [exp], filter: 'metrics.x >> 1' });
    expect(res.status).toBe(400);
    expect(res.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    const or = await post('runs/search', { experiment_ids: [exp], filter: "tags.stage = 'a' or tags.stage = 'b'" });
    expect(or.status).toBe(400);
    expect(or.body.message).toContain('OR');
  });
});

describe('artifacts', () => {
  const ART = '/api/2.0/mlflow-artifacts/artifacts';

  it('uploads, downloads, lists and deletes through the artifact proxy', async () => {
    const exp = await newExperiment('artifacts');
    const run = await newRun(exp);
    const run_id = run.info.run_id as string;
    const root = `${exp}/${run_id}/artifacts`;
    expect(run.info.artifact_uri).toBe(`mlflow-artifacts:/${root}`);

    const weights = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 31) % 256));
    const put = await app.inject({ method: 'PUT', url: `${ART}/${root}/model/weights.bin`, payload: weights, headers: { 'content-type': 'application/octet-stream' } });
    expect(put.statusCode, put.body).toBe(200);
    const putJson = await app.inject({ method: 'PUT', url: `${ART}/${root}/metrics.json`, payload: '{"auc":0.9}', headers: { 'content-type': 'application/json' } });
    expect(putJson.statusCode, putJson.body).toBe(200);

    const down = await app.inject({ method: 'GET', url: `${ART}/${root}/model/weights.bin` });
    expect(down.statusCode).toBe(200);
    expect(down.rawPayload.equals(weights)).toBe(true);
    expect(Number(down.headers['content-length'])).toBe(weights.length);
    const json = await app.inject({ method: 'GET', url: `${ART}/${root}/metrics.json` });
    expect(json.body).toBe('{"auc":0.9}');
    expect(json.headers['content-type']).toContain('application/json');

    // The proxy's listing gives basenames.
    const top = await app.inject({ method: 'GET', url: `${ART}?path=${encodeURIComponent(root)}` });
    expect(top.statusCode).toBe(200);
    expect(top.json()).toEqual({ files: [{ path: 'model', is_dir: true }, { path: 'metrics.json', is_dir: false, file_size: 11 }] });
    const inner = await app.inject({ method: 'GET', url: `${ART}?path=${encodeURIComponent(`${root}/model`)}` });
    expect(inner.json()).toEqual({ files: [{ path: 'weights.bin', is_dir: false, file_size: 4096 }] });

    // The tracking API's listing gives paths relative to the run's root.
    const listed = await okGet('artifacts/list', { run_id });
    expect(listed.root_uri).toBe(run.info.artifact_uri);
    expect(listed.files).toEqual([{ path: 'model', is_dir: true }, { path: 'metrics.json', is_dir: false, file_size: 11 }]);
    const listedInner = await okGet('artifacts/list', { run_id, path: 'model' });
    expect(listedInner.files).toEqual([{ path: 'model/weights.bin', is_dir: false, file_size: 4096 }]);

    const del = await app.inject({ method: 'DELETE', url: `${ART}/${root}/model/weights.bin` });
    expect(del.statusCode, del.body).toBe(200);
    const gone = await app.inject({ method: 'GET', url: `${ART}/${root}/model/weights.bin` });
    expect(gone.statusCode).toBe(404);
    expect(gone.json().error_code).toBe('RESOURCE_DOES_NOT_EXIST');
    const after = await app.inject({ method: 'GET', url: `${ART}?path=${encodeURIComponent(root)}` });
    expect(after.json()).toEqual({ files: [{ path: 'metrics.json', is_dir: false, file_size: 11 }] });
  });

  it('refuses uploads into an unknown run and answers 404 for a missing file', async () => {
    const exp = await newExperiment('artifacts-missing');
    const put = await app.inject({ method: 'PUT', url: `${ART}/${exp}/${'a'.repeat(32)}/artifacts/x.txt`, payload: 'x', headers: { 'content-type': 'text/plain' } });
    expect(put.statusCode).toBe(404);
    expect(put.json().error_code).toBe('RESOURCE_DOES_NOT_EXIST');
    const missing = await app.inject({ method: 'GET', url: `${ART}/${exp}/nothing/here.txt` });
    expect(missing.statusCode).toBe(404);
    const list = await get('artifacts/list', { run_id: 'b'.repeat(32) });
    expect(list.status).toBe(404);
  });

  it('refuses a path that names a run under another experiment', async () => {
    const exp = await newExperiment('artifacts-wrong-exp');
    const { run } = await ok('runs/create', { experiment_id: exp });
    const runId = run.info.run_id as string;
    const put = await app.inject({ method: 'PUT', url: `${ART}/0/${runId}/artifacts/sneaky.txt`, payload: 'x', headers: { 'content-type': 'text/plain' } });
    expect(put.statusCode).toBe(400);
    expect(put.json().message).toContain(`live under '${exp}/${runId}/artifacts/'`);
  });
});

describe('deleted runs', () => {
  it('refuse updates, as MLflow does, until restored', async () => {
    const { run } = await ok('runs/create', { experiment_id: '0' });
    const runId = run.info.run_id as string;
    await ok('runs/delete', { run_id: runId });
    const update = await post('runs/update', { run_id: runId, status: 'FINISHED' });
    expect(update.status).toBe(400);
    expect(update.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    await ok('runs/restore', { run_id: runId });
    expect((await ok('runs/update', { run_id: runId, status: 'FINISHED' })).run_info.status).toBe('FINISHED');
  });
});
