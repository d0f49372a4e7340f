import type { ContentStore } from '../artifacts/content-store.js';
import type { BlobStore } from '../artifacts/blob-store.js';
import type { Clock } from '../core/clock.js';
import { invalidArgument, notFound, throwIfIssues, type Issue } from '../core/errors.js';
import { ident, literal, queryRows, type DataEngine } from '../data/duckdb-engine.js';
import { parseDatasetRef } from '../data/dataset-service.js';
import type { FeedbackRecord } from '../metadata/loop-repositories.js';
import type { MetadataStore } from '../metadata/metadata-store.js';
import { predictionLogPrefix } from '../serving/prediction-log-schema.js';
import type { Actor } from '../tracking/tracking-service.js';
import { loadLabelTable } from './label-table.js';
import { inferTask, performanceByWindow, type LabelledPrediction, type PerformanceTask, type WindowPerformance } from './live-performance.js';

export interface LabelInput {
  readonly requestId: string;
  /** A number (classes as 0/1, regression values) or a class label. */
  readonly label: number | string;
}

export interface HumanInput {
  readonly requestId: string;
  readonly score?: number;
  readonly thumb?: 'up' | 'down';
  readonly comment?: string;
}

/** What a feedback write did: how many landed, which replaced earlier feedback (last write wins). */
export interface FeedbackReceipt {
  readonly accepted: number;
  readonly replaced: readonly string[];
}

export interface PerformanceReport {
  readonly endpoint: string;
  readonly windowMs: number;
  readonly task: PerformanceTask;
  readonly windows: readonly WindowPerformance[];
  /** Labels whose request id is in no logged prediction (accepted, not joined). */
  readonly unmatchedLabels: number;
}

/**
 * Feedback on an endpoint's predictions: ground truth and human feedback stored by
 * request id, joined with the prediction log (Parquet, read by DuckDB) into live
 * performance per time window.
 */
export class FeedbackService {
  readonly #d: { store: MetadataStore; blobs: BlobStore; content: ContentStore; engine: DataEngine; clock: Clock };

  constructor(deps: { store: MetadataStore; blobs: BlobStore; content: ContentStore; engine: DataEngine; clock: Clock }) {
    this.#d = deps;
  }

  /** Ground truth by request id. @throws OrchardError `INVALID_ARGUMENT` listing every bad item; nothing is written then. */
  async submitLabels(actor: Actor, endpoint: string, items: readonly LabelInput[], source = 'api'): Promise<FeedbackReceipt> {
    const issues: Issue[] = [];
    if (!Array.isArray(items) || items.length === 0) throw invalidArgument(`Feedback for endpoint '${endpoint}' has no labels; send {"labels": [{"request_id": "…", "label": 1}]}.`);
    items.forEach((it, i) => {
      if (typeof it?.requestId !== 'string' || it.requestId === '') issues.push({ code: 'missing_request_id', path: ['labels', i, 'request_id'], message: 'the request id is missing' });
      if (!(typeof it?.label === 'string' || (typeof it?.label === 'number' && Number.isFinite(it.label)))) issues.push({ code: 'invalid_label', path: ['labels', i, 'label'], message: `${JSON.stringify(it?.label)} is not a label; give a number or a class name` });
    });
    throwIfIssues(`feedback for endpoint '${endpoint}'`, issues);
    const now = this.#d.clock.now();
    const records: FeedbackRecord[] = items.map((it) => ({ endpoint, requestId: it.requestId, kind: 'label', value: typeof it.label === 'number' ? it.label : null, textValue: typeof it.label === 'string' ? it.label : null, comment: null, source, receivedAt: now }));
    return this.#write(actor, endpoint, records);
  }

  /** Human feedback (score, thumbs, comment) for generative endpoints. */
  async submitHuman(actor: Actor, endpoint: string, items: readonly HumanInput[]): Promise<FeedbackReceipt> {
    const issues: Issue[] = [];
    if (!Array.isArray(items) || items.length === 0) throw invalidArgument(`Feedback for endpoint '${endpoint}' is empty; send {"feedback": [{"request_id": "…", "thumb": "up"}]}.`);
    items.forEach((it, i) => {
      if (typeof it?.requestId !== 'string' || it.requestId === '') issues.push({ code: 'missing_request_id', path: ['feedback', i, 'request_id'], message: 'the request id is missing' });
      if (it?.score !== undefined && (typeof it.score !== 'number' || !Number.isFinite(it.score))) issues.push({ code: 'invalid_score', path: ['feedback', i, 'score'], message: `${JSON.stringify(it.score)} is not a number` });
      if (it?.thumb !== undefined && it.thumb !== 'up' && it.thumb !== 'down') issues.push({ code: 'invalid_thumb', path: ['feedback', i, 'thumb'], message: `${JSON.stringify(it.thumb)} is not a thumb; use "up" or "down"` });
      if (it?.score === undefined && it?.thumb === undefined && (it?.comment === undefined || it.comment === '')) issues.push({ code: 'empty_feedback', path: ['feedback', i], message: 'give a score, a thumb or a comment' });
    });
    throwIfIssues(`feedback for endpoint '${endpoint}'`, issues);
    const now = this.#d.clock.now();
    const records: FeedbackRecord[] = items.map((it) => ({
      endpoint,
      requestId: it.requestId,
      kind: 'human',
      value: it.score ?? (it.thumb === undefined ? null : it.thumb === 'up' ? 1 : 0),
      textValue: it.thumb ?? null,
      comment: it.comment ?? null,
      source: 'api',
      receivedAt: now,
    }));
    return this.#write(actor, endpoint, records);
  }

