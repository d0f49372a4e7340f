import type { Command } from 'commander';
import { invalidArgument } from '../../core/errors.js';
import { loadLearnerPlugins } from '../../learn/learner-plugins.js';
import { BatchScoringService, DEFAULT_CHUNK_ROWS } from '../../serving/batch-scoring.js';
import { json } from '../format.js';
import { withContext } from '../main.js';
import { rowsProgress } from '../progress.js';

export function registerPredictCommand(program: Command): void {
  program
    .command('predict')
    .description('Batch scoring: predict every row of a dataset version or file with a model, chunk by chunk, as a tracked run')
    .argument('[model]', 'the model: flights@champion, flights@3, or a training run id (or give --model-file)')
    .requiredOption('-i, --input <input>', 'dataset version (flights@3, dataset:flights@latest) or file (CSV, Parquet, JSON)')
    .requiredOption('-o, --output <output>', 'a .parquet or .csv file, or dataset:<name> for a new dataset version')
    .option('--model-file <file>', 'an ONNX model file to score with, instead of a model reference')
    .option('--columns <names>', 'input columns to keep beside the predictions, comma-separated (default all)')
    .option('--chunk-rows <n>', `rows predicted at a time when predictions are streamed (multiclass and ONNX models; default ${DEFAULT_CHUNK_ROWS})`)
    .option('--threads <n>', 'worker threads predicting streamed chunks; 0 predicts on the calling thread (default: binary and regression models inside the output query, others on up to 2 threads for large inputs)')
    .option('--plugin <file...>', 'learner plugin module(s) the model needs, e.g. ./my-learner.ts')
    .option('--force', 'overwrite the output file if it exists')
    .option('--json', 'print JSON')
    .action(
      withContext(async (ctx, model: string | undefined, opts: { input: string; output: string; modelFile?: string; columns?: string; chunkRows?: string; threads?: string; plugin?: string[]; force?: boolean; json?: boolean }) => {
        const chunkRows = opts.chunkRows === undefined ? undefined : Number(opts.chunkRows);
        if (chunkRows !== undefined && !Number.isInteger(chunkRows)) throw invalidArgument(`--chunk-rows must be a whole number of rows, got '${opts.chunkRows}'.`);
        const threads = opts.threads === undefined ? undefined : Number(opts.threads);
        if (threads !== undefined && !(Number.isInteger(threads) && opts.threads!.trim() !== '')) throw invalidArgument(`--threads must be a whole number of worker threads (0 for none), got '${opts.threads}'.`);
        if (model === undefined && opts.modelFile === undefined) throw invalidArgument('Name the model to score with: orchard predict flights@champion --input … --output …, or --model-file model.onnx.');
        if (model !== undefined && opts.modelFile !== undefined) throw invalidArgument(`Give the model once: '${model}' or --model-file ${opts.modelFile}, not both.`);
        const columns = opts.columns === undefined ? undefined : opts.columns.split(',').map((c) => c.trim()).filter((c) => c !== '');
        await loadLearnerPlugins(opts.plugin ?? []);
        const platform = await ctx.platform();
        const bar = rowsProgress('scoring');
        const result = await new BatchScoringService(platform)
          .predict(
            { name: `local:${ctx.config.user}` },
            { model, modelFile: opts.modelFile, input: opts.input, output: opts.output, columns, chunkRows, threads, force: opts.force === true, cwd: process.cwd() },
            (p) => bar.update(p),
          )
          .finally(() => bar.done());
        if (opts.json) return ctx.out(json(result));
        const where = result.output.kind === 'file' ? result.output.path : `dataset ${result.output.version.name}@${result.output.version.version}`;
        ctx.out(`Scored ${result.rows.toLocaleString('en-US')} rows of ${result.input} with ${result.model.resolved} in ${result.seconds.toFixed(1)} s (${Math.round(result.rowsPerSecond).toLocaleString('en-US')} rows/s): ${where}, run ${result.runId}.`);
        ctx.out(`  columns: ${result.columns.join(', ')}`);
      }),
    );
}
