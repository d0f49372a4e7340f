import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { OrchardError } from '../core/errors.js';

export type ChunkRequest = { readonly id: number; readonly features: Float64Array[] };
export type ChunkReply =
  | { readonly type: 'ready' }
  | { readonly type: 'done'; readonly id: number; readonly out: Float64Array }
  | { readonly type: 'failed'; readonly id: number; readonly error: string };

/** Predicts feature chunks on worker threads; chunks go to the least busy worker. */
export interface ChunkWorkers {
  readonly size: number;
  /** Predicts one chunk; the feature buffers are transferred to the worker (unusable here afterwards). */
  predict(features: Float64Array[]): Promise<Float64Array>;
  close(): Promise<void>;
}

/** The compiled worker next to this module (a build), else the source entry that registers tsx first. */
function workerEntry(): URL {
  const compiled = new URL('./batch-worker.js', import.meta.url);
  return existsSync(fileURLToPath(compiled)) ? compiled : new URL('./batch-worker-source.mjs', import.meta.url);
}

/**
 * Starts `size` workers, each loading the model artifact (JSON) once.
 * @throws OrchardError INTERNAL when a worker cannot load the model.
 */
export async function startChunkWorkers(artifact: string, size: number): Promise<ChunkWorkers> {
  const entry = workerEntry();
  const workers: { worker: Worker; inFlight: number }[] = [];
  const waiting = new Map<number, { resolve: (out: Float64Array) => void; reject: (e: Error) => void; slot: { inFlight: number } }>();
  let nextId = 0;
  const fail = (message: string) => new OrchardError('INTERNAL', `A batch-scoring worker failed: ${message}`);
  try {
    for (let i = 0; i < size; i++) {
      const worker = new Worker(entry, { workerData: { artifact } });
      const slot = { worker, inFlight: 0 };
      workers.push(slot);
      await new Promise<void>((resolve, reject) => {
        const first = (m: ChunkReply) => (m.type === 'ready' ? resolve() : reject(fail(m.type === 'failed' ? m.error : 'unexpected message')));
        worker.once('message', first);
        worker.once('error', reject);
      });
      worker.on('message', (m: ChunkReply) => {
        if (m.type === 'ready') return;
        const job = waiting.get(m.id);
        if (!job) return;
        waiting.delete(m.id);
        job.slot.inFlight--;
        if (m.type === 'done') job.resolve(m.out);
        else job.reject(fail(m.error));
      });
      // A dead worker fails what it held; the scoring then fails as a whole.
      worker.on('error', (error) => {
        for (const [id, job] of waiting) if (job.slot === slot) (waiting.delete(id), job.reject(fail(error.message)));
      });
    }
  } catch (error) {
    await Promise.all(workers.map((w) => w.worker.terminate()));
    throw error;
  }
  return {
    size,
    predict(features) {
      const slot = workers.reduce((a, b) => (b.inFlight < a.inFlight ? b : a));
      const id = nextId++;
      slot.inFlight++;
      return new Promise((resolve, reject) => {
        waiting.set(id, { resolve, reject, slot });
        slot.worker.postMessage({ id, features } satisfies ChunkRequest, features.map((f) => f.buffer as ArrayBuffer));
      });
    },
    async close() {
      await Promise.all(workers.map((w) => w.worker.terminate()));
    },
  };
}
