import { availableParallelism } from 'node:os';
import type { Command } from 'commander';
import { invalidArgument } from '../../core/errors.js';
import { learnerNames } from '../../learn/learner.js';
import type { TrialRecord } from '../../learn/tune/leaderboard.js';
import { RANDOM_FORMS } from '../../learn/tune/search-space.js';
import type { HalvingInput, TuneResult } from '../../learn/tune/tune-service.js';
import { json, num, table } from '../format.js';
import { withContext } from '../main.js';
import { collect, parseKeyValues, readFeatureSpec, wholeNumber } from '../options.js';
import { stageReporter } from '../progress.js';

interface TuneOptions {
  data: string;
  target: string;
  learner: string;
  param?: string[];
  grid: string[];
  random: string[];
  trials?: string;
  halving?: boolean;
  factor?: string;
  resource?: string;
  minResources?: string;
  maxResources?: string;
  aggressiveElimination?: boolean;
  valid?: string;
  validFraction?: string;
  metric?: string;
  seed: string;
  workers?: string;
  features?: string;
  plugin: string[];
  experiment: string;
  json?: boolean;
}

const SHOWN = 20;

export function registerTuneCommand(program: Command): void {
  program
    .command('tune')
    .description('Search hyper-parameters as a tracked run: trials on worker threads as child runs, optionally by successive halving; the best model refitted')
    .requiredOption('-d, --data <dataset>', 'training dataset version, e.g. flights-train@1')
    .requiredOption('-t, --target <target>', 'target column, or name=expression, e.g. "delayed=delay > 15"')
    .option('-l, --learner <name>', `learner (${learnerNames().join(', ')}, or one a --plugin registers)`, 'gbdt')
    .option('-p, --param <key=value...>', 'fixed learner parameters every trial starts from')
    .option('--grid <name=values>', 'grid values, e.g. max_depth=4,6,8 (repeat for more parameters)', collect, [])
    .option('--random <name=distribution>', `a distribution to draw from: ${RANDOM_FORMS} (repeatable)`, collect, [])
    .option('--trials <n>', 'candidates to draw (needed with --random; with only --grid, a sample of the grid)')
    .option('--halving', 'successive halving (as scikit-learn’s HalvingGridSearchCV) instead of a full search')
    .option('--factor <n>', 'halving: keep 1/factor of the candidates per rung (default 3)')
    .option('--resource <name>', 'halving: rows (default) or an integer learner parameter, e.g. max_iter')
    .option('--min-resources <n>', "halving: first rung's resource: a number, exhaust (default) or smallest")
    .option('--max-resources <n>', 'halving: the most a candidate may get (default: all training rows, or the parameter’s value)')
    .option('--aggressive-elimination', 'halving: repeat the first rung until few enough candidates remain')
    .option('--valid <dataset>', 'validation dataset version (default: hold out a share of --data)')
    .option('--valid-fraction <x>', 'share of --data held out for validation (default 0.2)')
    .option('--metric <name>', 'metric to optimise (default auc for a binary target, rmse for a number)')
    .option('--seed <n>', 'seeds the candidates drawn and the rows held out or subsampled', '0')
    .option('--workers <n>', `worker threads (default: the ${availableParallelism()} cores)`)
    .option('--features <file>', 'feature transform spec JSON (default: numbers, ordinal categories, date parts)')
    .option('--plugin <file>', 'a module registering a custom learner, loaded here and in every worker (repeatable)', collect, [])
    .option('-e, --experiment <name>', 'experiment for the tuning run and its trials', 'tune')
    .option('--json', 'print JSON')
    .action(
      withContext(async (ctx, opts: TuneOptions) => {
        const halvingOnly = (['factor', 'resource', 'minResources', 'maxResources', 'aggressiveElimination'] as const).filter((k) => opts[k] !== undefined);
        if (!opts.halving && halvingOnly.length > 0) throw invalidArgument(`${halvingOnly.map((k) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`).join(', ')} applies to successive halving; add --halving.`);
        if (opts.valid !== undefined && opts.validFraction !== undefined) throw invalidArgument('Give --valid or --valid-fraction, not both.');
        let halving: HalvingInput | undefined;
        if (opts.halving) {
          const min = opts.minResources;
          halving = {
            factor: opts.factor === undefined ? undefined : Number(opts.factor),
            resource: opts.resource,
            minResources: min === undefined || min === 'exhaust' || min === 'smallest' ? min : wholeNumber('--min-resources', min, 1),
            maxResources: wholeNumber('--max-resources', opts.maxResources, 1),
            aggressiveElimination: opts.aggressiveElimination,
          };
        }
        const platform = await ctx.platform();
        const result = await platform.tuning.tune(
          { name: `local:${ctx.config.user}` },
          {
            data: opts.data,
            target: opts.target,
            learner: opts.learner,
            params: parseKeyValues('--param', opts.param),
            grid: opts.grid,
            random: opts.random,
            trials: wholeNumber('--trials', opts.trials, 1),
            halving,
            valid: opts.valid,
            validFraction: opts.validFraction === undefined ? undefined : Number(opts.validFraction),
            metric: opts.metric,
            seed: wholeNumber('--seed', opts.seed, 0),
            workers: wholeNumber('--workers', opts.workers, 1),
            features: opts.features ? readFeatureSpec(opts.features) : undefined,
            plugins: opts.plugin,
            experiment: opts.experiment,
          },
          stageReporter(),
        );
        if (opts.json) return ctx.out(json(jsonResult(result)));
        const { best, objective } = result;
        ctx.out(`Tuned ${result.artifact.learner} on ${result.artifact.training.dataset}: run ${result.runId}, ${result.trials.length} trials`);
        ctx.out(`Best: trial ${best.trial} (run ${best.runId}), ${objective.metric} ${num(best.value)} (${objective.direction}d); model ${result.digest.slice(0, 19)}… refitted on ${result.artifact.training.rows.toLocaleString('en-US')} rows`);
        ctx.out('');
        ctx.out(leaderboardTable(result.trials.slice(0, SHOWN), objective.metric));
        if (result.trials.length > SHOWN) ctx.out(`… ${result.trials.length - SHOWN} more in the run's leaderboard.json`);
      }),
    );
}

