import { OrchardError } from '../core/errors.js';
import type { Platform } from '../orchard.js';
import type { Actor } from '../tracking/tracking-service.js';
import { isArtifactType, type ParamValue, type Ports, type RuntimeValue, type StoredValue } from './types.js';

/**
 * Steps: units of work with declared inputs, outputs and parameters. A function
 * step is TypeScript code run in a worker process; a command step runs any
 * executable under the contract described in docs/CONCEPTS.md ("Command step").
 */

export type ParamDefaults = Readonly<Record<string, ParamValue>>;

/** Literal parameter defaults widened to their types (`0.1` → `number`). */
export type Widen<P> = { -readonly [K in keyof P]: P[K] extends string ? string : P[K] extends number ? number : P[K] extends boolean ? boolean : P[K] };

type ArtifactKeys<O> = { [K in keyof O]: O[K] extends { kind: 'file' | 'folder' } ? K : never }[keyof O];
type ValueKeys<O> = Exclude<keyof O, ArtifactKeys<O>>;

/** What a function step returns: its value outputs (artifacts are written to `ctx.outputs`). */
export type StepResult<O> = [ValueKeys<O>] extends [never] ? void | Record<string, never> : { [K in ValueKeys<O>]: RuntimeValue<O[K]> };

/** Tracking calls available to a running step; recorded on the step's run. */
export interface StepLog {
  /** Appends a metric point (`step` defaults to 0). */
  metric(key: string, value: number, step?: number): void;
  metrics(values: Readonly<Record<string, number>>, step?: number): void;
  param(key: string, value: string | number | boolean): void;
  tag(key: string, value: string): void;
}

/** What a function step's code receives. */
export interface StepContext<I extends Ports = Ports, O extends Ports = Ports, P extends ParamDefaults = ParamDefaults> {
  /** Input values: local paths for artifacts (lists of paths for lists of artifacts), values otherwise. */
  readonly inputs: { readonly [K in keyof I]: RuntimeValue<I[K]> };
  /** Where to write each artifact output: a file path, or a folder that already exists. */
  readonly outputs: { readonly [K in ArtifactKeys<O>]: string };
  readonly params: Widen<P>;
  /** The inputs as the run stores them: artifacts by digest (and a file's name), values as JSON. */
  readonly stored: { readonly [K in keyof I]: StoredValue };
  readonly log: StepLog;
  /** The step's name in the pipeline (`train`, or `train[2]` for a map item). */
  readonly step: string;
  readonly attempt: number;
  readonly pipelineRunId: string;
  /** The step's own tracked run. */
  readonly runId: string;
  /** A scratch folder of this attempt, removed afterwards. */
  readonly workDir: string;
  /** The pipeline file's folder, where relative paths start; null when a pushed version runs without its source tree. */
  readonly sourceDir: string | null;
  /** Who started the pipeline run, for audit records of what the step writes. */
  readonly actor: Actor;
  /** The Orchard platform (stores and services), opened on first use in this worker. */
  orchard(): Promise<Platform>;
}

export interface StepPolicy {
  /** How many times a failed attempt is retried (default 0). */
  readonly retries?: number;
  /** Delay before the first retry, doubled for each further one (default 1000 ms). */
  readonly retryDelayMs?: number;
  /** An attempt running longer is terminated and counts as failed (default: no limit). */
  readonly timeoutMs?: number;
  /** Whether results may come from, and go to, the step cache (default true). */
  readonly cache?: boolean;
}

interface StepBase<I extends Ports, O extends Ports, P extends ParamDefaults> extends StepPolicy {
  readonly name: string;
  readonly description?: string;
  readonly inputs?: I;
  readonly outputs?: O;
  /** Parameters with their defaults; a run overrides them with `--param <step>.<key>=<value>`. */
  readonly params?: P;
}

export interface FunctionStepOptions<I extends Ports, O extends Ports, P extends ParamDefaults> extends StepBase<I, O, P> {
  run(ctx: StepContext<I, O, P>): StepResult<O> | Promise<StepResult<O>>;
}

/**
 * A command step's executable and arguments. Arguments may hold placeholders:
 * `{inputs.<name>}` (a path, or a value's JSON), `{outputs.<name>}` (where to write),
 * `{params.<name>}`, `{outputs}` (the outputs folder).
 */
