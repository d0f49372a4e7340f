import { blobStoreContract } from '../contract/blob-store.contract.js';
import { FsBlobStore } from '../../src/artifacts/fs-blob-store.js';
import { tempDir } from '../support/temp.js';

blobStoreContract('fs', async () => {
  const dir = tempDir();
  return { store: new FsBlobStore(`${dir.path}/blobs`), cleanup: async () => dir.cleanup() };
});
