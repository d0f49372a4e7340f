import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { OrchardError } from '../../core/errors.js';
import type { EndpointAnswer, EndpointRuntime } from '../../serving/endpoint-runtime.js';
import { readMlflowRequest, readOrchardRequest, readV2Request, type Rows } from '../../serving/request-formats.js';
import type { ServingHub } from '../../serving/serving-hub.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The endpoint a prediction request named, for metrics. */
    servingEndpoint: string | undefined;
    servingRows: number;
  }
}

const REQUEST_ID = /^[\w.:@/+=-]{1,200}$/;

/**
 * Prediction routes over a ServingHub: Orchard's JSON, MLflow's `/invocations`, the Open
 * Inference Protocol v2, health, readiness and Prometheus metrics. Thin: read the body into rows,
 * call the endpoint, shape the answer for the protocol it came in.
 */
export function inferenceRoutes(hub: ServingHub) {
  return async (app: FastifyInstance): Promise<void> => {
    app.decorateRequest('servingEndpoint', undefined);
    app.decorateRequest('servingRows', 0);
    app.addHook('onResponse', async (request, reply) => {
      if (request.servingEndpoint === undefined) return;
      hub.metrics.request(request.servingEndpoint, reply.statusCode, reply.elapsedTime, reply.statusCode < 300 ? request.servingRows : 0);
    });
    app.addHook('onError', async (request, _reply, error) => {
      if (request.servingEndpoint !== undefined) hub.metrics.error(request.servingEndpoint, (error as OrchardError).code ?? 'INVALID_ARGUMENT');
    });

    const open = { config: { public: true } } as const;
    const predictRole = { config: { role: 'viewer' as const } };

    app.get('/healthz', open, async () => ({ status: 'ok' }));
    app.get('/readyz', open, async (_request, reply) => readiness(hub, reply));
    app.get('/metrics', open, async (_request, reply) => reply.type('text/plain; version=0.0.4; charset=utf-8').send(hub.metrics.render()));

    const predict = async (request: FastifyRequest, reply: FastifyReply, runtime: EndpointRuntime, read: (columns: string[]) => Rows) => {
      const requestId = requestIdOf(request);
      void reply.header('x-request-id', requestId);
      request.servingEndpoint = runtime.spec.name;
      const rows = read(runtime.loaded()[0]!.served.signature.map((c) => c.name));
      request.servingRows = rows.length;
      return runtime.predict(rows, { requestId, headers: request.headers });
    };
    const named = (request: FastifyRequest) => hub.get((request.params as { name: string }).name);
    const single = () => {
      const only = hub.only();
      if (!only) throw new OrchardError('NOT_FOUND', `This server hosts ${hub.names().length} endpoints (${hub.names().join(', ') || 'none'}); name one: POST /endpoints/<name>/invocations or /api/v1/endpoints/<name>/predict.`);
      return only;
    };

    // Orchard's JSON.
    for (const [path, which] of [['/api/v1/endpoints/:name/predict', named], ['/predict', single]] as const) {
      app.post(path, predictRole, async (request, reply) => orchardAnswer(await predict(request, reply, which(request), () => readOrchardRequest(request.body))));
    }
    // MLflow's scoring server.
    for (const [path, which] of [['/endpoints/:name/invocations', named], ['/invocations', single]] as const) {
      app.post(path, predictRole, async (request, reply) => {
        // MLflow clients read `predictions`; the other keys ride along.
        return orchardAnswer(await predict(request, reply, which(request), (columns) => readMlflowRequest(request.body, columns)));
      });
    }
    app.get('/ping', open, async () => ({ status: 'ok' }));

    // Open Inference Protocol v2 (KServe): the model name is the endpoint's.
    app.get('/v2/health/live', open, async () => ({ live: true }));
    app.get('/v2/health/ready', open, async (_request, reply) => {
      if (!hub.ready) void reply.status(503);
      return { ready: hub.ready };
    });
    app.get('/v2/models/:name', predictRole, async (request) => {
      const runtime = named(request);
      const m = runtime.loaded()[0]!.served;
      return {
        name: runtime.spec.name,
        versions: runtime.loaded().filter((x) => x.role !== 'shadow').map((x) => String(x.served.version ?? x.served.digest.slice(0, 12))),
        platform: 'orchard',
        inputs: m.signature.map((c) => ({ name: c.name, datatype: v2Type(c.kind), shape: [-1] })),
        outputs: [{ name: 'prediction', datatype: 'FP64', shape: [-1] }, ...(m.resolved.artifact.signature.output === 'value' ? [] : [{ name: 'label', datatype: 'BYTES', shape: [-1] }, { name: 'probabilities', datatype: 'FP64', shape: [-1, -1] }])],
      };
    });
    app.get('/v2/models/:name/ready', predictRole, async (request) => {
      named(request);
      return { name: (request.params as { name: string }).name, ready: true };
    });
    app.post('/v2/models/:name/infer', predictRole, async (request, reply) => {
      const a = await predict(request, reply, named(request), (columns) => readV2Request(request.body, columns));
      const n = a.predictions.length;
      const outputs: unknown[] = [{ name: 'prediction', datatype: 'FP64', shape: [n], data: a.predictions }];
      if (a.labels) outputs.push({ name: 'label', datatype: 'BYTES', shape: [n], data: a.labels });
      if (a.probabilities) outputs.push({ name: 'probabilities', datatype: 'FP64', shape: [n, a.probabilities[0]?.length ?? 0], data: a.probabilities.flat() });
      const id = (request.body as { id?: unknown }).id;
      return { model_name: a.endpoint, model_version: String(a.version ?? a.digest.slice(0, 12)), id: typeof id === 'string' ? id : a.requestId, parameters: { model: a.model, request_id: a.requestId }, outputs };
    });
  };
}

function orchardAnswer(a: EndpointAnswer) {
  return {
    endpoint: a.endpoint,
    model: a.model,
    version: a.version,
    requestId: a.requestId,
    predictions: a.predictions,
    ...(a.labels ? { labels: a.labels } : {}),
    ...(a.probabilities ? { probabilities: a.probabilities } : {}),
  };
}

function requestIdOf(request: FastifyRequest): string {
  const given = request.headers['x-request-id'];
  const id = Array.isArray(given) ? given[0] : given;
  return id !== undefined && REQUEST_ID.test(id) ? id : randomUUID();
}

function readiness(hub: ServingHub, reply: FastifyReply) {
  const endpoints = Object.fromEntries([...hub.names().map((n) => [n, 'ready']), ...[...hub.failures].map(([n, why]) => [n, `not ready: ${why}`])]);
  if (!hub.ready) void reply.status(503);
  return { status: hub.ready ? 'ready' : 'not ready', endpoints };
}

function v2Type(kind: string): string {
  return kind === 'numeric' ? 'FP64' : kind === 'integer' ? 'INT64' : kind === 'boolean' ? 'BOOL' : 'BYTES';
}
