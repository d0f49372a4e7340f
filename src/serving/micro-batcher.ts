import { OrchardError } from '../core/errors.js';

export interface MicroBatcherOptions {
  /** Most rows in one call of the model; requests larger than this are split across batches. */
  readonly maxBatchSize: number;
  /** How long the first waiting rows may wait for company when the model is idle; 0 sends them on the next turn of the event loop. */
  readonly maxWaitMs: number;
  /** Most rows waiting (not yet in a batch); a request that would pass it is refused with OVERLOADED. */
  readonly maxQueueRows: number;
}

/** Runs one batch: `width` numbers per row, row-major. */
export type BatchRunner<Row> = (rows: Row[]) => Promise<Float64Array>;

interface Pending<Row> {
  readonly rows: readonly Row[];
  /** Rows already handed to a batch. */
  taken: number;
  /** Rows whose results have arrived. */
  done: number;
  result: Float64Array | null;
  cancelled: boolean;
  timer: NodeJS.Timeout | undefined;
  resolve(out: Float64Array): void;
  reject(error: unknown): void;
}

/**
 * Adaptive micro-batching for one model. Rows from concurrent requests are gathered into
 * batches of at most `maxBatchSize` rows — never more, however large a request is: a large
 * request's rows are spread over as many batches as it takes, and its promise resolves when
 * the last of them is done. One batch runs at a time; whatever queued while it ran forms the
 * next batch at once, so batches grow with the load and a lone request waits only `maxWaitMs`.
 * The queue is bounded in rows (`maxQueueRows`): past it `submit` throws OVERLOADED instead of
 * holding memory, except that a request arriving at an empty queue is always taken.
 */
export class MicroBatcher<Row> {
  readonly #options: MicroBatcherOptions;
  readonly #run: BatchRunner<Row>;
  readonly #width: () => number;
  readonly #queue: Pending<Row>[] = [];
  #queuedRows = 0;
  #running = false;
  #timer: NodeJS.Timeout | undefined;
  #immediate: NodeJS.Immediate | undefined;
  #closed = false;
  #idleWaiters: (() => void)[] = [];
  /** Called with each batch's row count, for metrics and tests. */
  onBatch: ((rows: number) => void) | undefined;

  constructor(options: MicroBatcherOptions, run: BatchRunner<Row>, width: () => number) {
    this.#options = options;
    this.#run = run;
    this.#width = width;
  }

  /** Rows waiting for a batch. */
  get queuedRows(): number {
    return this.#queuedRows;
  }

  /**
   * Queues rows; resolves with their predictions (`width` numbers per row, in order).
   * @throws OrchardError OVERLOADED when the queue is full (details.retryAfterSeconds);
   *   DEADLINE_EXCEEDED when `timeoutMs` passes first; NOT_READY after `close()`.
   */
  submit(rows: readonly Row[], timeoutMs?: number): Promise<Float64Array> {
    if (this.#closed) return Promise.reject(new OrchardError('NOT_READY', 'This model is being unloaded; retry the request, it goes to the model that replaced it.'));
    if (rows.length === 0) return Promise.resolve(new Float64Array(0));
    if (this.#queuedRows > 0 && this.#queuedRows + rows.length > this.#options.maxQueueRows) {
      return Promise.reject(
        new OrchardError('OVERLOADED', `The model's queue holds ${this.#queuedRows} rows and takes at most ${this.#options.maxQueueRows}; retry after a second, send fewer rows at once, or raise batching.maxQueueRows.`, {
          details: { queuedRows: this.#queuedRows, maxQueueRows: this.#options.maxQueueRows, retryAfterSeconds: 1 },
        }),
      );
    }
    return new Promise<Float64Array>((resolve, reject) => {
      const p: Pending<Row> = { rows, taken: 0, done: 0, result: null, cancelled: false, timer: undefined, resolve, reject };
      if (timeoutMs !== undefined) {
        p.timer = setTimeout(() => {
          p.cancelled = true;
          // Rows not yet in a batch leave the queue now; a batch already running finishes and its results are dropped.
          this.#queuedRows -= p.rows.length - p.taken;
          p.taken = p.rows.length;
          reject(new OrchardError('DEADLINE_EXCEEDED', `The prediction took longer than the endpoint's ${timeoutMs} ms timeout; retry, send fewer rows, or raise timeoutMs.`, { details: { timeoutMs } }));
        }, timeoutMs);
      }
      this.#queue.push(p);
      this.#queuedRows += rows.length;
      this.#schedule();
    });
  }

  /** Resolves once nothing is queued or running (in-flight work on this model has finished). */
  idle(): Promise<void> {
    if (!this.#running && this.#queuedRows === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Refuses new rows; what is queued still runs. */
  close(): void {
    this.#closed = true;
  }

  #schedule(): void {
    if (this.#running || this.#immediate || this.#queuedRows === 0) return;
    if (this.#queuedRows >= this.#options.maxBatchSize || this.#options.maxWaitMs === 0) {
      if (this.#timer) clearTimeout(this.#timer);
      this.#timer = undefined;
      this.#immediate = setImmediate(() => {
        this.#immediate = undefined;
        void this.#flush();
      });
    } else if (!this.#timer) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        void this.#flush();
      }, this.#options.maxWaitMs);
    }
  }

  async #flush(): Promise<void> {
    if (this.#running) return;
    const parts: { p: Pending<Row>; start: number; count: number; at: number }[] = [];
    const batch: Row[] = [];
    while (batch.length < this.#options.maxBatchSize && this.#queue.length > 0) {
      const p = this.#queue[0]!;
      const count = Math.min(p.rows.length - p.taken, this.#options.maxBatchSize - batch.length);
      for (let i = 0; i < count; i++) batch.push(p.rows[p.taken + i]!);
      if (count > 0) parts.push({ p, start: p.taken, count, at: batch.length - count });
      p.taken += count;
      this.#queuedRows -= count;
      if (p.taken >= p.rows.length) this.#queue.shift();
    }
    if (batch.length === 0) return this.#settleIdle();
    this.#running = true;
    this.onBatch?.(batch.length);
    try {
      const out = await this.#run(batch);
      const width = this.#width();
      for (const { p, start, count, at } of parts) {
        if (p.cancelled) continue;
        p.result ??= new Float64Array(p.rows.length * width);
        p.result.set(out.subarray(at * width, (at + count) * width), start * width);
        p.done += count;
        if (p.done === p.rows.length) {
          clearTimeout(p.timer);
          p.resolve(p.result);
        }
      }
    } catch (error) {
      for (const { p } of parts) {
        if (p.cancelled) continue;
        p.cancelled = true;
        clearTimeout(p.timer);
        this.#queuedRows -= p.rows.length - p.taken;
        p.taken = p.rows.length;
        p.reject(error);
      }
      this.#dropCancelled();
    } finally {
      this.#running = false;
    }
    if (this.#queuedRows > 0) this.#schedule();
    else this.#settleIdle();
  }

  #dropCancelled(): void {
    for (let i = this.#queue.length - 1; i >= 0; i--) if (this.#queue[i]!.cancelled) this.#queue.splice(i, 1);
  }

  #settleIdle(): void {
    this.#dropCancelled();
    if (this.#running || this.#queuedRows > 0) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const w of waiters) w();
  }
}
