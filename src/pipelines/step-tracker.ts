import type { ContentStore } from '../artifacts/content-store.js';
import type { Clock } from '../core/clock.js';
import type { LineageEdge } from '../data/types.js';
import type { ArtifactIndexRecord, MetadataStore } from '../metadata/metadata-store.js';
import { rootOf } from '../tracking/artifact-service.js';
import type { Actor, TrackingService } from '../tracking/tracking-service.js';
import type { KeyValue, RunStatus } from '../tracking/types.js';
import { readManifest } from './artifact-files.js';
import type { AttemptLogs, AttemptRecords, FolderFile } from './step-executor.js';
import type { ParamValue, StoredValue } from './types.js';

export const STEP_TAGS = Object.freeze({
  kind: 'orchard.kind',
  step: 'orchard.step',
  pipelineRun: 'orchard.pipeline.run',
  cached: 'orchard.step.cached',
  cachedFrom: 'orchard.step.cached_from',
  cacheKey: 'orchard.step.cache_key',
  error: 'orchard.error',
});

/** Lineage node kind of pipeline artifacts; the id is the digest. */
export const ARTIFACT_NODE = 'artifact';

const paramText = (v: ParamValue): string => (typeof v === 'string' ? v : JSON.stringify(v));

/**
 * What a pipeline run records in tracking for its steps: a child run per step
 * (params, metrics, tags, status and timings), each attempt's stdout and stderr and
 * each output as artifacts of that run, and lineage edges artifact → step run
 * (`consumed`) and step run → artifact (`produced`, or `reused` from the cache).
 */
export class StepTracker {
  readonly #store: MetadataStore;
  readonly #content: ContentStore;
  readonly #tracking: TrackingService;
  readonly #clock: Clock;
  readonly #actor: Actor;

  constructor(deps: { store: MetadataStore; content: ContentStore; tracking: TrackingService; clock: Clock; actor: Actor }) {
    this.#store = deps.store;
    this.#content = deps.content;
    this.#tracking = deps.tracking;
    this.#clock = deps.clock;
    this.#actor = deps.actor;
  }

  /**
   * Creates a step's run under the pipeline run, with the step's parameters; `ended`
   * creates it already finished (a step served from the cache), all in one transaction.
   */
  async createStepRun(input: { experimentId: string; parentRunId: string; unit: string; params: Readonly<Record<string, ParamValue>>; cacheKey: string; tags?: readonly KeyValue[]; ended?: 'FINISHED' }): Promise<string> {
    const run = await this.#tracking.createRun(this.#actor, {
      experimentId: input.experimentId,
      runName: input.unit,
      parentRunId: input.parentRunId,
      tags: [
        { key: STEP_TAGS.kind, value: 'pipeline.step' },
        { key: STEP_TAGS.step, value: input.unit },
        { key: STEP_TAGS.pipelineRun, value: input.parentRunId },
        { key: STEP_TAGS.cacheKey, value: input.cacheKey },
        ...(input.tags ?? []),
      ],
      params: Object.entries(input.params).map(([key, value]) => ({ key, value: paramText(value) })),
      ended: input.ended,
    });
    return run.info.runId;
  }

  /** Logs what the step wrote to its tracking file. Its params must not contradict the step's parameters. */
  async logRecords(stepRunId: string, records: AttemptRecords): Promise<void> {
    if (records.metrics.length + records.params.length + records.tags.length === 0) return;
    await this.#tracking.logBatch(this.#actor, stepRunId, { metrics: [...records.metrics], params: [...records.params], tags: [...records.tags] });
  }

  async finishStepRun(stepRunId: string, status: RunStatus, error?: string): Promise<void> {
    if (error !== undefined) await this.#tracking.logBatch(this.#actor, stepRunId, { tags: [{ key: STEP_TAGS.error, value: error.slice(0, 8000) }] });
    await this.#tracking.updateRun(this.#actor, stepRunId, { status });
  }

  /** Records an attempt's logs as `logs/attempt-<n>/stdout.txt` and `stderr.txt` of the step run. */
  async recordLogs(stepRunId: string, attempt: number, logs: AttemptLogs): Promise<void> {
    const entries = Object.entries(logs).filter(([, blob]) => blob !== undefined) as [string, { digest: string; size: number }][];
    if (entries.length === 0) return;
    const root = await this.#root(stepRunId);
    const now = this.#clock.now();
    await this.#store.transaction(async (tx) => {
      for (const [stream, blob] of entries) await tx.artifacts.put({ path: `${root}/logs/attempt-${attempt}/${stream}.txt`, runId: stepRunId, digest: blob.digest, size: blob.size, createdAt: now });
    });
  }

  /**
   * Records a step's outputs as `outputs/<name>` artifacts of its run (folders file by
   * file) and the lineage of its inputs and outputs, in one transaction.
   */
  async recordOutputs(input: {
    stepRunId: string;
    inputs: Readonly<Record<string, StoredValue>>;
    outputs: Readonly<Record<string, StoredValue>>;
    folders?: Readonly<Record<string, readonly FolderFile[]>>;
    relation: 'produced' | 'reused';
  }): Promise<void> {
    const hasArtifacts = Object.values(input.outputs).some((v) => v.kind === 'file' || v.kind === 'folder');
    const root = hasArtifacts ? await this.#root(input.stepRunId) : '';
    const now = this.#clock.now();
    const files: ArtifactIndexRecord[] = [];
    for (const [name, value] of Object.entries(input.outputs)) {
      if (value.kind === 'file') files.push({ path: `${root}/outputs/${name}`, runId: input.stepRunId, digest: value.digest, size: value.size, createdAt: now });
      if (value.kind === 'folder') {
        const listed = input.folders?.[name] ?? (await readManifest(this.#content, value.digest)).files;
        for (const f of listed) files.push({ path: `${root}/outputs/${name}/${f.path}`, runId: input.stepRunId, digest: f.digest, size: f.size, createdAt: now });
      }
    }
    const edges: LineageEdge[] = [];
    for (const digest of new Set(Object.values(input.inputs).flatMap(artifactDigests))) edges.push({ srcKind: ARTIFACT_NODE, srcId: digest, dstKind: 'run', dstId: input.stepRunId, relation: 'consumed', createdAt: now });
    for (const digest of new Set(Object.values(input.outputs).flatMap(artifactDigests))) edges.push({ srcKind: 'run', srcId: input.stepRunId, dstKind: ARTIFACT_NODE, dstId: digest, relation: input.relation, createdAt: now });
    if (files.length === 0 && edges.length === 0) return;
    await this.#store.transaction(async (tx) => {
      for (const f of files) await tx.artifacts.put(f);
      await tx.lineage.add(edges);
    });
  }

  async #root(runId: string): Promise<string> {
    const info = await this.#store.runs.getInfo(runId);
    return rootOf(info!);
  }
}

/** Digests of the artifacts in a stored value (files, folders, and those in lists). */
export function artifactDigests(v: StoredValue): string[] {
  if (v.kind === 'file' || v.kind === 'folder') return [v.digest];
  if (v.kind === 'list') return v.items.flatMap(artifactDigests);
  return [];
}
