import type { ContentStore } from '../artifacts/content-store.js';
import type { Clock } from '../core/clock.js';
import { OrchardError, invalidArgument, throwIfIssues, type Issue } from '../core/errors.js';
import type { DatasetService } from '../data/dataset-service.js';
import type { DataEngine } from '../data/duckdb-engine.js';
import type { ColumnSchema } from '../data/types.js';
import type { MetadataStore } from '../metadata/metadata-store.js';
import type { Actor, TrackingService } from '../tracking/tracking-service.js';
import { bootstrapInterval, take } from './bootstrap.js';
import { argmaxClasses, evaluatePredictions } from './evaluate.js';
import { accuracy, averagePrecision, brierScore, logLoss, mae, multiclassLogLoss, r2, rmse, rocAuc } from './metrics.js';
import { loadModel, readModelArtifact, type LoadedModel, type ModelArtifact } from './model-artifact.js';
import { NULL_SLICE, OUTSIDE_SLICE, assignRanges, checkEdges, quantileEdges, rangeKey, rangeLabels } from './numeric-slices.js';
import { classTarget, parseTarget, readFeatures } from './train-service.js';

export interface EvaluateInput {
  /** The training run whose model to evaluate. */
  readonly model: string;
  readonly data: string;
  /** Metrics per value of this column (numbers with many values: per quartile range). */
  readonly sliceBy?: string;
  /** Slices of the numeric `sliceBy` column by these ascending edges: [e0, e1), [e1, e2), … (±Infinity allowed). */
  readonly bins?: readonly number[];
  /** Slices of the numeric `sliceBy` column at its quantiles over the evaluated rows: this many, about equal in size. */
  readonly quantiles?: number;
  /** Another training run's model, compared on the same rows with a bootstrap interval. */
  readonly against?: string;
  /** The metric the comparison is on (default: auc for binary, accuracy for multiclass, rmse for regression); see COMPARISON_METRICS. */
  readonly compareOn?: string;
  readonly rounds?: number;
  readonly seed?: number;
}

export interface Comparison {
  readonly against: string;
  readonly metric: string;
  /** Metric of `model` minus metric of `against`. */
  readonly difference: number;
  readonly low: number;
  readonly high: number;
  readonly rounds: number;
}

export interface EvaluationResult {
  readonly runId: string;
  readonly dataset: string;
  readonly rows: number;
  readonly metrics: Record<string, number>;
  /**
   * Metrics per slice. `value` is the column's value, or for numeric ranges `[lo, hi)`; `edges` are the
   * range edges used (with `bins` or `quantiles`). Ranges come in order, then `(null)` and `(out of range)`.
   */
  readonly slices?: { readonly column: string; readonly edges?: readonly number[]; readonly items: { value: string; rows: number; metrics: Record<string, number> }[] };
  readonly comparison?: Comparison;
}

type Scorer = (y: Float64Array, s: Float64Array, classes: number) => number;
/** The metrics two models can be compared on, per task: how each is computed from labels and predictions. */
export const COMPARISON_METRICS: Readonly<Record<'binary' | 'multiclass' | 'regression', Readonly<Record<string, Scorer>>>> = {
  binary: { auc: (y, s) => rocAuc(y, s), log_loss: (y, s) => logLoss(y, s), brier: (y, s) => brierScore(y, s), average_precision: (y, s) => averagePrecision(y, s), accuracy: (y, s) => accuracy(y, s.map((p) => (p >= 0.5 ? 1 : 0))) },
  multiclass: { accuracy: (y, s, k) => accuracy(y, argmaxClasses(s, k)), log_loss: (y, s, k) => multiclassLogLoss(y, s, k) },
  regression: { rmse: (y, s) => rmse(y, s), mae: (y, s) => mae(y, s), r2: (y, s) => r2(y, s) },
};
const DEFAULT_COMPARISON = { binary: 'auc', multiclass: 'accuracy', regression: 'rmse' } as const;

/** Model evaluation as a tracked run: metrics on a dataset version, per slice, and against another model. */
export class EvaluationService {
  readonly #deps: { store: MetadataStore; content: ContentStore; engine: DataEngine; datasets: DatasetService; tracking: TrackingService; clock: Clock };

  constructor(deps: { store: MetadataStore; content: ContentStore; engine: DataEngine; datasets: DatasetService; tracking: TrackingService; clock: Clock }) {
    this.#deps = deps;
  }

  /** The model a training run stored. */
  async modelOfRun(runId: string): Promise<{ model: LoadedModel; digest: string }> {
    const { artifact, digest } = await this.artifactOfRun(runId);
    return { model: loadModel(artifact), digest };
  }