function leaderboardTable(trials: readonly TrialRecord[], metric: string): string {
  return table(
    ['RANK', 'TRIAL', 'RUNG', 'RESOURCE', metric.toUpperCase(), 'STATUS', 'PARAMS'],
    trials.map((t, i) => [
      String(i + 1),
      String(t.trial),
      String(t.rung),
      t.resource.toLocaleString('en-US'),
      Number.isNaN(t.value) ? '-' : num(t.value),
      t.status,
      Object.entries(t.params)
        .map(([k, v]) => `${k}=${typeof v === 'number' ? num(v) : String(v)}`)
        .join(' ') + (t.error ? `  (${t.error.split('\n')[0]!.slice(0, 80)})` : ''),
    ]),
  );
}

function jsonResult(r: TuneResult) {
  return {
    runId: r.runId,
    metric: r.objective.metric,
    direction: r.objective.direction,
    best: { trial: r.best.trial, runId: r.best.runId, value: r.best.value, params: r.best.params },
    bestParams: r.bestParams,
    schedule: r.schedule ? { resources: r.schedule.resources, candidates: r.schedule.candidates, factor: r.schedule.factor } : null,
    model: r.digest,
    metrics: r.metrics,
    trials: r.trials.map((t, i) => ({ rank: i + 1, trial: t.trial, runId: t.runId, rung: t.rung, resource: t.resource, status: t.status, value: Number.isNaN(t.value) ? null : t.value, params: t.params, ...(t.error ? { error: t.error } : {}) })),
  };
}
