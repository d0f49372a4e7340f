import { OrchardError } from '../core/errors.js';
import { apiClient } from './api-client.js';
import type { DatasetService, IngestResult } from '../data/dataset-service.js';
import type { DatasetProfile } from '../data/profile.js';
import type { Anomaly, DataSchema } from '../data/schema.js';
import type { SplitResult } from '../data/derive-service.js';
import type { SplitSpec } from '../data/split.js';
import type { DatasetVersion } from '../data/types.js';
import type { Platform } from '../orchard.js';
import type { Actor } from '../tracking/tracking-service.js';

export interface ValidationReport {
  readonly dataset: string;
  readonly rows: number;
  readonly anomalies: Anomaly[];
  readonly runId: string;
}

/**
 * Datasets from the SDK: the same operations as `orchard data …`, embedded or
 * against a server. Sources are paths on the machine that does the work.
 *
 * @example
 * const v = await orchard.data.ingest('flights', 'data/flights.parquet');
 * const parts = await orchard.data.split(`flights@${v.version.version}`, { kind: 'period', by: 'date', every: 'month' });
 */
export interface DataClient {
  /** A file, glob or folder, or a database (`sqlite:<file>`, `postgres://…`) with `table` or `query`. */
  ingest(name: string, source: string, options?: { format?: string; csv?: { delimiter?: string; header?: boolean }; table?: string; query?: string }): Promise<IngestResult>;
  /** Rows produced by code (embedded only): columns from the first row, types from the values. */
  ingestRows(name: string, rows: Iterable<Record<string, unknown>> | AsyncIterable<Record<string, unknown>>): Promise<IngestResult>;
  /** Arrow record batches produced by code (embedded only), typed from their schema. */
  ingestArrow(name: string, batches: Parameters<DatasetService['ingestArrow']>[2]): Promise<IngestResult>;
  list(): Promise<{ name: string; latest: DatasetVersion }[]>;
  get(reference: string): Promise<DatasetVersion>;
  profile(reference: string, options?: { refresh?: boolean }): Promise<DatasetProfile>;
  schema(reference: string): Promise<DataSchema>;
  validate(reference: string, against: { schema: DataSchema } | { against: string }): Promise<ValidationReport>;
  split(reference: string, spec: SplitSpec, options?: { output?: string }): Promise<SplitResult>;
}

export function embeddedDataClient(platform: Platform, actor: Actor): DataClient {
  const { datasets, derive } = platform;
  return {
    ingest: (name, source, options = {}) => datasets.ingest(actor, { name, source, cwd: process.cwd(), ...options }),
    ingestRows: (name, rows) => datasets.ingestRows(actor, name, rows),
    ingestArrow: (name, batches) => datasets.ingestArrow(actor, name, batches),
    list: () => datasets.list(),
    get: (reference) => datasets.resolve(reference),
    profile: (reference, options = {}) => datasets.profile(actor, reference, options),
    schema: (reference) => derive.inferSchema(actor, reference),
    validate: async (reference, against) => {
      const schema = 'schema' in against ? against.schema : await derive.inferSchema(actor, against.against);
      const r = await derive.validate(actor, reference, schema);
      return { dataset: `${r.version.name}@${r.version.version}`, rows: r.rows, anomalies: r.anomalies, runId: r.runId };
    },
    split: (reference, spec, options = {}) => derive.split(actor, reference, spec, options),
  };
}

export function httpDataClient(baseUrl: string, token: string | undefined): DataClient {
  const { call } = apiClient(baseUrl, token);
  const ref = (r: string) => `/datasets/${encodeURIComponent(r)}`;
  return {
    ingest: (name, source, options = {}) => call('POST', '/datasets', { name, source, ...options }),
    ingestRows: async () => {
      throw new OrchardError('INVALID_ARGUMENT', `ingestRows runs in this process; with a server (${baseUrl}), write the rows to a file the server can read and use ingest.`);
    },
    ingestArrow: async () => {
      throw new OrchardError('INVALID_ARGUMENT', `ingestArrow runs in this process; with a server (${baseUrl}), write an Arrow file the server can read and use ingest.`);
    },
    list: async () => (await call<{ items: { name: string; latest: DatasetVersion }[] }>('GET', '/datasets')).items,
    get: (reference) => call('GET', ref(reference)),
    profile: (reference, options = {}) => call('POST', `${ref(reference)}/profile`, { refresh: options.refresh === true }),
    schema: (reference) => call('GET', `${ref(reference)}/schema`),
    validate: (reference, against) => call('POST', `${ref(reference)}/validate`, against),
    split: (reference, spec, options = {}) => call('POST', `${ref(reference)}/split`, { spec, ...options }),
  };
}
