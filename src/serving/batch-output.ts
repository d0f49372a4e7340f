import { randomBytes } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { link, rename, rm } from 'node:fs/promises';
import { basename, dirname, extname, isAbsolute, join, resolve } from 'node:path';
import { OrchardError, alreadyExists, invalidArgument } from '../core/errors.js';
import { datasetName } from '../data/dataset-service.js';

/** Where batch scoring writes: a Parquet or CSV file, or a new version of a dataset. */
export type BatchOutput =
  | { readonly kind: 'file'; readonly path: string; readonly format: 'parquet' | 'csv'; readonly overwrite: boolean }
  | { readonly kind: 'dataset'; readonly name: string };

const FORMATS: Readonly<Record<string, 'parquet' | 'csv'>> = { '.parquet': 'parquet', '.pq': 'parquet', '.csv': 'csv' };

/**
 * Parses `--output`: `dataset:<name>`, or a file ending in .parquet, .pq or .csv.
 * Checked before any work: an existing file without `overwrite`, a missing folder.
 * @throws OrchardError INVALID_ARGUMENT, ALREADY_EXISTS.
 */
export function parseBatchOutput(given: string, cwd: string, overwrite = false): BatchOutput {
  const text = given.trim();
  if (text.startsWith('dataset:')) return { kind: 'dataset', name: datasetName(text.slice('dataset:'.length)) };
  if (text === '') throw invalidArgument('The output is empty; give a file (scores.parquet, scores.csv) or dataset:<name>.');
  const path = isAbsolute(text) ? text : resolve(cwd, text);
  const format = FORMATS[extname(path).toLowerCase()];
  if (!format) throw invalidArgument(`Cannot tell the output format of ${path}; end the file name in .parquet or .csv, or write to a dataset with --output dataset:<name>.`, { output: given });
  if (!existsSync(dirname(path)) || !statSync(dirname(path)).isDirectory()) throw invalidArgument(`Cannot write ${path}: the folder ${dirname(path)} does not exist.`, { output: given });
  if (existsSync(path) && !overwrite) throw alreadyExists(`${path} already exists; pass --force to overwrite it, or choose another --output.`, { path });
  return { kind: 'file', path, format, overwrite };
}

/** A temporary file beside the output, so the final rename stays on one file system. */
export function tempBeside(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

/**
 * Moves a finished temporary file to the output: renamed over it (overwrite), or
 * hard-linked so a file that appeared meanwhile is refused rather than replaced.
 * The temporary file is gone afterwards, whatever happens.
 */
export async function publishFile(temp: string, output: Extract<BatchOutput, { kind: 'file' }>): Promise<void> {
  try {
    if (output.overwrite) await rename(temp, output.path);
    else {
      await link(temp, output.path).catch((cause: NodeJS.ErrnoException) => {
        if (cause.code === 'EEXIST') throw alreadyExists(`${output.path} already exists; pass --force to overwrite it, or choose another --output.`, { path: output.path });
        throw new OrchardError('INVALID_ARGUMENT', `Cannot write ${output.path}: ${cause.message}.`, { cause });
      });
    }
  } finally {
    await rm(temp, { force: true });
  }
}
