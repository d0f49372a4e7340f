import type { FastifyInstance, FastifyRequest } from 'fastify';
import { invalidArgument } from '../../core/errors.js';
import type { Platform } from '../../orchard.js';
import { rootOf } from '../../tracking/artifact-service.js';
import type { ExperimentOrder } from '../../tracking/tracking-service.js';
import { LIMITS } from '../../tracking/validation.js';
import { experimentJson, fileJson, metricJson, runInfoJson, runJson } from './mlflow-json.js';
import { input, listOf } from './request-input.js';

const runIdOf = (i: Record<string, unknown>) => i.run_id ?? i.run_uuid;
const admin = { config: { role: 'admin' } } as const;

/**
 * MLflow's Tracking REST API (`/api/2.0/mlflow/…`), request and response shapes as
 * its published reference gives them, so MLflow clients work against Orchard.
 */
export function mlflowTrackingRoutes(platform: Platform) {
  const { tracking, artifacts } = platform;
  return async (app: FastifyInstance): Promise<void> => {
    // ---- experiments
    app.post('/experiments/create', async (req) => {
      const i = input(req);
      const exp = await tracking.createExperiment(req.actor, { name: i.name, artifactLocation: i.artifact_location, tags: i.tags });
      return { experiment_id: exp.experimentId };
    });
    app.get('/experiments/get', async (req) => ({ experiment: experimentJson(await tracking.getExperiment(input(req).experiment_id)) }));
    app.get('/experiments/get-by-name', async (req) => ({ experiment: experimentJson(await tracking.getExperimentByName(input(req).experiment_name)) }));
    const searchExperiments = async (req: FastifyRequest) => {
      const i = input(req);
      const page = await tracking.searchExperiments({
        viewType: i.view_type,
        maxResults: i.max_results,
        pageToken: i.page_token,
        ...experimentFilter(i.filter),
        orderBy: experimentOrder(listOf(i.order_by)),
      });
      return { experiments: page.items.map(experimentJson), ...(page.nextPageToken ? { next_page_token: page.nextPageToken } : {}) };
    };
    app.post('/experiments/search', searchExperiments);
    app.get('/experiments/search', searchExperiments);
    app.post('/experiments/update', async (req) => {
      const i = input(req);
      await tracking.renameExperiment(req.actor, i.experiment_id, i.new_name);
      return {};
    });
    app.post('/experiments/delete', admin, async (req) => {
      await tracking.setExperimentLifecycle(req.actor, input(req).experiment_id, 'deleted');
      return {};
    });
    app.post('/experiments/restore', admin, async (req) => {
      await tracking.setExperimentLifecycle(req.actor, input(req).experiment_id, 'active');
      return {};
    });
    app.post('/experiments/set-experiment-tag', async (req) => {
      const i = input(req);
      await tracking.setExperimentTag(req.actor, i.experiment_id, i.key, i.value);
      return {};
    });

    // ---- runs
    app.post('/runs/create', async (req) => {
      const i = input(req);
      const run = await tracking.createRun(req.actor, { experimentId: i.experiment_id, runName: i.run_name, startTime: i.start_time, tags: i.tags, userId: i.user_id });
      return { run: runJson(run) };
    });
    app.post('/runs/update', async (req) => {
      const i = input(req);
      const info = await tracking.updateRun(req.actor, runIdOf(i), { status: i.status, endTime: i.end_time, runName: i.run_name });
      return { run_info: runInfoJson(info) };
    });
    app.get('/runs/get', async (req) => ({ run: runJson(await tracking.getRun(runIdOf(input(req)))) }));
    const searchRuns = async (req: FastifyRequest) => {
      const i = input(req);
      const page = await tracking.searchRuns({
        experimentIds: listOf(i.experiment_ids),
        filter: i.filter,
        orderBy: listOf(i.order_by),
        viewType: i.run_view_type,
        maxResults: i.max_results,
        pageToken: i.page_token,
      });
      return { runs: page.items.map(runJson), ...(page.nextPageToken ? { next_page_token: page.nextPageToken } : {}) };
    };
    app.post('/runs/search', searchRuns);
    app.get('/runs/search', searchRuns);
    app.post('/runs/delete', admin, async (req) => {
      await tracking.setRunLifecycle(req.actor, runIdOf(input(req)), 'deleted');
      return {};
    });
    app.post('/runs/restore', admin, async (req) => {
      await tracking.setRunLifecycle(req.actor, runIdOf(input(req)), 'active');
      return {};
    });
    app.post('/runs/log-metric', async (req) => {
      const i = input(req);
      await tracking.logBatch(req.actor, runIdOf(i), { metrics: [{ key: i.key, value: i.value, timestamp: i.timestamp, step: i.step }] }, LIMITS.mlflowBatch);
      return {};
    });
    app.post('/runs/log-parameter', async (req) => {
      const i = input(req);
      await tracking.logBatch(req.actor, runIdOf(i), { params: [{ key: i.key, value: i.value }] }, LIMITS.mlflowBatch);
      return {};
    });
    app.post('/runs/set-tag', async (req) => {
      const i = input(req);
      await tracking.logBatch(req.actor, runIdOf(i), { tags: [{ key: i.key, value: i.value }] }, LIMITS.mlflowBatch);
      return {};
    });
    app.post('/runs/delete-tag', async (req) => {
      const i = input(req);
      await tracking.deleteTag(req.actor, runIdOf(i), i.key);
      return {};
    });
    app.post('/runs/log-batch', async (req) => {
      const i = input(req);
      await tracking.logBatch(req.actor, runIdOf(i), { metrics: i.metrics, params: i.params, tags: i.tags }, LIMITS.mlflowBatch);
      return {};
    });

    // ---- metrics and artifacts of a run
    app.get('/metrics/get-history', async (req) => {
      const i = input(req);
      const page = await tracking.metricHistory(runIdOf(i), i.metric_key, { maxResults: i.max_results, pageToken: i.page_token });
      return { metrics: page.items.map(metricJson), ...(page.nextPageToken ? { next_page_token: page.nextPageToken } : {}) };
    });
    app.get('/artifacts/list', async (req) => {
      const i = input(req);
      const run = await tracking.getRun(runIdOf(i));
      const root = rootOf(run.info);
      const rel = typeof i.path === 'string' && i.path !== '' ? i.path.replace(/\/+$/, '') : '';
      const files = await artifacts.list(rel === '' ? root : `${root}/${rel}`);
      return { root_uri: run.info.artifactUri, files: files.map((f) => fileJson(f, rel === '' ? '' : `${rel}/`)) };
    });
  };
}

