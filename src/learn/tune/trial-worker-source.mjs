// Starts the trial worker from TypeScript source (tests, `tsx` scripts, benches):
// tsx's loader is registered in this worker thread, then trial-worker.ts is imported.
// A build runs dist/learn/tune/trial-worker.js directly and never uses this file.
import { register } from 'tsx/esm/api';

register();
await import('./trial-worker.ts');
