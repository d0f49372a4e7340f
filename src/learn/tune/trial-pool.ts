import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { OrchardError } from '../../core/errors.js';
import type { TrialMessage, TrialOutcome, TrialRequest, TrialSetup, WorkerMessage } from './trial.js';

/**
 * Runs trials on worker threads that share the training data (SharedArrayBuffers)
 * and each load the learner plugins once.
 */
export interface TrialPool {
  readonly size: number;
  /**
   * Runs one trial on the next free worker. Resolves with the trial's outcome;
   * a learner that throws, or a worker thread that dies, gives a failed outcome
   * (the dead worker is replaced), so this never rejects.
   */
  run(request: TrialRequest): Promise<TrialOutcome>;
  /** Stops every worker thread; trials still queued resolve as failed. */
  close(): Promise<void>;
}

/**
 * The worker's entry file: the compiled `trial-worker.js` next to this module
 * (a build), else a small ES module that registers tsx and imports the
 * TypeScript source (tests and scripts run from src/).
 */
export function trialWorkerEntry(): URL {
  const compiled = new URL('./trial-worker.js', import.meta.url);
  return existsSync(fileURLToPath(compiled)) ? compiled : new URL('./trial-worker-source.mjs', import.meta.url);
}

interface Job {
  readonly id: number;
  readonly request: TrialRequest;
  readonly resolve: (outcome: TrialOutcome) => void;
}

/**
 * Starts `size` workers and waits until each has loaded the plugins and found the learner.
 * @throws OrchardError INVALID_ARGUMENT when a worker cannot load a plugin or find the learner.
 */
export async function startTrialPool(setup: TrialSetup, size: number): Promise<TrialPool> {
  if (!Number.isInteger(size) || size < 1) throw new OrchardError('INVALID_ARGUMENT', `The number of workers must be a whole number ≥ 1, got ${size}.`);
  const entry = trialWorkerEntry();
  const queue: Job[] = [];
  const idle: Worker[] = [];
  const busy = new Map<Worker, { job: Job; since: number }>();
  let nextId = 0;
  let closed = false;

  const dispatch = () => {
    while (!closed && idle.length > 0 && queue.length > 0) {
      const worker = idle.pop()!;
      const job = queue.shift()!;
      busy.set(worker, { job, since: performance.now() });
      worker.postMessage({ id: job.id, ...job.request } satisfies TrialMessage);
    }
  };

  const spawn = (): Promise<Worker> =>
    new Promise((resolve, reject) => {
      const worker = new Worker(entry, { workerData: setup });
      let ready = false;
      worker.on('message', (message: WorkerMessage) => {
        if (message.type === 'ready') {
          ready = true;
          resolve(worker);
        } else if (message.type === 'setup-failed') {
          void worker.terminate();
          reject(new OrchardError('INVALID_ARGUMENT', `A tuning worker could not prepare learner ${setup.learner}: ${message.error}`, { details: { learner: setup.learner, plugins: setup.plugins } }));
        } else {
          const running = busy.get(worker);
          busy.delete(worker);
          idle.push(worker);
          running?.job.resolve(message.outcome);
          dispatch();
        }
      });
      worker.on('error', (error) => {
        if (!ready) reject(new OrchardError('INTERNAL', `A tuning worker failed to start: ${error.message}`, { cause: error }));
      });
      worker.on('exit', (code) => {
        if (!ready || closed) return;
        // A worker that dies (out of memory, process.exit in a learner) fails its trial only; a fresh one takes its place.
        const running = busy.get(worker);
        busy.delete(worker);
        const at = idle.indexOf(worker);
        if (at >= 0) idle.splice(at, 1);
        running?.job.resolve({ ok: false, error: `the worker thread running this trial stopped (exit code ${code})`, seconds: (performance.now() - running.since) / 1000 });
        spawn().then(
          (fresh) => {
            if (closed) return void fresh.terminate();
            idle.push(fresh);
            dispatch();
          },
          (error: Error) => {
            // With no worker left, nothing would ever take the queued trials: fail them now.
            if (idle.length + busy.size > 0) return;
            for (const job of queue.splice(0)) job.resolve({ ok: false, error: `no tuning worker could be restarted: ${error.message}`, seconds: 0 });
          },
        );
      });
    });

  const started = await Promise.allSettled(Array.from({ length: size }, spawn));
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  const workers = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  if (failed) {
    closed = true;
    await Promise.all(workers.map((w) => w.terminate()));
    throw failed.reason;
  }
  idle.push(...workers);

  return {
    size,
    run(request) {
      if (closed) return Promise.resolve({ ok: false, error: 'the trial pool is closed', seconds: 0 });
      return new Promise((resolve) => {
        queue.push({ id: nextId++, request, resolve });
        dispatch();
      });
    },
    async close() {
      closed = true;
      for (const job of queue.splice(0)) job.resolve({ ok: false, error: 'the search stopped before this trial ran', seconds: 0 });
      const all = [...idle, ...busy.keys()];
      for (const { job } of busy.values()) job.resolve({ ok: false, error: 'the search stopped while this trial ran', seconds: 0 });
      busy.clear();
      idle.length = 0;
      await Promise.all(all.map((w) => w.terminate()));
    },
  };
}
