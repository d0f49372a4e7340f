import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { ContentStore } from '../artifacts/content-store.js';
import type { Clock } from '../core/clock.js';
import { OrchardError, notFound, type Issue } from '../core/errors.js';
import { bundleModule, importBundle } from '../core/load-module.js';
import type { MetadataStore, PipelineStepRecord, PipelineVersionRecord } from '../metadata/metadata-store.js';
import type { Actor, TrackingService } from '../tracking/tracking-service.js';
import { storeLocalInputs } from './local-inputs.js';
import { assertValidPipeline, lintPipeline } from './lint.js';
import { resolveParams, type ResolvedParams } from './params.js';
import { findPipeline, importStoredBundle } from './pipeline-module.js';
import { PipelineRunner, type RunEvent } from './pipeline-runner.js';
import { dependenciesOf, type Pipeline } from './pipeline.js';
import { initialStates, statesForResume, type UnitState, type UnitStatus } from './run-plan.js';
import { RunLease, type LeaseHolder } from './run-lease.js';
import { runSummary, type RunSummary, type StoredGraph } from './run-summary.js';
import type { StepExecutor, StepModule } from './step-executor.js';
import { StepTracker } from './step-tracker.js';
import type { StoredValue } from './types.js';

/** A pipeline ready to run: its graph and its code, stored by digest. */
export interface LoadedPipeline {
  readonly pipeline: Pipeline;
  readonly module: StepModule;
  /** The pushed version it came from, if any. */
  readonly version: PipelineVersionRecord | null;
  /** The pipeline file, when run from source. */
  readonly source: string | null;
  /** Where relative paths of local inputs and command steps start. */
  readonly baseDir: string;
}

export type { RunSummary, UnitSummary } from './run-summary.js';

export type ServiceEvent = RunEvent | { readonly type: 'run_started'; readonly runId: string; readonly resumed: boolean } | { readonly type: 'waiting'; readonly holder: LeaseHolder };

export interface RunOptions {
  /** `key=value` overrides (`<step>.<key>` for a step's parameter), as text. */
  readonly params?: Readonly<Record<string, string>>;
  /** Run every step, ignoring cached results (fresh results still go to the cache). */
  readonly noCache?: boolean;
  /** Most steps at once (default: the pipeline's setting, else the number of cores). */
  readonly concurrency?: number;
  /** Queue behind a run of the same pipeline in progress instead of refusing. */
  readonly wait?: boolean;
  /** Extra tags on the tracked run, e.g. what triggered it (`orchard.trigger`). */
  readonly tags?: readonly { readonly key: string; readonly value: string }[];
  /** The tracked run's name (default: a generated one). */
  readonly runName?: string;
  /** Aborting cancels the run: running steps are terminated, the run ends KILLED. */
  readonly signal?: AbortSignal;
  readonly onEvent?: (event: ServiceEvent) => void;
}

export interface PipelineServiceDeps {
  readonly store: MetadataStore;
  readonly content: ContentStore;
  readonly tracking: TrackingService;
  readonly clock: Clock;
  /** Scratch space for imported bundles. */
  readonly scratchDir: string;
  /** Default slots when neither the run nor the pipeline sets a concurrency. */
  readonly cores: number;
  createExecutor(slots: number): StepExecutor;
  readonly host: string;
  readonly pid: number;
  isGone(host: string, pid: number): boolean;
  /** Ends a worker a dead runner left running; true when one was ended. */
  endStaleWorker(host: string, pid: number): boolean;
  readonly leaseTtlMs?: number;
  /** How often `wait` checks whether a pipeline's lease is free (default 1000 ms). */
  readonly waitPollMs?: number;
}

interface StoredOptions {
  readonly noCache: boolean;
  readonly locals: Record<string, StoredValue>;
  readonly concurrency: number | undefined;
  readonly baseDir: string;
  readonly graph: StoredGraph;
}

const SOURCE = /\.(ts|mts|js|mjs)$/;

/**
 * Pipelines as use cases: load one (a file, or a pushed version by `name@version`),
 * lint it, push versions, start runs and resume them, and describe a run's graph.
 */
export class PipelineService {
  readonly #d: PipelineServiceDeps;

  constructor(deps: PipelineServiceDeps) {
    this.#d = deps;
  }

