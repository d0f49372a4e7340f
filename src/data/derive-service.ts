import { createReadStream } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ContentStore } from '../artifacts/content-store.js';
import type { Clock } from '../core/clock.js';
import { invalidArgument } from '../core/errors.js';
import type { MetadataStore } from '../metadata/metadata-store.js';
import type { Actor } from '../tracking/tracking-service.js';
import type { DataRuns } from './data-runs.js';
import { datasetName, type DatasetService, type Progress } from './dataset-service.js';
import { literal, queryRows, type DataEngine } from './duckdb-engine.js';
import { MAX_DOMAIN, inferSchema, type Anomaly, type DataSchema } from './schema.js';
import { assignSql, checkSplit, type SplitSpec } from './split.js';
import { transformSql, type FittedTransform, type TransformSpec } from './transform.js';
import { fitTransform } from './transform-fitter.js';
import type { DatasetVersion } from './types.js';
import { columnDomains, validateParquet } from './validator.js';

export interface SplitResult {
  readonly parent: DatasetVersion;
  /** Part name → the dataset version holding its rows. */
  readonly parts: Record<string, DatasetVersion>;
  readonly runId: string;
}

/**
 * What is derived from dataset versions: schemas, validation reports and splits.
 * Validation and splits are tracked runs; split parts are new dataset versions
 * with lineage to their parent.
 */
export class DeriveService {
  readonly #store: MetadataStore;
  readonly #content: ContentStore;
  readonly #engine: DataEngine;
  readonly #datasets: DatasetService;
  readonly #runs: DataRuns;
  readonly #clock: Clock;

  constructor(deps: { store: MetadataStore; content: ContentStore; engine: DataEngine; datasets: DatasetService; runs: DataRuns; clock: Clock }) {
    this.#store = deps.store;
    this.#content = deps.content;
    this.#engine = deps.engine;
    this.#datasets = deps.datasets;
    this.#runs = deps.runs;
    this.#clock = deps.clock;
  }

  /** Infers a schema (types, required columns, null rates, category domains, ranges) from a version. */
  async inferSchema(actor: Actor, reference: string): Promise<DataSchema> {
    const version = await this.#datasets.resolve(reference);
    const profile = await this.#datasets.profile(actor, `${version.name}@${version.version}`);
    const path = await this.#datasets.parquetPath(version);
    const domains = await this.#engine.withConnection((c) => columnDomains(c, path, version.columns, MAX_DOMAIN));
    return inferSchema(profile, domains);
  }

