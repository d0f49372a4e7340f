import { existsSync, readFileSync } from 'node:fs';
import { link, rename, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { OrchardError, alreadyExists, invalidArgument } from '../../core/errors.js';
import { json } from '../format.js';
import { withContext } from '../main.js';

const FORMATS = ['onnx'];

export function registerExportCommand(program: Command): void {
  program
    .command('export')
    .description("Export a training run's model to a portable format (ONNX)")
    .argument('<run-id>', 'the training run whose model to export')
    .option('-f, --format <format>', `format (${FORMATS.join(', ')})`, 'onnx')
    .requiredOption('-o, --output <file>', 'file to write, e.g. model.onnx')
    .option('--force', 'overwrite the output file if it exists')
    .option('--json', 'print JSON')
    .action(
      withContext(async (ctx, runId: string, opts: { format: string; output: string; force?: boolean; json?: boolean }) => {
        if (!FORMATS.includes(opts.format)) throw invalidArgument(`Unknown export format '${opts.format}'; formats are ${FORMATS.join(', ')}.`);
        const path = resolve(opts.output);
        // Checked before any work; the write below is atomic and refuses a file created meanwhile.
        if (!opts.force && existsSync(path)) throw alreadyExists(`${path} already exists; pass --force to overwrite it, or choose another --output.`, { path });
        const platform = await ctx.platform();
        const { artifact } = await platform.evaluation.artifactOfRun(runId);
        // The exporter (and its protobuf code) loads only for this command.
        const { exportOnnx } = await import('../../learn/onnx/export-onnx.js');
        const model = exportOnnx(artifact, { producerVersion: orchardVersion() });
        await writeAtomically(path, model.bytes, opts.force === true);
        if (opts.json) {
          return ctx.out(json({ runId, file: path, bytes: model.bytes.length, learner: artifact.learner, task: artifact.task, input: model.input, output: model.output, features: model.featureNames }));
        }
        ctx.out(`Exported ${artifact.learner} (${artifact.task}) of run ${runId} to ${path} (${model.bytes.length.toLocaleString('en-US')} bytes).`);
        ctx.out(`  input  ${model.input.name}: ${model.input.type} [${model.input.shape.join(', ')}], features ${model.featureNames.join(', ')} (NaN = missing)`);
        ctx.out(`  output ${model.output.name}: ${model.output.type} [${model.output.shape.join(', ')}]`);
      }),
    );
}

function orchardVersion(): string {
  return (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

/** Writes through a temporary file in the same folder, so a failed export leaves no partial file. */
async function writeAtomically(path: string, bytes: Uint8Array, overwrite: boolean): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    await writeFile(temp, bytes, { flag: 'wx' });
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    throw new OrchardError('INVALID_ARGUMENT', `Cannot write ${path}: ${code === 'ENOENT' ? `the folder ${dirname(path)} does not exist` : (cause as Error).message}.`, { cause });
  }
  try {
    if (overwrite) await rename(temp, path);
    else {
      await link(temp, path).catch((cause: NodeJS.ErrnoException) => {
        if (cause.code === 'EEXIST') throw alreadyExists(`${path} already exists; pass --force to overwrite it, or choose another --output.`, { path });
        throw cause;
      });
      await unlink(temp);
    }
  } catch (error) {
    await unlink(temp).catch(() => {});
    throw error;
  }
}
