import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Platform } from '../../src/orchard.js';
import type { RunOptions, RunSummary } from '../../src/pipelines/pipeline-service.js';

/** Writes a pipeline module into `dir` and returns its path. */
export function writePipeline(dir: string, file: string, source: string): string {
  const path = join(dir, file);
  writeFileSync(path, source);
  return path;
}

/** Loads and runs a pipeline file as the `tester` actor. */
export async function runFile(platform: Platform, path: string, options: RunOptions = {}): Promise<RunSummary> {
  const loaded = await platform.pipelines.load(path, { cwd: process.cwd() });
  return platform.pipelines.run({ name: 'tester' }, loaded, options);
}

/** Status of each unit of a run summary, by unit name. */
export function statuses(summary: RunSummary): Record<string, string> {
  return Object.fromEntries(summary.units.map((u) => [u.unit, u.status]));
}
