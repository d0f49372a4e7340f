import type { DuckDBConnection } from '@duckdb/node-api';
import type { ContentStore } from '../artifacts/content-store.js';
import type { Clock } from '../core/clock.js';
import { OrchardError, invalidArgument } from '../core/errors.js';
import type { DatasetService, Progress } from '../data/dataset-service.js';
import { ident, literal, type DataEngine } from '../data/duckdb-engine.js';
import { columnsOf, parseExpression, toSql } from '../data/expression.js';
import { chainSql, type FittedTransform, type TransformSpec } from '../data/transform.js';
import { fitTransform } from '../data/transform-fitter.js';
import type { ColumnSchema, DatasetVersion } from '../data/types.js';
import type { MetadataStore } from '../metadata/metadata-store.js';
import type { ArtifactService } from '../tracking/artifact-service.js';
import type { Actor, TrackingService } from '../tracking/tracking-service.js';
import { evaluatePredictions } from './evaluate.js';
import { learner, learnerOrigin, parseParams, type Task } from './learner.js';
import { loadModel, type ModelArtifact } from './model-artifact.js';

export interface TrainInput {
  /** The training dataset version, e.g. flights-train@1. */
  readonly data: string;
  /** A column, or `name=expression` to derive the target (e.g. `delayed=delay > 15`). */
  readonly target: string;
  readonly learner: string;
  readonly params?: Readonly<Record<string, unknown>>;
  /** Evaluation dataset version; its metrics are logged as `test_<metric>`. */
  readonly test?: string;
  /** Feature transforms; default: numbers as they are, categories as ordinal codes, date parts of datetimes. */
  readonly features?: TransformSpec;
  readonly experiment?: string;
  readonly runName?: string;
  /**
   * What to predict; inferred when absent: a categorical target is binary (2 labels) or
   * multiclass, a numeric one binary when it is 0 or 1, else regression.
   */
  readonly task?: Task;
}

export interface TrainResult {
  readonly runId: string;
  readonly artifact: ModelArtifact;
  readonly digest: string;
  readonly metrics: Record<string, number>;
}

const TARGET = '__orchard_target';

/** What training (and tuning, which refits the same way) needs from the platform. */
export interface TrainDeps {
  readonly store: MetadataStore;
  readonly content: ContentStore;
  readonly engine: DataEngine;
  readonly datasets: DatasetService;
  readonly tracking: TrackingService;
  readonly artifacts: ArtifactService;
  readonly clock: Clock;
}

/**
 * Training as a tracked run: fit the feature transform on the training version,
 * read features and target with DuckDB, fit the learner (logging its loss per
 * iteration), evaluate on the test version, and store the model artifact.
 */
export class TrainService {
  readonly #deps: TrainDeps;

  constructor(deps: TrainDeps) {
    this.#deps = deps;
  }

