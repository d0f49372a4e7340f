import { spawn } from 'node:child_process';
import { appendFileSync, closeSync, openSync, writeSync } from 'node:fs';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { ContentStore } from '../artifacts/content-store.js';
import type { Platform } from '../orchard.js';
import { materialise, storeFile, storeFolder } from './artifact-files.js';
import { metricLine } from './records.js';
import type { AnyStep, StepContext } from './step.js';
import type { FolderFile, StepFailure, StepModule, StepTask } from './step-executor.js';
import { describeType, isArtifactType, preview, valueProblem, type PortType, type StoredValue } from './types.js';

/**
 * Runs one attempt inside a worker: materialises the inputs into the attempt's
 * folder, runs the step's function or command, checks every declared output was
 * written, and stores the artifacts. Output goes to files in the attempt folder
 * (`stdout.txt`, `stderr.txt`, `tracking.jsonl`), which the executor picks up.
 */

const PERMANENT = new Set(['INVALID_ARGUMENT', 'NOT_FOUND', 'ALREADY_EXISTS', 'CONFLICT', 'UNAUTHENTICATED', 'PERMISSION_DENIED', 'CONFIG_ERROR']);

export const ATTEMPT_FILES = Object.freeze({ stdout: 'stdout.txt', stderr: 'stderr.txt', tracking: 'tracking.jsonl' });

export interface StepHostDeps {
  readonly content: ContentStore;
  /** The step definition of a node of the module's pipeline. */
  loadStep(module: StepModule, node: string): Promise<AnyStep>;
  platform(): Promise<Platform>;
  now(): number;
  /** Environment for command steps (the worker's). */
  readonly env: NodeJS.ProcessEnv;
}

export type HostOutcome = { readonly ok: true; readonly outputs: Record<string, StoredValue>; readonly folders: Record<string, FolderFile[]> } | { readonly ok: false; readonly failure: StepFailure };

class Failure extends Error {
  constructor(readonly failure: StepFailure) {
    super(failure.message);
  }
}

export async function hostStep(task: StepTask, dir: string, deps: StepHostDeps): Promise<HostOutcome> {
  const who = `step '${task.unit}' (attempt ${task.attempt})`;
  try {
    const def = await deps.loadStep(task.module, task.node);
    const inputsDir = join(dir, 'inputs');
    const outputsDir = join(dir, 'outputs');
    const workDir = join(dir, 'work');
    // Only the folders the attempt uses: a no-op step should cost next to nothing.
    const needsInputs = def.command !== undefined || Object.values(task.inputs).some((v) => v.kind !== 'value');
    const needsOutputs = def.command !== undefined || Object.values(def.outputs).some(isArtifactType);
    await Promise.all([needsInputs && mkdir(inputsDir, { recursive: true }), needsOutputs && mkdir(outputsDir, { recursive: true }), mkdir(workDir, { recursive: true })]);

    const inputs: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(task.inputs)) {
      inputs[name] = value.kind === 'value' ? value.value : await materialise(deps.content, value, join(inputsDir, name), name);
    }
    const outputPaths: Record<string, string> = {};
    for (const [name, t] of Object.entries(def.outputs)) {
      outputPaths[name] = join(outputsDir, isArtifactType(t) ? name : `${name}.json`);
      if (t.kind === 'folder') await mkdir(outputPaths[name]!, { recursive: true });
    }

    let values: Record<string, unknown>;
    if (def.command) values = await runCommand(task, def, dir, inputs, outputPaths, deps);
    else values = await runFunction(task, def, dir, workDir, inputs, outputPaths, deps);

    const outputs: Record<string, StoredValue> = {};
    const folders: Record<string, FolderFile[]> = {};
    for (const [name, t] of Object.entries(def.outputs)) {
      const path = outputPaths[name]!;
      if (t.kind === 'file') {
        const s = await stat(path).catch(() => undefined);
        if (!s?.isFile()) throw missing(who, name, t, def.command ? `write the file to {outputs.${name}} (${path})` : `write the file to ctx.outputs.${name}`);
        const blob = await storeFile(deps.content, path);
        outputs[name] = { kind: 'file', digest: blob.digest, size: blob.size, name };
      } else if (t.kind === 'folder') {
        if ((await readdir(path)).length === 0) throw missing(who, name, t, `write its files into the folder ${def.command ? `{outputs.${name}}` : `ctx.outputs.${name}`} (${path})`);
        const stored = await storeFolder(deps.content, path);
        outputs[name] = { kind: 'folder', digest: stored.digest, size: stored.size };
        folders[name] = stored.files;
      } else {
        if (!(name in values) || values[name] === undefined) {
          throw missing(who, name, t, def.command ? `write its JSON to {outputs.${name}} (${path})` : `return { ${name}: … } from the run function`);
        }
        const problem = valueProblem(values[name], t);
        if (problem !== undefined) throw new Failure({ kind: 'bad_output', retryable: false, message: `${who} gave output '${name}' a wrong value: ${problem}; it is declared as ${describeType(t)}` });
        outputs[name] = { kind: 'value', value: values[name] as never };
      }
    }
    return { ok: true, outputs, folders };
  } catch (error) {
    if (error instanceof Failure) return { ok: false, failure: error.failure };
    const e = error as { name?: string; message?: string; stack?: string; retryable?: unknown; code?: unknown; details?: { retryable?: unknown } };
    appendFileSync(join(dir, ATTEMPT_FILES.stderr), `${e?.stack ?? String(error)}\n`);
    const orchard = e?.name === 'OrchardError' && typeof e.code === 'string';
    const kind = orchard ? `${e.code}: ` : e?.name && e.name !== 'Error' ? `${e.name}: ` : '';
    // Bad input to the platform fails the same way every time; a busy store or a user error may pass.
    const retryable = orchard ? e.details?.retryable === true || !PERMANENT.has(e.code as string) : e?.retryable !== false;
    return { ok: false, failure: { kind: 'error', retryable, message: `${who} threw ${kind}${e?.message ?? String(error)}` } };
  }
}