/** MLflow experiment filters Orchard understands: `name = 'x'` and `name LIKE '%x%'` (ILIKE too). */
function experimentFilter(filter: unknown): { exactName?: string; nameLike?: { pattern: string; caseInsensitive: boolean } } {
  if (filter === undefined || filter === null || filter === '') return {};
  const m = /^\s*(?:attributes?\.)?name\s+(=|LIKE|ILIKE)\s+(['"])(.*)\2\s*$/i.exec(String(filter));
  if (!m) throw invalidArgument(`Experiment filter '${String(filter)}' is not supported; use name = 'x' or name LIKE '%x%'.`, { filter });
  const [, op = '', , value = ''] = m;
  if (op === '=') return { exactName: value };
  return { nameLike: { pattern: value, caseInsensitive: op.toUpperCase() === 'ILIKE' } };
}

function experimentOrder(entries: unknown[] | undefined): ExperimentOrder[] {
  return (entries ?? []).map((e) => {
    const m = /^\s*(?:attributes?\.)?(name|experiment_id|creation_time|last_update_time)(?:\s+(ASC|DESC))?\s*$/i.exec(String(e));
    if (!m) throw invalidArgument(`Experiment order_by '${String(e)}' is not supported; use name, experiment_id, creation_time or last_update_time with ASC or DESC.`);
    return { field: m[1]!.toLowerCase() as ExperimentOrder['field'], ascending: (m[2] ?? 'ASC').toUpperCase() === 'ASC' };
  });
}
