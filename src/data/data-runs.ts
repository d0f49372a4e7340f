import type { Actor, TrackingService } from '../tracking/tracking-service.js';

export const DATA_EXPERIMENT = 'datasets';

/**
 * Data operations (ingest, profile, validate, split) are tracked runs in the
 * `datasets` experiment: params going in, metrics and tags coming out, FAILED with
 * the error when they fail.
 */
export class DataRuns {
  readonly #tracking: TrackingService;

  constructor(tracking: TrackingService) {
    this.#tracking = tracking;
  }

  /** Starts a run named like `ingest flights` with `params`; returns its id. */
  async start(actor: Actor, runName: string, params: Record<string, string>): Promise<string> {
    const experimentId = await this.#experimentId(actor);
    const run = await this.#tracking.createRun(actor, { experimentId, runName, tags: [{ key: 'orchard.kind', value: `data.${runName.split(' ')[0]!}` }] });
    await this.#tracking.logBatch(actor, run.info.runId, { params: Object.entries(params).map(([key, value]) => ({ key, value })) });
    return run.info.runId;
  }

  async finish(actor: Actor, runId: string, metrics: Record<string, number>, tags: Record<string, string> = {}): Promise<void> {
    await this.#tracking.logBatch(actor, runId, {
      metrics: Object.entries(metrics).map(([key, value]) => ({ key, value })),
      tags: Object.entries(tags).map(([key, value]) => ({ key, value })),
    });
    await this.#tracking.updateRun(actor, runId, { status: 'FINISHED' });
  }

  /** Marks the run FAILED with the error as a tag; never hides the original error. */
  async fail(actor: Actor, runId: string, error: unknown): Promise<void> {
    try {
      await this.#tracking.logBatch(actor, runId, { tags: [{ key: 'orchard.error', value: String((error as Error)?.message ?? error).slice(0, 8000) }] });
      await this.#tracking.updateRun(actor, runId, { status: 'FAILED' });
    } catch {
      /* the original error matters more */
    }
  }

  /** Runs `work` as a tracked run: finished with its metrics, or failed with its error. */
  async track<T>(actor: Actor, runName: string, params: Record<string, string>, work: (runId: string) => Promise<{ result: T; metrics: Record<string, number>; tags?: Record<string, string> }>): Promise<T> {
    const runId = await this.start(actor, runName, params);
    try {
      const { result, metrics, tags } = await work(runId);
      await this.finish(actor, runId, metrics, tags);
      return result;
    } catch (error) {
      await this.fail(actor, runId, error);
      throw error;
    }
  }

  async #experimentId(actor: Actor): Promise<string> {
    return (await this.#tracking.ensureExperiment(actor, DATA_EXPERIMENT)).experimentId;
  }
}
