/**
 * A worker process of the local executor (forked by LocalExecutor). It runs one
 * attempt at a time and stays alive for the next, so a pipeline of many small steps
 * pays for process start-up once per worker, not once per step. When its runner goes
 * away (even by SIGKILL) the IPC channel closes and the worker ends its whole process
 * group, so no step keeps running without a runner.
 */
import { createBlobStore } from '../artifacts/create-blob-store.js';
import { ContentStore } from '../artifacts/content-store.js';
import { loadConfig } from '../core/config.js';
import { createOrchard, type Platform } from '../orchard.js';
import { findPipeline, importStoredBundle } from './pipeline-module.js';
import type { Pipeline } from './pipeline.js';
import { hostStep } from './step-host.js';
import type { StepModule } from './step-executor.js';
import type { WorkerReply, WorkerRequest } from './worker-protocol.js';

let content: ContentStore | undefined;
let platform: Promise<Platform> | undefined;
let config: ReturnType<typeof loadConfig> | undefined;
let scratch = '';
const modules = new Map<string, Promise<Pipeline>>();

function send(message: WorkerReply): void {
  process.send?.(message);
}

function endGroup(): never {
  try {
    // The worker leads its own process group (forked detached): this also ends command steps it started.
    process.kill(-process.pid, 'SIGKILL');
  } catch {
    /* not a group leader: end just this process */
  }
  process.exit(1);
}

process.on('disconnect', endGroup);
process.on('unhandledRejection', (reason) => {
  // A step's stray promise must not take the worker down; it lands in the attempt's stderr.
  process.stderr.write(`unhandled rejection: ${(reason as Error)?.stack ?? String(reason)}\n`);
});

async function loadStep(module: StepModule, node: string) {
  let p = modules.get(module.digest);
  if (!p) {
    p = importStoredBundle(content!, module.digest, module.near, scratch).then((exports) => findPipeline(exports, module.near ?? `pipeline bundle ${module.digest}`, module.pipeline));
    modules.set(module.digest, p);
    p.catch(() => modules.delete(module.digest));
  }
  const found = (await p).nodes.find((n) => n.name === node);
  if (!found) throw new Error(`pipeline '${module.pipeline}' in bundle ${module.digest} has no step '${node}'`);
  return found.step;
}

process.on('message', (message: WorkerRequest) => {
  void (async () => {
    if (message.type === 'init') {
      config = loadConfig(process.env, process.cwd(), message.config);
      scratch = message.scratch;
      const blobs = await createBlobStore(config.artifacts);
      await blobs.init();
      content = new ContentStore(blobs);
      send({ type: 'ready', pid: process.pid });
      return;
    }
    if (message.type === 'run') {
      const outcome = await hostStep(message.task, message.dir, {
        content: content!,
        loadStep,
        platform: () => (platform ??= createOrchard(config!)),
        now: () => Date.now(),
        env: process.env,
      });
      send({ type: 'done', attemptId: message.task.attemptId, outcome });
    }
  })().catch((error: Error) => {
    process.stderr.write(`orchard worker: ${error.stack ?? error.message}\n`);
    endGroup();
  });
});
