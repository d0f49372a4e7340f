import { metadataStoreContract } from '../contract/metadata-store.contract.js';
import { tempDir } from '../support/temp.js';

let dir: ReturnType<typeof tempDir> | undefined;

metadataStoreContract('sqlite', {
  async uri() {
    dir = tempDir();
    return `sqlite:${dir.path}/orchard.db`;
  },
  async cleanup() {
    dir?.cleanup();
  },
});