  /**
   * Loads a pipeline file (bundled, stored by digest) or a pushed version (`name@3`, `name@latest`, `name`).
   * @throws OrchardError `NOT_FOUND` when neither exists; `INVALID_ARGUMENT` when the module exports no pipeline.
   */
  async load(target: string, options: { cwd: string; pipeline?: string }): Promise<LoadedPipeline> {
    const path = resolve(options.cwd, target);
    if (SOURCE.test(target) || (existsSync(path) && statSync(path).isFile())) {
      const bundle = await bundleModule(path);
      const stored = await this.#d.content.put(Buffer.from(bundle.code));
      const pipeline = findPipeline(await importBundle(bundle, path), path, options.pipeline);
      return { pipeline, module: { digest: stored.digest, near: path, pipeline: pipeline.name }, version: null, source: path, baseDir: dirname(path) };
    }
    const m = /^([A-Za-z0-9][A-Za-z0-9_-]*)(?:@(\d+|latest))?$/.exec(target);
    if (!m) throw notFound(`No pipeline file ${path}, and '${target}' is not a pushed pipeline reference (name@version); give a .ts file or push one with \`orchard pipeline push <file>\`.`, { target });
    const version = await this.#d.store.pipelines.getVersion(m[1]!, m[2] === undefined || m[2] === 'latest' ? 'latest' : Number(m[2]));
    if (!version) {
      const known = (await this.#d.store.pipelines.listVersions(m[1]!)).map((v) => v.version);
      throw notFound(
        known.length > 0
          ? `Pipeline '${m[1]}' has no version ${m[2]}; its versions are ${known.join(', ')}.`
          : `No pipeline file ${path}, and no pushed pipeline named '${m[1]}'; push it with \`orchard pipeline push <file>\` or list them with \`orchard pipeline list\`.`,
        { target },
      );
    }
    const exports = await importStoredBundle(this.#d.content, version.digest, null, this.#d.scratchDir);
    const pipeline = findPipeline(exports, `${version.name}@${version.version}`, version.name);
    return { pipeline, module: { digest: version.digest, near: null, pipeline: pipeline.name }, version, source: null, baseDir: options.cwd };
  }

  lint(loaded: LoadedPipeline): Issue[] {
    return lintPipeline(loaded.pipeline);
  }

  /**
   * Bundles a pipeline file with its packages into one self-contained module, stores
   * it by digest, and registers it as the pipeline's next version (or returns the
   * version that already has this code).
   */
  async push(actor: Actor, file: string, options: { cwd: string; pipeline?: string; gitCommit: string | null }): Promise<{ version: PipelineVersionRecord; created: boolean; pipeline: Pipeline }> {
    const path = resolve(options.cwd, file);
    const bundle = await bundleModule(path, { packages: 'bundle' });
    const pipeline = findPipeline(await importBundle(bundle, path), path, options.pipeline);
    assertValidPipeline(pipeline);
    const stored = await this.#d.content.put(Buffer.from(bundle.code));
    const now = this.#d.clock.now();
    return this.#d.store.transaction(async (tx) => {
      const r = await tx.pipelines.addVersion({ name: pipeline.name, digest: stored.digest, gitCommit: options.gitCommit, source: path, createdBy: actor.name, createdAt: now });
      if (r.created) await tx.events.append({ at: now, actor: actor.name, action: 'pipeline.push', entityKind: 'pipeline', entityId: `${pipeline.name}@${r.version.version}`, before: null, after: r.version });
      return { ...r, pipeline };
    });
  }

  listVersions(name?: string): Promise<PipelineVersionRecord[]> {
    return this.#d.store.pipelines.listVersions(name);
  }

