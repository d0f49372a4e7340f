import { availableParallelism } from 'node:os';
import { OrchardError, invalidArgument } from '../../core/errors.js';
import { loadModule } from '../../core/load-module.js';
import type { Progress } from '../../data/dataset-service.js';
import { literal } from '../../data/duckdb-engine.js';
import type { TransformSpec } from '../../data/transform.js';
import { fitTransform } from '../../data/transform-fitter.js';
import type { Actor } from '../../tracking/tracking-service.js';
import { learner, parseParams } from '../learner.js';
import type { ModelArtifact } from '../model-artifact.js';
import { autoFeatures, inferTask, parseTarget, readFeatures, type TrainDeps } from '../train-service.js';
import { halvingSchedule, type HalvingSchedule } from './halving.js';
import { leaderboard, rankTrials, type TrialRecord } from './leaderboard.js';
import { METRIC_NAMES, objectiveFor, type Objective } from './objective.js';
import { refitBest } from './refit.js';
import { bestTrial, runSearch } from './search-runner.js';
import { candidates as drawCandidates, parseSearchSpace, type ParamValue } from './search-space.js';
import { shareFeatures } from './shared-features.js';
import { startTrialPool } from './trial-pool.js';

/** Successive halving settings (scikit-learn's names); absent means a plain search. */
export interface HalvingInput {
  /** Default 3. */
  readonly factor?: number;
  /** `rows` (default: training rows, scikit-learn's `n_samples`) or an integer learner parameter such as gbdt's `max_iter`. */
  readonly resource?: string;
  /** Default `exhaust`; `smallest` is 10 rows per class (scikit-learn's 2 × 5 folds × classes), or 1 for a parameter. */
  readonly minResources?: number | 'exhaust' | 'smallest';
  /** Default: every training row, or the resource parameter's value in `params` (or its default). */
  readonly maxResources?: number;
  readonly aggressiveElimination?: boolean;
}

export interface TuneInput {
  /** The training dataset version, e.g. flights-train@1. */
  readonly data: string;
  /** A column, or `name=expression` (as for training). */
  readonly target: string;
  readonly learner: string;
  /** Fixed learner parameters every trial starts from. */
  readonly params?: Readonly<Record<string, unknown>>;
  /** `name=v1,v2,…` texts: a grid. */
  readonly grid?: readonly string[];
  /** `name=uniform:a:b | loguniform:a:b | int:a:b | choice:x,y` texts: drawn at random. */
  readonly random?: readonly string[];
  /** Candidates to draw; without it, a grid is searched whole. */
  readonly trials?: number;
  readonly halving?: HalvingInput;
  /** A validation dataset version; default: a seeded held-out share of the training version. */
  readonly valid?: string;
  /** Share of the training rows held out when `valid` is absent; default 0.2. */
  readonly validFraction?: number;
  /** Metric to optimise; default auc (binary) or rmse (regression). */
  readonly metric?: string;
  /** Seeds the candidates drawn and the rows held out or subsampled; default 0. */
  readonly seed?: number;
  /** Worker threads; default: the machine's cores. */
  readonly workers?: number;
  readonly features?: TransformSpec;
  /** Modules that register custom learners, loaded here and in every worker. */
  readonly plugins?: readonly string[];
  readonly experiment?: string;
  readonly runName?: string;
}

export interface TuneResult {
  /** The tuning (parent) run. */
  readonly runId: string;
  readonly objective: Objective;
  readonly best: TrialRecord;
  /** Every learner parameter of the refitted model. */
  readonly bestParams: Readonly<Record<string, ParamValue>>;
  readonly schedule?: HalvingSchedule;
  /** Every trial, best first (later rungs first, failures last). */
  readonly trials: readonly TrialRecord[];
  readonly artifact: ModelArtifact;
  readonly digest: string;
  readonly metrics: Record<string, number>;
}


/**
 * Hyper-parameter search as a tracked run: candidates from a grid or random
 * space, run on worker threads over shared features (optionally by successive
 * halving), each a child run; the best refitted on the whole training version
 * and stored as the run's model, in `orchard train`'s format.
 */
export class TuneService {
  readonly #deps: TrainDeps;

  constructor(deps: TrainDeps) {
    this.#deps = deps;
  }

