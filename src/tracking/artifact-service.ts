import type { Readable } from 'node:stream';
import type { Clock } from '../core/clock.js';
import { invalidArgument, notFound } from '../core/errors.js';
import type { ContentStore } from '../artifacts/content-store.js';
import type { ArtifactIndexRecord, MetadataStore } from '../metadata/metadata-store.js';
import type { Actor } from './tracking-service.js';
import { runNotFound } from './tracking-service.js';
import type { ArtifactFile, RunInfo } from './types.js';

const MLFLOW_ARTIFACTS = 'mlflow-artifacts:/';
const RUN_PATH = /^\d+\/([0-9a-f]{32})\/artifacts\//;
const MAX_PATH = 1024;
const MAX_LISTING = 100_000;

/**
 * Artifacts are files in a logical tree (`<experiment>/<run>/artifacts/<path>`, the
 * layout MLflow's artifact proxy uses) whose bytes are content-addressed blobs.
 * The blob is written first and the path recorded after, so a failed upload never
 * leaves a path pointing at partial bytes.
 */
export class ArtifactService {
  readonly #store: MetadataStore;
  readonly #content: ContentStore;
  readonly #clock: Clock;

  constructor(store: MetadataStore, content: ContentStore, clock: Clock) {
    this.#store = store;
    this.#content = content;
    this.#clock = clock;
  }

  /** Stores `body` at a logical path; a path under a run must belong to an active run. */
  async upload(actor: Actor, path: string, body: Readable | Uint8Array): Promise<ArtifactIndexRecord> {
    const clean = artifactPath(path);
    const runId = RUN_PATH.exec(clean)?.[1] ?? null;
    if (runId !== null) {
      const root = rootOf(await this.#activeRun(runId));
      if (!clean.startsWith(`${root}/`)) {
        throw invalidArgument(`Artifact path '${clean}' names run ${runId} under the wrong folder; that run's artifacts live under '${root}/'.`, { path: clean, runId });
      }
    }
    const blob = await this.#content.put(body);
    const record: ArtifactIndexRecord = { path: clean, runId, digest: blob.digest, size: blob.size, createdAt: this.#clock.now() };
    await this.#store.transaction(async (tx) => {
      const previous = await tx.artifacts.put(record);
      await tx.events.append({
        at: record.createdAt,
        actor: actor.name,
        action: 'artifact.upload',
        entityKind: 'artifact',
        entityId: clean,
        before: previous ? { digest: previous.digest, size: previous.size } : null,
        after: { digest: record.digest, size: record.size, runId },
      });
    });
    return record;
  }

  /** Streams a file, verified against its digest while it is read. */
  async open(path: string): Promise<{ record: ArtifactIndexRecord; stream: Readable }> {
    const clean = artifactPath(path);
    const record = await this.#store.artifacts.get(clean);
    if (!record) throw notFound(`No artifact at '${clean}'; list the folder to see what is there.`, { path: clean });
    return { record, stream: await this.#content.open(record.digest, record.size) };
  }

  /** The direct children of a folder ('' for the root), folders first then files, by name. */
  async list(dir: string | undefined): Promise<ArtifactFile[]> {
    const clean = dir === undefined || dir === '' || dir === '/' ? '' : artifactPath(dir.replace(/\/+$/, ''));
    const prefix = clean === '' ? '' : `${clean}/`;
    const records = await this.#store.artifacts.listPrefix(prefix, MAX_LISTING);
    const dirs = new Set<string>();
    const files: ArtifactFile[] = [];
    for (const r of records) {
      const rest = r.path.slice(prefix.length);
      const slash = rest.indexOf('/');
      if (slash >= 0) dirs.add(rest.slice(0, slash));
      else files.push({ path: rest, isDir: false, size: r.size, digest: r.digest });
    }
    return [...[...dirs].sort().map((d) => ({ path: d, isDir: true, size: null, digest: null })), ...files];
  }

  /** Deletes a file, or every file under a folder; returns how many were removed. */
  async delete(actor: Actor, path: string): Promise<number> {
    const clean = artifactPath(path.replace(/\/+$/, ''));
    return this.#store.transaction(async (tx) => {
      const exact = await tx.artifacts.get(clean);
      const targets = exact ? [exact] : await tx.artifacts.listPrefix(`${clean}/`, MAX_LISTING);
      if (targets.length === 0) throw notFound(`No artifact at '${clean}'.`, { path: clean });
      for (const t of targets) await tx.artifacts.delete(t.path);
      await tx.events.append({ at: this.#clock.now(), actor: actor.name, action: 'artifact.delete', entityKind: 'artifact', entityId: clean, before: { files: targets.length }, after: null });
      return targets.length;
    });
  }

  /** The logical folder holding a run's artifacts. */
  async runRoot(runId: string): Promise<string> {
    const info = await this.#store.runs.getInfo(runId);
    if (!info) throw runNotFound(runId);
    return rootOf(info);
  }

  async #activeRun(runId: string): Promise<RunInfo> {
    const info = await this.#store.runs.getInfo(runId);
    if (!info) throw runNotFound(runId);
    if (info.lifecycleStage !== 'active') throw invalidArgument(`Run ${runId} is deleted; restore it before logging artifacts to it.`, { runId });
    return info;
  }
}

export function rootOf(info: RunInfo): string {
  return info.artifactUri.startsWith(MLFLOW_ARTIFACTS) ? info.artifactUri.slice(MLFLOW_ARTIFACTS.length).replace(/^\/+/, '') : `${info.experimentId}/${info.runId}/artifacts`;
}

/**
 * Validates a logical artifact path: relative, `/`-separated, no `.`/`..` or empty
 * segments, no backslashes or control characters.
 * @throws OrchardError `INVALID_ARGUMENT` naming the path and the fix.
 */
export function artifactPath(path: string): string {
  const fix = 'use a relative path such as model/weights.bin';
  if (typeof path !== 'string' || path === '') throw invalidArgument(`Artifact path is empty; ${fix}.`, { path });
  if (path.length > MAX_PATH) throw invalidArgument(`Artifact path is ${path.length} characters; the limit is ${MAX_PATH}.`, { path: path.slice(0, 80) });
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path)) throw invalidArgument(`Artifact path '${path}' is absolute; ${fix}.`, { path });
  // eslint-disable-next-line no-control-regex
  if (path.includes('\\') || /[\x00-\x1f]/.test(path)) throw invalidArgument(`Artifact path '${path}' holds a backslash or control character; ${fix}.`, { path });
  const segments = path.split('/');
  if (segments.some((s) => s === '..' || s === '.')) throw invalidArgument(`Artifact path '${path}' contains '.' or '..' segments, which could escape its folder; ${fix}.`, { path });
  if (segments.some((s) => s === '')) throw invalidArgument(`Artifact path '${path}' has an empty segment (a doubled or trailing slash); ${fix}.`, { path });
  return path;
}
