/**
 * Benchmark runner: `npm run bench -- <name> [options]` runs `bench/<name>.ts`.
 * A bench is any `bench/*.ts` file (other than this one) that exports
 * `async function run(args: string[])`; helpers live in sub-folders, so adding
 * `bench/serving.ts` is all it takes to plug a new one in.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { UsageError } from './support/parse-options.js';

interface BenchModule {
  run(args: string[]): Promise<void>;
}

const benchDir = dirname(fileURLToPath(import.meta.url));

function availableBenches(): string[] {
  return readdirSync(benchDir, { withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') && e.name !== 'run.ts')
    .map((e) => e.name.slice(0, -'.ts'.length))
    .sort();
}

function usage(problem?: string): never {
  const names = availableBenches();
  if (problem) process.stderr.write(`${problem}\n`);
  process.stderr.write(`usage: npm run bench -- <name> [options]   (available: ${names.length > 0 ? names.join(', ') : 'none yet'})\n`);
  process.exit(2);
}

async function main(argv: string[]): Promise<void> {
  const [name, ...args] = argv;
  if (name === undefined || name === '' || name === '--help' || name === '-h') usage(name === undefined || name === '' ? 'No bench named.' : undefined);
  if (!availableBenches().includes(name)) usage(`Unknown bench '${name}'.`);
  const mod = (await import(pathToFileURL(join(benchDir, `${name}.ts`)).href)) as Partial<BenchModule>;
  if (typeof mod.run !== 'function') usage(`bench/${name}.ts does not export \`async function run(args: string[])\`.`);
  try {
    await mod.run(args);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
}

await main(process.argv.slice(2));
