import type { FastifyInstance } from 'fastify';
import { invalidArgument } from '../../core/errors.js';
import type { Platform } from '../../orchard.js';
import { artifactPath } from '../../tracking/artifact-service.js';
import type { MetricPoint, Page, Run } from '../../tracking/types.js';
import { jsonNumber } from './mlflow-json.js';
import { input, listOf } from './request-input.js';
import { acceptRawBodies, bodyStream, contentTypeOf } from './raw-body.js';

const admin = { config: { role: 'admin' } } as const;

const metricOut = (m: MetricPoint) => ({ ...m, value: jsonNumber(m.value) });
const runOut = (r: Run) => ({ ...r, metrics: r.metrics.map(metricOut) });
const pageOut = <T, U>(p: Page<T>, f: (t: T) => U) => ({ items: p.items.map(f), ...(p.nextPageToken ? { nextPageToken: p.nextPageToken } : {}) });

/** Orchard's own REST API (`/api/v1`), camelCase JSON; docs/API.md lists it. */
export function orchardRoutes(platform: Platform) {
  const { tracking, artifacts, auth, store } = platform;
  return async (app: FastifyInstance): Promise<void> => {
    app.get('/whoami', async (req) => ({ actor: req.actor.name, role: req.principal?.role ?? 'admin', authenticated: req.principal !== undefined }));

    // ---- experiments
    app.post('/experiments', async (req) => {
      const i = input(req);
      return tracking.createExperiment(req.actor, { name: i.name, artifactLocation: i.artifactLocation, tags: i.tags });
    });
    app.get('/experiments', async (req) => {
      const i = input(req);
      const name = typeof i.name === 'string' ? { nameLike: { pattern: `%${i.name}%`, caseInsensitive: true } } : {};
      return pageOut(await tracking.searchExperiments({ viewType: i.viewType, maxResults: i.maxResults, pageToken: i.pageToken, ...name }), (e) => e);
    });
    app.get('/experiments/by-name/:name', async (req) => tracking.getExperimentByName((req.params as { name: string }).name));
    app.get('/experiments/:id', async (req) => tracking.getExperiment((req.params as { id: string }).id));
    app.patch('/experiments/:id', async (req) => {
      const id = (req.params as { id: string }).id;
      await tracking.renameExperiment(req.actor, id, input(req).name);
      return tracking.getExperiment(id);
    });
    app.delete('/experiments/:id', admin, async (req) => {
      await tracking.setExperimentLifecycle(req.actor, (req.params as { id: string }).id, 'deleted');
      return {};
    });
    app.post('/experiments/:id/restore', admin, async (req) => {
      await tracking.setExperimentLifecycle(req.actor, (req.params as { id: string }).id, 'active');
      return {};
    });

    // ---- runs
    app.post('/runs', async (req) => {
      const i = input(req);
      return runOut(await tracking.createRun(req.actor, { experimentId: i.experimentId, runName: i.runName, startTime: i.startTime, tags: i.tags, parentRunId: i.parentRunId }));
    });
    app.post('/runs/search', async (req) => {
      const i = input(req);
      const page = await tracking.searchRuns({
        experimentIds: listOf(i.experimentIds),
        filter: i.filter,
        orderBy: listOf(i.orderBy),
        viewType: i.viewType,
        maxResults: i.maxResults,
        pageToken: i.pageToken,
      });
      return pageOut(page, runOut);
    });
    app.get('/runs/:id', async (req) => runOut(await tracking.getRun((req.params as { id: string }).id)));
    app.patch('/runs/:id', async (req) => {
      const i = input(req);
      return tracking.updateRun(req.actor, (req.params as { id: string }).id, { status: i.status, endTime: i.endTime, runName: i.runName });
    });
    app.delete('/runs/:id', admin, async (req) => {
      await tracking.setRunLifecycle(req.actor, (req.params as { id: string }).id, 'deleted');
      return {};
    });
    app.post('/runs/:id/restore', admin, async (req) => {
      await tracking.setRunLifecycle(req.actor, (req.params as { id: string }).id, 'active');
      return {};
    });
    app.post('/runs/:id/batch', async (req) => {
      const i = input(req);
      await tracking.logBatch(req.actor, (req.params as { id: string }).id, { metrics: i.metrics, params: i.params, tags: i.tags });
      return {};
    });
    app.delete('/runs/:id/tags/:key', async (req) => {
      const { id, key } = req.params as { id: string; key: string };
      await tracking.deleteTag(req.actor, id, key);
      return {};
    });
    app.get('/runs/:id/metrics/:key', async (req) => {
      const { id, key } = req.params as { id: string; key: string };
      const i = input(req);
      return pageOut(await tracking.metricHistory(id, key, { maxResults: i.maxResults, pageToken: i.pageToken }), metricOut);
    });

    // ---- run artifacts, addressed relative to the run
    await app.register(async (scope) => {
      acceptRawBodies(scope);
      const pathIn = async (id: string, rel: string) => `${await artifacts.runRoot(id)}/${artifactPath(rel)}`;
      scope.put('/runs/:id/artifacts/*', async (req) => {
        const { id, '*': rel } = req.params as { id: string; '*': string };
        await tracking.getRun(id);
        const record = await artifacts.upload(req.actor, await pathIn(id, rel), bodyStream(req.body, req.raw));
        return { path: rel, digest: record.digest, size: record.size };
      });
      scope.get('/runs/:id/artifacts/*', async (req, reply) => {
        const { id, '*': rel } = req.params as { id: string; '*': string };
        const { record, stream } = await artifacts.open(await pathIn(id, rel));
        void reply.header('Content-Length', record.size).header('ETag', `"${record.digest}"`).type(contentTypeOf(rel));
        return reply.send(stream);
      });
      scope.get('/runs/:id/artifacts', async (req) => {
        const id = (req.params as { id: string }).id;
        const rel = (req.query as { path?: string }).path ?? '';
        const root = await artifacts.runRoot(id);
        return { items: await artifacts.list(rel === '' ? root : `${root}/${artifactPath(rel.replace(/\/+$/, ''))}`) };
      });
    });

    // ---- audit events and tokens
    app.get('/events', async (req) => {
      const i = input(req);
      const limit = i.limit === undefined ? 100 : Number(i.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw invalidArgument(`limit must be an integer from 1 to 1000, got '${String(i.limit)}'.`);
      const before = i.before === undefined ? undefined : Number(i.before);
      if (before !== undefined && !Number.isInteger(before)) throw invalidArgument(`before must be an event id, got '${String(i.before)}'.`);
      const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
      const items = await store.events.list({ entityKind: str(i.entityKind), entityId: str(i.entityId), actor: str(i.actor), beforeId: before, limit });
      return { items, ...(items.length === limit ? { nextBefore: items[items.length - 1]!.eventId } : {}) };
    });
    app.post('/tokens', admin, async (req) => {
      const i = input(req);
      return auth.createToken(req.actor, { name: i.name, role: i.role });
    });
    app.get('/tokens', admin, async () => ({ items: await auth.listTokens() }));
    app.delete('/tokens/:id', admin, async (req) => {
      await auth.revokeToken(req.actor, (req.params as { id: string }).id);
      return {};
    });
  };
}
