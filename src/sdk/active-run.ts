import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Readable } from 'node:stream';
import { OrchardError } from '../core/errors.js';
import type { KeyValue, MetricPoint, Run, RunStatus } from '../tracking/types.js';
import { LIMITS } from '../tracking/validation.js';
import type { TrackingTransport } from './transport.js';

export interface ActiveRunOptions {
  /** Points buffered before a background send starts (default 1000). */
  readonly batchSize?: number;
  /** Longest time a logged value waits before it is sent (default 1000 ms). */
  readonly flushIntervalMs?: number;
}

/**
 * A run being logged to. Params, metrics and tags are buffered and sent in
 * batches in the background; `flush()` waits for everything logged so far,
 * `end()` flushes and closes the run, and pending values are also flushed when
 * the process is about to exit.
 *
 * @example
 * const run = await orchard.startRun({ experiment: 'flights', params: { learner: 'gbdt' } });
 * for (let step = 0; step < 100; step++) run.logMetric('loss', 1 / (step + 1), { step });
 * await run.end();
 */
export class ActiveRun {
  readonly id: string;
  readonly experimentId: string;
  readonly #transport: TrackingTransport;
  readonly #batchSize: number;
  #metrics: MetricPoint[] = [];
  #params: KeyValue[] = [];
  #tags: KeyValue[] = [];
  #sending: Promise<void> = Promise.resolve();
  #error: unknown;
  #timer: NodeJS.Timeout | undefined;
  #ended = false;
  readonly #onBeforeExit = () => void this.flush().catch(() => {});

  constructor(run: Run, transport: TrackingTransport, options: ActiveRunOptions = {}) {
    this.id = run.info.runId;
    this.experimentId = run.info.experimentId;
    this.#transport = transport;
    this.#batchSize = Math.min(options.batchSize ?? 1000, LIMITS.orchardBatch.metrics);
    this.#timer = setInterval(() => void this.#send().catch(() => {}), options.flushIntervalMs ?? 1000);
    this.#timer.unref();
    process.on('beforeExit', this.#onBeforeExit);
  }

  /** Buffers one metric point. `step` defaults to 0 and `timestamp` to now. */
  logMetric(key: string, value: number, options: { step?: number; timestamp?: number } = {}): void {
    this.#checkOpen();
    this.#metrics.push({ key, value, step: options.step ?? 0, timestamp: options.timestamp ?? Date.now() });
    if (this.#metrics.length >= this.#batchSize) void this.#send().catch(() => {});
  }

  /** Buffers several metrics at one step. */
  logMetrics(values: Record<string, number>, options: { step?: number; timestamp?: number } = {}): void {
    const timestamp = options.timestamp ?? Date.now();
    for (const [key, value] of Object.entries(values)) this.logMetric(key, value, { step: options.step, timestamp });
  }

  /** Buffers params; a param cannot change once logged (the send fails with INVALID_ARGUMENT). */
  logParams(params: Record<string, string | number | boolean>): void {
    this.#checkOpen();
    for (const [key, value] of Object.entries(params)) this.#params.push({ key, value: String(value) });
  }

  logParam(key: string, value: string | number | boolean): void {
    this.logParams({ [key]: value });
  }

  setTags(tags: Record<string, string>): void {
    this.#checkOpen();
    for (const [key, value] of Object.entries(tags)) this.#tags.push({ key, value });
  }

  setTag(key: string, value: string): void {
    this.setTags({ [key]: value });
  }

  /**
   * Stores a file, bytes or a stream as an artifact of this run at `path`
   * (default: the file's name). Returns its content digest.
   */
  async logArtifact(source: string | Uint8Array | Readable, path?: string): Promise<{ digest: string; size: number }> {
    this.#checkOpen();
    if (typeof source === 'string') {
      const info = await stat(source).catch(() => undefined);
      if (!info?.isFile()) throw new OrchardError('INVALID_ARGUMENT', `Artifact file '${source}' does not exist or is not a file.`, { details: { file: source } });
      return this.#transport.uploadArtifact(this.id, path ?? basename(source), createReadStream(source));
    }
    if (path === undefined) throw new OrchardError('INVALID_ARGUMENT', 'logArtifact of bytes or a stream needs a path, e.g. logArtifact(buffer, "model/weights.bin").');
    return this.#transport.uploadArtifact(this.id, path, source);
  }

  /** Waits until everything logged so far is stored; rethrows the first failed send. */
  async flush(): Promise<void> {
    await this.#send();
    await this.#sending;
    if (this.#error !== undefined) {
      const error = this.#error;
      this.#error = undefined;
      throw error;
    }
  }

  /** Flushes, then marks the run ended with `status` (default FINISHED). */
  async end(status: Exclude<RunStatus, 'RUNNING' | 'SCHEDULED'> = 'FINISHED'): Promise<void> {
    if (this.#ended) return;
    try {
      await this.flush();
    } finally {
      this.#ended = true;
      clearInterval(this.#timer);
      process.off('beforeExit', this.#onBeforeExit);
    }
    await this.#transport.updateRun(this.id, { status, endTime: Date.now() });
  }

  /** Sends what is buffered, in order, in batches within the API's limits. */
  #send(): Promise<void> {
    if (this.#metrics.length + this.#params.length + this.#tags.length === 0) return this.#sending;
    const metrics = this.#metrics;
    const params = this.#params;
    const tags = this.#tags;
    this.#metrics = [];
    this.#params = [];
    this.#tags = [];
    const limits = LIMITS.orchardBatch;
    this.#sending = this.#sending.then(async () => {
      try {
        let [mi, pi, ti] = [0, 0, 0];
        while (mi < metrics.length || pi < params.length || ti < tags.length) {
          const p = params.slice(pi, pi + limits.params);
          const t = tags.slice(ti, ti + limits.tags);
          const room = limits.total - p.length - t.length;
          const m = metrics.slice(mi, mi + Math.min(this.#batchSize, limits.metrics, room));
          await this.#transport.logBatch(this.id, { metrics: m, params: p, tags: t });
          [mi, pi, ti] = [mi + m.length, pi + p.length, ti + t.length];
        }
      } catch (error) {
        this.#error ??= error;
      }
    });
    return this.#sending;
  }

  #checkOpen(): void {
    if (this.#ended) throw new OrchardError('INVALID_ARGUMENT', `Run ${this.id} has ended; start a new run to log more.`, { details: { runId: this.id } });
  }
}
