import type { HostOutcome } from './step-host.js';
import type { StepTask } from './step-executor.js';

/** Messages between the local executor and its worker processes (over the IPC channel). */
export type WorkerRequest =
  | { readonly type: 'init'; readonly config: { readonly home: string; readonly db: string; readonly artifacts: string; readonly user: string }; readonly scratch: string }
  | { readonly type: 'run'; readonly task: StepTask; /** The attempt's folder. */ readonly dir: string };

export type WorkerReply = { readonly type: 'ready'; readonly pid: number } | { readonly type: 'done'; readonly attemptId: string; readonly outcome: HostOutcome };
