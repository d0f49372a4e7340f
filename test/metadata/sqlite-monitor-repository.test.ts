import { monitorRepositoryContract } from '../contract/monitor-repository.contract.js';
import { tempDir } from '../support/temp.js';

let dir: ReturnType<typeof tempDir> | undefined;

monitorRepositoryContract('sqlite', {
  async uri() {
    dir = tempDir();
    return `sqlite:${dir.path}/orchard.db`;
  },
  async cleanup() {
    dir?.cleanup();
  },
});