  /**
   * The model artifact a training run stored, not loaded (its learner need not be registered here).
   * @throws OrchardError `NOT_FOUND` for an unknown run, `INVALID_ARGUMENT` for a run without a model.
   */
  async artifactOfRun(runId: string): Promise<{ artifact: ModelArtifact; digest: string }> {
    const run = await this.#deps.tracking.getRun(runId);
    const digest = run.tags.find((t) => t.key === 'orchard.model')?.value;
    if (!digest) throw invalidArgument(`Run ${runId} stored no model (it has no orchard.model tag); pass the id of a finished training run.`, { runId });
    return { artifact: readModelArtifact((await this.#deps.content.read(digest)).toString('utf8'), digest), digest };
  }

  async evaluate(actor: Actor, input: EvaluateInput): Promise<EvaluationResult> {
    const { datasets, engine, tracking, store, clock } = this.#deps;
    const { model, digest } = await this.modelOfRun(input.model);
    const a = model.artifact;
    const version = await datasets.resolve(input.data);
    const ref = `${version.name}@${version.version}`;
    if (input.sliceBy !== undefined && !version.columns.some((c) => c.name === input.sliceBy)) {
      throw invalidArgument(`Cannot slice by \`${input.sliceBy}\`: ${ref} has no such column; columns are ${version.columns.map((c) => c.name).join(', ')}.`);
    }
    const numericSlices = checkNumericSlicing(input, version.columns);
    const other = input.against ? await this.modelOfRun(input.against) : undefined;
    if (other && other.model.artifact.training.target !== a.training.target) {
      throw invalidArgument(`The models predict different targets ('${a.training.target}' and '${other.model.artifact.training.target}'); compare models of the same target.`);
    }
    if (input.compareOn !== undefined && COMPARISON_METRICS[a.task][input.compareOn] === undefined) {
      throw invalidArgument(`A ${a.task} model cannot be compared on '${input.compareOn}'; use one of ${Object.keys(COMPARISON_METRICS[a.task]).join(', ')}.`, { compareOn: input.compareOn });
    }
    const parsed = parseTarget(a.training.target, version.columns);
    // Labels the model never saw read as missing, so those rows are left out.
    const target = a.classes ? classTarget(parsed, a.classes) : parsed;
    const K = a.task === 'multiclass' ? a.classes!.length : 1;
    const path = await datasets.parquetPath(version);
    const experiment = await tracking.ensureExperiment(actor, 'evaluate');
    const run = await tracking.createRun(actor, { experimentId: experiment.experimentId, runName: `evaluate ${a.learner} on ${ref}`, tags: [{ key: 'orchard.kind', value: 'evaluate' }] });
    const runId = run.info.runId;
    try {
      const data = await engine.withConnection((c) => readFeatures(c, path, a.transform, target.sql, input.sliceBy, numericSlices ? 'double' : 'varchar'));
      const p = model.predictFeatures(data.features);
      const metrics = evaluatePredictions(a.task, data.target, p, Math.max(2, K));
      const result: { -readonly [K in keyof EvaluationResult]: EvaluationResult[K] } = { runId, dataset: ref, rows: data.target.length, metrics };
      const logged: { key: string; value: number }[] = Object.entries(metrics).map(([key, value]) => ({ key, value }));

      if (input.sliceBy !== undefined && data.extra) {
        const values = numericSlices ? Float64Array.from(data.extra as (number | null)[], (v) => (v === null ? Number.NaN : v)) : undefined;
        const edges = values ? (input.bins ? [...input.bins] : quantileEdges(values, input.quantiles!)) : undefined;
        const labels = values && edges ? assignRanges(values, edges) : sliceLabels(data.extra);
        const groups = new Map<string, number[]>();
        labels.forEach((l, i) => (groups.get(l) ?? groups.set(l, []).get(l)!).push(i));
        // Ranges keep their order and are listed even when empty; values sort by name.
        const order = edges ? [...rangeLabels(edges), NULL_SLICE, OUTSIDE_SLICE].filter((l, i) => i < edges.length - 1 || groups.has(l)) : [...groups.keys()].sort((x, y) => x.localeCompare(y));
        const items = order.map((value) => {
          const rows = groups.get(value) ?? [];
          const idx = Uint32Array.from(rows);
          return { value, rows: rows.length, metrics: rows.length === 0 ? {} : evaluatePredictions(a.task, take(data.target, idx), take(p, idx, K), Math.max(2, K)) };
        });
        result.slices = { column: input.sliceBy, ...(edges ? { edges } : {}), items };
        for (const item of items) {
          const key = (edges ? rangeKey(item.value) : item.value).replace(/[^\w\-. /]/gu, '_').slice(0, 100);
          for (const [k, v] of Object.entries(item.metrics)) logged.push({ key: `slice/${key}/${k}`, value: v });
          if (edges) logged.push({ key: `slice/${key}/rows`, value: item.rows });
        }
      }

      if (other && input.against) {
        const other_ = await engine.withConnection((c) => readFeatures(c, path, other.model.artifact.transform, target.sql));
        if (other_.target.length !== data.target.length) throw new OrchardError('INTERNAL', 'The two models read different rows of the same dataset.');
        const q = other.model.predictFeatures(other_.features);
        const metric = input.compareOn ?? DEFAULT_COMPARISON[a.task];
        const scorer = COMPARISON_METRICS[a.task][metric]!;
        const score = (y: Float64Array, s: Float64Array) => scorer(y, s, K);
        const difference = score(data.target, p) - score(data.target, q);
        const ci = bootstrapInterval(data.target.length, (idx) => {
          const y = take(data.target, idx);
          return score(y, take(p, idx, K)) - score(y, take(q, idx, K));
        }, { rounds: input.rounds ?? 200, seed: input.seed ?? 0 });
        result.comparison = { against: input.against, metric, difference, ...ci };
        logged.push({ key: `diff_${metric}`, value: difference }, { key: `diff_${metric}_low`, value: ci.low }, { key: `diff_${metric}_high`, value: ci.high });
      }

      await tracking.logBatch(actor, runId, {
        params: [
          { key: 'model_run', value: input.model },
          { key: 'data', value: ref },
          ...(input.sliceBy ? [{ key: 'slice_by', value: input.sliceBy }] : []),
          ...(input.bins ? [{ key: 'slice_bins', value: input.bins.map(String).join(',') }] : []),
          ...(input.quantiles ? [{ key: 'slice_quantiles', value: String(input.quantiles) }] : []),
          ...(input.against ? [{ key: 'against', value: input.against }] : []),
        ],
      });
      for (let i = 0; i < logged.length; i += 1000) await tracking.logBatch(actor, runId, { metrics: logged.slice(i, i + 1000).filter((m) => Number.isFinite(m.value)) });
      const now = clock.now();
      await store.lineage.add([
        { srcKind: 'dataset_version', srcId: ref, dstKind: 'run', dstId: runId, relation: 'consumed', createdAt: now },
        { srcKind: 'model_artifact', srcId: digest, dstKind: 'run', dstId: runId, relation: 'consumed', createdAt: now },
      ]);
      await tracking.updateRun(actor, runId, { status: 'FINISHED' });
      return result;
    } catch (error) {
      await tracking.logBatch(actor, runId, { tags: [{ key: 'orchard.error', value: String((error as Error)?.message ?? error).slice(0, 8000) }] }).catch(() => {});
      await tracking.updateRun(actor, runId, { status: 'FAILED' }).catch(() => {});
      throw error;
    }
  }
}

/**
 * Checks bins and quantiles (all problems at once); true when the evaluation slices by numeric ranges.
 * @throws OrchardError `INVALID_ARGUMENT`
 */
function checkNumericSlicing(input: EvaluateInput, columns: readonly ColumnSchema[]): boolean {
  if (input.bins === undefined && input.quantiles === undefined) return false;
  const issues: Issue[] = [];
  if (input.bins !== undefined && input.quantiles !== undefined) issues.push({ code: 'conflict', path: ['bins'], message: 'give bins or quantiles, not both' });
  if (input.sliceBy === undefined) issues.push({ code: 'missing', path: ['sliceBy'], message: 'bins and quantiles slice a numeric column; name it with sliceBy (--slice-by <column>)' });
  else {
    const kind = columns.find((c) => c.name === input.sliceBy)?.kind;
    if (kind !== 'numeric' && kind !== 'integer') issues.push({ code: 'not_numeric', path: ['sliceBy'], message: `\`${input.sliceBy}\` is ${kind ?? 'not a column'}; numeric ranges need a numeric or integer column (slice a ${kind ?? 'categorical'} column by its values, without bins or quantiles)` });
  }
  if (input.quantiles !== undefined && (!Number.isInteger(input.quantiles) || input.quantiles < 2 || input.quantiles > 100)) issues.push({ code: 'invalid_quantiles', path: ['quantiles'], message: `must be a whole number from 2 to 100, got ${input.quantiles}` });
  throwIfIssues('evaluation slices', issues);
  if (input.bins !== undefined) checkEdges(input.bins, 'evaluation slices: bins');
  return true;
}

/** Slice labels: the values themselves, or quartile ranges of a numeric column with many values. */
function sliceLabels(values: readonly unknown[]): string[] {
  const text = values.map((v) => (v === null || v === undefined ? '(null)' : String(v)));
  const distinct = new Set(text);
  if (distinct.size <= 50) return text;
  const numbers = text.map(Number);
  if (numbers.some((n, i) => Number.isNaN(n) && text[i] !== '(null)')) return text;
  const sorted = numbers.filter((n) => !Number.isNaN(n)).sort((x, y) => x - y);
  const q = [0.25, 0.5, 0.75].map((f) => sorted[Math.floor(f * (sorted.length - 1))]!);
  const label = (n: number) => (Number.isNaN(n) ? '(null)' : n < q[0]! ? `< ${q[0]}` : n < q[1]! ? `${q[0]} – ${q[1]}` : n < q[2]! ? `${q[1]} – ${q[2]}` : `≥ ${q[2]}`);
  return numbers.map(label);
}
