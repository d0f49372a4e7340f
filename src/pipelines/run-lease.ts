import { randomBytes } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import { OrchardError } from '../core/errors.js';
import type { LockRecord, MetadataStore } from '../metadata/metadata-store.js';

/** Who holds a pipeline's lease: a runner process and the run it is running. */
export interface LeaseHolder {
  readonly host: string;
  readonly pid: number;
  readonly runId: string;
  readonly expiresAt: number;
}

export interface LeaseDeps {
  readonly store: MetadataStore;
  readonly clock: Clock;
  /** Whether a runner process is known to be gone (then its lease is taken over at once). */
  isGone(host: string, pid: number): boolean;
}

export const lockName = (pipeline: string) => `pipeline:${pipeline}`;

export function parseHolder(lock: LockRecord): LeaseHolder {
  const [host = '?', pid = '0', , runId = '?'] = lock.owner.split('|');
  return { host, pid: Number(pid), runId, expiresAt: lock.expiresAt };
}

/**
 * The lease of a pipeline: one runner at a time runs one run of a pipeline. A second
 * run of the same pipeline, or a second runner of the same run, is refused with
 * `CONFLICT` while the holder is alive; a runner that died (its process is gone, or
 * its lease expired without a heartbeat) is taken over. The holder renews the lease
 * every third of its time to live.
 */
export class RunLease {
  readonly name: string;
  #owner: string;
  readonly #deps: LeaseDeps;
  readonly #ttlMs: number;
  #timer: NodeJS.Timeout | undefined;

  private constructor(deps: LeaseDeps, name: string, owner: string, ttlMs: number) {
    this.#deps = deps;
    this.name = name;
    this.#owner = owner;
    this.#ttlMs = ttlMs;
  }

  /** Tries once; returns the lease, or the live holder that keeps it. */
  static async tryAcquire(deps: LeaseDeps, input: { pipeline: string; runId: string; host: string; pid: number; ttlMs: number }): Promise<RunLease | LeaseHolder> {
    const name = lockName(input.pipeline);
    const owner = [input.host, input.pid, randomBytes(6).toString('hex'), input.runId].join('|');
    const now = deps.clock.now();
    let result = await deps.store.locks.acquire({ name, owner, expiresAt: now + input.ttlMs, now });
    if (!result.acquired && result.holder) {
      const holder = parseHolder(result.holder);
      if (deps.isGone(holder.host, holder.pid)) result = await deps.store.locks.acquire({ name, owner, expiresAt: now + input.ttlMs, now, replaceOwner: result.holder.owner });
    }
    if (result.acquired) return new RunLease(deps, name, owner, input.ttlMs);
    return parseHolder(result.holder!);
  }

  /**
   * Takes the lease or throws.
   * @throws OrchardError `CONFLICT` naming the run and the process that holds it.
   */
  static async acquire(deps: LeaseDeps, input: { pipeline: string; runId: string; host: string; pid: number; ttlMs: number }): Promise<RunLease> {
    const got = await RunLease.tryAcquire(deps, input);
    if (got instanceof RunLease) return got;
    throw busy(input.pipeline, input.runId, got);
  }

  get owner(): string {
    return this.#owner;
  }

  /** Records the run the lease is for, once the run exists (a new run takes the lease before it is created). */
  async rebind(runId: string): Promise<void> {
    const [host, pid, nonce] = this.#owner.split('|');
    const owner = [host, pid, nonce, runId].join('|');
    const now = this.#deps.clock.now();
    const r = await this.#deps.store.locks.acquire({ name: this.name, owner, expiresAt: now + this.#ttlMs, now, replaceOwner: this.#owner });
    if (!r.acquired) throw new OrchardError('CONFLICT', `The lease ${this.name} was taken over before run ${runId} started; start it again.`, { details: { runId } });
    this.#owner = owner;
  }

  /** Renews in the background; `onLost` is called once if another runner took the lease. */
  startHeartbeat(onLost: (message: string) => void): void {
    this.#timer = setInterval(() => {
      this.#deps.store.locks.renew(this.name, this.owner, this.#deps.clock.now() + this.#ttlMs).then(
        (held) => {
          if (!held) {
            this.stopHeartbeat();
            onLost(`the lease ${this.name} was taken over by another runner`);
          }
        },
        () => {
          /* a busy store: the next beat tries again before the lease expires */
        },
      );
    }, Math.max(50, Math.floor(this.#ttlMs / 3)));
    this.#timer.unref();
  }

  stopHeartbeat(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  async release(): Promise<void> {
    this.stopHeartbeat();
    await this.#deps.store.locks.release(this.name, this.owner);
  }
}

export function busy(pipeline: string, runId: string, holder: LeaseHolder): OrchardError {
  const until = new Date(holder.expiresAt).toISOString();
  const message =
    holder.runId === runId
      ? `Run ${runId} of pipeline '${pipeline}' is already being run by process ${holder.pid} on ${holder.host} (lease until ${until}); two runners cannot run one run. Wait for it to end, or stop that process and resume again.`
      : `Pipeline '${pipeline}' already has a run in progress: run ${holder.runId}, by process ${holder.pid} on ${holder.host} (lease until ${until}). Orchard runs one run of a pipeline at a time: wait for it, pass --wait to queue behind it, or stop it (Ctrl-C in its terminal).`;
  return new OrchardError('CONFLICT', message, { details: { pipeline, runId, holder } });
}
