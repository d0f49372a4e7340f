import type { FastifyInstance, FastifyRequest } from 'fastify';
import { invalidArgument } from '../../core/errors.js';
import { parseWindow } from '../../feedback/live-performance.js';
import type { AlertStateName } from '../../metadata/loop-repositories.js';
import type { Platform } from '../../orchard.js';

type Body = Record<string, unknown>;
const body = (req: FastifyRequest): Body => (req.body && typeof req.body === 'object' ? (req.body as Body) : {});
const name = (req: FastifyRequest) => (req.params as { name: string }).name;

/** Triggers, alerts and feedback (`/api/v1`); snake_case request bodies as in the rest of the API. */
export function loopRoutes(platform: Platform) {
  return async (app: FastifyInstance): Promise<void> => {
    // A webhook trigger: CI calls it with an editor token after pushing a pipeline version.
    app.post('/triggers/:name/fire', async (req) => {
      const b = body(req);
      const key = typeof b.key === 'string' && b.key !== '' ? b.key : undefined;
      const source = typeof b.source === 'string' && b.source !== '' ? b.source : undefined;
      const f = await platform.scheduler.fire(req.actor, name(req), { key, source });
      return { trigger: name(req), key: f.key, runId: f.runId, error: f.error, duplicate: f.duplicate };
    });
    app.get('/triggers', async () => ({ triggers: await platform.schedules.listTriggers() }));
    app.get('/schedules', async () => ({ schedules: await platform.schedules.listSchedules() }));

    app.get('/alerts', async (req) => {
      const q = req.query as { state?: string; rule?: string };
      const states = q.state ? (q.state.split(',') as AlertStateName[]) : undefined;
      return { alerts: await platform.alerts.listAlerts({ rule: q.rule, states }) };
    });
    app.get('/alerts/rules', async () => ({ rules: await platform.alerts.listRules() }));
    app.delete('/alerts/rules/:name', async (req) => {
      await platform.alerts.deleteRule(req.actor, (req.params as { name: string }).name);
      return {};
    });
    app.post('/metrics/points', async (req) => {
      const points = body(req).points;
      if (!Array.isArray(points)) throw invalidArgument('The body needs "points": [{"metric": "…", "labels": {…}, "value": 0.3, "at": <ms>}].');
      await platform.alerts.recordPoints(points.map((p: Body) => ({ metric: p.metric as string, labels: (p.labels ?? {}) as Record<string, string>, value: p.value as number, at: (p.at ?? platform.clock.now()) as number })));
      return { accepted: points.length };
    });

    // Feedback: {"labels": [...]}, {"feedback": [...]} (human), or {"dataset": "labels@2", "key": "request_id", "label": "delayed"}.
    app.post('/endpoints/:name/feedback', async (req) => {
      const b = body(req);
      const endpoint = name(req);
      if (Array.isArray(b.labels)) {
        const items = b.labels.map((l: Body) => ({ requestId: (l.request_id ?? l.requestId) as string, label: l.label as number | string }));
        return platform.feedback.submitLabels(req.actor, endpoint, items);
      }
      if (Array.isArray(b.feedback)) {
        const items = b.feedback.map((l: Body) => ({ requestId: (l.request_id ?? l.requestId) as string, score: l.score as number | undefined, thumb: l.thumb as 'up' | 'down' | undefined, comment: l.comment as string | undefined }));
        return platform.feedback.submitHuman(req.actor, endpoint, items);
      }
      if (typeof b.dataset === 'string') {
        return platform.feedback.importLabels(req.actor, endpoint, b.dataset, { key: typeof b.key === 'string' ? b.key : 'request_id', label: typeof b.label === 'string' ? b.label : 'label' });
      }
      throw invalidArgument(`Feedback for endpoint '${endpoint}' needs "labels" (ground truth by request id), "feedback" (score, thumb, comment) or "dataset" (a labels dataset version with "key" and "label" columns).`);
    });
    app.get('/endpoints/:name/performance', async (req) => {
      const w = (req.query as { window?: string }).window ?? '1d';
      const windowMs = parseWindow(w);
      if (windowMs === undefined) throw invalidArgument(`window is '${w}'; give a duration such as 30m, 6h, 1d or 1w.`);
      return platform.feedback.performance(name(req), windowMs);
    });
  };
}
