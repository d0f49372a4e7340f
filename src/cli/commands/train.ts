import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { invalidArgument } from '../../core/errors.js';
import { learnerNames } from '../../learn/learner.js';
import { loadLearnerPlugins } from '../../learn/learner-plugins.js';
import { parseBins } from '../../learn/numeric-slices.js';
import { json, num, table } from '../format.js';
import { withContext } from '../main.js';
import { parseKeyValues, readFeatureSpec } from '../options.js';
import { stageReporter } from '../progress.js';

export function registerTrainCommand(program: Command): void {
  program
    .command('train')
    .description('Train a model on a dataset version as a tracked run: features, fit, evaluation, model artifact')
    .requiredOption('-d, --data <dataset>', 'training dataset version, e.g. flights-train@1')
    .requiredOption('-t, --target <target>', 'target column, or name=expression, e.g. "delayed=delay > 15"')
    .option('-l, --learner <name>', `learner (${learnerNames().join(', ')}, or one a plugin registers)`, 'gbdt')
    .option('--plugin <file...>', 'learner plugin module(s) to load first (.ts or .js), e.g. ./my-learner.ts')
    .option('-p, --param <key=value...>', 'learner parameters, e.g. max_iter=200 learning_rate=0.05')
    .option('--test <dataset>', 'evaluation dataset version')
    .option('--features <file>', 'feature transform spec JSON (default: numbers, ordinal categories, date parts)')
    .option('-e, --experiment <name>', 'experiment for the run', 'train')
    .option('--task <task>', 'binary, multiclass or regression (default: inferred from the target)')
    .option('--json', 'print JSON')
    .action(
      withContext(async (ctx, opts: { data: string; target: string; learner: string; plugin?: string[]; param?: string[]; test?: string; features?: string; experiment: string; task?: string; json?: boolean }) => {
        const tasks = ['binary', 'multiclass', 'regression'] as const;
        if (opts.task !== undefined && !(tasks as readonly string[]).includes(opts.task)) throw invalidArgument(`--task must be one of ${tasks.join(', ')}, got '${opts.task}'.`);
        const task = opts.task as (typeof tasks)[number] | undefined;
        const params = parseKeyValues('--param', opts.param);
        const features = opts.features ? readFeatureSpec(opts.features) : undefined;
        await loadLearnerPlugins(opts.plugin ?? []);
        const platform = await ctx.platform();
        const result = await platform.training.train(
          { name: `local:${ctx.config.user}` },
          { data: opts.data, target: opts.target, learner: opts.learner, params, test: opts.test, features, experiment: opts.experiment, ...(task ? { task } : {}) },
          stageReporter(),
        );
        if (opts.json) return ctx.out(json({ runId: result.runId, model: result.digest, metrics: result.metrics }));
        ctx.out(`Trained ${result.artifact.learner} (${result.artifact.task}) on ${result.artifact.training.dataset}: run ${result.runId}, model ${result.digest.slice(0, 19)}…`);
        ctx.out(table(['METRIC', 'VALUE'], Object.entries(result.metrics).map(([k, v]) => [k, num(v)])));
      }),
    );
}

export function registerEvaluateCommand(program: Command): void {
  program
    .command('evaluate')
    .description('Evaluate a trained model on a dataset version as a tracked run: metrics, per slice, and against another model')
    .requiredOption('-m, --model <run-id>', 'the training run whose model to evaluate')
    .requiredOption('-d, --data <dataset>', 'evaluation dataset version')
    .option('--slice-by <column>', 'metrics per value of this column (quartile ranges for many-valued numbers)')
    .addOption(new Option('--slice <column>', 'the same as --slice-by').hideHelp())
    .option('--bins <edges>', 'slice the numeric --slice-by column into ranges [lo, hi) at these edges, e.g. 0,500,1000,inf')
    .option('--quantiles <n>', 'slice the numeric --slice-by column into n quantile ranges, e.g. 4')
    .option('--plugin <file...>', 'learner plugin module(s) the model needs, e.g. ./my-learner.ts')
    .option('--against <run-id>', "another training run's model: the metric difference with a bootstrap 95% interval")
    .option('--compare-on <metric>', 'the metric of --against: auc (binary default), log_loss, brier, average_precision, accuracy; rmse (regression default), mae, r2')
    .option('--rounds <n>', 'bootstrap rounds', '200')
    .option('--json', 'print JSON')
    .action(
      withContext(async (ctx, opts: { model: string; data: string; sliceBy?: string; slice?: string; bins?: string; quantiles?: string; plugin?: string[]; against?: string; compareOn?: string; rounds: string; json?: boolean }) => {
        const rounds = Number(opts.rounds);
        if (!Number.isInteger(rounds) || rounds < 10) throw invalidArgument(`--rounds must be a whole number ≥ 10, got '${opts.rounds}'.`);
        if (opts.slice !== undefined && opts.sliceBy !== undefined && opts.slice !== opts.sliceBy) throw invalidArgument(`--slice '${opts.slice}' and --slice-by '${opts.sliceBy}' disagree; give one of them.`);
        const sliceBy = opts.sliceBy ?? opts.slice;
        const bins = opts.bins === undefined ? undefined : parseBins(opts.bins);
        const quantiles = opts.quantiles === undefined ? undefined : Number(opts.quantiles);
        if (quantiles !== undefined && !Number.isInteger(quantiles)) throw invalidArgument(`--quantiles must be a whole number from 2 to 100, got '${opts.quantiles}'.`);
        await loadLearnerPlugins(opts.plugin ?? []);
        const platform = await ctx.platform();
        const r = await platform.evaluation.evaluate({ name: `local:${ctx.config.user}` }, { model: opts.model, data: opts.data, sliceBy, bins, quantiles, against: opts.against, compareOn: opts.compareOn, rounds });
        if (opts.json) return ctx.out(json(r));
        ctx.out(`Evaluated on ${r.dataset} (${r.rows.toLocaleString('en-US')} rows), run ${r.runId}:`);
        ctx.out(table(['METRIC', 'VALUE'], Object.entries(r.metrics).map(([k, v]) => [k, num(v)])));
        if (r.slices) {
          // An empty range has no metrics: take the columns from the first slice with rows.
          const keys = Object.keys(r.slices.items.find((i) => i.rows > 0)?.metrics ?? {}).slice(0, 4);
          ctx.out(`\nby ${r.slices.column}:`);
          ctx.out(table(['VALUE', 'ROWS', ...keys.map((k) => k.toUpperCase())], r.slices.items.map((i) => [i.value, i.rows.toLocaleString('en-US'), ...keys.map((k) => (i.metrics[k] === undefined ? '-' : num(i.metrics[k])))])));
        }
        if (r.comparison) {
          const c = r.comparison;
          ctx.out(`\n${c.metric} difference against ${c.against}: ${num(c.difference)} (95% interval ${num(c.low)} to ${num(c.high)}, ${c.rounds} bootstrap rounds)`);
        }
      }),
    );
}
