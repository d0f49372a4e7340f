import type { Command } from 'commander';
import { invalidArgument } from '../../core/errors.js';
import { learnerNames } from '../../learn/learner.js';
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
    .option('-l, --learner <name>', `learner (${learnerNames().join(', ')})`, 'gbdt')
    .option('-p, --param <key=value...>', 'learner parameters, e.g. max_iter=200 learning_rate=0.05')
    .option('--test <dataset>', 'evaluation dataset version')
    .option('--features <file>', 'feature transform spec JSON (default: numbers, ordinal categories, date parts)')
    .option('-e, --experiment <name>', 'experiment for the run', 'train')
    .option('--json', 'print JSON')
    .action(
      withContext(async (ctx, opts: { data: string; target: string; learner: string; param?: string[]; test?: string; features?: string; experiment: string; json?: boolean }) => {
        const params = parseKeyValues('--param', opts.param);
        const features = opts.features ? readFeatureSpec(opts.features) : undefined;
        const platform = await ctx.platform();
        const result = await platform.training.train(
          { name: `local:${ctx.config.user}` },
          { data: opts.data, target: opts.target, learner: opts.learner, params, test: opts.test, features, experiment: opts.experiment },
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
    .option('--against <run-id>', "another training run's model: the metric difference with a bootstrap 95% interval")
    .option('--rounds <n>', 'bootstrap rounds', '200')
    .option('--json', 'print JSON')
    .action(
      withContext(async (ctx, opts: { model: string; data: string; sliceBy?: string; against?: string; rounds: string; json?: boolean }) => {
        const rounds = Number(opts.rounds);
        if (!Number.isInteger(rounds) || rounds < 10) throw invalidArgument(`--rounds must be a whole number ≥ 10, got '${opts.rounds}'.`);
        const platform = await ctx.platform();
        const r = await platform.evaluation.evaluate({ name: `local:${ctx.config.user}` }, { model: opts.model, data: opts.data, sliceBy: opts.sliceBy, against: opts.against, rounds });
        if (opts.json) return ctx.out(json(r));
        ctx.out(`Evaluated on ${r.dataset} (${r.rows.toLocaleString('en-US')} rows), run ${r.runId}:`);
        ctx.out(table(['METRIC', 'VALUE'], Object.entries(r.metrics).map(([k, v]) => [k, num(v)])));
        if (r.slices) {
          const keys = Object.keys(r.slices.items[0]?.metrics ?? {}).slice(0, 4);
          ctx.out(`\nby ${r.slices.column}:`);
          ctx.out(table(['VALUE', 'ROWS', ...keys.map((k) => k.toUpperCase())], r.slices.items.map((i) => [i.value, i.rows.toLocaleString('en-US'), ...keys.map((k) => num(i.metrics[k]!))])));
        }
        if (r.comparison) {
          const c = r.comparison;
          ctx.out(`\n${c.metric} difference against ${c.against}: ${num(c.difference)} (95% interval ${num(c.low)} to ${num(c.high)}, ${c.rounds} bootstrap rounds)`);
        }
      }),
    );
}
