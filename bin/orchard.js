#!/usr/bin/env node
// The `orchard` command. The CLI is compiled to dist/ by `npm run build` (run on npm ci/install).
import { existsSync } from 'node:fs';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('orchard: the CLI is not built (dist/cli/main.js is missing); run `npm run build` in the Orchard folder.\n');
  process.exit(1);
}
const { main } = await import(entry.href);
process.exitCode = await main(process.argv);