  async train(actor: Actor, input: TrainInput, progress: Progress = () => {}): Promise<TrainResult> {
    const { datasets, tracking, engine, clock } = this.#deps;
    const l = learner(input.learner);
    const params = parseParams(l.name, l.defaults, input.params ?? {});
    const version = await datasets.resolve(input.data);
    const ref = `${version.name}@${version.version}`;
    const target = parseTarget(input.target, version.columns);
    const testVersion = input.test ? await datasets.resolve(input.test) : undefined;
    const spec = input.features ?? autoFeatures(version.columns, target.uses);

    const experiment = await tracking.ensureExperiment(actor, input.experiment ?? 'train');
    const run = await tracking.createRun(actor, { experimentId: experiment.experimentId, runName: input.runName ?? `${l.name} on ${ref}`, tags: [{ key: 'orchard.kind', value: 'train' }] });
    const runId = run.info.runId;
    try {
      await tracking.logBatch(actor, runId, {
        params: [
          { key: 'learner', value: l.name },
          { key: 'data', value: ref },
          { key: 'target', value: input.target },
          ...(testVersion ? [{ key: 'test', value: `${testVersion.name}@${testVersion.version}` }] : []),
          ...Object.entries(params).map(([key, value]) => ({ key, value: String(value) })),
        ],
      });
      progress(`fitting ${spec.steps.length} feature transform step(s) on ${ref}`);
      const trainPath = await datasets.parquetPath(version);
      const fitted = await engine.withConnection((c) => fitTransform(c, `read_parquet(${literal(trainPath)})`, spec, ref));
      progress('reading features');
      const resolved = await engine.withConnection((c) => resolveTask(c, trainPath, target, input.task));
      const train = await engine.withConnection((c) => readFeatures(c, trainPath, fitted, resolved.target.sql));
      const task: Task = resolved.task ?? inferTask(train.target);
      if (task === 'binary' && !resolved.classes) checkBinary(train.target, target.name);
      const classes = resolved.classes;
      const K = task === 'multiclass' ? classes!.length : 2;
      if (!l.tasks.includes(task)) throw invalidArgument(`Learner ${l.name} does not do ${task}; it does ${l.tasks.join(', ')}.`);
      progress(`training ${l.name} (${task}) on ${train.target.length.toLocaleString('en-US')} rows × ${fitted.features.length} features`);
      const losses: { key: string; value: number; step: number }[] = [];
      const started = clock.now();
      const categorical = fitted.features.map((f) => fitted.steps.some((step) => step.op === 'ordinal' && step.column === f));
      const trainingData = { features: train.features, featureNames: fitted.features, target: train.target, categorical, ...(task === 'multiclass' ? { classes: K } : {}) };
      const state = await l.fit(trainingData, task, params, {
        onIteration: (iteration, loss) => losses.push({ key: 'loss', value: loss, step: iteration }),
      });
      const trainSeconds = (clock.now() - started) / 1000;
      const metrics: Record<string, number> = { train_seconds: trainSeconds, train_rows: train.target.length };
      const predictTrain = l.predict(state, train.features);
      for (const [k, v] of Object.entries(evaluatePredictions(task, train.target, predictTrain, K))) metrics[`train_${k}`] = v;
      if (testVersion) {
        progress(`evaluating on ${testVersion.name}@${testVersion.version}`);
        const testPath = await datasets.parquetPath(testVersion);
        const test = await engine.withConnection((c) => readFeatures(c, testPath, fitted, resolved.target.sql));
        for (const [k, v] of Object.entries(evaluatePredictions(task, test.target, l.predict(state, test.features), K))) metrics[`test_${k}`] = v;
        metrics.test_rows = test.target.length;
      }
      const importance = l.importance?.(state);
      const importanceKinds = l.importanceKinds?.(state) ?? {};
      const plugin = learnerOrigin(l.name);
      const artifact: ModelArtifact = {
        orchardModel: 1,
        learner: l.name,
        ...(plugin ? { plugin } : {}),
        task,
        params,
        signature: {
          inputs: fitted.inputs.map((name) => ({ name, kind: version.columns.find((c) => c.name === name)?.kind ?? 'numeric' })),
          target: target.name,
          output: task === 'binary' ? 'probability' : task === 'multiclass' ? 'probabilities' : 'value',
        },
        ...(classes ? { classes } : {}),
        transform: fitted,
        state: l.save(state),
        training: { dataset: ref, target: input.target, rows: train.target.length, runId, trainedAt: clock.now() },
        metrics,
      };
      const blob = await storeModelArtifact(this.#deps, actor, runId, artifact, { features: train.features, predictions: predictTrain }, [ref, ...(testVersion ? [`${testVersion.name}@${testVersion.version}`] : [])]);
      for (let i = 0; i < losses.length; i += 1000) await tracking.logBatch(actor, runId, { metrics: losses.slice(i, i + 1000) });
      await tracking.logBatch(actor, runId, {
        metrics: Object.entries(metrics).filter(([, v]) => Number.isFinite(v)).map(([key, value]) => ({ key, value })),
        tags: [
          { key: 'orchard.model', value: blob.digest },
          { key: 'orchard.task', value: task },
          ...(plugin ? [{ key: 'orchard.plugin', value: `${plugin.path} sha256:${plugin.digest}` }] : []),
          ...(importance ? [{ key: 'orchard.importance', value: JSON.stringify(Object.fromEntries(fitted.features.map((f, i) => [f, Number(importance[i]!.toFixed(4))]))).slice(0, 8000) }] : []),
          ...Object.entries(importanceKinds).map(([kind, values]) => ({ key: `orchard.importance.${kind}`, value: JSON.stringify(Object.fromEntries(fitted.features.map((f, i) => [f, Number(values[i]!.toFixed(4))]))).slice(0, 8000) })),
        ],
      });
      await tracking.updateRun(actor, runId, { status: 'FINISHED' });
      return { runId, artifact, digest: blob.digest, metrics };
    } catch (error) {
      await tracking.logBatch(actor, runId, { tags: [{ key: 'orchard.error', value: String((error as Error)?.message ?? error).slice(0, 8000) }] }).catch(() => {});
      await tracking.updateRun(actor, runId, { status: 'FAILED' }).catch(() => {});
      throw error;
    }
  }
}

/** The target as training reads it: `sql` gives a number (a class index once classes are known). */
export interface TargetSpec {
  readonly name: string;
  readonly sql: string;
  /** The label as written in the data, for finding classes. */
  readonly label: string;
  /** Whether the label is a category (text) rather than a number. */
  readonly categorical: boolean;
  readonly uses: Set<string>;
}

/** Most classes a classifier is trained for. */
export const MAX_CLASSES = 1000;

/**
 * Stores a model artifact as a run's `model/model.json` (and by digest), after
 * checking it reloads to bit-identical predictions on up to 1,000 training rows,
 * with lineage `dataset_version → run` for each consumed version and `run → model_artifact`.
 * @throws OrchardError INTERNAL when the learner's save/load does not round-trip.
 */
export async function storeModelArtifact(
  deps: Pick<TrainDeps, 'content' | 'artifacts' | 'store' | 'clock'>,
  actor: Actor,
  runId: string,
  artifact: ModelArtifact,
  check: { readonly features: readonly Float64Array[]; readonly predictions: Float64Array },
  consumed: readonly string[],
): Promise<{ digest: string }> {
  // Bit-identical reload is part of the format's contract: check it before storing.
  const reloaded = loadModel(JSON.parse(JSON.stringify(artifact)) as ModelArtifact).predictFeatures(check.features.map((f) => f.subarray(0, Math.min(1000, f.length))));
  const original = check.predictions.subarray(0, reloaded.length);
  if (reloaded.some((v, i) => !Object.is(v, original[i]))) throw new OrchardError('INTERNAL', `The ${artifact.learner} model does not reload to identical predictions; its save/load is broken.`);
  const json = Buffer.from(JSON.stringify(artifact));
  const blob = await deps.content.put(json);
  const root = await deps.artifacts.runRoot(runId);
  await deps.artifacts.upload(actor, `${root}/model/model.json`, json);
  const now = deps.clock.now();
  await deps.store.lineage.add([
    ...consumed.map((ref) => ({ srcKind: 'dataset_version', srcId: ref, dstKind: 'run', dstId: runId, relation: 'consumed', createdAt: now })),
    { srcKind: 'run', srcId: runId, dstKind: 'model_artifact', dstId: blob.digest, relation: 'produced', createdAt: now },
  ]);
  return { digest: blob.digest };
}

/** `delay` → the column; `delayed=delay > 15` → an expression over columns. */
export function parseTarget(text: string, columns: readonly ColumnSchema[]): TargetSpec {
  const names = columns.map((c) => c.name);
  const eq = text.indexOf('=');
  if (eq < 0) {
    const column = columns.find((c) => c.name === text);
    if (!column) throw invalidArgument(`The target \`${text}\` is not a column; columns are ${names.join(', ')}. Derive one with --target "name=expression", e.g. "delayed=delay > 15".`);
    const categorical = column.kind === 'categorical' || column.kind === 'text';
    return { name: text, sql: categorical ? 'NULL::double' : `${ident(text)}::double`, label: categorical ? `${ident(text)}::varchar` : `${ident(text)}::double::varchar`, categorical, uses: new Set([text]) };
  }
  const name = text.slice(0, eq).trim();
  const expr = parseExpression(text.slice(eq + 1), names);
  const numeric = new Set(columns.filter((c) => c.kind === 'integer' || c.kind === 'numeric' || c.kind === 'boolean').map((c) => c.name));
  const sql = `(${toSql(expr, numeric)})::double`;
  return { name, sql, label: `${sql}::varchar`, categorical: false, uses: columnsOf(expr) };
}

/** The target as class indices 0…K−1 of `classes` (labels not among them read as missing). */
export function classTarget(target: TargetSpec, classes: readonly string[]): TargetSpec {
  const cases = classes.map((c, i) => `when ${literal(c)} then ${i}`).join(' ');
  return { ...target, sql: `(case ${target.label} ${cases} end)::double` };
}

/** The distinct labels of the target in a Parquet file, sorted; at most MAX_CLASSES + 1 are read. */
export async function distinctLabels(connection: DuckDBConnection, path: string, target: TargetSpec): Promise<string[]> {
  const reader = await connection.runAndReadAll(`select distinct ${target.label} as l from read_parquet(${literal(path)}) where l is not null order by l limit ${MAX_CLASSES + 1}`);
  return (reader.getColumnsJS()[0] ?? []).map(String);
}

/** Decides the task and, for classification of labels, the classes; refuses targets nothing can be learnt from. */
export async function resolveTask(connection: DuckDBConnection, path: string, target: TargetSpec, requested: Task | undefined): Promise<{ task: Task | null; classes?: string[]; target: TargetSpec }> {
  if (!target.categorical && requested !== 'multiclass') return { task: requested ?? null, target };
  if (target.categorical && requested === 'regression') throw invalidArgument(`The target \`${target.name}\` holds categories; regression needs numbers. Use --task binary or multiclass, or a numeric target.`);
  const classes = await distinctLabels(connection, path, target);
  if (classes.length < 2) throw invalidArgument(`The target \`${target.name}\` has ${classes.length === 0 ? 'no values' : `a single class (${classes[0]})`}; a classifier needs at least two.`);
  if (classes.length > MAX_CLASSES) throw invalidArgument(`The target \`${target.name}\` has more than ${MAX_CLASSES} classes; group rare ones or predict a coarser target.`);
  const task: Task = requested ?? (classes.length === 2 ? 'binary' : 'multiclass');
  if (task === 'binary' && classes.length !== 2) throw invalidArgument(`The target \`${target.name}\` has ${classes.length} classes, not 2; use --task multiclass.`);
  return { task, classes, target: classTarget(target, classes) };
}

/** Default features: numbers as they are, categories as ordinal codes, datetimes as parts; the target's columns left out. */
export function autoFeatures(columns: readonly ColumnSchema[], exclude: ReadonlySet<string>): TransformSpec {
  const steps: TransformSpec['steps'][number][] = [];
  const features: string[] = [];
  for (const c of columns) {
    if (exclude.has(c.name)) continue;
    if (c.kind === 'integer' || c.kind === 'numeric' || c.kind === 'boolean') features.push(c.name);
    else if (c.kind === 'categorical') {
      steps.push({ op: 'ordinal', column: c.name });
      features.push(c.name);
    } else if (c.kind === 'datetime') {
      const parts = ['month', 'weekday', 'hour'] as const;
      steps.push({ op: 'dateparts', column: c.name, parts });
      features.push(...parts.map((p) => `${c.name}_${p}`));
    }
  }
  if (features.length === 0) throw invalidArgument('No usable features: every column is the target, text, or used by the target expression.');
  return { steps, features };
}

/** `binary` when every target value is 0 or 1, else `regression`. */
export function inferTask(target: Float64Array): Task {
  for (let i = 0; i < target.length; i++) if (target[i] !== 0 && target[i] !== 1) return 'regression';
  return 'binary';
}

function checkBinary(target: Float64Array, name: string): void {
  for (let i = 0; i < target.length; i++) {
    if (target[i] !== 0 && target[i] !== 1) throw invalidArgument(`A binary target must be 0 or 1; \`${name}\` is ${target[i]} in row ${i + 1}. Use --task regression or multiclass, or derive a 0/1 target ("name=expression").`);
  }
}

export async function readFeatures(connection: DuckDBConnection, path: string, fitted: FittedTransform, targetSql: string, extra?: string, extraType: 'varchar' | 'double' = 'varchar'): Promise<{ features: Float64Array[]; target: Float64Array; extra?: unknown[] }> {
  const EXTRA = '__orchard_extra';
  // Target and extra column are computed from the input as read, before any step replaces a column.
  const table = `(select *, ${targetSql} as ${ident(TARGET)}${extra === undefined ? '' : `, ${ident(extra)}::${extraType} as ${ident(EXTRA)}`} from read_parquet(${literal(path)}))`;
  const { ctes, last } = chainSql(fitted.steps, table);
  // `extra` (a column of the input) rides along, e.g. for slicing evaluation results.
  const extraSql = extra === undefined ? [] : [ident(EXTRA)];
  const sql = `${ctes} select ${[...fitted.features.map((f) => `${ident(f)}::double`), ...extraSql, ident(TARGET)].join(', ')} from ${last} where ${ident(TARGET)} is not null`;
  const reader = await connection.runAndReadAll(sql);
  const columns = reader.getColumnsJS() as (number | null)[][];
  const toArray = (col: (number | null)[]) => Float64Array.from(col, (v) => (v === null ? Number.NaN : v));
  const target = toArray(columns[columns.length - 1]!);
  if (target.length === 0) throw invalidArgument('The target is missing on every row; nothing to train on.');
  const features = columns.slice(0, fitted.features.length).map(toArray);
  return extra === undefined ? { features, target } : { features, target, extra: columns[fitted.features.length] as unknown[] };
}

export type { DatasetVersion };
