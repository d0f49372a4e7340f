import { registryRepositoryContract } from '../contract/registry-repository.contract.js';
import { tempDir } from '../support/temp.js';

let dir: ReturnType<typeof tempDir> | undefined;

registryRepositoryContract('sqlite', {
  async uri() {
    dir = tempDir();
    return `sqlite:${dir.path}/orchard.db`;
  },
  async cleanup() {
    dir?.cleanup();
  },
});