function missing(who: string, name: string, t: PortType, fix: string): Failure {
  return new Failure({ kind: 'missing_output', retryable: false, message: `${who} wrote no output '${name}' (${describeType(t)}); ${fix}, or remove '${name}' from the step's outputs` });
}

async function runFunction(task: StepTask, def: AnyStep, dir: string, workDir: string, inputs: Record<string, unknown>, outputPaths: Record<string, string>, deps: StepHostDeps): Promise<Record<string, unknown>> {
  const tracking = join(dir, ATTEMPT_FILES.tracking);
  const line = (record: Record<string, unknown>) => appendFileSync(tracking, JSON.stringify(record) + '\n');
  const artifactOutputs = Object.fromEntries(Object.entries(outputPaths).filter(([k]) => isArtifactType(def.outputs[k]!)));
  const ctx: StepContext = {
    inputs,
    outputs: artifactOutputs,
    params: { ...task.params },
    stored: task.inputs,
    step: task.unit,
    attempt: task.attempt,
    pipelineRunId: task.pipelineRunId,
    runId: task.stepRunId,
    workDir,
    sourceDir: task.sourceDir,
    actor: { name: task.actor },
    orchard: () => deps.platform(),
    log: {
      metric: (key, value, step = 0) => appendFileSync(tracking, metricLine(key, value, step, deps.now())),
      metrics: (values, step = 0) => Object.entries(values).forEach(([k, v]) => appendFileSync(tracking, metricLine(k, v, step, deps.now()))),
      param: (key, value) => line({ param: key, value }),
      tag: (key, value) => line({ tag: key, value }),
    },
  } as StepContext;
  const restore = captureOutput(join(dir, ATTEMPT_FILES.stdout), join(dir, ATTEMPT_FILES.stderr));
  let result: unknown;
  try {
    result = await def.run!(ctx);
  } finally {
    restore();
  }
  if (result === undefined || result === null) return {};
  if (typeof result !== 'object' || Array.isArray(result)) {
    throw new Failure({ kind: 'bad_output', retryable: false, message: `step '${task.unit}' returned ${preview(result)}; a run function returns an object of its value outputs (or nothing)` });
  }
  return result as Record<string, unknown>;
}

