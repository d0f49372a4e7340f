import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { ContentStore } from '../artifacts/content-store.js';
import type { Clock } from '../core/clock.js';
import { invalidArgument, notFound } from '../core/errors.js';
import type { MetadataStore } from '../metadata/metadata-store.js';
import type { Actor } from '../tracking/tracking-service.js';
import type { DataRuns } from './data-runs.js';
import type { DataEngine } from './duckdb-engine.js';
import type { DatasetProfile } from './profile.js';
import { profileParquet } from './profiler.js';
import { snapshotFile, type Snapshot } from './read-source.js';
import { arrowFileBatches, arrowSource, describeTableSource, objectSource, readPostgres, readSqlite, snapshotRows, tableSource } from './table-source.js';
import type { DuckDBConnection } from '@duckdb/node-api';
import { fileSource, type CsvOptions } from './sources.js';
import type { DatasetRef, DatasetVersion } from './types.js';

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

export interface IngestInput {
  readonly name: string;
  /** A file, glob or folder (CSV, Parquet, JSON, NDJSON), or a database (sqlite:<file>, postgres://…) with `table` or `query`. */
  readonly source: string;
  readonly format?: string;
  readonly csv?: CsvOptions;
  /** Folder that relative paths start from. */
  readonly cwd: string;
  /** For database sources (sqlite:…, postgres://…): the table to read … */
  readonly table?: string;
  /** … or the query whose rows to read. */
  readonly query?: string;
  /** How a file source is recorded in the version and its lineage (default `file:<path>`); pipelines name the artifact it came from. */
  readonly label?: string;
}

export interface IngestResult {
  readonly version: DatasetVersion;
  /** False when identical data was already a version of this dataset. */
  readonly created: boolean;
  readonly runId: string;
}

export type Progress = (stage: string) => void;

/**
 * Dataset versions: immutable Parquet snapshots in the artifact store, addressed by
 * content, each made by a tracked run with lineage from its source.
 */
export class DatasetService {
  readonly #store: MetadataStore;
  readonly #content: ContentStore;
  readonly #engine: DataEngine;
  readonly #runs: DataRuns;
  readonly #clock: Clock;

  constructor(store: MetadataStore, content: ContentStore, engine: DataEngine, runs: DataRuns, clock: Clock) {
    this.#store = store;
    this.#content = content;
    this.#engine = engine;
    this.#runs = runs;
    this.#clock = clock;
  }

