import { join } from 'node:path';
import { LocalExecutor } from '../../src/pipelines/local-executor.js';
import { stepExecutorContract } from '../contract/step-executor.contract.js';

stepExecutorContract('local (worker processes)', {
  create: (platform, slots) =>
    new LocalExecutor({
      slots,
      workDir: join(platform.config.home, 'tmp', 'pipeline-runs'),
      content: platform.content,
      clock: platform.clock,
      config: { home: platform.config.home, db: platform.config.db, artifacts: platform.config.artifacts, user: platform.config.user },
    }),
});
