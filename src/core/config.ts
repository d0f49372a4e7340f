import { existsSync, readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { OrchardError } from './errors.js';

/**
 * Everything Orchard reads from its surroundings, read in one place.
 * Precedence: explicit overrides > environment > `<home>/config.json` > defaults.
 */
export interface OrchardConfig {
  /** Absolute path of the Orchard home folder (`ORCHARD_HOME`, default `.orchard/`). */
  readonly home: string;
  /** Metadata store URI: `sqlite:<path>` (default `sqlite:<home>/orchard.db`) or `postgres://…`. */
  readonly db: string;
  /** Artifact store URI: `file:<path>` (default `file:<home>/artifacts`). */
  readonly artifacts: string;
  /** Address of a remote Orchard server for the SDK and CLI (`ORCHARD_URL`); unset means embedded. */
  readonly url: string | undefined;
  /** API token sent to a remote server (`ORCHARD_TOKEN`). */
  readonly token: string | undefined;
  /** Who is acting, for audit events of embedded use (`ORCHARD_USER`, default the OS user). */
  readonly user: string;
  /**
   * Learner plugin modules loaded when the platform is created: `ORCHARD_PLUGINS` (comma-separated,
   * relative to the working directory) or `plugins` in `<home>/config.json` (relative to that file).
   * Absolute paths; empty when none.
   */
  readonly plugins: readonly string[];
  readonly data: {
    /** DuckDB's memory limit (`ORCHARD_DUCKDB_MEMORY`, default 1GB); larger work spills to `<home>/tmp`. */
    readonly memoryLimit: string;
    /** DuckDB threads (`ORCHARD_DUCKDB_THREADS`, default all cores). */
    readonly threads: number | undefined;
  };
  readonly server: {
    readonly host: string;
    readonly port: number;
    /** Largest accepted request body in bytes (JSON); artifact uploads are streamed and not limited by this. */
    readonly bodyLimitBytes: number;
  };
}

export type ConfigOverrides = Partial<Omit<OrchardConfig, 'server' | 'data'>> & { server?: Partial<OrchardConfig['server']>; data?: Partial<OrchardConfig['data']> };

const FILE_KEYS = ['db', 'artifacts', 'url', 'token', 'user', 'server', 'plugins'] as const;

/**
 * Builds the frozen configuration.
 * @throws OrchardError `CONFIG_ERROR` when a value is malformed; the message names the variable and the fix.
 */
export function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  cwd: string = process.cwd(),
  overrides: ConfigOverrides = {},
): OrchardConfig {
  const home = resolve(cwd, overrides.home ?? env.ORCHARD_HOME ?? '.orchard');
  const file = readConfigFile(home);
  const pick = <T>(o: T | undefined, e: T | undefined, f: T | undefined, d: T): T => o ?? e ?? f ?? d;

  const db = normaliseDbUri(pick(overrides.db, env.ORCHARD_DB, file.db as string | undefined, `sqlite:${join(home, 'orchard.db')}`), cwd);
  const artifacts = normaliseArtifactsUri(
    pick(overrides.artifacts, env.ORCHARD_ARTIFACTS, file.artifacts as string | undefined, `file:${join(home, 'artifacts')}`),
    cwd,
  );
  const fileServer = (file.server ?? {}) as Partial<OrchardConfig['server']>;
  const port = parsePort(overrides.server?.port ?? env.ORCHARD_PORT ?? fileServer.port ?? 5000);
  const bodyLimitBytes = Number(overrides.server?.bodyLimitBytes ?? env.ORCHARD_BODY_LIMIT ?? fileServer.bodyLimitBytes ?? 32 * 1024 * 1024);
  if (!Number.isInteger(bodyLimitBytes) || bodyLimitBytes <= 0) {
    throw configError('ORCHARD_BODY_LIMIT', String(bodyLimitBytes), 'a positive number of bytes, e.g. 33554432');
  }
  const url = pick<string | undefined>(overrides.url, env.ORCHARD_URL || undefined, file.url as string | undefined, undefined);
  if (url !== undefined && !/^https?:\/\//.test(url)) throw configError('ORCHARD_URL', url, 'an http:// or https:// address, e.g. http://127.0.0.1:5000');

  const plugins = overrides.plugins ?? (env.ORCHARD_PLUGINS !== undefined && env.ORCHARD_PLUGINS.trim() !== '' ? parsePluginList(env.ORCHARD_PLUGINS, cwd) : filePlugins(file.plugins, home));

  const memoryLimit = overrides.data?.memoryLimit ?? env.ORCHARD_DUCKDB_MEMORY ?? '1GB';
  if (!/^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i.test(memoryLimit)) throw configError('ORCHARD_DUCKDB_MEMORY', memoryLimit, 'a size such as 1GB or 512MB');
  const threadsRaw = overrides.data?.threads ?? (env.ORCHARD_DUCKDB_THREADS ? Number(env.ORCHARD_DUCKDB_THREADS) : undefined);
  if (threadsRaw !== undefined && (!Number.isInteger(threadsRaw) || threadsRaw < 1)) throw configError('ORCHARD_DUCKDB_THREADS', String(threadsRaw), 'a positive whole number');

  return Object.freeze({
    home,
    data: Object.freeze({ memoryLimit, threads: threadsRaw }),
    db,
    artifacts,
    url: url?.replace(/\/+$/, ''),
    plugins: Object.freeze([...plugins]),
    token: pick<string | undefined>(overrides.token, env.ORCHARD_TOKEN || undefined, file.token as string | undefined, undefined),
    user: pick(overrides.user, env.ORCHARD_USER || undefined, file.user as string | undefined, safeUserName()),
    server: Object.freeze({
      host: pick(overrides.server?.host, env.ORCHARD_HOST, fileServer.host, '127.0.0.1'),
      port,
      bodyLimitBytes,
    }),
  });
}

function readConfigFile(home: string): Record<string, unknown> {
  const path = join(home, 'config.json');
  if (!existsSync(path)) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (cause) {
    throw new OrchardError('CONFIG_ERROR', `Config file ${path} is not valid JSON (${(cause as Error).message}); fix or delete it.`, { cause });
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new OrchardError('CONFIG_ERROR', `Config file ${path} must hold a JSON object with keys ${FILE_KEYS.join(', ')}.`);
  }
  const unknownKeys = Object.keys(parsed).filter((k) => !(FILE_KEYS as readonly string[]).includes(k));
  if (unknownKeys.length > 0) {
    throw new OrchardError('CONFIG_ERROR', `Config file ${path} has unknown keys ${unknownKeys.join(', ')}; known keys: ${FILE_KEYS.join(', ')}.`);
  }
  return parsed as Record<string, unknown>;
}

function parsePluginList(text: string, cwd: string): string[] {
  const items = text.split(',').map((p) => p.trim());
  if (items.some((p) => p === '')) throw configError('ORCHARD_PLUGINS', text, 'comma-separated module paths without empty entries, e.g. ./learners/mlp.ts,./learners/knn.ts');
  return items.map((p) => resolve(cwd, p));
}

function filePlugins(value: unknown, home: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((p) => typeof p !== 'string' || p.trim() === '')) {
    throw new OrchardError('CONFIG_ERROR', `"plugins" in ${join(home, 'config.json')} is ${JSON.stringify(value)}; expected a list of module paths (relative to that file), e.g. ["learners/mlp.ts"].`, { details: { name: 'plugins' } });
  }
  return (value as string[]).map((p) => resolve(home, p));
}

