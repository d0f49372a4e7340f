import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, appendFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ContentStore } from '../artifacts/content-store.js';
import type { Clock } from '../core/clock.js';
import { OrchardError } from '../core/errors.js';
import { NO_RECORDS, parseRecords } from './records.js';
import { ATTEMPT_FILES, type HostOutcome } from './step-host.js';
import type { AttemptLogs, ExecutorEvent, StepExecutor, StepFailure, StepTask } from './step-executor.js';
import type { WorkerReply, WorkerRequest } from './worker-protocol.js';

export interface LocalExecutorOptions {
  /** Most attempts at once: one worker process each. */
  readonly slots: number;
  /** Attempt folders are made under here and removed when the attempt ends. */
  readonly workDir: string;
  readonly content: ContentStore;
  /** What workers open: the same stores as the runner. */
  readonly config: { readonly home: string; readonly db: string; readonly artifacts: string; readonly user: string };
  readonly clock: Clock;
  /** Between SIGTERM and SIGKILL when terminating (default 2000 ms). */
  readonly killGraceMs?: number;
}

interface Worker {
  readonly proc: ChildProcess;
  readonly ready: Promise<void>;
  attempt: string | undefined;
  /** The end of what the process wrote outside any step's capture (crash reports). */
  strayErr: string;
}

interface Attempt {
  readonly task: StepTask;
  readonly dir: string;
  readonly worker: Worker;
  readonly events: ExecutorEvent[];
  ended: Promise<void> | undefined;
  terminating: 'timeout' | 'cancelled' | undefined;
}

const STRAY_TAIL = 4096;

/**
 * Runs attempts in a pool of reusable worker processes on this machine, at most
 * `slots` at once. Each worker is a separate process leading its own process group:
 * a step that throws, crashes or calls process.exit fails only its attempt, and
 * terminating an attempt ends the worker with everything the step started.
 */
export class LocalExecutor implements StepExecutor {
  readonly name = 'local';
  readonly slots: number;
  readonly #options: LocalExecutorOptions;
  readonly #workers = new Set<Worker>();
  readonly #attempts = new Map<string, Attempt>();
  #waiters: (() => void)[] = [];

  constructor(options: LocalExecutorOptions) {
    if (!Number.isInteger(options.slots) || options.slots < 1) throw new OrchardError('INVALID_ARGUMENT', `The local executor needs at least one slot, got ${options.slots}.`);
    this.#options = options;
    this.slots = options.slots;
  }

