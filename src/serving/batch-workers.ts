import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { OrchardError } from '../core/errors.js';

export type ChunkRequest = { readonly id: number; readonly features: Float64Array[] };
export type ChunkReply =
  | { readonly type: 'ready' }
  | { readonly type: 'done'; readonly id: number; readonly out: Float64Array }
  | { readonly type: 'failed'; readonly id: number; readonly error: string };

/**
 * Predicts feature chunks on worker threads that start in the background: until
 * one is ready (or while every ready one is full) the caller predicts chunks
 * itself, so starting threads never holds the scoring up.
 */
export interface ChunkWorkers {
  readonly size: number;
  /**
   * Whether a ready worker has room for another chunk (fewer than `depth` in flight).
   * @throws OrchardError INTERNAL when a worker failed to start.
   */
  hasRoom(): boolean;
  /**
   * Predicts one chunk on the least busy ready worker; the feature buffers are transferred (unusable here afterwards).
   * Call only when `hasRoom()`.
   */
  predict(features: Float64Array[]): Promise<Float64Array>;
  /**
   * Resolves once every worker is ready.
   * @throws OrchardError INTERNAL when a worker failed to start.
   */
  ready(): Promise<void>;
  close(): Promise<void>;
}

/** The compiled worker next to this module (a build), else the source entry that registers tsx first. */
function workerEntry(): URL {
  const compiled = new URL('./batch-worker.js', import.meta.url);
  return existsSync(fileURLToPath(compiled)) ? compiled : new URL('./batch-worker-source.mjs', import.meta.url);
}

type Slot = { readonly worker: Worker; ready: boolean; inFlight: number };

/**
 * Starts `size` workers at once, each loading the model artifact (JSON) and
 * compiling its prediction kernels; returns without waiting for them.
 * @param depth chunks a worker may hold at once (one predicting, the next queued).
 */
export function startChunkWorkers(artifact: string, size: number, depth = 2): ChunkWorkers {
  const entry = workerEntry();
  const waiting = new Map<number, { resolve: (out: Float64Array) => void; reject: (e: Error) => void; slot: Slot }>();
  let nextId = 0;
  let failure: OrchardError | null = null;
  const fail = (message: string) => new OrchardError('INTERNAL', `A batch-scoring worker failed: ${message}`);
  const changed = new Set<() => void>();
  const notify = () => {
    for (const f of changed) f();
  };
  const slots: Slot[] = Array.from({ length: size }, () => {
    const slot: Slot = { worker: new Worker(entry, { workerData: { artifact } }), ready: false, inFlight: 0 };
    slot.worker.on('message', (m: ChunkReply) => {
      if (m.type === 'ready') {
        slot.ready = true;
        return notify();
      }
      if (m.id === -1 && m.type === 'failed') {
        failure ??= fail(m.error);
        return notify();
      }
      const job = waiting.get(m.id);
      if (!job) return;
      waiting.delete(m.id);
      slot.inFlight--;
      if (m.type === 'done') job.resolve(m.out);
      else job.reject(fail(m.error));
    });
    // A dead worker fails what it held and the chunks after; the scoring then fails as a whole.
    slot.worker.on('error', (error) => {
      failure ??= fail(error.message);
      slot.ready = false;
      for (const [id, job] of waiting) if (job.slot === slot) (waiting.delete(id), job.reject(fail(error.message)));
      notify();
    });
    return slot;
  });
  return {
    size,
    hasRoom() {
      if (failure) throw failure;
      return slots.some((s) => s.ready && s.inFlight < depth);
    },
    predict(features) {
      const slot = slots.filter((s) => s.ready).reduce((a, b) => (b.inFlight < a.inFlight ? b : a));
      const id = nextId++;
      slot.inFlight++;
      return new Promise((resolve, reject) => {
        waiting.set(id, { resolve, reject, slot });
        slot.worker.postMessage({ id, features } satisfies ChunkRequest, features.map((f) => f.buffer as ArrayBuffer));
      });
    },
    ready() {
      return new Promise<void>((resolve, reject) => {
        const check = () => {
          if (failure) reject(failure);
          else if (slots.every((s) => s.ready)) resolve();
          else return;
          changed.delete(check);
        };
        changed.add(check);
        check();
      });
    },
    async close() {
      changed.clear();
      await Promise.all(slots.map((s) => s.worker.terminate()));
    },
  };
}
