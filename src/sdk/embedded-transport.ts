import type { Readable } from 'node:stream';
import { OrchardError } from '../core/errors.js';
import type { Platform } from '../orchard.js';
import type { Actor } from '../tracking/tracking-service.js';
import type { TrackingTransport } from './transport.js';

/** The SDK straight on the stores, in this process: no server needed. */
export function embeddedTransport(platform: Platform, actor: Actor, ownsPlatform: boolean): TrackingTransport {
  const { tracking, artifacts, store } = platform;
  const runPath = async (runId: string, path: string) => `${await artifacts.runRoot(runId)}/${path}`;
  return {
    target: `embedded (${platform.config.db})`,
    createExperiment: (i) => tracking.createExperiment(actor, { name: i.name, tags: Object.entries(i.tags ?? {}).map(([key, value]) => ({ key, value })) }),
    getExperiment: (id) => tracking.getExperiment(id),
    findExperiment: async (name) => {
      try {
        return await tracking.getExperimentByName(name);
      } catch (error) {
        if (error instanceof OrchardError && error.code === 'NOT_FOUND') return undefined;
        throw error;
      }
    },
    searchExperiments: (q) => tracking.searchExperiments(q),
    createRun: (i) => tracking.createRun(actor, i),
    getRun: (id) => tracking.getRun(id),
    updateRun: (id, patch) => tracking.updateRun(actor, id, patch),
    logBatch: (id, batch) => tracking.logBatch(actor, id, batch),
    metricHistory: (id, key, page) => tracking.metricHistory(id, key, page),
    searchRuns: (q) => tracking.searchRuns(q),
    uploadArtifact: async (runId, path, body: Readable | Uint8Array) => {
      await tracking.getRun(runId);
      const record = await artifacts.upload(actor, await runPath(runId, path), body);
      return { digest: record.digest, size: record.size };
    },
    listArtifacts: async (runId, dir) => artifacts.list(dir ? await runPath(runId, dir) : await artifacts.runRoot(runId)),
    downloadArtifact: async (runId, path) => (await artifacts.open(await runPath(runId, path))).stream,
    listEvents: (q) => store.events.list({ entityKind: q.entityKind, entityId: q.entityId, limit: q.limit ?? 100 }),
    close: async () => {
      if (ownsPlatform) await platform.close();
    },
  };
}