  async launch(task: StepTask): Promise<ExecutorEvent[]> {
    const active = [...this.#attempts.values()].filter((a) => a.ended === undefined).length;
    if (active >= this.slots) throw new OrchardError('CONFLICT', `Every slot of the local executor is busy (${this.slots}); wait for an attempt to end before launching ${task.attemptId}.`);
    const worker = [...this.#workers].find((w) => w.attempt === undefined) ?? this.#spawn();
    worker.attempt = task.attemptId;
    try {
      await worker.ready;
    } catch (error) {
      worker.attempt = undefined;
      throw error;
    }
    const dir = join(this.#options.workDir, task.pipelineRunId, task.unit, String(task.attempt));
    // Attempt numbers never repeat within a run, so the folder is new.
    await mkdir(dir, { recursive: true });
    const attempt: Attempt = { task, dir, worker, events: [], ended: undefined, terminating: undefined };
    this.#attempts.set(task.attemptId, attempt);
    const request: WorkerRequest = { type: 'run', task, dir };
    worker.proc.send(request);
    return [{ type: 'launched', attemptId: task.attemptId, at: this.#options.clock.now(), worker: `${hostname()}:${worker.proc.pid}` }];
  }

  async check(attemptId: string): Promise<ExecutorEvent[]> {
    const attempt = this.#attempts.get(attemptId);
    if (!attempt) return [];
    const events = attempt.events.splice(0);
    if (events.some((e) => e.type !== 'launched')) this.#attempts.delete(attemptId);
    return events;
  }

  async terminate(attemptId: string, reason: 'timeout' | 'cancelled'): Promise<ExecutorEvent[]> {
    const attempt = this.#attempts.get(attemptId);
    if (!attempt) return [];
    if (attempt.ended === undefined) {
      attempt.terminating = reason;
      const exited = new Promise<void>((r) => (attempt.worker.proc.exitCode !== null || attempt.worker.proc.signalCode !== null ? r() : attempt.worker.proc.once('exit', () => r())));
      killGroup(attempt.worker.proc, 'SIGTERM');
      const force = setTimeout(() => killGroup(attempt.worker.proc, 'SIGKILL'), this.#options.killGraceMs ?? 2000);
      await exited;
      clearTimeout(force);
    }
    await attempt.ended;
    return this.check(attemptId);
  }

  wait(timeoutMs: number): Promise<void> {
    if ([...this.#attempts.values()].some((a) => a.events.length > 0)) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== wake);
        resolve();
      }, Math.max(0, timeoutMs));
      this.#waiters.push(wake);
    });
  }

  async destroy(): Promise<void> {
    await Promise.all(
      [...this.#workers].map(
        (w) =>
          new Promise<void>((resolve) => {
            if (w.proc.exitCode !== null || w.proc.signalCode !== null) return resolve();
            w.proc.once('exit', () => resolve());
            killGroup(w.proc, 'SIGKILL');
          }),
      ),
    );
    await Promise.all([...this.#attempts.values()].map((a) => a.ended));
    this.#workers.clear();
  }

  #spawn(): Worker {
    const { entry, execArgv } = workerEntry();
    const proc = fork(entry, [], { detached: true, stdio: ['ignore', 'pipe', 'pipe', 'ipc'], execArgv, env: process.env });
    let markReady: () => void = () => {};
    let failStart: (e: Error) => void = () => {};
    const worker: Worker = {
      proc,
      ready: new Promise<void>((resolve, reject) => {
        markReady = resolve;
        failStart = reject;
      }),
      attempt: undefined,
      strayErr: '',
    };
    worker.ready.catch(() => {});
    proc.stdout!.on('data', () => {});
    proc.stderr!.on('data', (chunk: Buffer) => {
      worker.strayErr = (worker.strayErr + chunk.toString('utf8')).slice(-STRAY_TAIL);
    });
    proc.on('message', (message: WorkerReply) => {
      if (message.type === 'ready') markReady();
      else if (message.type === 'done') {
        const attempt = this.#attempts.get(message.attemptId);
        if (attempt && attempt.ended === undefined) {
          worker.attempt = undefined;
          attempt.ended = this.#end(attempt, message.outcome);
        }
      }
    });
    proc.on('exit', (code, signal) => {
      this.#workers.delete(worker);
      failStart(new OrchardError('INTERNAL', `A worker process of the local executor exited while starting (${signal ?? `code ${code}`}): ${worker.strayErr.trim().slice(-800) || 'no output'}`));
      const attempt = worker.attempt === undefined ? undefined : this.#attempts.get(worker.attempt);
      worker.attempt = undefined;
      if (attempt && attempt.ended === undefined) {
        const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
        const failure: StepFailure =
          attempt.terminating === 'timeout'
            ? { kind: 'timeout', retryable: true, message: `step '${attempt.task.unit}' (attempt ${attempt.task.attempt}) ran past its timeout and was stopped` }
            : attempt.terminating === 'cancelled'
              ? { kind: 'cancelled', retryable: false, message: `step '${attempt.task.unit}' (attempt ${attempt.task.attempt}) was cancelled` }
              : { kind: 'crash', retryable: true, message: `step '${attempt.task.unit}' (attempt ${attempt.task.attempt}) crashed: its process ${how}${worker.strayErr.trim() ? `; it wrote: ${worker.strayErr.trim().slice(-400)}` : ''}` };
        attempt.ended = this.#end(attempt, { ok: false, failure }, worker.strayErr);
      }
    });
    const init: WorkerRequest = { type: 'init', config: this.#options.config, scratch: join(this.#options.workDir, 'modules') };
    proc.send(init);
    this.#workers.add(worker);
    return worker;
  }

  /** Turns a finished attempt into its event: stores its logs, reads its tracking lines, removes its folder. */
  async #end(attempt: Attempt, outcome: HostOutcome, strayErr = ''): Promise<void> {
    const { dir, task } = attempt;
    const at = this.#options.clock.now();
    let event: ExecutorEvent;
    try {
      if (strayErr.trim() && !outcome.ok && outcome.failure.kind === 'crash') await appendFile(join(dir, ATTEMPT_FILES.stderr), strayErr);
      const logs: { stdout?: { digest: string; size: number }; stderr?: { digest: string; size: number } } = {};
      for (const key of ['stdout', 'stderr'] as const) {
        const bytes = await readFile(join(dir, ATTEMPT_FILES[key])).catch(() => undefined);
        if (bytes && bytes.length > 0) logs[key] = await this.#options.content.put(bytes);
      }
      const text = await readFile(join(dir, ATTEMPT_FILES.tracking), 'utf8').catch(() => '');
      const { records, problems } = parseRecords(text, at);
      if (outcome.ok && problems.length > 0) {
        event = {
          type: 'failed',
          attemptId: task.attemptId,
          at,
          records,
          logs: logs as AttemptLogs,
          failure: { kind: 'bad_records', retryable: false, message: `step '${task.unit}' wrote tracking lines Orchard cannot read: ${problems.slice(0, 3).join('; ')}` },
        };
      } else if (outcome.ok) event = { type: 'succeeded', attemptId: task.attemptId, at, outputs: outcome.outputs, folders: outcome.folders, records, logs: logs as AttemptLogs };
      else event = { type: 'failed', attemptId: task.attemptId, at, failure: outcome.failure, records, logs: logs as AttemptLogs };
    } catch (error) {
      event = { type: 'failed', attemptId: task.attemptId, at, records: NO_RECORDS, logs: {}, failure: { kind: 'error', retryable: true, message: `the outputs of step '${task.unit}' could not be collected: ${(error as Error).message}` } };
    }
    await rm(dir, { recursive: true, force: true }).catch(() => {});
    attempt.events.push(event);
    const waiters = this.#waiters;
    this.#waiters = [];
    waiters.forEach((w) => w());
  }
}

function killGroup(proc: ChildProcess, signal: NodeJS.Signals): void {
  if (proc.pid === undefined) return;
  try {
    process.kill(-proc.pid, signal);
  } catch {
    try {
      proc.kill(signal);
    } catch {
      /* already gone */
    }
  }
}

/** The worker script: compiled JavaScript in an installation, TypeScript through tsx when run from source (tests). */
function workerEntry(): { entry: string; execArgv: string[] } {
  const here = fileURLToPath(import.meta.url);
  const js = join(dirname(here), 'step-worker.js');
  if (here.endsWith('.js') && existsSync(js)) return { entry: js, execArgv: [] };
  const tsx = join(dirname(createRequire(import.meta.url).resolve('tsx/package.json')), 'dist', 'loader.mjs');
  return { entry: join(dirname(here), 'step-worker.ts'), execArgv: ['--import', pathToFileURL(tsx).href] };
}
