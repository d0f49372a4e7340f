import { OrchardError } from '../core/errors.js';
import type { BlobStore } from './blob-store.js';

type Factory = (uri: string) => BlobStore;

/** URI scheme → adapter module, imported only when chosen. */
const ADAPTERS: Readonly<Record<string, () => Promise<Factory>>> = {
  file: async () => (await import('./fs-blob-store.js')).createFsBlobStore,
};

/**
 * Builds (but does not open) the blob store for a URI such as `file:/path/artifacts`.
 * @throws OrchardError `CONFIG_ERROR` for an unknown scheme.
 */
export async function createBlobStore(uri: string): Promise<BlobStore> {
  const scheme = /^([a-z0-9+]+):/i.exec(uri)?.[1]?.toLowerCase() ?? '';
  const load = ADAPTERS[scheme];
  if (!load) {
    throw new OrchardError('CONFIG_ERROR', `No artifact store for '${uri}'; ORCHARD_ARTIFACTS must start with one of: ${Object.keys(ADAPTERS).map((s) => s + ':').join(', ')} (s3:// is planned).`);
  }
  return (await load())(uri);
}
