import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Platform } from '../../orchard.js';
import type { Caller } from '../../registry/approval-policy.js';
import { booleanOf } from '../../registry/registry-validation.js';
import { input, listOf } from './request-input.js';

const admin = { config: { role: 'admin' } } as const;

/**
 * Who calls, for approvals: a token's role, and the names it is known by (actor, token
 * name, token id). Without tokens (loopback only) the caller is an admin, as for `whoami`.
 */
export function callerOf(req: FastifyRequest): Caller {
  const p = req.principal;
  return p ? { actor: req.actor, role: p.role, identities: [req.actor.name, p.name, p.tokenId] } : { actor: req.actor, role: 'admin', identities: [req.actor.name] };
}

type Params = { name: string; version: string; alias: string; key: string };
const params = (req: FastifyRequest) => req.params as Params;

/** The model registry in Orchard's API (`/api/v1/models…`), camelCase JSON; docs/API.md lists it. */
export function registryRoutes(platform: Platform) {
  const { registry, modelCards } = platform;
  return async (app: FastifyInstance): Promise<void> => {
    // ---- models
    app.get('/models', async (req) => {
      const i = input(req);
      return registry.searchModels({ filter: i.filter, orderBy: listOf(i.orderBy), maxResults: i.maxResults, pageToken: i.pageToken });
    });
    app.post('/models', async (req) => {
      const i = input(req);
      return registry.createModel(req.actor, { name: i.name, description: i.description, tags: i.tags, requiresApproval: i.requiresApproval, protectedAliases: i.protectedAliases, approvers: i.approvers });
    });
    app.get('/models/:name', async (req) => {
      const model = await registry.getModel(params(req).name);
      return { ...model, latestVersions: await registry.latestVersionsOf([model.name]) };
    });
    app.patch('/models/:name', async (req) => {
      const i = input(req);
      let name = params(req).name;
      if (i.name !== undefined && i.name !== name) name = (await registry.renameModel(req.actor, name, i.name)).name;
      const settings = ['description', 'requiresApproval', 'protectedAliases', 'approvers'].some((k) => i[k] !== undefined);
      if (!settings) return registry.getModel(name);
      return registry.updateModel(callerOf(req), name, { description: i.description, requiresApproval: i.requiresApproval, protectedAliases: i.protectedAliases, approvers: i.approvers });
    });
    app.delete('/models/:name', admin, async (req) => {
      await registry.deleteModel(req.actor, params(req).name, { force: booleanOf(input(req).force, 'force') });
      return {};
    });
    app.put('/models/:name/tags/:key', async (req) => {
      await registry.setModelTag(req.actor, params(req).name, params(req).key, input(req).value);
      return {};
    });
    app.delete('/models/:name/tags/:key', async (req) => {
      await registry.deleteModelTag(req.actor, params(req).name, params(req).key);
      return {};
    });

    // ---- versions: registering creates the model when it does not exist yet
    app.post('/models/:name/versions', async (req) => {
      const i = input(req);
      return registry.register(req.actor, {
        name: params(req).name,
        runId: i.runId,
        source: i.source,
        description: i.description,
        tags: i.tags,
        pipelineVersionId: i.pipelineVersionId,
        requiresApproval: i.requiresApproval,
        protectedAliases: i.protectedAliases,
        approvers: i.approvers,
      });
    });
    app.get('/models/:name/versions', async (req) => {
      const i = input(req);
      return registry.searchVersions({ model: params(req).name, filter: i.filter, orderBy: listOf(i.orderBy), maxResults: i.maxResults, pageToken: i.pageToken });
    });
    app.get('/model-versions', async (req) => {
      const i = input(req);
      return registry.searchVersions({ filter: i.filter, orderBy: listOf(i.orderBy), maxResults: i.maxResults, pageToken: i.pageToken });
    });
    app.get('/models/:name/versions/:version', async (req) => registry.getVersion(params(req).name, params(req).version));
    app.patch('/models/:name/versions/:version', async (req) => registry.updateVersion(req.actor, params(req).name, params(req).version, { description: input(req).description }));
    app.delete('/models/:name/versions/:version', admin, async (req) => {
      await registry.deleteVersion(req.actor, params(req).name, params(req).version, { force: booleanOf(input(req).force, 'force') });
      return {};
    });
    app.post('/models/:name/versions/:version/archive', async (req) => registry.archiveVersion(req.actor, params(req).name, params(req).version));
    app.post('/models/:name/versions/:version/restore', async (req) => registry.restoreVersion(req.actor, params(req).name, params(req).version));
    app.put('/models/:name/versions/:version/tags/:key', async (req) => {
      const p = params(req);
      await registry.setVersionTag(req.actor, p.name, p.version, p.key, input(req).value);
      return {};
    });
    app.delete('/models/:name/versions/:version/tags/:key', async (req) => {
      const p = params(req);
      await registry.deleteVersionTag(req.actor, p.name, p.version, p.key);
      return {};
    });

    // ---- approvals (Orchard only); approve and reject check the approver in the service
    app.get('/models/:name/versions/:version/approvals', async (req) => ({ items: await registry.approvals(params(req).name, params(req).version) }));
    app.post('/models/:name/versions/:version/approval-request', async (req) => registry.requestApproval(req.actor, params(req).name, params(req).version, input(req).comment));
    app.post('/models/:name/versions/:version/approve', async (req) => registry.approve(callerOf(req), params(req).name, params(req).version, input(req).comment));
    app.post('/models/:name/versions/:version/reject', async (req) => registry.reject(callerOf(req), params(req).name, params(req).version, input(req).comment));

    // ---- aliases
    app.get('/models/:name/aliases/:alias', async (req) => registry.getByAlias(params(req).name, params(req).alias));
    app.put('/models/:name/aliases/:alias', async (req) => registry.setAlias(req.actor, params(req).name, params(req).alias, input(req).version));
    app.delete('/models/:name/aliases/:alias', async (req) => {
      await registry.deleteAlias(req.actor, params(req).name, params(req).alias);
      return {};
    });

    // ---- model cards
    app.get('/models/:name/card', async (req) => {
      const i = input(req);
      return booleanOf(i.generated, 'generated') ? modelCards.generated(params(req).name, i.version) : modelCards.card(params(req).name, i.version);
    });
    app.put('/models/:name/card', async (req) => {
      const i = input(req);
      return modelCards.setCard(req.actor, params(req).name, i.markdown, i.version);
    });
    app.delete('/models/:name/card', async (req) => modelCards.resetCard(req.actor, params(req).name, input(req).version));
  };
}