  /**
   * Labels from a dataset version, joined on a key column (the request id).
   * @throws OrchardError `NOT_FOUND` for an unknown version; `INVALID_ARGUMENT` naming a missing column.
   */
  async importLabels(actor: Actor, endpoint: string, dataset: string, columns: { key: string; label: string }): Promise<FeedbackReceipt> {
    const ref = parseDatasetRef(dataset);
    const version = await this.#d.store.datasets.get(ref.name, ref.version);
    if (!version) throw notFound(`No dataset version '${dataset}'; list versions with \`orchard data versions ${ref.name}\`.`, { dataset });
    const known = version.columns.map((c) => c.name);
    const missing = [columns.key, columns.label].filter((c) => !known.includes(c));
    if (missing.length > 0) throw invalidArgument(`Dataset ${version.name}@${version.version} has no column ${missing.map((c) => `'${c}'`).join(', ')}; its columns are ${known.join(', ')}. Pass --key and --label.`, { missing });
    const path = await this.#d.content.localPath(version.digest);
    const rows = await this.#d.engine.withConnection((c) => queryRows(c, `select cast(${ident(columns.key)} as varchar) as k, ${ident(columns.label)} as v from read_parquet(${literal(path)}) where ${ident(columns.key)} is not null`));
    const items = rows.map((r) => ({ requestId: String(r.k), label: typeof r.v === 'number' || typeof r.v === 'string' ? r.v : typeof r.v === 'boolean' ? Number(r.v) : NaN }));
    return this.submitLabels(actor, endpoint, items, `${version.name}@${version.version}`);
  }

  /** Feedback records of an endpoint, by request id. */
  list(endpoint: string, kind: 'label' | 'human'): Promise<FeedbackRecord[]> {
    return this.#d.store.feedback.list(endpoint, kind);
  }

  /**
   * Live performance per window: labels joined with the endpoint's logged predictions
   * (shadow predictions left out) on request id; windows by prediction time.
   * @throws OrchardError `NOT_FOUND` when the endpoint has no prediction log.
   */
  async performance(endpoint: string, windowMs: number): Promise<PerformanceReport> {
    const files = await this.#logFiles(endpoint);
    if (files.length === 0) throw notFound(`Endpoint '${endpoint}' has no prediction log yet (no files under ${predictionLogPrefix(endpoint)}/); serve some predictions first.`, { endpoint });
    const labels = (await this.#d.store.feedback.list(endpoint, 'label')).filter((l) => l.value !== null);
    const log = `read_parquet([${files.map(literal).join(', ')}], union_by_name = true)`;
    const w = Math.floor(windowMs);
    const { rows, counts, unmatched } = await this.#d.engine.withConnection(async (c) => {
      await loadLabelTable(c, 'fb_labels', labels);
      await c.run(`create temp view fb_log as select request_id, epoch_ms(ts) as ts, prediction from ${log} where not coalesce(shadow, false)`);
      const joined = await queryRows(c, 'select p.ts, p.prediction, l.value, l.received_at from fb_log p join fb_labels l using (request_id) order by p.ts');
      const perWindow = await queryRows(c, `select (ts // ${w}) * ${w} as start, count(*) as n from fb_log group by 1`);
      const none = await queryRows(c, 'select count(*) as n from fb_labels l where not exists (select 1 from fb_log p where p.request_id = l.request_id)');
      return { rows: joined, counts: perWindow, unmatched: Number(none[0]!.n) };
    });
    const labelled: LabelledPrediction[] = rows.map((r) => ({ ts: Number(r.ts), prediction: Number(r.prediction), label: Number(r.value), receivedAt: Number(r.received_at) }));
    const task = inferTask(labelled);
    const windows = performanceByWindow(labelled, new Map(counts.map((r) => [Number(r.start), Number(r.n)])), w, task);
    return { endpoint, windowMs: w, task, windows, unmatchedLabels: unmatched };
  }

  async #logFiles(endpoint: string): Promise<string[]> {
    const out: string[] = [];
    for await (const key of this.#d.blobs.list(`${predictionLogPrefix(endpoint)}/`)) {
      if (!key.endsWith('.parquet')) continue;
      const path = await this.#d.blobs.localPath?.(key);
      if (path) out.push(path);
    }
    return out.sort();
  }

  async #write(actor: Actor, endpoint: string, records: FeedbackRecord[]): Promise<FeedbackReceipt> {
    // Within one batch the last item for a request id wins too, and counts as a replacement.
    const last = new Map<string, FeedbackRecord>();
    const replaced = new Set<string>();
    for (const r of records) {
      if (last.has(r.requestId)) replaced.add(r.requestId);
      last.set(r.requestId, r);
    }
    return this.#d.store.transaction(async (tx) => {
      for (const id of await tx.feedback.put([...last.values()])) replaced.add(id);
      await tx.events.append({ at: this.#d.clock.now(), actor: actor.name, action: `feedback.${records[0]!.kind}`, entityKind: 'endpoint', entityId: endpoint, before: null, after: { accepted: records.length, replaced: replaced.size, source: records[0]!.source } });
      return { accepted: records.length, replaced: [...replaced].sort() };
    });
  }
}
