import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { OrchardError } from '../core/errors.js';

/**
 * Files of the `vega-datasets` npm package, shipped with Orchard so demos and
 * tests never download data: `flights-3m.parquet` holds 3 million US flights
 * (January–June 2001: date, delay, distance, origin, destination).
 */
export function sampleDataPath(file: string): string {
  // The package exports only its JS entry; its data folder sits next to the build folder.
  const entry = createRequire(import.meta.url).resolve('vega-datasets');
  const path = join(dirname(entry), '..', 'data', file);
  if (!existsSync(path)) throw new OrchardError('NOT_FOUND', `Sample data file ${file} is not in the vega-datasets package at ${dirname(path)}; run npm ci.`);
  return path;
}

export const flightsPath = (): string => sampleDataPath('flights-3m.parquet');
