import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { roleAllows } from '../auth/auth-service.js';
import { OrchardError } from '../core/errors.js';
import { silentLogger, type Logger } from '../core/logger.js';
import type { Platform } from '../orchard.js';
import type { Actor } from '../tracking/tracking-service.js';
import type { Role, Token } from '../tracking/types.js';
import { createErrorHandler } from './http-errors.js';
import { dataRoutes } from './routes/data-api.js';
import { mlflowArtifactRoutes } from './routes/mlflow-artifacts.js';
import { mlflowRegistryRoutes } from './routes/mlflow-registry.js';
import { mlflowTrackingRoutes } from './routes/mlflow-tracking.js';
import { orchardRoutes } from './routes/orchard-api.js';
import { loopRoutes } from './routes/loop-api.js';
import { registryRoutes } from './routes/registry-api.js';
import { endpointRoutes } from './routes/endpoints-api.js';
import { inferenceRoutes } from './routes/inference-api.js';
import type { ServingHub } from '../serving/serving-hub.js';

declare module 'fastify' {
  interface FastifyRequest {
    actor: Actor;
    principal: Token | undefined;
  }
  interface FastifyContextConfig {
    /** The least role a caller needs; defaults to viewer for reads and editor for writes. */
    role?: Role;
    /** Open without a token (health checks). */
    public?: boolean;
  }
}

export interface ServerOptions {
  readonly logger?: Logger;
  /**
   * True when the server listens on loopback only. Off loopback, every request
   * needs a token even if none is configured yet (then nothing gets in).
   */
  readonly loopbackOnly?: boolean;
  /** Endpoints to serve predictions for (prediction, health, readiness and metrics routes); none when absent. */
  readonly serving?: ServingHub;
}

/**
 * The HTTP shell: parses input, authenticates, calls a use case, maps errors.
 * Nothing else lives here.
 */
export async function buildServer(platform: Platform, options: ServerOptions = {}): Promise<FastifyInstance> {
  const logger = options.logger ?? silentLogger;
  const loopbackOnly = options.loopbackOnly ?? true;
  const bodyLimit = platform.config.server.bodyLimitBytes;
  const app = Fastify({ bodyLimit, logger: false, requestTimeout: 120_000, return503OnClosing: true, routerOptions: { ignoreTrailingSlash: true } });

  app.decorateRequest('actor', undefined as unknown as Actor);
  app.decorateRequest('principal', undefined);
  app.setErrorHandler(createErrorHandler(bodyLimit, logger));
  app.setNotFoundHandler((request, reply) => {
    void reply.status(404).send({
      error_code: 'ENDPOINT_NOT_FOUND',
      code: 'NOT_FOUND',
      message: `No endpoint ${request.method} ${request.url.split('?')[0]}; see docs/API.md for the routes Orchard serves.`,
      details: {},
    });
  });

  app.addHook('onRequest', async (request) => {
    const config = request.routeOptions.config;
    if (config?.public) return;
    const required: Role = config?.role ?? (request.method === 'GET' || request.method === 'HEAD' ? 'viewer' : 'editor');
    const secret = presentedSecret(request);
    if (secret !== undefined) {
      const token = await platform.auth.authenticate(secret);
      request.principal = token;
      request.actor = { name: `${token.name} (${token.tokenId})` };
      if (!roleAllows(token.role, required)) {
        throw new OrchardError('PERMISSION_DENIED', `Token '${token.tokenId}' has role ${token.role}; ${request.method} ${request.routeOptions.url} needs ${required} or higher. Ask an admin for a token with that role.`, {
          details: { role: token.role, required },
        });
      }
      return;
    }
    if (!loopbackOnly || (await platform.auth.activeTokenCount()) > 0) {
      throw new OrchardError('UNAUTHENTICATED', `This server requires an API token; send "Authorization: Bearer <token>" (create one with \`orchard token create --role ${required}\`).`, {
        details: { required },
      });
    }
    request.actor = { name: 'anonymous (loopback)' };
  });

  const health = { config: { public: true } } as const;
  app.get('/health', health, async () => ({ status: 'ok' }));
  app.get('/ready', health, async () => {
    await platform.store.experiments.get('0');
    return { status: 'ready' };
  });
  app.get('/version', health, async () => ({ version: await packageVersion() }));

  await app.register(orchardRoutes(platform), { prefix: '/api/v1' });
  await app.register(dataRoutes(platform), { prefix: '/api/v1' });
  await app.register(registryRoutes(platform), { prefix: '/api/v1' });
  await app.register(endpointRoutes(platform), { prefix: '/api/v1' });
  const hub = options.serving;
  if (hub) {
    await app.register(inferenceRoutes(hub));
    // A promote through this server reaches the endpoints now, not at the next poll.
    app.addHook('onResponse', async (request, reply) => {
      if (request.method !== 'GET' && reply.statusCode < 300 && /\/(models|registered-models|model-versions)\b/.test(request.url)) void hub.refresh();
    });
  }
  await app.register(loopRoutes(platform), { prefix: '/api/v1' });
  for (const prefix of ['/api/2.0/mlflow', '/ajax-api/2.0/mlflow']) {
    await app.register(mlflowTrackingRoutes(platform), { prefix });
    await app.register(mlflowRegistryRoutes(platform), { prefix });
  }
  for (const prefix of ['/api/2.0/mlflow-artifacts', '/ajax-api/2.0/mlflow-artifacts']) await app.register(mlflowArtifactRoutes(platform), { prefix });
  return app;
}

function presentedSecret(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header) return undefined;
  const [scheme, value = ''] = header.split(' ', 2);
  if (scheme?.toLowerCase() === 'bearer' && value !== '') return value.trim();
  if (scheme?.toLowerCase() === 'basic' && value !== '') {
    // MLflow clients with MLFLOW_TRACKING_USERNAME/PASSWORD: the password (or the user name) is the token.
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const password = colon >= 0 ? decoded.slice(colon + 1) : '';
    return password !== '' ? password : decoded.slice(0, Math.max(colon, 0)) || undefined;
  }
  throw new OrchardError('UNAUTHENTICATED', 'The Authorization header must be "Bearer <token>" or Basic with the token as password.');
}

let versionCache: string | undefined;
async function packageVersion(): Promise<string> {
  if (versionCache) return versionCache;
  const { readFile } = await import('node:fs/promises');
  const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  versionCache = pkg.version;
  return versionCache;
}
