import type { KeyValue, MetricPoint } from '../tracking/types.js';
import type { ParamValue, StoredValue } from './types.js';

/**
 * The executor port: how one attempt of a step gets run somewhere. It launches an
 * attempt, reports what happened to it as events, and terminates it on request.
 * Scheduling, retries, timeouts, caching and state belong to the runner (the core),
 * so a queue-based executor for many machines implements only these few calls.
 */

/** Which code an attempt runs: a bundled pipeline module stored in the artifact store. */
export interface StepModule {
  /** Digest of the bundle's code in the artifact store (`sha256:…`). */
  readonly digest: string;
  /** The pipeline file the bundle came from, when run from source: package imports resolve from its folder. */
  readonly near: string | null;
  /** The pipeline's name, to find it among the module's exports. */
  readonly pipeline: string;
}

/** One attempt of one unit (a step, or an item of a fan-out). */
export interface StepTask {
  /** `<pipeline run id>/<unit>/<attempt>`: unique. */
  readonly attemptId: string;
  readonly pipelineRunId: string;
  /** The step's tracked run (a child of the pipeline run). */
  readonly stepRunId: string;
  readonly unit: string;
  /** The node in the graph (for a fan-out item, the fan-out's node). */
  readonly node: string;
  readonly attempt: number;
  readonly module: StepModule;
  readonly inputs: Readonly<Record<string, StoredValue>>;
  readonly params: Readonly<Record<string, ParamValue>>;
  /** Where relative paths of command steps start (the pipeline file's folder); null runs them from a scratch folder. */
  readonly sourceDir: string | null;
  /** Who started the run, for what the step writes through `ctx.orchard()`. */
  readonly actor: string;
}

/** Metrics, params and tags a step logged (JSON lines), picked up into tracking. */
export interface AttemptRecords {
  readonly metrics: readonly MetricPoint[];
  readonly params: readonly KeyValue[];
  readonly tags: readonly KeyValue[];
}

/** Captured output of an attempt, stored as blobs; absent when empty. */
export interface AttemptLogs {
  readonly stdout?: { readonly digest: string; readonly size: number };
  readonly stderr?: { readonly digest: string; readonly size: number };
}

/** One file of a folder artifact, as its manifest lists it. */
export interface FolderFile {
  readonly path: string;
  readonly digest: string;
  readonly size: number;
}

/**
 * Why an attempt failed: `error` (the step threw), `crash` (its process died),
 * `timeout`, `cancelled`, `missing_output` (a declared output was not written),
 * `bad_output` (a value of the wrong type), `exit_code` (a command exited non-zero),
 * `bad_records` (malformed tracking lines), `lost` (its runner died; found on resume).
 */
export type FailureKind = 'error' | 'crash' | 'timeout' | 'cancelled' | 'missing_output' | 'bad_output' | 'exit_code' | 'bad_records' | 'lost';

export interface StepFailure {
  readonly kind: FailureKind;
  readonly message: string;
  /** False for failures a retry cannot fix (a broken contract). */
  readonly retryable: boolean;
}

export type ExecutorEvent =
  | { readonly type: 'launched'; readonly attemptId: string; readonly at: number; /** Where it runs, e.g. `host:pid`. */ readonly worker: string }
  | {
      readonly type: 'succeeded';
      readonly attemptId: string;
      readonly at: number;
      readonly outputs: Readonly<Record<string, StoredValue>>;
      /** The files of each folder output. */
      readonly folders: Readonly<Record<string, readonly FolderFile[]>>;
      readonly records: AttemptRecords;
      readonly logs: AttemptLogs;
    }
  | { readonly type: 'failed'; readonly attemptId: string; readonly at: number; readonly failure: StepFailure; readonly records: AttemptRecords; readonly logs: AttemptLogs };

export interface StepExecutor {
  /** Executor name for messages (`local`, `queue`). */
  readonly name: string;
  /** How many attempts may run at once; the runner never launches more. */
  readonly slots: number;
  /**
   * Starts an attempt and returns at once with its `launched` event.
   * @throws OrchardError `CONFLICT` when every slot is busy.
   */
  launch(task: StepTask): Promise<ExecutorEvent[]>;
  /**
   * Events of an attempt since the last check: empty while it runs; a `succeeded`
   * or `failed` event (exactly one, last) once it ended. Never throws for an attempt
   * that crashed: that is a `failed` event.
   */
  check(attemptId: string): Promise<ExecutorEvent[]>;
  /** Stops an attempt (its process and children) and returns its `failed` event with the reason as kind. */
  terminate(attemptId: string, reason: 'timeout' | 'cancelled'): Promise<ExecutorEvent[]>;
  /** Resolves when some attempt has events to check, or after `timeoutMs`. */
  wait(timeoutMs: number): Promise<void>;
  /** Stops every worker. */
  destroy(): Promise<void>;
}
