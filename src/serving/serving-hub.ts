import { performance } from 'node:perf_hooks';
import { notFound } from '../core/errors.js';
import { silentLogger, type Logger } from '../core/logger.js';
import type { Platform } from '../orchard.js';
import { EndpointRuntime, type EndpointRuntimeDeps } from './endpoint-runtime.js';
import type { EndpointSpec } from './endpoint-spec.js';
import { DEFAULT_LOG_OPTIONS, PredictionLogWriter, type PredictionLogOptions } from './prediction-log-writer.js';
import { ServingMetrics } from './serving-metrics.js';

export interface ServingHubOptions {
  /**
   * `stored`: host every endpoint in the metadata store and follow their changes (`orchard server`);
   * or the given specs only, not stored (`orchard serve`).
   */
  readonly endpoints: 'stored' | readonly EndpointSpec[];
  /** How often aliases and stored specs are re-read, in milliseconds (default 2000). */
  readonly pollMs?: number;
  readonly log?: PredictionLogOptions;
  readonly logger?: Logger;
  /** Canary draws; Math.random by default. */
  readonly random?: () => number;
}

/**
 * The endpoints a server hosts, their prediction log and metrics, and the watcher that keeps
 * them current: every `pollMs` (and at once after a change made in this process — an endpoint
 * update, or a promote through the same server calling `refresh()`) it re-reads aliases and, for
 * stored endpoints, specs; a moved alias or a new revision is loaded, warmed and switched to
 * without failing a request (EndpointRuntime).
 */
export class ServingHub {
  readonly metrics = new ServingMetrics();
  readonly log: PredictionLogWriter;
  readonly #platform: Platform;
  readonly #options: ServingHubOptions;
  readonly #deps: EndpointRuntimeDeps;
  readonly #runtimes = new Map<string, { runtime: EndpointRuntime; revision: number }>();
  /** Stored endpoints that could not start, with why; retried on every poll. */
  readonly failures = new Map<string, string>();
  #timer: NodeJS.Timeout | undefined;
  #refreshing: Promise<void> | undefined;
  #again = false;
  #unsubscribe: (() => void) | undefined;
  #closed = false;

  private constructor(platform: Platform, options: ServingHubOptions) {
    this.#platform = platform;
    this.#options = options;
    const logger = options.logger ?? silentLogger;
    this.log = new PredictionLogWriter({ blobs: platform.blobs, engine: platform.engine, logger }, options.log ?? DEFAULT_LOG_OPTIONS);
    this.#deps = {
      models: platform,
      log: this.log,
      metrics: this.metrics,
      logger,
      now: () => platform.clock.now(),
      monotonic: () => performance.now(),
      random: options.random ?? Math.random,
    };
    this.metrics.gauges = () => ({
      queue: [...this.#runtimes.values()].flatMap(({ runtime }) => runtime.loaded().map((m) => ({ endpoint: runtime.spec.name, model: `${m.served.model}@${m.served.version ?? '-'}`, rows: m.served.batcher.queuedRows }))),
      logBuffered: this.log.buffered,
      models: [...this.#runtimes.values()].flatMap(({ runtime }) =>
        runtime.loaded().map((m) => ({ endpoint: runtime.spec.name, model: m.served.model, version: String(m.served.version ?? ''), digest: m.served.digest, role: m.role })),
      ),
    });
  }

  /**
   * Starts the endpoints and the watcher. With given specs, any model that cannot be loaded
   * stops the start (the error says which endpoint and why); stored endpoints that fail are
   * listed in `failures` and make the hub not ready.
   */
  static async start(platform: Platform, options: ServingHubOptions): Promise<ServingHub> {
    const hub = new ServingHub(platform, options);
    if (options.endpoints === 'stored') {
      await hub.#reconcile();
      hub.#unsubscribe = platform.endpoints.onChange(() => void hub.refresh());
    } else {
      try {
        for (const spec of options.endpoints) hub.#runtimes.set(spec.name, { runtime: await EndpointRuntime.start(hub.#deps, spec), revision: 0 });
      } catch (error) {
        await hub.close();
        throw error;
      }
    }
    hub.#timer = setInterval(() => void hub.refresh(), options.pollMs ?? 2000);
    hub.#timer.unref();
    return hub;
  }

  /** Ready when every endpoint has its models loaded. */
  get ready(): boolean {
    return !this.#closed && this.failures.size === 0;
  }

  names(): string[] {
    return [...this.#runtimes.keys()].sort();
  }

  /** @throws OrchardError NOT_FOUND naming the endpoints served here. */
  get(name: string): EndpointRuntime {
    const r = this.#runtimes.get(name)?.runtime;
    if (r) return r;
    const why = this.failures.get(name);
    throw notFound(why ? `Endpoint '${name}' is not serving: ${why}` : `No endpoint '${name}' is served here; served endpoints: ${this.names().join(', ') || 'none'}.`, { endpoint: name });
  }

  /** The endpoint when exactly one is served (`orchard serve`), for the routes without a name. */
  only(): EndpointRuntime | undefined {
    return this.#runtimes.size === 1 ? [...this.#runtimes.values()][0]!.runtime : undefined;
  }

  /** Re-reads aliases (and stored specs); resolves when the switches it started are done. Calls made meanwhile run once more after it. */
  refresh(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    if (this.#refreshing) {
      this.#again = true;
      return this.#refreshing;
    }
    this.#refreshing = (async () => {
      do {
        this.#again = false;
        try {
          if (this.#options.endpoints === 'stored') await this.#reconcile();
          await Promise.all([...this.#runtimes.values()].map(({ runtime }) => runtime.refresh().catch(() => {})));
        } catch (error) {
          this.#deps.logger.error(`Refreshing the served endpoints failed: ${(error as Error).message}`);
        }
      } while (this.#again && !this.#closed);
    })().finally(() => (this.#refreshing = undefined));
    return this.#refreshing;
  }

  /** Stops watching, lets requests in flight finish, closes the models and flushes the prediction log. */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    this.#unsubscribe?.();
    await this.#refreshing;
    await Promise.all([...this.#runtimes.values()].map(({ runtime }) => runtime.close()));
    this.#runtimes.clear();
    await this.log.close();
  }

  async #reconcile(): Promise<void> {
    const stored = await this.#platform.endpoints.list();
    const names = new Set(stored.map((e) => e.spec.name));
    for (const [name, { runtime }] of this.#runtimes) {
      if (names.has(name)) continue;
      this.#runtimes.delete(name);
      this.#deps.logger.info(`Endpoint '${name}' was deleted; it stops serving`);
      void runtime.close();
    }
    for (const name of this.failures.keys()) if (!names.has(name)) this.failures.delete(name);
    for (const e of stored) {
      const running = this.#runtimes.get(e.spec.name);
      try {
        if (!running) {
          this.#runtimes.set(e.spec.name, { runtime: await EndpointRuntime.start(this.#deps, e.spec), revision: e.revision });
          this.failures.delete(e.spec.name);
        } else if (running.revision !== e.revision) {
          await running.runtime.apply(e.spec);
          running.revision = e.revision;
        }
      } catch (error) {
        if (!running) this.failures.set(e.spec.name, (error as Error).message);
        this.#deps.logger.error((error as Error).message);
      }
    }
  }
}
