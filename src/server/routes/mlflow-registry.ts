import type { FastifyInstance, FastifyRequest } from 'fastify';
import { invalidArgument } from '../../core/errors.js';
import type { Platform } from '../../orchard.js';
import type { ModelVersion, RegisteredModel } from '../../registry/types.js';
import { describe } from '../../tracking/validation.js';
import { input, listOf } from './request-input.js';
import { callerOf } from './registry-api.js';

const admin = { config: { role: 'admin' } } as const;

/** Stages of MLflow's deprecated stage model that Orchard maps: `Archived` is an archived version. */
const stageOf = (v: ModelVersion) => (v.status === 'ARCHIVED' ? 'Archived' : 'None');

/** A model version in MLflow's JSON shape (mlflow/protos/model_registry.proto `ModelVersion`). */
export function modelVersionJson(v: ModelVersion) {
  return {
    name: v.name,
    version: String(v.version),
    creation_timestamp: v.createdAt,
    last_updated_timestamp: v.updatedAt,
    user_id: v.createdBy,
    current_stage: stageOf(v),
    ...(v.description === null ? {} : { description: v.description }),
    source: v.source,
    ...(v.runId === null ? {} : { run_id: v.runId }),
    // Archived versions are still usable: READY is MLflow's only settled status.
    status: 'READY',
    tags: v.tags.map((t) => ({ key: t.key, value: t.value })),
    aliases: [...v.aliases],
  };
}

/** A registered model in MLflow's JSON shape, with its latest version per stage. */
export function registeredModelJson(m: RegisteredModel, latest: readonly ModelVersion[]) {
  return {
    name: m.name,
    creation_timestamp: m.createdAt,
    last_updated_timestamp: m.updatedAt,
    ...(m.createdBy === '' ? {} : { user_id: m.createdBy }),
    ...(m.description === null ? {} : { description: m.description }),
    latest_versions: latest.filter((v) => v.name === m.name).map(modelVersionJson),
    tags: m.tags.map((t) => ({ key: t.key, value: t.value })),
    aliases: m.aliases.map((a) => ({ alias: a.alias, version: String(a.version) })),
  };
}

/**
 * MLflow's Model Registry REST API (`/api/2.0/mlflow/registered-models/…` and
 * `/model-versions/…`), request and response shapes as mlflow/protos/model_registry.proto
 * gives them. Approvals are Orchard's own (`/api/v1`): here a protected alias on an
 * unapproved version fails with INVALID_STATE, and model deletes with aliases are refused.
 */
