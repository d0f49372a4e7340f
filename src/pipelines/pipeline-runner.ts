import type { ContentStore } from '../artifacts/content-store.js';
import type { Clock } from '../core/clock.js';
import type { MetadataStore, PipelineAttemptRecord, PipelineCacheRecord, PipelineStepRecord } from '../metadata/metadata-store.js';
import type { RunStatus } from '../tracking/types.js';
import { cacheKey } from './cache-key.js';
import type { ResolvedParams } from './params.js';
import type { Pipeline, PipelineNode } from './pipeline.js';
import { decide, isComplete, runOutcome, unitName, type Decision, type UnitState, type UnitStatus } from './run-plan.js';
import type { ExecutorEvent, StepExecutor, StepFailure, StepModule } from './step-executor.js';
import { artifactDigests, STEP_TAGS, type StepTracker } from './step-tracker.js';
import type { StoredValue } from './types.js';

/** Progress of a run, for live output. */
export type RunEvent =
  | { readonly type: 'step_started'; readonly unit: string; readonly attempt: number }
  | { readonly type: 'step_succeeded'; readonly unit: string; readonly ms: number }
  | { readonly type: 'step_cached'; readonly unit: string }
  | { readonly type: 'step_failed'; readonly unit: string; readonly attempt: number; readonly message: string; readonly retryInMs?: number }
  | { readonly type: 'step_skipped'; readonly unit: string; readonly reason: string; readonly status: 'SKIPPED' | 'UPSTREAM_FAILED' }
  | { readonly type: 'step_expanded'; readonly unit: string; readonly count: number };

/** Everything a run needs, prepared (and persisted) by the service before it executes. */
export interface PreparedRun {
  readonly pipeline: Pipeline;
  readonly runId: string;
  readonly experimentId: string;
  readonly module: StepModule;
  readonly params: ResolvedParams;
  readonly locals: Readonly<Record<string, StoredValue>>;
  readonly noCache: boolean;
  readonly sourceDir: string | null;
  readonly actor: string;
  readonly states: Map<string, UnitState>;
  /** Unit records from an earlier runner of this run (resume): attempt counts and step runs to continue. */
  readonly records: ReadonlyMap<string, PipelineStepRecord>;
}

export interface RunnerDeps {
  readonly store: MetadataStore;
  readonly content: ContentStore;
  readonly executor: StepExecutor;
  readonly tracker: StepTracker;
  readonly clock: Clock;
  readonly onEvent?: (event: RunEvent) => void;
}

interface Queued {
  readonly unit: string;
  readonly node: PipelineNode;
  readonly index: number | null;
  readonly inputs: Readonly<Record<string, StoredValue>>;
  readonly key: string;
  notBefore: number;
}

interface Running extends Queued {
  readonly attempt: number;
  readonly attemptId: string;
  readonly startedAt: number;
  readonly deadline: number;
  /** Where the attempt runs, once the executor said. */
  worker: string | null;
}

type UnitRecord = { -readonly [K in keyof PipelineStepRecord]: PipelineStepRecord[K] };

const MAX_BACKOFF_MS = 60_000;

/**
 * Runs a prepared pipeline run to its end: asks the state machine what is ready,
 * serves units from the cache or launches them on the executor (at most its slots at
 * once), retries failures with exponential backoff, terminates attempts past their
 * timeout, and on cancellation terminates everything running. Every transition is
 * persisted before the next one, so a runner killed at any point can be resumed.
 */
export class PipelineRunner {
  readonly #d: RunnerDeps;
  readonly #run: PreparedRun;
  readonly #states: Map<string, UnitState>;
  readonly #records = new Map<string, UnitRecord>();
  readonly #queue: Queued[] = [];
  readonly #running = new Map<string, Running>();

  constructor(deps: RunnerDeps, run: PreparedRun) {
    this.#d = deps;
    this.#run = run;
    this.#states = run.states;
    for (const [unit, r] of run.records) this.#records.set(unit, { ...r });
  }

