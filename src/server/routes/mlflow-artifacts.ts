import type { FastifyInstance } from 'fastify';
import type { Platform } from '../../orchard.js';
import { fileJson } from './mlflow-json.js';
import { acceptRawBodies, bodyStream, contentTypeOf } from './raw-body.js';

/**
 * MLflow's artifact proxy (`/api/2.0/mlflow-artifacts/artifacts/<path>`): clients of
 * experiments whose artifact location is `mlflow-artifacts:/…` upload and download here.
 */
export function mlflowArtifactRoutes(platform: Platform) {
  const { artifacts } = platform;
  return async (app: FastifyInstance): Promise<void> => {
    acceptRawBodies(app);
    app.put('/artifacts/*', async (req) => {
      const path = (req.params as { '*': string })['*'];
      await artifacts.upload(req.actor, path, bodyStream(req.body, req.raw));
      return {};
    });
    app.get('/artifacts/*', async (req, reply) => {
      const path = (req.params as { '*': string })['*'];
      const { record, stream } = await artifacts.open(path);
      void reply.header('Content-Length', record.size).header('ETag', `"${record.digest}"`).type(contentTypeOf(path));
      return reply.send(stream);
    });
    app.get('/artifacts', async (req) => {
      const path = (req.query as { path?: string }).path;
      const files = await artifacts.list(path);
      return { files: files.map((f) => fileJson(f)) };
    });
    app.delete('/artifacts/*', { config: { role: 'editor' } }, async (req) => {
      await artifacts.delete(req.actor, (req.params as { '*': string })['*']);
      return {};
    });
  };
}
