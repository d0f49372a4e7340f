import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/temp.js';

/**
 * The real CLI, started as a user would: `node bin/orchard.js …` on a temp home.
 * Needs dist/ (`npm run build`; `npm test` builds first).
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'bin', 'orchard.js');
const CURL_SCRIPT = join(ROOT, 'examples', 'mlflow-curl.sh');
const HAS_CURL = spawnSync('curl', ['--version'], { stdio: 'ignore' }).status === 0;
const HAS_BASH = spawnSync('bash', ['--version'], { stdio: 'ignore' }).status === 0;

beforeAll(() => {
  if (!existsSync(join(ROOT, 'dist', 'cli', 'main.js'))) {
    throw new Error('dist/cli/main.js is missing: run `npm run build` before the end-to-end tests (`npm test` does it in its pretest step).');
  }
});

/** The environment of a user with only ORCHARD_HOME set: nothing inherited may point elsewhere. */
function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(env)) if (key.startsWith('ORCHARD_') || key.startsWith('MLFLOW_')) delete env[key];
  return { ...env, ORCHARD_USER: 'e2e', ...extra };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

interface Finished {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Every child this file starts; any still running after a test is killed, so none outlives a failure. */
const children = new Set<ChildProcess>();
afterEach(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  children.clear();
});

/**
 * Runs a command to completion, killing it after `timeoutMs` — kept below vitest's
 * 30 s test timeout so a hung command is reported (signal SIGKILL) rather than orphaned.
 */
function run(command: string, args: string[], options: { env: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number }): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: options.env, cwd: options.cwd ?? ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 20_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

const orchard = (args: string[], env: NodeJS.ProcessEnv, cwd?: string, timeoutMs?: number) => run(process.execPath, [BIN, ...args], { env, cwd, timeoutMs });

interface RunningServer {
  readonly url: string;
  readonly child: ChildProcess;
  readonly output: () => { stdout: string; stderr: string };
  /** Sends SIGTERM and waits for the exit. */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** `orchard server --port <free port>`; resolves once it prints that it is listening. */
async function startServer(env: NodeJS.ProcessEnv): Promise<RunningServer> {
  const port = await freePort();
  const child = spawn(process.execPath, [BIN, 'server', '--port', String(port)], { env, cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const server: RunningServer = {
    url: `http://127.0.0.1:${port}`,
    child,
    output: () => ({ stdout, stderr }),
    async stop() {
      child.kill('SIGTERM');
      return exited;
    },
  };
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`orchard server did not say "listening" within 15 s.\nstdout: ${stdout}\nstderr: ${stderr}`)), 15_000);
    const check = () => {
      if (/listening on http:\/\/127\.0\.0\.1:\d+/.test(stdout)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on('data', check);
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`orchard server exited (code ${code}, signal ${signal}) before listening.\nstdout: ${stdout}\nstderr: ${stderr}`));
    });
  });
  expect(stdout).toContain(`listening on http://127.0.0.1:${port}`);
  return server;
}

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