  /**
   * Snapshots a source as a new version of dataset `name`. Identical data yields the
   * existing version. A failed or killed ingest registers nothing.
   */
  async ingest(actor: Actor, input: IngestInput, progress: Progress = () => {}): Promise<IngestResult> {
    const name = datasetName(input.name);
    if (/^(sqlite:|postgres(ql)?:\/\/)/.test(input.source)) {
      const source = tableSource(input.source, { table: input.table, query: input.query });
      const label = describeTableSource(source);
      return this.#ingest(actor, name, label, { kind: source.kind }, progress, async (c, tmp) => {
        const read = source.kind === 'sqlite' ? await readSqlite(source) : await readPostgres(source);
        try {
          return await snapshotRows(c, label, read.columns, read.rows, tmp);
        } finally {
          await read.close();
        }
      });
    }
    if (input.table !== undefined || input.query !== undefined) throw invalidArgument(`--table and --query apply to database sources (sqlite:…, postgres://…), not to ${input.source}.`);
    const source = fileSource(input.source, input.cwd, { format: input.format, csv: input.csv });
    if (source.format === 'arrow') {
      if (/[*?[]/.test(source.location)) throw invalidArgument(`Arrow sources are single files; ${source.location} is a glob or folder.`);
      return this.#ingest(actor, name, input.label ?? `file:${source.location}`, { format: 'arrow' }, progress, async (c, tmp) => {
        const { columns, rows } = await arrowSource(await arrowFileBatches(source.location));
        return snapshotRows(c, source.location, columns, rows, tmp);
      });
    }
    return this.#ingest(actor, name, input.label ?? `file:${source.location}`, { format: source.format }, progress, (c, tmp) => snapshotFile(c, source, tmp));
  }

  /**
   * Ingests rows produced by code (a TypeScript function source): columns come from
   * the first row and types from the values.
   */
  async ingestRows(actor: Actor, name: string, rows: Iterable<Record<string, unknown>> | AsyncIterable<Record<string, unknown>>, progress: Progress = () => {}): Promise<IngestResult> {
    return this.#ingest(actor, datasetName(name), 'function:rows', { kind: 'rows' }, progress, async (c, tmp) => {
      const source = await objectSource(rows);
      return snapshotRows(c, 'the rows function', source.columns, source.rows, tmp);
    });
  }

  /** Ingests Arrow record batches produced by code, typed from their Arrow schema. */
  async ingestArrow(actor: Actor, name: string, batches: Parameters<typeof arrowSource>[0], progress: Progress = () => {}): Promise<IngestResult> {
    return this.#ingest(actor, datasetName(name), 'function:arrow', { kind: 'arrow' }, progress, async (c, tmp) => {
      const source = await arrowSource(batches);
      return snapshotRows(c, 'the Arrow batches', source.columns, source.rows, tmp);
    });
  }

  async #ingest(
    actor: Actor,
    name: string,
    sourceLabel: string,
    params: Record<string, string>,
    progress: Progress,
    snapshotOf: (connection: DuckDBConnection, target: string) => Promise<Snapshot>,
  ): Promise<IngestResult> {
    const started = this.#clock.now();
    const tmp = join(this.#engine.tempDir, `ingest-${randomBytes(8).toString('hex')}.parquet`);
    try {
      return await this.#runs.track(actor, `ingest ${name}`, { dataset: name, source: sourceLabel, ...params }, async (run) => {
        progress(`reading ${sourceLabel}`);
        const snapshot = await this.#engine.withConnection((c) => snapshotOf(c, tmp));
        progress(`storing a ${snapshot.rows.toLocaleString('en-US')}-row Parquet snapshot`);
        const blob = await this.#content.put(createReadStream(tmp));
        const added = await this.#store.transaction(async (tx) => {
          const now = this.#clock.now();
          const result = await tx.datasets.addVersion({
            name,
            digest: blob.digest,
            source: sourceLabel,
            rows: snapshot.rows,
            bytes: blob.size,
            columns: snapshot.columns,
            profileDigest: null,
            runId: run,
            createdBy: actor.name,
            createdAt: now,
          });
          const ref = `${name}@${result.version.version}`;
          await tx.lineage.add([
            { srcKind: 'source', srcId: sourceLabel, dstKind: 'run', dstId: run, relation: 'consumed', createdAt: now },
            { srcKind: 'run', srcId: run, dstKind: 'dataset_version', dstId: ref, relation: result.created ? 'produced' : 'reproduced', createdAt: now },
          ]);
          if (result.created) {
            await tx.events.append({ at: now, actor: actor.name, action: 'dataset.version.create', entityKind: 'dataset_version', entityId: ref, before: null, after: { digest: blob.digest, rows: snapshot.rows, source: sourceLabel } });
          }
          return result;
        });
        return {
          result: { version: added.version, created: added.created, runId: run },
          metrics: { rows: snapshot.rows, bytes: blob.size, columns: snapshot.columns.length, seconds: (this.#clock.now() - started) / 1000 },
          tags: { 'orchard.dataset_version': `${name}@${added.version.version}`, 'orchard.dataset_created': String(added.created) },
        };
      });
    } finally {
      await rm(tmp, { force: true });
    }
  }

  /** Resolves `name@3`, `name@latest` or `name`. */
  async resolve(reference: string): Promise<DatasetVersion> {
    const ref = parseDatasetRef(reference);
    const found = await this.#store.datasets.get(ref.name, ref.version);
    if (found) return found;
    const versions = await this.#store.datasets.listVersions(ref.name);
    if (versions.length === 0) throw notFound(`No dataset named '${ref.name}'; ingest it with \`orchard data ingest ${ref.name} <file>\`, or list datasets with \`orchard data list\`.`, { dataset: ref.name });
    throw notFound(`Dataset '${ref.name}' has no version ${String(ref.version)}; its versions are ${versions.map((v) => v.version).join(', ')}.`, { dataset: ref.name });
  }

  list() {
    return this.#store.datasets.listDatasets();
  }

  versions(name: string) {
    return this.#store.datasets.listVersions(name);
  }

  /**
   * Profiles a version (EDA) and stores the profile with it; a stored profile is
   * returned as is unless `refresh`. The work is a tracked run with lineage.
   */
  async profile(actor: Actor, reference: string, options: { refresh?: boolean } = {}, progress: Progress = () => {}): Promise<DatasetProfile> {
    const version = await this.resolve(reference);
    const ref = `${version.name}@${version.version}`;
    if (version.profileDigest !== null && !options.refresh) return this.storedProfile(version);
    return this.#runs.track(actor, `profile ${ref}`, { dataset_version: ref }, async (run) => {
      const path = await this.parquetPath(version);
      const profile = await this.#engine.withConnection((c) => profileParquet(c, path, version.columns, ref, this.#clock.now(), progress));
      const blob = await this.#content.put(Buffer.from(JSON.stringify(profile)));
      await this.#store.transaction(async (tx) => {
        const now = this.#clock.now();
        await tx.datasets.setProfile(version.name, version.version, blob.digest);
        await tx.lineage.add([{ srcKind: 'dataset_version', srcId: ref, dstKind: 'run', dstId: run, relation: 'consumed', createdAt: now }]);
        await tx.events.append({ at: now, actor: actor.name, action: 'dataset.version.profile', entityKind: 'dataset_version', entityId: ref, before: version.profileDigest, after: blob.digest });
      });
      const missing = Object.fromEntries(profile.columns.map((c) => [`missing_fraction/${c.name.replace(/[^\w\-. /]/gu, '_')}`, c.missingFraction]));
      return { result: profile, metrics: { rows: profile.rows, duplicate_rows: profile.duplicateRows, ...missing }, tags: { 'orchard.profile': blob.digest } };
    });
  }

  /** The stored profile of a version. */
  async storedProfile(version: DatasetVersion): Promise<DatasetProfile> {
    if (version.profileDigest === null) throw notFound(`${version.name}@${version.version} has no profile yet; run \`orchard data profile ${version.name}@${version.version}\`.`);
    return JSON.parse((await this.#content.read(version.profileDigest)).toString('utf8')) as DatasetProfile;
  }

  /** A local Parquet file with the version's rows, verified against its digest. */
  parquetPath(version: DatasetVersion): Promise<string> {
    return this.#content.localPath(version.digest);
  }
}

export function datasetName(value: string): string {
  if (!NAME.test(value)) {
    throw invalidArgument(`Dataset name '${value}' is not valid; use letters, digits, '_', '-' and '.', starting with a letter or digit (e.g. flights).`, { name: value });
  }
  return value;
}

/** Parses `name`, `name@latest` or `name@<positive integer>`. */
export function parseDatasetRef(reference: string): DatasetRef {
  const at = reference.lastIndexOf('@');
  const name = datasetName(at < 0 ? reference : reference.slice(0, at));
  const tail = at < 0 ? 'latest' : reference.slice(at + 1);
  if (tail === 'latest') return { name, version: 'latest' };
  if (!/^[1-9]\d{0,8}$/.test(tail)) throw invalidArgument(`Dataset reference '${reference}' has version '${tail}'; use name@<number> or name@latest (e.g. flights@2).`, { reference });
  return { name, version: Number(tail) };
}