  /** Executes until every unit has ended, or `signal` aborts (then the run ends KILLED). */
  async execute(signal: AbortSignal): Promise<'FINISHED' | 'FAILED' | 'KILLED'> {
    const aborted = new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));
    while (!signal.aborted) {
      await this.#applyDecisions();
      await this.#launchReady();
      if (this.#running.size === 0 && this.#queue.length === 0) break;
      const now = this.#d.clock.now();
      const wakeAt = Math.min(...[...this.#running.values()].map((r) => r.deadline), ...this.#queue.map((q) => q.notBefore), now + 60_000);
      await Promise.race([this.#d.executor.wait(Math.max(0, wakeAt - now)), aborted]);
      for (const r of [...this.#running.values()]) await this.#handle(r, await this.#d.executor.check(r.attemptId));
      for (const r of [...this.#running.values()]) if (r.deadline <= this.#d.clock.now()) await this.#handle(r, await this.#d.executor.terminate(r.attemptId, 'timeout'));
    }
    if (signal.aborted) await this.#cancelAll();
    if (!isComplete(this.#states)) await this.#failStuck();
    return runOutcome(this.#states);
  }

  async #applyDecisions(): Promise<void> {
    for (let decisions = this.#decide(); decisions.length > 0; decisions = this.#decide()) {
      for (const d of decisions) await this.#apply(d);
    }
  }

  #decide(): Decision[] {
    return decide(this.#run.pipeline, { params: this.#run.params, locals: this.#run.locals }, this.#states);
  }

  async #apply(d: Decision): Promise<void> {
    const now = this.#d.clock.now();
    switch (d.type) {
      case 'skip':
      case 'upstream_failed': {
        const status = d.type === 'skip' ? 'SKIPPED' : 'UPSTREAM_FAILED';
        await this.#save(d.unit, { status, reason: d.reason, endedAt: now });
        this.#d.onEvent?.({ type: 'step_skipped', unit: d.unit, reason: d.reason, status });
        return;
      }
      case 'expand': {
        for (let i = 0; i < d.count; i++) await this.#save(unitName(d.node, i), { status: 'PENDING' }, { node: d.node, index: i });
        await this.#save(d.node, { status: 'RUNNING', startedAt: now });
        this.#d.onEvent?.({ type: 'step_expanded', unit: d.node, count: d.count });
        return;
      }
      case 'join':
        await this.#save(d.node, { status: d.status, outputs: d.outputs, reason: d.reason ?? null, endedAt: now });
        return;
      case 'run': {
        const params = this.#run.params.nodes[d.node.name] ?? {};
        const key = cacheKey({ moduleDigest: this.#run.module.digest, step: d.node.step, params, inputs: d.inputs });
        if (d.node.cache && !this.#run.noCache && (await this.#serveFromCache(d, key))) return;
        this.#queue.push({ unit: d.unit, node: d.node, index: d.index, inputs: d.inputs, key, notBefore: now });
        await this.#save(d.unit, { status: 'QUEUED', cacheKey: key }, { node: d.node.name, index: d.index });
      }
    }
  }

  async #serveFromCache(d: Extract<Decision, { type: 'run' }>, key: string): Promise<boolean> {
    const hit = await this.#d.store.pipelines.getCache(key);
    if (!hit) return false;
    for (const digest of Object.values(hit.outputs).flatMap(artifactDigests)) if (!(await this.#d.content.has(digest))) return false;
    const params = this.#run.params.nodes[d.node.name] ?? {};
    const stepRunId = await this.#d.tracker.createStepRun({
      experimentId: this.#run.experimentId,
      parentRunId: this.#run.runId,
      unit: d.unit,
      params,
      cacheKey: key,
      tags: [
        { key: STEP_TAGS.cached, value: 'true' },
        { key: STEP_TAGS.cachedFrom, value: hit.stepRunId },
      ],
      ended: 'FINISHED',
    });
    await this.#d.tracker.recordOutputs({ stepRunId, inputs: d.inputs, outputs: hit.outputs, relation: 'reused' });
    const now = this.#d.clock.now();
    await this.#save(d.unit, { status: 'CACHED', cacheKey: key, stepRunId, outputs: hit.outputs, startedAt: now, endedAt: now }, { node: d.node.name, index: d.index });
    this.#d.onEvent?.({ type: 'step_cached', unit: d.unit });
    return true;
  }

  async #launchReady(): Promise<void> {
    const now = this.#d.clock.now();
    while (this.#running.size < this.#d.executor.slots) {
      const i = this.#queue.findIndex((q) => q.notBefore <= now);
      if (i < 0) return;
      const q = this.#queue.splice(i, 1)[0]!;
      const rec = this.#records.get(q.unit)!;
      const attempt = rec.attempts + 1;
      let stepRunId = rec.stepRunId;
      if (stepRunId === null) {
        stepRunId = await this.#d.tracker.createStepRun({ experimentId: this.#run.experimentId, parentRunId: this.#run.runId, unit: q.unit, params: this.#run.params.nodes[q.node.name] ?? {}, cacheKey: q.key });
      }
      const attemptId = `${this.#run.runId}/${q.unit}/${attempt}`;
      const startedAt = this.#d.clock.now();
      const running: Running = { ...q, attempt, attemptId, startedAt, deadline: q.node.timeoutMs === undefined ? Number.POSITIVE_INFINITY : startedAt + q.node.timeoutMs, worker: null };
      // Persisted before launch: a runner killed from here on leaves a record a resume can see.
      await this.#save(q.unit, { status: 'RUNNING', stepRunId, attempts: attempt, startedAt: rec.startedAt ?? startedAt }, { attempt: this.#attempt(running, 'RUNNING') });
      this.#running.set(attemptId, running);
      const events = await this.#d.executor.launch({
        attemptId,
        pipelineRunId: this.#run.runId,
        stepRunId,
        unit: q.unit,
        node: q.node.name,
        attempt,
        module: this.#run.module,
        inputs: q.inputs,
        params: this.#run.params.nodes[q.node.name] ?? {},
        sourceDir: this.#run.sourceDir,
        actor: this.#run.actor,
      });
      this.#d.onEvent?.({ type: 'step_started', unit: q.unit, attempt });
      await this.#handle(running, events);
    }
  }

  async #handle(r: Running, events: readonly ExecutorEvent[]): Promise<void> {
    for (const e of events) {
      if (e.type === 'launched') {
        r.worker = e.worker;
        await this.#d.store.pipelines.putAttempt(this.#attempt(r, 'RUNNING'));
        continue;
      }
      this.#running.delete(r.attemptId);
      const stepRunId = this.#records.get(r.unit)!.stepRunId!;
      await this.#d.tracker.recordLogs(stepRunId, r.attempt, e.logs);
      let failure: StepFailure | undefined = e.type === 'failed' ? e.failure : undefined;
      try {
        await this.#d.tracker.logRecords(stepRunId, e.records);
      } catch (error) {
        failure ??= { kind: 'bad_records', retryable: false, message: `step '${r.unit}' logged records tracking refused: ${(error as Error).message}` };
      }
      if (failure === undefined && e.type === 'succeeded') await this.#succeed(r, stepRunId, e);
      else await this.#fail(r, stepRunId, failure!, e.at);
    }
  }

  async #succeed(r: Running, stepRunId: string, e: Extract<ExecutorEvent, { type: 'succeeded' }>): Promise<void> {
    await this.#d.tracker.recordOutputs({ stepRunId, inputs: r.inputs, outputs: e.outputs, folders: e.folders, relation: 'produced' });
    await this.#d.tracker.finishStepRun(stepRunId, 'FINISHED');
    const cache = r.node.cache ? { cacheKey: r.key, outputs: e.outputs, stepRunId, createdAt: e.at } : undefined;
    await this.#save(r.unit, { status: 'SUCCEEDED', outputs: e.outputs, reason: null, endedAt: e.at }, { attempt: this.#attempt(r, 'SUCCEEDED', e.at), cache });
    this.#d.onEvent?.({ type: 'step_succeeded', unit: r.unit, ms: e.at - this.#records.get(r.unit)!.startedAt! });
  }

  async #fail(r: Running, stepRunId: string, failure: StepFailure, at: number): Promise<void> {
    const message = failure.kind === 'timeout' ? `step '${r.unit}' (attempt ${r.attempt}) ran past its timeout of ${r.node.timeoutMs} ms and was stopped` : failure.message;
    const attempt = { ...this.#attempt(r, 'FAILED', at), failureKind: failure.kind, message };
    if (failure.kind !== 'cancelled' && failure.retryable && r.attempt <= r.node.retries) {
      const delay = Math.min(MAX_BACKOFF_MS, r.node.retryDelayMs * 2 ** (r.attempt - 1));
      this.#queue.push({ unit: r.unit, node: r.node, index: r.index, inputs: r.inputs, key: r.key, notBefore: this.#d.clock.now() + delay });
      await this.#save(r.unit, { status: 'QUEUED', reason: message }, { attempt });
      this.#d.onEvent?.({ type: 'step_failed', unit: r.unit, attempt: r.attempt, message, retryInMs: delay });
      return;
    }
    const status: UnitStatus = failure.kind === 'cancelled' ? 'CANCELLED' : 'FAILED';
    const runStatus: RunStatus = status === 'CANCELLED' ? 'KILLED' : 'FAILED';
    await this.#d.tracker.finishStepRun(stepRunId, runStatus, message);
    await this.#save(r.unit, { status, reason: message, endedAt: at }, { attempt });
    this.#d.onEvent?.({ type: 'step_failed', unit: r.unit, attempt: r.attempt, message });
  }

  async #cancelAll(): Promise<void> {
    for (const r of [...this.#running.values()]) await this.#handle(r, await this.#d.executor.terminate(r.attemptId, 'cancelled'));
    const now = this.#d.clock.now();
    this.#queue.splice(0);
    for (const s of [...this.#states.values()]) {
      if (s.status !== 'PENDING' && s.status !== 'QUEUED' && s.status !== 'RUNNING') continue;
      const stepRunId = this.#records.get(s.unit)?.stepRunId;
      if (stepRunId && s.status === 'QUEUED') await this.#d.tracker.finishStepRun(stepRunId, 'KILLED', 'the run was cancelled');
      await this.#save(s.unit, { status: 'CANCELLED', reason: 'the run was cancelled', endedAt: now });
    }
  }

  /** Units nothing can start any more (should not happen): failed, so the run ends instead of hanging. */
  async #failStuck(): Promise<void> {
    for (const s of [...this.#states.values()]) {
      if (s.status === 'PENDING' || s.status === 'QUEUED' || s.status === 'RUNNING') await this.#save(s.unit, { status: 'FAILED', reason: 'no step it waits for can finish; this is a bug in Orchard', endedAt: this.#d.clock.now() });
    }
  }

  #attempt(r: Running, status: 'RUNNING' | 'SUCCEEDED' | 'FAILED', endedAt: number | null = null): PipelineAttemptRecord {
    return { runId: this.#run.runId, unit: r.unit, attempt: r.attempt, status, worker: r.worker, failureKind: null, message: null, startedAt: r.startedAt, endedAt };
  }

  /**
   * Updates a unit in memory and in the store; the attempt and cache entry that go with
   * the change are written in the same transaction.
   */
  async #save(unit: string, patch: Partial<UnitRecord>, also: { node?: string; index?: number | null; attempt?: PipelineAttemptRecord; cache?: PipelineCacheRecord } = {}): Promise<void> {
    const existing = this.#records.get(unit) ?? {
      runId: this.#run.runId,
      unit,
      node: also.node ?? this.#states.get(unit)?.node ?? unit,
      index: also.index ?? this.#states.get(unit)?.index ?? null,
      status: 'PENDING',
      stepRunId: null,
      cacheKey: null,
      attempts: 0,
      outputs: null,
      reason: null,
      startedAt: null,
      endedAt: null,
    };
    const next: UnitRecord = { ...existing, ...patch };
    this.#records.set(unit, next);
    this.#states.set(unit, { unit, node: next.node, index: next.index, status: next.status as UnitStatus, outputs: next.outputs });
    if (also.attempt === undefined && also.cache === undefined) return this.#d.store.pipelines.putStep(next);
    await this.#d.store.transaction(async (tx) => {
      if (also.attempt) await tx.pipelines.putAttempt(also.attempt);
      if (also.cache) await tx.pipelines.putCache(also.cache);
      await tx.pipelines.putStep(next);
    });
  }
}
