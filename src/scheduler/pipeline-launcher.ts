import type { Actor } from '../tracking/tracking-service.js';

/** The tags a triggered run carries: what kind of thing triggered it and which one. */
export const TRIGGER_TAG = 'orchard.trigger';
export const TRIGGER_SOURCE_TAG = 'orchard.trigger.source';

/** A started pipeline run: its id as soon as it exists, and its end. */
export interface LaunchedRun {
  readonly runId: string;
  /** Settles when the run ends; rejects when it failed to run at all. */
  readonly finished: Promise<unknown>;
}

/**
 * Starts pipeline runs for schedules and triggers.
 * `launch` resolves once the run is created (so the caller can record its id) and
 * throws the pipeline's own errors (`NOT_FOUND` for an unknown pipeline, `CONFLICT`
 * while another run of it holds its lease, `INVALID_ARGUMENT` for bad parameters).
 */
export interface PipelineLauncher {
  launch(actor: Actor, input: { pipeline: string; params: Readonly<Record<string, string>>; tags: readonly { key: string; value: string }[]; runName?: string }): Promise<LaunchedRun>;
}

/** The launcher over the platform's PipelineService (a structural subset, so tests can pass the real one). */
export function pipelineServiceLauncher(pipelines: {
  load(target: string, options: { cwd: string }): Promise<unknown>;
  run(actor: Actor, loaded: never, options: { params?: Readonly<Record<string, string>>; tags?: readonly { key: string; value: string }[]; runName?: string; onEvent?: (e: { type: string; runId?: string }) => void }): Promise<{ runId: string }>;
}, cwd: string): PipelineLauncher {
  return {
    async launch(actor, input) {
      const loaded = await pipelines.load(input.pipeline, { cwd });
      let started: (runId: string) => void = () => {};
      const runIdKnown = new Promise<string>((resolve) => (started = resolve));
      const finished = pipelines.run(actor, loaded as never, {
        params: input.params,
        tags: input.tags,
        runName: input.runName,
        onEvent: (e) => {
          if (e.type === 'run_started' && e.runId !== undefined) started(e.runId);
        },
      });
      // A run that fails before it exists rejects `finished` first; the race passes that on.
      const runId = await Promise.race([runIdKnown, finished.then((s) => s.runId)]);
      finished.catch(() => {});
      return { runId, finished };
    },
  };
}