function normaliseDbUri(uri: string, cwd: string): string {
  if (uri.startsWith('postgres://') || uri.startsWith('postgresql://')) return uri;
  if (uri.startsWith('sqlite:')) {
    const [rawPath = '', query] = uri.slice('sqlite:'.length).split('?', 2);
    const path = rawPath.replace(/^\/\/(?=\/)/, '');
    const suffix = query === undefined ? '' : `?${query}`;
    if (path === ':memory:') return `sqlite::memory:${suffix}`;
    if (path === '') throw configError('ORCHARD_DB', uri, 'sqlite:<path to a database file>, e.g. sqlite:.orchard/orchard.db');
    return `sqlite:${isAbsolute(path) ? path : resolve(cwd, path)}${suffix}`;
  }
  throw configError('ORCHARD_DB', uri, 'sqlite:<path> or postgres://user@host:port/database');
}

function normaliseArtifactsUri(uri: string, cwd: string): string {
  if (uri.startsWith('file:')) {
    const path = uri.slice('file:'.length).replace(/^\/\/(?=\/)/, '');
    if (path === '') throw configError('ORCHARD_ARTIFACTS', uri, 'file:<folder>, e.g. file:.orchard/artifacts');
    return `file:${isAbsolute(path) ? path : resolve(cwd, path)}`;
  }
  if (uri.startsWith('s3://')) return uri;
  throw configError('ORCHARD_ARTIFACTS', uri, 'file:<folder>');
}

function parsePort(value: unknown): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw configError('ORCHARD_PORT', String(value), 'a port number between 0 and 65535');
  return port;
}

function configError(name: string, value: string, expected: string): OrchardError {
  return new OrchardError('CONFIG_ERROR', `${name} is '${value}'; expected ${expected}.`, { details: { name, value } });
}

function safeUserName(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}
