import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { invalidArgument } from '../../core/errors.js';
import { parseTransformSpec } from '../../data/transform.js';
import { learnerNames } from '../../learn/learner.js';
import { json, num, table } from '../format.js';
import { withContext } from '../main.js';
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
        const params: Record<string, string> = {};
        for (const p of opts.param ?? []) {
          const eq = p.indexOf('=');
          if (eq <= 0) throw invalidArgument(`--param '${p}' is not key=value, e.g. --param max_iter=200.`);
          params[p.slice(0, eq)] = p.slice(eq + 1);
        }
        let features;
        if (opts.features) {
          const path = resolve(opts.features);
          try {
            features = parseTransformSpec(JSON.parse(readFileSync(path, 'utf8')), path);
          } catch (error) {
            if ((error as { code?: string }).code === 'INVALID_ARGUMENT') throw error;
            throw invalidArgument(`Feature spec ${path} cannot be read as JSON (${(error as Error).message}).`);
          }
        }
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