  async tune(actor: Actor, input: TuneInput, progress: Progress = () => {}): Promise<TuneResult> {
    const { datasets, tracking, engine, artifacts } = this.#deps;
    // Everything that can be checked without data is checked before a run exists.
    const plugins = input.plugins ?? [];
    for (const file of plugins) await loadModule(file);
    const l = learner(input.learner);
    const base = parseParams(l.name, l.defaults, input.params ?? {});
    const space = parseSearchSpace(l.name, l.defaults, input.grid ?? [], input.random ?? []);
    const seed = input.seed ?? 0;
    if (!Number.isInteger(seed) || seed < 0) throw invalidArgument(`The seed must be a whole number ≥ 0, got ${seed}.`);
    const candidates = drawCandidates(space, input.trials, seed);
    if (input.metric !== undefined && !METRIC_NAMES.includes(input.metric)) throw invalidArgument(`Unknown metric '${input.metric}'; choose one of ${METRIC_NAMES.join(', ')}.`);
    const validFraction = input.validFraction ?? 0.2;
    if (input.valid !== undefined && input.validFraction !== undefined) throw invalidArgument('Give a validation dataset version or a validation fraction, not both.');
    if (!(validFraction > 0 && validFraction < 1)) throw invalidArgument(`The validation fraction must be between 0 and 1 (exclusive), got ${validFraction}.`);
    const workers = input.workers ?? availableParallelism();
    if (!Number.isInteger(workers) || workers < 1) throw invalidArgument(`The number of workers must be a whole number ≥ 1, got ${workers}.`);
    const resource = checkResource(l.name, l.defaults, base, space.dimensions.map((d) => d.name), input.halving);
    const version = await datasets.resolve(input.data);
    const ref = `${version.name}@${version.version}`;
    const target = parseTarget(input.target, version.columns);
    const validVersion = input.valid === undefined ? undefined : await datasets.resolve(input.valid);
    const validRef = validVersion ? `${validVersion.name}@${validVersion.version}` : undefined;
    const spec = input.features ?? autoFeatures(version.columns, target.uses);
    const searched = space.dimensions.map((d) => d.name);

    const experiment = await tracking.ensureExperiment(actor, input.experiment ?? 'tune');
    const run = await tracking.createRun(actor, { experimentId: experiment.experimentId, runName: input.runName ?? `tune ${l.name} on ${ref}`, tags: [{ key: 'orchard.kind', value: 'tune' }] });
    const runId = run.info.runId;
    try {
      const h = input.halving;
      await tracking.logBatch(actor, runId, {
        params: [
          { key: 'learner', value: l.name },
          { key: 'data', value: ref },
          { key: 'target', value: input.target },
          validRef ? { key: 'valid', value: validRef } : { key: 'valid_fraction', value: String(validFraction) },
          { key: 'search', value: `${space.random ? 'random' : 'grid'}${h ? ' with successive halving' : ''}` },
          { key: 'search_space', value: [...(input.grid ?? []).map((g) => `grid ${g}`), ...(input.random ?? []).map((r) => `random ${r}`)].join('; ').slice(0, 6000) },
          { key: 'search_candidates', value: String(candidates.length) },
          { key: 'search_seed', value: String(seed) },
          ...(h ? [{ key: 'halving_factor', value: String(h.factor ?? 3) }, { key: 'halving_resource', value: resource }] : []),
          // The fixed learner parameters; searched ones are logged as best_<name> once known.
          ...Object.entries(base)
            .filter(([key]) => !searched.includes(key) && !(h && key === resource))
            .map(([key, value]) => ({ key, value: String(value) })),
        ],
        tags: [{ key: 'orchard.workers', value: String(workers) }],
      });
      progress(`fitting ${spec.steps.length} feature transform step(s) on ${ref}`);
      const trainPath = await datasets.parquetPath(version);
      const fitted = await engine.withConnection((c) => fitTransform(c, `read_parquet(${literal(trainPath)})`, spec, ref));
      progress('reading features');
      const train = await engine.withConnection((c) => readFeatures(c, trainPath, fitted, target.sql));
      const validData = validVersion ? await engine.withConnection(async (c) => readFeatures(c, await datasets.parquetPath(validVersion), fitted, target.sql)) : undefined;
      const task = inferTask(train.target);
      if (!l.tasks.includes(task)) throw invalidArgument(`Learner ${l.name} does not do ${task}; it does ${l.tasks.join(', ')}.`);
      const objective = objectiveFor(task, input.metric);
      const shared = shareFeatures(train, validData ?? { validFraction }, seed);
      const schedule = h ? planHalving(h, resource, base, candidates.length, shared.trainRows, task === 'binary' ? 2 : 1) : undefined;
      await tracking.logBatch(actor, runId, {
        params: [
          { key: 'search_metric', value: objective.metric },
          ...(schedule ? [{ key: 'halving_min_resources', value: String(schedule.minResources) }, { key: 'halving_max_resources', value: String(schedule.maxResources) }] : []),
        ],
      });
      const size = Math.min(workers, candidates.length);
      progress(`searching ${candidates.length} candidate(s) of ${l.name} (${task}, ${objective.metric}, ${objective.direction}) on ${size} worker thread(s): ${shared.trainRows.toLocaleString('en-US')} training and ${shared.validRows.toLocaleString('en-US')} validation rows`);
      const pool = await startTrialPool({ learner: l.name, task, plugins: plugins.map(String), featureNames: fitted.features, shared }, size);
      let records: TrialRecord[];
      try {
        records = await runSearch(tracking, actor, pool, { candidates, base, resource, schedule, trainRows: shared.trainRows, objective, experimentId: experiment.experimentId, parentRunId: runId }, progress);
      } finally {
        await pool.close();
      }
      const best = bestTrial(records, objective);
      const failed = records.filter((r) => r.status === 'FAILED');
      if (!best) {
        if (failed.length === records.length) throw new OrchardError('INVALID_ARGUMENT', `All ${records.length} trials of ${l.name} failed; the first failed with: ${failed[0]!.error}`, { details: { runId, errors: [...new Set(failed.map((f) => f.error))].slice(0, 5) } });
        throw invalidArgument(`No trial has a ${objective.metric} on the validation rows (${shared.validRows} rows; is only one class present?); give a larger validation set or another --metric.`);
      }
      const bestParams = { ...base, ...best.params };
      const ranked = rankTrials(records, objective);
      const root = await artifacts.runRoot(runId);
      await artifacts.upload(actor, `${root}/leaderboard.json`, Buffer.from(JSON.stringify(leaderboard(ranked, objective, resource, schedule, best, bestParams), null, 2)));
      progress(`refitting trial ${best.trial} (${objective.metric} ${best.value.toPrecision(5)}) on all ${shared.datasetRows.toLocaleString('en-US')} rows of ${ref}`);
      const model = await refitBest(this.#deps, actor, { runId, learner: l, task, params: bestParams, fitted, columns: version.columns, target: target.name, targetText: input.target, dataset: ref, validRef, shared });
      const metrics: Record<string, number> = { [`best_${objective.metric}`]: best.value, trials: records.length, failed_trials: failed.length, ...model.metrics };
      await tracking.logBatch(actor, runId, {
        params: Object.entries(best.params).map(([key, value]) => ({ key: `best_${key}`, value: String(value) })),
        metrics: Object.entries(metrics).filter(([, v]) => Number.isFinite(v)).map(([key, value]) => ({ key, value })),
        tags: [
          { key: 'orchard.best_run', value: best.runId },
          { key: 'orchard.model', value: model.digest },
          { key: 'orchard.task', value: task },
        ],
      });
      await tracking.updateRun(actor, runId, { status: 'FINISHED' });
      return { runId, objective, best, bestParams, schedule, trials: ranked, artifact: model.artifact, digest: model.digest, metrics };
    } catch (error) {
      await tracking.logBatch(actor, runId, { tags: [{ key: 'orchard.error', value: String((error as Error)?.message ?? error).slice(0, 8000) }] }).catch(() => {});
      await tracking.updateRun(actor, runId, { status: 'FAILED' }).catch(() => {});
      throw error;
    }
  }
}

/**
 * Checks the halving settings and returns the resource: `rows`, or a learner
 * parameter taking whole numbers that is not itself searched (scikit-learn's
 * rule). `rows` also when not halving.
 */
function checkResource(learnerName: string, defaults: Readonly<Record<string, ParamValue>>, base: Readonly<Record<string, ParamValue>>, searched: readonly string[], halving: HalvingInput | undefined): string {
  if (halving) {
    const { factor, minResources: min, maxResources: max } = halving;
    if (factor !== undefined && !(factor > 1 && Number.isFinite(factor))) throw invalidArgument(`The halving factor must be a number > 1, got ${factor}; 3 keeps a third of the candidates at each rung.`);
    if (min !== undefined && min !== 'exhaust' && min !== 'smallest' && !(Number.isInteger(min) && min >= 1)) throw invalidArgument(`The minimum resource must be a whole number ≥ 1, exhaust or smallest, got ${String(min)}.`);
    if (max !== undefined && !(Number.isInteger(max) && max >= 1)) throw invalidArgument(`The maximum resource must be a whole number ≥ 1, got ${max}.`);
  }
  const resource = halving?.resource ?? 'rows';
  if (resource === 'rows') return resource;
  if (!(resource in defaults)) throw invalidArgument(`The halving resource '${resource}' is neither rows nor a parameter of ${learnerName}; its parameters are ${Object.keys(defaults).join(', ')}.`);
  if (searched.includes(resource)) throw invalidArgument(`The halving resource ${resource} is also searched; halving sets it per rung, so drop it from --grid/--random.`);
  const value = halving?.maxResources ?? base[resource];
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) throw invalidArgument(`The halving resource ${resource} needs a whole-number maximum ≥ 1, got ${String(value)}; give --max-resources N.`);
  return resource;
}

function planHalving(h: HalvingInput, resource: string, base: Readonly<Record<string, ParamValue>>, n: number, trainRows: number, classes: number): HalvingSchedule {
  const rows = resource === 'rows';
  const maxResources = h.maxResources ?? (rows ? trainRows : (base[resource] as number));
  if (rows && maxResources > trainRows) throw invalidArgument(`The maximum resource ${maxResources} is more than the ${trainRows} training rows; lower it or leave it out.`);
  // scikit-learn's 'smallest' for 5-fold CV: 2 × 5 × classes rows (20 for binary), or 1 unit of a parameter.
  const smallest = rows ? Math.min(10 * classes, maxResources) : 1;
  const minResources = h.minResources === 'smallest' ? smallest : h.minResources;
  return halvingSchedule(n, { factor: h.factor, minResources, maxResources, smallest, aggressiveElimination: h.aggressiveElimination });
}
