// Starts the batch-scoring worker from TypeScript source (tests, `tsx` scripts, benches):
// tsx's loader is registered in this worker thread, then batch-worker.ts is imported.
// A build runs dist/serving/batch-worker.js directly and never uses this file.
import { register } from 'tsx/esm/api';

register();
await import('./batch-worker.ts');