  /** Starts a run: lint, parameters, lease, local inputs, tracked run, then executes it. */
  async run(actor: Actor, loaded: LoadedPipeline, options: RunOptions = {}): Promise<RunSummary> {
    const { pipeline } = loaded;
    assertValidPipeline(pipeline);
    const params = resolveParams(pipeline, options.params ?? {});
    const lease = await this.#lease(pipeline.name, 'new', options);
    try {
      const locals = await storeLocalInputs(this.#d.content, pipeline, params, loaded.baseDir);
      const experimentId = (await this.#d.tracking.ensureExperiment(actor, pipeline.experiment ?? pipeline.name)).experimentId;
      const tags = [
        { key: 'orchard.kind', value: 'pipeline' },
        { key: 'orchard.pipeline', value: pipeline.name },
        { key: 'orchard.pipeline.code', value: loaded.module.digest },
        ...(loaded.version ? [{ key: 'orchard.pipeline.version', value: String(loaded.version.version) }] : []),
        ...(loaded.source ? [{ key: 'orchard.pipeline.source', value: loaded.source }] : []),
        ...(options.tags ?? []),
      ];
      const paramList = Object.entries(params.pipeline).map(([key, v]) => ({ key, value: typeof v === 'string' ? v : JSON.stringify(v) }));
      const run = await this.#d.tracking.createRun(actor, { experimentId, tags, params: paramList, ...(options.runName ? { runName: options.runName } : {}) });
      const runId = run.info.runId;
      await lease.rebind(runId);
      const now = this.#d.clock.now();
      const stored: StoredOptions = { noCache: options.noCache ?? false, locals, concurrency: options.concurrency, baseDir: loaded.baseDir, graph: pipeline.nodes.map((n) => ({ node: n.name, after: dependenciesOf(n) })) };
      await this.#d.store.pipelines.createRun({ runId, pipeline: pipeline.name, version: loaded.version?.version ?? null, moduleDigest: loaded.module.digest, source: loaded.source, params, options: stored, status: 'RUNNING', createdBy: actor.name, createdAt: now, updatedAt: now });
      options.onEvent?.({ type: 'run_started', runId, resumed: false });
      return await this.#execute(actor, { loaded, runId, experimentId, params, stored, states: initialStates(pipeline), records: new Map() }, lease, options);
    } finally {
      await lease.release().catch(() => {});
    }
  }

  /**
   * Continues a run from its completed steps: nothing that finished runs again;
   * attempts its dead runner left are marked lost (and their workers ended).
   * @throws OrchardError `NOT_FOUND` for an unknown run; `CONFLICT` while another runner holds it.
   */
  async resume(actor: Actor, runId: string, options: RunOptions = {}): Promise<RunSummary> {
    const rec = await this.#d.store.pipelines.getRun(runId);
    if (!rec) throw notFound(`No pipeline run '${runId}'; find run ids with \`orchard runs list --experiment <pipeline>\`.`, { runId });
    if (rec.status === 'FINISHED') return this.summary(runId);
    const stored = rec.options as StoredOptions;
    const exports = await importStoredBundle(this.#d.content, rec.moduleDigest, rec.source, this.#d.scratchDir);
    const pipeline = findPipeline(exports, rec.source ?? `${rec.pipeline}@${rec.version}`, rec.pipeline);
    const lease = await this.#lease(pipeline.name, runId, options);
    try {
      const now = this.#d.clock.now();
      for (const a of await this.#d.store.pipelines.listAttempts(runId)) {
        if (a.status !== 'RUNNING') continue;
        const [host = '', pid = '0'] = (a.worker ?? '').split(':');
        const ended = a.worker !== null && this.#d.endStaleWorker(host, Number(pid));
        await this.#d.store.pipelines.putAttempt({ ...a, status: 'LOST', failureKind: 'lost', message: `its runner stopped while it ran${ended ? '; its worker was ended' : ''}`, endedAt: now });
      }
      const steps = await this.#d.store.pipelines.listSteps(runId);
      const states = statesForResume(pipeline, steps.map(stateOf));
      const records = new Map<string, PipelineStepRecord>();
      for (const s of steps) {
        const again = s.status === 'FAILED' || s.status === 'CANCELLED' || s.status === 'UPSTREAM_FAILED';
        records.set(s.unit, { ...s, status: states.get(s.unit)!.status, stepRunId: again ? null : s.stepRunId, reason: again ? null : s.reason, startedAt: again ? null : s.startedAt, endedAt: null });
      }
      await this.#d.tracking.updateRun(actor, runId, { status: 'RUNNING' });
      await this.#d.store.pipelines.setRunStatus(runId, 'RUNNING', now);
      options.onEvent?.({ type: 'run_started', runId, resumed: true });
      const experimentId = (await this.#d.tracking.getRun(runId)).info.experimentId;
      const loaded: LoadedPipeline = { pipeline, module: { digest: rec.moduleDigest, near: rec.source, pipeline: pipeline.name }, version: null, source: rec.source, baseDir: stored.baseDir };
      const merged: StoredOptions = { ...stored, noCache: options.noCache ?? stored.noCache, concurrency: options.concurrency ?? stored.concurrency };
      return await this.#execute(actor, { loaded, runId, experimentId, params: rec.params as ResolvedParams, stored: merged, states, records }, lease, options);
    } finally {
      await lease.release().catch(() => {});
    }
  }

  /** The state of a run's units, in graph order, with what each waits for. */
  summary(runId: string): Promise<RunSummary> {
    return runSummary(this.#d.store, runId);
  }

  async #execute(actor: Actor, r: { loaded: LoadedPipeline; runId: string; experimentId: string; params: ResolvedParams; stored: StoredOptions; states: Map<string, UnitState>; records: Map<string, PipelineStepRecord> }, lease: RunLease, options: RunOptions): Promise<RunSummary> {
    const slots = Math.max(1, Math.floor(r.stored.concurrency ?? r.loaded.pipeline.concurrency ?? this.#d.cores));
    const executor = this.#d.createExecutor(slots);
    const controller = new AbortController();
    const forward = () => controller.abort();
    options.signal?.addEventListener('abort', forward, { once: true });
    if (options.signal?.aborted) controller.abort();
    let lost: string | undefined;
    lease.startHeartbeat((message) => {
      lost = message;
      controller.abort();
    });
    const tracker = new StepTracker({ store: this.#d.store, content: this.#d.content, tracking: this.#d.tracking, clock: this.#d.clock, actor });
    let status: 'FINISHED' | 'FAILED' | 'KILLED';
    try {
      const runner = new PipelineRunner(
        { store: this.#d.store, content: this.#d.content, executor, tracker, clock: this.#d.clock, onEvent: options.onEvent },
        { pipeline: r.loaded.pipeline, runId: r.runId, experimentId: r.experimentId, module: r.loaded.module, params: r.params, locals: r.stored.locals, noCache: r.stored.noCache, sourceDir: r.loaded.baseDir, actor: actor.name, states: r.states, records: r.records },
      );
      status = await runner.execute(controller.signal);
    } finally {
      options.signal?.removeEventListener('abort', forward);
      lease.stopHeartbeat();
      await executor.destroy();
    }
    if (lost !== undefined) throw new OrchardError('CONFLICT', `Run ${r.runId} stopped: ${lost}; another runner continues it.`, { details: { runId: r.runId } });
    const counts = countBy([...r.states.values()].map((s) => s.status));
    await this.#d.tracking.logBatch(actor, r.runId, {
      metrics: Object.entries({ steps_succeeded: counts.SUCCEEDED, steps_cached: counts.CACHED, steps_failed: counts.FAILED, steps_skipped: counts.SKIPPED }).map(([key, value]) => ({ key, value: value ?? 0 })),
    });
    await this.#d.tracking.updateRun(actor, r.runId, { status });
    await this.#d.store.pipelines.setRunStatus(r.runId, status, this.#d.clock.now());
    return this.summary(r.runId);
  }

  async #lease(pipeline: string, runId: string, options: RunOptions): Promise<RunLease> {
    const input = { pipeline, runId, host: this.#d.host, pid: this.#d.pid, ttlMs: this.#d.leaseTtlMs ?? 30_000 };
    const deps = { store: this.#d.store, clock: this.#d.clock, isGone: (h: string, p: number) => this.#d.isGone(h, p) };
    if (!options.wait) return RunLease.acquire(deps, input);
    let announced = false;
    for (;;) {
      const got = await RunLease.tryAcquire(deps, input);
      if (got instanceof RunLease) return got;
      if (!announced) options.onEvent?.({ type: 'waiting', holder: got });
      announced = true;
      if (options.signal?.aborted) throw new OrchardError('CONFLICT', `Stopped waiting for pipeline '${pipeline}': run ${got.runId} still holds it.`);
      await new Promise((r) => setTimeout(r, this.#d.waitPollMs ?? 1000));
    }
  }
}

function stateOf(s: PipelineStepRecord): UnitState {
  return { unit: s.unit, node: s.node, index: s.index, status: s.status as UnitStatus, outputs: s.outputs };
}

function countBy(values: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}