  /** Validates a version against a schema; every anomaly is reported, none throws. */
  async validate(actor: Actor, reference: string, schema: DataSchema): Promise<{ version: DatasetVersion; rows: number; anomalies: Anomaly[]; runId: string }> {
    const version = await this.#datasets.resolve(reference);
    const ref = `${version.name}@${version.version}`;
    let runId = '';
    const outcome = await this.#runs.track(actor, `validate ${ref}`, { dataset_version: ref, schema_from: schema.inferredFrom ?? 'file' }, async (run) => {
      runId = run;
      const path = await this.#datasets.parquetPath(version);
      const report = await this.#engine.withConnection((c) => validateParquet(c, path, version.columns, schema));
      await this.#store.lineage.add([{ srcKind: 'dataset_version', srcId: ref, dstKind: 'run', dstId: run, relation: 'consumed', createdAt: this.#clock.now() }]);
      const byKind: Record<string, number> = {};
      for (const a of report.anomalies) byKind[`anomalies/${a.kind}`] = (byKind[`anomalies/${a.kind}`] ?? 0) + 1;
      return { result: report, metrics: { anomalies: report.anomalies.length, rows: report.rows, ...byKind } };
    });
    return { version, rows: outcome.rows, anomalies: outcome.anomalies, runId };
  }

  /** Splits a version into parts, each a new dataset version `<output>-<part>`. */
  async split(actor: Actor, reference: string, spec: SplitSpec, options: { output?: string } = {}, progress: Progress = () => {}): Promise<SplitResult> {
    const parent = await this.#datasets.resolve(reference);
    const parentRef = `${parent.name}@${parent.version}`;
    const output = datasetName(options.output ?? parent.name);
    checkSplit(spec, parent.columns);
    const tmpFiles: string[] = [];
    try {
      return await this.#runs.track(actor, `split ${parentRef}`, { dataset_version: parentRef, split: JSON.stringify(spec), output }, async (runId) => {
        const path = await this.#datasets.parquetPath(parent);
        progress(`assigning ${parent.rows.toLocaleString('en-US')} rows to parts`);
        const files = await this.#engine.withConnection(async (c) => {
          await c.run(`create temp table assigned as ${assignSql(spec, parent.columns, `read_parquet(${literal(path)})`)}`);
          const names = (await queryRows(c, `select __part as p, count(*) as n from assigned where __part is not null group by __part order by __part`)).map((r) => ({ part: String(r.p), rows: Number(r.n) }));
          const expected = spec.kind === 'time' ? spec.names : spec.kind === 'period' ? [] : Object.keys(spec.fractions);
          const empty = expected.filter((n) => !names.some((x) => x.part === n));
          if (empty.length > 0) throw invalidArgument(`The split leaves part(s) ${empty.join(', ')} of ${parentRef} empty; move the cut points or change the fractions.`, { parts: empty });
          const out: { part: string; rows: number; file: string }[] = [];
          for (const { part, rows } of names) {
            const file = join(this.#engine.tempDir, `split-${randomBytes(8).toString('hex')}.parquet`);
            tmpFiles.push(file);
            progress(`writing part ${part} (${rows.toLocaleString('en-US')} rows)`);
            await c.run(`copy (select * exclude (__part) from assigned where __part = ${literal(part)}) to ${literal(file)} (format parquet, compression zstd)`);
            out.push({ part, rows, file });
          }
          return out;
        });
        const parts: Record<string, DatasetVersion> = {};
        for (const f of files) {
          const blob = await this.#content.put(createReadStream(f.file));
          const name = datasetName(`${output}-${f.part}`);
          const added = await this.#store.transaction(async (tx) => {
            const now = this.#clock.now();
            const r = await tx.datasets.addVersion({ name, digest: blob.digest, source: `split:${parentRef}`, rows: f.rows, bytes: blob.size, columns: parent.columns, profileDigest: null, runId, createdBy: actor.name, createdAt: now });
            const ref = `${name}@${r.version.version}`;
            await tx.lineage.add([
              { srcKind: 'dataset_version', srcId: parentRef, dstKind: 'run', dstId: runId, relation: 'consumed', createdAt: now },
              { srcKind: 'run', srcId: runId, dstKind: 'dataset_version', dstId: ref, relation: r.created ? 'produced' : 'reproduced', createdAt: now },
              { srcKind: 'dataset_version', srcId: parentRef, dstKind: 'dataset_version', dstId: ref, relation: 'derived_from', createdAt: now },
            ]);
            if (r.created) await tx.events.append({ at: now, actor: actor.name, action: 'dataset.version.create', entityKind: 'dataset_version', entityId: ref, before: null, after: { digest: blob.digest, rows: f.rows, source: `split:${parentRef}` } });
            return r.version;
          });
          parts[f.part] = added;
        }
        const metrics = Object.fromEntries(Object.entries(parts).map(([p, v]) => [`rows/${p}`, v.rows]));
        return { result: { parent, parts, runId }, metrics: { parts: files.length, ...metrics } };
      });
    } finally {
      await Promise.all(tmpFiles.map((f) => rm(f, { force: true })));
    }
  }

  /**
   * Fits a transform on a (training) version and stores it as a content-addressed
   * JSON artifact; the same fitted transform later applies to any version or row.
   */
  async fitTransform(actor: Actor, reference: string, spec: TransformSpec): Promise<{ fitted: FittedTransform; digest: string; runId: string }> {
    const version = await this.#datasets.resolve(reference);
    const ref = `${version.name}@${version.version}`;
    let runId = '';
    const result = await this.#runs.track(actor, `transform ${ref}`, { dataset_version: ref, steps: String(spec.steps.length), features: String(spec.features.length) }, async (run) => {
      runId = run;
      const path = await this.#datasets.parquetPath(version);
      const fitted = await this.#engine.withConnection((c) => fitTransform(c, `read_parquet(${literal(path)})`, spec, ref));
      const blob = await this.#content.put(Buffer.from(JSON.stringify(fitted)));
      const now = this.#clock.now();
      await this.#store.lineage.add([
        { srcKind: 'dataset_version', srcId: ref, dstKind: 'run', dstId: run, relation: 'consumed', createdAt: now },
        { srcKind: 'run', srcId: run, dstKind: 'transform', dstId: blob.digest, relation: 'produced', createdAt: now },
      ]);
      return { result: { fitted, digest: blob.digest }, metrics: { features: fitted.features.length }, tags: { 'orchard.transform': blob.digest } };
    });
    return { ...result, runId };
  }

  /** A fitted transform stored by `fitTransform`. */
  async loadTransform(digest: string): Promise<FittedTransform> {
    return JSON.parse((await this.#content.read(digest)).toString('utf8')) as FittedTransform;
  }

  /** Applies a fitted transform to a version, writing the features (and `keep` columns) as a new version. */
  async applyTransform(actor: Actor, reference: string, fitted: FittedTransform, options: { output: string; keep?: readonly string[] }): Promise<DatasetVersion> {
    const version = await this.#datasets.resolve(reference);
    const ref = `${version.name}@${version.version}`;
    const name = datasetName(options.output);
    const missing = fitted.inputs.filter((c) => !version.columns.some((x) => x.name === c));
    if (missing.length > 0) throw invalidArgument(`${ref} lacks the column(s) ${missing.join(', ')} the transform reads.`, { missing });
    const keep = options.keep ?? [];
    const unknown = keep.filter((c) => !version.columns.some((x) => x.name === c));
    if (unknown.length > 0) throw invalidArgument(`${ref} has no column(s) ${unknown.join(', ')} to keep.`, { unknown });
    const file = join(this.#engine.tempDir, `transform-${randomBytes(8).toString('hex')}.parquet`);
    try {
      return await this.#runs.track(actor, `apply ${ref}`, { dataset_version: ref, transform_fitted_on: fitted.fittedOn, output: name }, async (runId) => {
        const path = await this.#datasets.parquetPath(version);
        const { rows, columns } = await this.#engine.withConnection(async (c) => {
          await c.run(`copy (${transformSql(fitted, `read_parquet(${literal(path)})`, keep)}) to ${literal(file)} (format parquet, compression zstd)`);
          const described = await queryRows(c, `describe select * from read_parquet(${literal(file)})`);
          const n = Number((await queryRows(c, `select count(*) as n from read_parquet(${literal(file)})`))[0]?.n ?? 0);
          return { rows: n, columns: described.map((d) => ({ name: String(d.column_name), physicalType: String(d.column_type), kind: fitted.features.includes(String(d.column_name)) ? ('numeric' as const) : (version.columns.find((x) => x.name === d.column_name)?.kind ?? 'text'), nullable: true })) };
        });
        const blob = await this.#content.put(createReadStream(file));
        const added = await this.#store.transaction(async (tx) => {
          const now = this.#clock.now();
          const r = await tx.datasets.addVersion({ name, digest: blob.digest, source: `transform:${ref}`, rows, bytes: blob.size, columns, profileDigest: null, runId, createdBy: actor.name, createdAt: now });
          const out = `${name}@${r.version.version}`;
          await tx.lineage.add([
            { srcKind: 'dataset_version', srcId: ref, dstKind: 'run', dstId: runId, relation: 'consumed', createdAt: now },
            { srcKind: 'run', srcId: runId, dstKind: 'dataset_version', dstId: out, relation: r.created ? 'produced' : 'reproduced', createdAt: now },
            { srcKind: 'dataset_version', srcId: ref, dstKind: 'dataset_version', dstId: out, relation: 'derived_from', createdAt: now },
          ]);
          return r.version;
        });
        return { result: added, metrics: { rows, features: fitted.features.length } };
      });
    } finally {
      await rm(file, { force: true });
    }
  }
}