export interface CommandStepOptions<I extends Ports, O extends Ports, P extends ParamDefaults> extends StepBase<I, O, P> {
  readonly command: readonly [string, ...string[]];
  /** Extra environment variables. */
  readonly env?: Readonly<Record<string, string>>;
  /** Working folder, relative to the pipeline file's folder (default: that folder). */
  readonly cwd?: string;
}

/** A step as the graph holds it: plain data plus the code to run. */
export interface StepDefinition<I extends Ports = Ports, O extends Ports = Ports, P extends ParamDefaults = ParamDefaults> {
  readonly kind: 'orchard.step';
  readonly name: string;
  readonly description: string | undefined;
  readonly inputs: I;
  readonly outputs: O;
  readonly params: P;
  readonly retries: number;
  readonly retryDelayMs: number;
  readonly timeoutMs: number | undefined;
  readonly cache: boolean;
  readonly run: StepFunction<StepContext<I, O, P>> | undefined;
  readonly command: { readonly argv: readonly string[]; readonly env: Readonly<Record<string, string>>; readonly cwd: string | undefined } | undefined;
  /** What identifies the step's code within its bundle: the function's source, or the command. */
  readonly code: string;
}

/** A step's code; declared as a method so any step fits `AnyStep` (parameters are bivariant). */
export type StepFunction<C> = { bivariant(ctx: C): unknown }['bivariant'];

export type AnyStep = StepDefinition<Ports, Ports, ParamDefaults>;

/**
 * Declares a function step.
 * @example
 * const double = step({
 *   name: 'double',
 *   inputs: { x: types.number },
 *   outputs: { y: types.number },
 *   params: { factor: 2 },
 *   run: ({ inputs, params }) => ({ y: inputs.x * params.factor }),
 * });
 */
export function step<I extends Ports = {}, O extends Ports = {}, const P extends ParamDefaults = {}>(options: FunctionStepOptions<I, O, P>): StepDefinition<I, O, P> {
  if (typeof options?.run !== 'function') {
    throw new OrchardError('INVALID_ARGUMENT', `Step '${String(options?.name)}' has no run function; pass step({ name, run: async (ctx) => { … } }), or use command() for an executable.`);
  }
  return define(options, options.run as (ctx: StepContext<I, O, P>) => unknown, undefined, options.run.toString());
}

/**
 * Declares a command step: any executable, under Orchard's file contract.
 * @example
 * const fit = command({
 *   name: 'fit',
 *   command: ['python3', 'fit.py', '--data', '{inputs.data}', '--out', '{outputs.model}'],
 *   inputs: { data: types.file('dataset') },
 *   outputs: { model: types.file('model') },
 * });
 */
export function command<I extends Ports = {}, O extends Ports = {}, const P extends ParamDefaults = {}>(options: CommandStepOptions<I, O, P>): StepDefinition<I, O, P> {
  const argv = options?.command;
  if (!Array.isArray(argv) || argv.length === 0 || argv.some((a) => typeof a !== 'string')) {
    throw new OrchardError('INVALID_ARGUMENT', `Command step '${String(options?.name)}' needs command: ['executable', 'arg', …] (strings), got ${JSON.stringify(argv)}.`);
  }
  const spec = { argv: [...argv], env: { ...(options.env ?? {}) }, cwd: options.cwd };
  return define(options, undefined, spec, JSON.stringify(spec));
}

function define<I extends Ports, O extends Ports, P extends ParamDefaults>(
  options: StepBase<I, O, P>,
  run: StepFunction<StepContext<I, O, P>> | undefined,
  commandSpec: StepDefinition['command'],
  code: string,
): StepDefinition<I, O, P> {
  return Object.freeze({
    kind: 'orchard.step' as const,
    name: options.name,
    description: options.description,
    inputs: Object.freeze({ ...(options.inputs ?? {}) }) as I,
    outputs: Object.freeze({ ...(options.outputs ?? {}) }) as O,
    params: Object.freeze({ ...(options.params ?? {}) }) as P,
    retries: options.retries ?? 0,
    retryDelayMs: options.retryDelayMs ?? 1000,
    timeoutMs: options.timeoutMs,
    cache: options.cache ?? true,
    run,
    command: commandSpec,
    code,
  });
}

export function isStep(value: unknown): value is AnyStep {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'orchard.step';
}

/** Names of a step's artifact outputs. */
export function artifactOutputs(def: AnyStep): string[] {
  return Object.entries(def.outputs)
    .filter(([, t]) => isArtifactType(t))
    .map(([k]) => k);
}