async function http(url: string, init: { method?: string; token?: string; body?: unknown } = {}): Promise<{ status: number; body: Json }> {
  const response = await fetch(url, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: { ...(init.token ? { authorization: `Bearer ${init.token}` } : {}), ...(init.body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  return { status: response.status, body: (await response.json()) as Json };
}

describe('orchard server', () => {
  it('serves the MLflow API to examples/mlflow-curl.sh and exits 0 on SIGTERM', async (ctx) => {
    if (!HAS_CURL || !HAS_BASH) {
      const reason = `skipped: ${!HAS_CURL ? 'curl' : 'bash'} is not installed, and examples/mlflow-curl.sh needs it`;
      console.warn(reason);
      ctx.skip(reason);
    }
    const home = tempDir();
    try {
      const env = userEnv({ ORCHARD_HOME: home.path });
      const server = await startServer(env);

      // PAGE_SIZE makes the script follow next_page_token across several pages.
      const script = await run('bash', [CURL_SCRIPT], { env: { ...env, MLFLOW_TRACKING_URI: server.url, PAGE_SIZE: '300' } });
      expect(script.code, `stdout:\n${script.stdout}\nstderr:\n${script.stderr}`).toBe(0);
      expect(script.stdout).toMatch(/logged +1000 points of 'loss'/);
      expect(script.stdout).toMatch(/read back +1000 points in 4 page\(s\), steps 0\.\.999/);
      expect(script.stdout.trim().endsWith('OK')).toBe(true);

      // Checked independently of the script: the run it names holds the 1000 points.
      const runId = /run +([0-9a-f]{32})/.exec(script.stdout)?.[1];
      expect(runId).toBeDefined();
      const history = await http(`${server.url}/api/2.0/mlflow/metrics/get-history?run_id=${runId}&metric_key=loss`);
      expect(history.status).toBe(200);
      expect((history.body.metrics as Json[]).map((m) => m.step)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
      expect((history.body.metrics as Json[])[999]!.value).toBe(0.001);
      const fetched = await http(`${server.url}/api/2.0/mlflow/runs/get?run_id=${runId}`);
      expect(fetched.body.run.info.status).toBe('FINISHED');

      const exit = await server.stop();
      expect(exit, `stderr:\n${server.output().stderr}`).toEqual({ code: 0, signal: null });
      expect(server.output().stderr).toContain('SIGTERM received');
      expect(server.output().stdout).toContain(`MLFLOW_TRACKING_URI=${server.url}`);
    } finally {
      home.cleanup();
    }
  });

  it('makes mlflow-curl.sh exit non-zero when the server refuses it', async (ctx) => {
    if (!HAS_CURL || !HAS_BASH) ctx.skip('curl or bash is not installed');
    const port = await freePort();
    // Nothing listens on the port.
    const script = await run('bash', [CURL_SCRIPT], { env: userEnv({ MLFLOW_TRACKING_URI: `http://127.0.0.1:${port}` }) });
    expect(script.code).not.toBe(0);
    expect(script.stderr).toContain('cannot reach');
    expect(script.stdout).not.toContain('OK');
  });

  it('refuses to listen on 0.0.0.0 without tokens, saying how to create one', async () => {
    const home = tempDir();
    try {
      const port = await freePort();
      const result = await orchard(['server', '--host', '0.0.0.0', '--port', String(port)], userEnv({ ORCHARD_HOME: home.path }));
      expect(result.code).not.toBe(0);
      expect(result.code).not.toBeNull();
      expect(result.stderr).toMatch(/orchard token create --role/);
      expect(result.stderr).toContain('0.0.0.0');
      expect(result.stdout).not.toContain('listening');
    } finally {
      home.cleanup();
    }
  });
});

describe('orchard token', () => {
  it('creates tokens the server then demands: 401 without, 200 with, 403 for a viewer writing', async () => {
    const home = tempDir();
    try {
      const env = userEnv({ ORCHARD_HOME: home.path });
      const editor = await orchard(['token', 'create', '--role', 'editor', '--name', 'ci'], env);
      expect(editor.code, editor.stderr).toBe(0);
      const editorSecret = /^\s*(orc_[A-Za-z0-9_-]+)\s*$/m.exec(editor.stdout)?.[1];
      expect(editorSecret, editor.stdout).toBeDefined();
      expect(editor.stdout).toMatch(/Created editor token tok_/);

      const viewer = await orchard(['token', 'create', '--role', 'viewer', '--json'], env);
      expect(viewer.code, viewer.stderr).toBe(0);
      const viewerSecret = (JSON.parse(viewer.stdout) as { secret: string }).secret;
      expect(viewerSecret).toMatch(/^orc_/);

      const server = await startServer(env);
      const unauthenticated = await http(`${server.url}/api/2.0/mlflow/experiments/get?experiment_id=0`);
      expect(unauthenticated.status).toBe(401);
      expect(unauthenticated.body.error_code).toBe('UNAUTHENTICATED');
      expect(unauthenticated.body.message).toContain('orchard token create');
      expect((await http(`${server.url}/health`)).status).toBe(200);

      const read = await http(`${server.url}/api/2.0/mlflow/experiments/get?experiment_id=0`, { token: editorSecret! });
      expect(read.status).toBe(200);
      expect(read.body.experiment.name).toBe('Default');
      const write = await http(`${server.url}/api/2.0/mlflow/experiments/create`, { token: editorSecret!, body: { name: 'from-editor' } });
      expect(write.status).toBe(200);
      const whoami = await http(`${server.url}/api/v1/whoami`, { token: editorSecret! });
      expect(whoami.body).toMatchObject({ role: 'editor', authenticated: true });
      expect(whoami.body.actor).toMatch(/^ci \(tok_/);

      expect((await http(`${server.url}/api/2.0/mlflow/experiments/get?experiment_id=0`, { token: viewerSecret })).status).toBe(200);
      const viewerWrite = await http(`${server.url}/api/2.0/mlflow/experiments/create`, { token: viewerSecret, body: { name: 'from-viewer' } });
      expect(viewerWrite.status).toBe(403);
      expect(viewerWrite.body.error_code).toBe('PERMISSION_DENIED');
      expect((await http(`${server.url}/api/2.0/mlflow/experiments/get-by-name?experiment_name=from-viewer`, { token: viewerSecret })).status).toBe(404);

      const wrong = await http(`${server.url}/api/2.0/mlflow/experiments/get?experiment_id=0`, { token: 'orc_wrong' });
      expect(wrong.status).toBe(401);

      if (HAS_CURL && HAS_BASH) {
        // The example script sends MLFLOW_TRACKING_TOKEN, and fails without it.
        const withToken = await run('bash', [CURL_SCRIPT], { env: { ...env, MLFLOW_TRACKING_URI: server.url, MLFLOW_TRACKING_TOKEN: editorSecret!, POINTS: '50' } });
        expect(withToken.code, withToken.stderr).toBe(0);
        const without = await run('bash', [CURL_SCRIPT], { env: { ...env, MLFLOW_TRACKING_URI: server.url, POINTS: '50' } });
        expect(without.code).not.toBe(0);
        expect(without.stderr).toContain('HTTP 401');
      }

      expect(await server.stop()).toEqual({ code: 0, signal: null });
    } finally {
      home.cleanup();
    }
  });
});

describe('orchard quickstart --tracking', () => {
  it('runs in a fresh folder, exits 0 and prints Done', async () => {
    const dir = tempDir('orchard-quickstart-');
    try {
      const result = await orchard(['quickstart', '--tracking'], userEnv(), dir.path);
      expect(result.code, `stdout:\n${result.stdout}\nstderr:\n${result.stderr}`).toBe(0);
      expect(result.stdout).toMatch(/^Done in /m);
      expect(result.stdout).toMatch(/\[5\/5\]/);
      expect(result.stdout).toMatch(/4 new runs, 1600 metric points/);
      // With no ORCHARD_HOME it works in ./.orchard of the folder it ran in.
      expect(existsSync(join(dir.path, '.orchard', 'orchard.db'))).toBe(true);
    } finally {
      dir.cleanup();
    }
  });

  it('uses ORCHARD_TOKEN once tokens exist, and exits (not hangs) with a clear message without one', async () => {
    const home = tempDir('orchard-quickstart-');
    try {
      const env = userEnv({ ORCHARD_HOME: home.path });
      const created = await orchard(['token', 'create', '--role', 'editor', '--json'], env);
      expect(created.code, created.stderr).toBe(0);
      const secret = (JSON.parse(created.stdout) as { secret: string }).secret;

      const refused = await orchard(['quickstart', '--tracking'], env, undefined, 15_000);
      expect(refused.signal, 'quickstart hung after its error and had to be killed').toBeNull();
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('requires an API token');
      expect(refused.stdout).not.toContain('Done');

      const withToken = await orchard(['quickstart', '--tracking'], { ...env, ORCHARD_TOKEN: secret }, undefined, 15_000);
      expect(withToken.code, `stdout:\n${withToken.stdout}\nstderr:\n${withToken.stderr}`).toBe(0);
      expect(withToken.stdout).toMatch(/^Done in /m);
    } finally {
      home.cleanup();
    }
  });
});
