import { Readable } from 'node:stream';
import { OrchardError } from '../core/errors.js';
import { apiClient } from './api-client.js';
import type { MetricPoint, Page, Run } from '../tracking/types.js';
import type { TrackingTransport } from './transport.js';

/** Protobuf-style JSON carries non-finite numbers as strings; turn them back. */
function numberIn(value: unknown): number {
  return typeof value === 'string' ? Number(value === 'NaN' ? Number.NaN : value) : (value as number);
}
const metricIn = (m: MetricPoint): MetricPoint => ({ ...m, value: numberIn(m.value) });
const runIn = (r: Run): Run => ({ ...r, metrics: r.metrics.map(metricIn) });

/** The SDK against a remote Orchard server's `/api/v1`. */
export function httpTransport(baseUrl: string, token: string | undefined): TrackingTransport {
  const { headers, call, parse } = apiClient(baseUrl, token);

  const qs = (q: Record<string, unknown>) => {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== null) p.set(k, String(v));
    const s = p.toString();
    return s === '' ? '' : `?${s}`;
  };
  const enc = encodeURIComponent;
  const encPath = (path: string) => path.split('/').map(enc).join('/');

  return {
    target: baseUrl,
    createExperiment: (i) => call('POST', '/experiments', { name: i.name, tags: Object.entries(i.tags ?? {}).map(([key, value]) => ({ key, value })) }),
    getExperiment: (id) => call('GET', `/experiments/${enc(id)}`),
    findExperiment: async (name) => {
      try {
        return await call('GET', `/experiments/by-name/${enc(name)}`);
      } catch (error) {
        if (error instanceof OrchardError && error.code === 'NOT_FOUND') return undefined;
        throw error;
      }
    },
    searchExperiments: (q) => call('GET', `/experiments${qs(q)}`),
    createRun: async (i) => runIn(await call('POST', '/runs', i)),
    getRun: async (id) => runIn(await call('GET', `/runs/${enc(id)}`)),
    updateRun: (id, patch) => call('PATCH', `/runs/${enc(id)}`, patch),
    logBatch: (id, batch) => call('POST', `/runs/${enc(id)}/batch`, batch),
    metricHistory: async (id, key, page = {}) => {
      const p = await call<Page<MetricPoint>>('GET', `/runs/${enc(id)}/metrics/${enc(key)}${qs(page)}`);
      return { ...p, items: p.items.map(metricIn) };
    },
    searchRuns: async (q) => {
      const p = await call<Page<Run>>('POST', '/runs/search', q);
      return { ...p, items: p.items.map(runIn) };
    },
    uploadArtifact: async (runId, path, body) => {
      const response = await fetch(`${baseUrl}/api/v1/runs/${enc(runId)}/artifacts/${encPath(path)}`, {
        method: 'PUT',
        headers: headers({ 'content-type': 'application/octet-stream' }),
        body: body instanceof Uint8Array ? body : (Readable.toWeb(body) as never),
        ...(body instanceof Uint8Array ? {} : { duplex: 'half' }),
      } as RequestInit);
      return parse(response, 'PUT', `/runs/${runId}/artifacts/${path}`);
    },
    listArtifacts: async (runId, dir) => (await call<{ items: never[] }>('GET', `/runs/${enc(runId)}/artifacts${qs({ path: dir })}`)).items,
    downloadArtifact: async (runId, path) => {
      const response = await fetch(`${baseUrl}/api/v1/runs/${enc(runId)}/artifacts/${encPath(path)}`, { headers: headers() });
      if (!response.ok || !response.body) await parse(response, 'GET', `/runs/${runId}/artifacts/${path}`);
      return Readable.fromWeb(response.body as never);
    },
    listEvents: async (q) => (await call<{ items: never[] }>('GET', `/events${qs(q)}`)).items,
    close: async () => {},
  };
}