export function mlflowRegistryRoutes(platform: Platform) {
  const { registry, tracking } = platform;
  const modelOut = async (m: RegisteredModel) => ({ registered_model: registeredModelJson(m, await registry.latestVersionsOf([m.name])) });
  return async (app: FastifyInstance): Promise<void> => {
    // ---- registered models
    app.post('/registered-models/create', async (req) => {
      const i = input(req);
      return modelOut(await registry.createModel(req.actor, { name: i.name, tags: i.tags, description: i.description }));
    });
    app.get('/registered-models/get', async (req) => modelOut(await registry.getModel(input(req).name)));
    const searchModels = async (req: FastifyRequest) => {
      const i = input(req);
      const page = await registry.searchModels({ filter: i.filter, orderBy: listOf(i.order_by), maxResults: i.max_results, pageToken: i.page_token });
      const latest = await registry.latestVersionsOf(page.items.map((m) => m.name));
      return { registered_models: page.items.map((m) => registeredModelJson(m, latest)), ...(page.nextPageToken ? { next_page_token: page.nextPageToken } : {}) };
    };
    app.get('/registered-models/search', searchModels);
    app.post('/registered-models/search', searchModels);
    app.patch('/registered-models/update', async (req) => {
      const i = input(req);
      return modelOut(await registry.updateModel(callerOf(req), i.name, { description: i.description }));
    });
    app.post('/registered-models/rename', async (req) => {
      const i = input(req);
      return modelOut(await registry.renameModel(req.actor, i.name, i.new_name));
    });
    app.delete('/registered-models/delete', admin, async (req) => {
      await registry.deleteModel(req.actor, input(req).name);
      return {};
    });
    const latestVersions = async (req: FastifyRequest) => {
      const i = input(req);
      const stages = listOf(i.stages)?.map((s) => String(s).toLowerCase());
      const versions = await registry.latestVersions(i.name);
      return { model_versions: versions.filter((v) => !stages || stages.length === 0 || stages.includes(stageOf(v).toLowerCase())).map(modelVersionJson) };
    };
    app.get('/registered-models/get-latest-versions', latestVersions);
    app.post('/registered-models/get-latest-versions', latestVersions);
    app.post('/registered-models/set-tag', async (req) => {
      const i = input(req);
      await registry.setModelTag(req.actor, i.name, i.key, i.value);
      return {};
    });
    app.delete('/registered-models/delete-tag', async (req) => {
      const i = input(req);
      await registry.deleteModelTag(req.actor, i.name, i.key);
      return {};
    });

    // ---- aliases
    app.post('/registered-models/alias', async (req) => {
      const i = input(req);
      await registry.setAlias(req.actor, i.name, i.alias, i.version);
      return {};
    });
    app.get('/registered-models/alias', async (req) => {
      const i = input(req);
      return { model_version: modelVersionJson(await registry.getByAlias(i.name, i.alias)) };
    });
    app.delete('/registered-models/alias', async (req) => {
      const i = input(req);
      await registry.deleteAlias(req.actor, i.name, i.alias);
      return {};
    });

    // ---- model versions
    app.post('/model-versions/create', async (req) => {
      const i = input(req);
      if (typeof i.source !== 'string' || i.source === '') throw invalidArgument(`source is required: the URI of the model, e.g. runs:/<run id>/model; got ${describe(i.source)}.`, { field: 'source' });
      const v = await registry.createVersion(req.actor, { name: i.name, source: i.source, runId: i.run_id, tags: i.tags, description: i.description });
      return { model_version: modelVersionJson(v) };
    });
    app.get('/model-versions/get', async (req) => {
      const i = input(req);
      return { model_version: modelVersionJson(await registry.getVersion(i.name, i.version)) };
    });
    const searchVersions = async (req: FastifyRequest) => {
      const i = input(req);
      const page = await registry.searchVersions({ filter: i.filter, orderBy: listOf(i.order_by), maxResults: i.max_results, pageToken: i.page_token });
      return { model_versions: page.items.map(modelVersionJson), ...(page.nextPageToken ? { next_page_token: page.nextPageToken } : {}) };
    };
    app.get('/model-versions/search', searchVersions);
    app.post('/model-versions/search', searchVersions);
    app.patch('/model-versions/update', async (req) => {
      const i = input(req);
      return { model_version: modelVersionJson(await registry.updateVersion(req.actor, i.name, i.version, { description: i.description })) };
    });
    app.delete('/model-versions/delete', admin, async (req) => {
      const i = input(req);
      await registry.deleteVersion(req.actor, i.name, i.version);
      return {};
    });
    app.post('/model-versions/set-tag', async (req) => {
      const i = input(req);
      await registry.setVersionTag(req.actor, i.name, i.version, i.key, i.value);
      return {};
    });
    app.delete('/model-versions/delete-tag', async (req) => {
      const i = input(req);
      await registry.deleteVersionTag(req.actor, i.name, i.version, i.key);
      return {};
    });
    app.post('/model-versions/transition-stage', async (req) => {
      const i = input(req);
      const stage = typeof i.stage === 'string' ? i.stage.toLowerCase() : '';
      if (stage === 'archived') return { model_version: modelVersionJson(await registry.archiveVersion(req.actor, i.name, i.version)) };
      if (stage === 'none') return { model_version: modelVersionJson(await registry.restoreVersion(req.actor, i.name, i.version)) };
      throw invalidArgument(`Stage ${describe(i.stage)} is not supported; Orchard uses aliases instead of the Staging and Production stages (set one with registered-models/alias). Stages Archived and None archive and restore a version.`, {
        field: 'stage',
      });
    });
    app.get('/model-versions/get-download-uri', async (req) => {
      const i = input(req);
      const v = await registry.getVersion(i.name, i.version);
      const m = /^runs:\/([0-9a-f]{32})\/?(.*)$/.exec(v.source);
      if (!m) return { artifact_uri: v.source };
      const run = await tracking.getRun(m[1]);
      return { artifact_uri: m[2] ? `${run.info.artifactUri}/${m[2]}` : run.info.artifactUri };
    });
  };
}
