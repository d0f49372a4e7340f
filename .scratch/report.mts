import { main } from '../src/cli/main.js';
process.exitCode = await main(['node', 'orchard', 'monitor', 'report', 'flights', '--output', '/tmp/drift.html']);
