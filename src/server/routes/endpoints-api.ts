import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Platform } from '../../orchard.js';

const admin = { config: { role: 'admin' } } as const;
const nameOf = (req: FastifyRequest) => (req.params as { name: string }).name;

/** Endpoint specs in Orchard's API (`/api/v1/endpoints…`): create, list, show, update, delete, rollback, revisions. */
export function endpointRoutes(platform: Platform) {
  const { endpoints } = platform;
  return async (app: FastifyInstance): Promise<void> => {
    app.get('/endpoints', async () => ({ endpoints: await endpoints.list() }));
    app.post('/endpoints', async (req) => endpoints.create(req.actor, req.body));
    app.get('/endpoints/:name', async (req) => endpoints.get(nameOf(req)));
    app.patch('/endpoints/:name', async (req) => endpoints.update(req.actor, nameOf(req), req.body ?? {}));
    app.delete('/endpoints/:name', admin, async (req) => {
      await endpoints.delete(req.actor, nameOf(req));
      return {};
    });
    app.post('/endpoints/:name/rollback', async (req) => endpoints.rollback(req.actor, nameOf(req)));
    app.get('/endpoints/:name/revisions', async (req) => ({ revisions: await endpoints.revisions(nameOf(req)) }));
  };
}
