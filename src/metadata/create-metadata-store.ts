import { OrchardError } from '../core/errors.js';
import type { MetadataStore } from './metadata-store.js';

type Factory = (uri: string) => MetadataStore;

/** URI scheme → adapter module, imported only when chosen. */
const ADAPTERS: Readonly<Record<string, () => Promise<Factory>>> = {
  sqlite: async () => (await import('./sqlite-metadata-store.js')).createSqliteMetadataStore,
  postgres: async () => (await import('./postgres-metadata-store.js')).createPostgresMetadataStore,
  postgresql: async () => (await import('./postgres-metadata-store.js')).createPostgresMetadataStore,
};

/**
 * Builds (but does not open) the metadata store for a URI such as
 * `sqlite:/path/orchard.db` or `postgres://user@host/db`.
 * @throws OrchardError `CONFIG_ERROR` for an unknown scheme.
 */
export async function createMetadataStore(uri: string): Promise<MetadataStore> {
  const scheme = /^([a-z0-9+]+):/i.exec(uri)?.[1]?.toLowerCase() ?? '';
  const load = ADAPTERS[scheme];
  if (!load) {
    throw new OrchardError('CONFIG_ERROR', `No metadata store for '${uri}'; ORCHARD_DB must start with one of: ${Object.keys(ADAPTERS).map((s) => s + ':').join(', ')}.`);
  }
  return (await load())(uri);
}