/** Sends the process's stdout and stderr writes to files while a function step runs. */
function captureOutput(stdoutPath: string, stderrPath: string): () => void {
  const fds: readonly number[] = [openSync(stdoutPath, 'a'), openSync(stderrPath, 'a')];
  const streams = [process.stdout, process.stderr] as const;
  const originals = streams.map((s) => s.write);
  streams.forEach((s, i) => {
    s.write = ((chunk: string | Uint8Array, encoding?: unknown, cb?: unknown) => {
      writeSync(fds[i]!, typeof chunk === 'string' ? Buffer.from(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8') : chunk);
      const done = typeof encoding === 'function' ? encoding : cb;
      if (typeof done === 'function') (done as () => void)();
      return true;
    }) as typeof s.write;
  });
  return () => {
    streams.forEach((s, i) => (s.write = originals[i]!));
    fds.forEach((fd) => closeSync(fd));
  };
}

const PLACEHOLDER = /\{(inputs|outputs|params)(?:\.([A-Za-z0-9_-]+))?\}/g;
const envName = (prefix: string, name: string) => `ORCHARD_${prefix}_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
const asText = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

async function runCommand(task: StepTask, def: AnyStep, dir: string, inputs: Record<string, unknown>, outputPaths: Record<string, string>, deps: StepHostDeps): Promise<Record<string, unknown>> {
  const spec = def.command!;
  const inputsDir = join(dir, 'inputs');
  const outputsDir = join(dir, 'outputs');
  const paramsFile = join(dir, 'params.json');
  await writeFile(paramsFile, JSON.stringify(task.params, null, 2));
  const inputPaths: Record<string, string> = {};
  for (const [name, v] of Object.entries(inputs)) {
    if (task.inputs[name]!.kind === 'value') {
      inputPaths[name] = join(inputsDir, `${name}.json`);
      await writeFile(inputPaths[name]!, JSON.stringify(v));
    } else inputPaths[name] = task.inputs[name]!.kind === 'list' ? join(inputsDir, name) : (v as string);
  }
  const problems: string[] = [];
  const argv = spec.argv.map((arg) =>
    arg.replace(PLACEHOLDER, (whole, group: string, name: string | undefined) => {
      if (name === undefined) return group === 'inputs' ? inputsDir : group === 'outputs' ? outputsDir : paramsFile;
      if (group === 'inputs' && name in inputs) return task.inputs[name]!.kind === 'value' ? asText(inputs[name]) : inputPaths[name]!;
      if (group === 'outputs' && name in outputPaths) return outputPaths[name]!;
      if (group === 'params' && name in task.params) return asText(task.params[name]);
      problems.push(`${whole} names no ${group.slice(0, -1)} of the step`);
      return whole;
    }),
  );
  if (problems.length > 0) throw new Failure({ kind: 'error', retryable: false, message: `command step '${task.unit}' has unknown placeholders: ${problems.join('; ')}` });

  const env: NodeJS.ProcessEnv = {
    ...deps.env,
    ...spec.env,
    ORCHARD_INPUTS: inputsDir,
    ORCHARD_OUTPUTS: outputsDir,
    ORCHARD_PARAMS: paramsFile,
    ORCHARD_TRACKING: join(dir, ATTEMPT_FILES.tracking),
    ORCHARD_RUN_ID: task.stepRunId,
    ORCHARD_PIPELINE_RUN_ID: task.pipelineRunId,
    ORCHARD_STEP: task.unit,
    ORCHARD_ATTEMPT: String(task.attempt),
  };
  for (const [name, p] of Object.entries(inputPaths)) env[envName('INPUT', name)] = p;
  for (const [name, p] of Object.entries(outputPaths)) env[envName('OUTPUT', name)] = p;
  for (const [name, v] of Object.entries(task.params)) env[envName('PARAM', name)] = asText(v);
  const cwd = task.sourceDir ? resolve(task.sourceDir, spec.cwd ?? '.') : join(dir, 'work');

  const out = openSync(join(dir, ATTEMPT_FILES.stdout), 'a');
  const err = openSync(join(dir, ATTEMPT_FILES.stderr), 'a');
  try {
    const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done, fail) => {
      const child = spawn(argv[0]!, argv.slice(1), { cwd, env, stdio: ['ignore', out, err] });
      child.once('error', fail);
      child.once('exit', (code, signal) => done({ code, signal }));
    }).catch((error: NodeJS.ErrnoException) => {
      const fix = error.code === 'ENOENT' ? `; install it or give its full path (looked in PATH and ${cwd})` : '';
      throw new Failure({ kind: 'exit_code', retryable: false, message: `command step '${task.unit}' could not start '${argv[0]}': ${error.message}${fix}` });
    });
    if (exit.code !== 0) {
      const tail = (await readFile(join(dir, ATTEMPT_FILES.stderr), 'utf8').catch(() => '')).trim().split('\n').slice(-3).join(' | ');
      const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
      throw new Failure({ kind: 'exit_code', retryable: true, message: `command step '${task.unit}' (${argv[0]}) ${how}${tail ? `; stderr ends: ${tail.slice(-500)}` : ''}` });
    }
  } finally {
    closeSync(out);
    closeSync(err);
  }
  const values: Record<string, unknown> = {};
  for (const [name, t] of Object.entries(def.outputs)) {
    if (isArtifactType(t)) continue;
    const text = await readFile(outputPaths[name]!, 'utf8').catch(() => undefined);
    if (text === undefined) continue;
    try {
      values[name] = JSON.parse(text);
    } catch {
      throw new Failure({ kind: 'bad_output', retryable: false, message: `command step '${task.unit}' wrote ${outputPaths[name]} for output '${name}', which is not JSON: ${text.slice(0, 80)}` });
    }
  }
  return values;
}
