import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Platform } from '../../src/orchard.js';

const actor = { name: 'tester' };

/**
 * A small housing table with a numeric, an integer and a categorical input, written as CSV
 * and ingested: the price rises with size and depends on the city.
 */
export async function ingestHomes(platform: Platform, home: string, rows = 400): Promise<void> {
  const cities = ['oslo', 'lyon', 'kyiv', 'lima'];
  const lines = ['size,rooms,city,price'];
  for (let i = 0; i < rows; i++) {
    const size = 30 + ((i * 37) % 170);
    const rooms = 1 + (i % 5);
    const city = cities[i % 4]!;
    lines.push(`${size},${rooms},${city},${size * 2 + (city === 'oslo' ? 80 : 0) + ((i * 13) % 40)}`);
  }
  writeFileSync(join(home, 'homes.csv'), lines.join('\n'));
  await platform.datasets.ingest(actor, { name: 'homes', source: 'homes.csv', cwd: home });
}

/** Trains a binary gbdt on homes (`pricey = price > 250`) and registers it as the next version of `name`. */
export async function registerHomesModel(platform: Platform, name: string, iterations: number, target = 'pricey=price > 250'): Promise<number> {
  const { runId } = await platform.training.train(actor, { data: 'homes', target, learner: 'gbdt', params: { max_iter: String(iterations) } });
  return (await platform.registry.register(actor, { name, runId })).version;
}
