/**
 * Worker-thread entry of batch scoring: loads the model artifact it is given
 * (built-in learners only) and predicts the feature chunks the pool sends, each
 * moved in and out as transferred buffers (no copies). Compiled to
 * dist/serving/batch-worker.js; from source it starts through batch-worker-source.mjs.
 */
import { parentPort, workerData } from 'node:worker_threads';
import '../learn/builtins.js';
import { loadModel, readModelArtifact, type LoadedModel } from '../learn/model-artifact.js';
import type { ChunkReply, ChunkRequest } from './batch-workers.js';

const port = parentPort;
if (!port) throw new Error('batch-worker.js runs as a worker thread of batch scoring, not on its own.');
const { artifact } = workerData as { artifact: string };

let model: LoadedModel | undefined;
try {
  model = loadModel(readModelArtifact(artifact, 'the model artifact'));
  // One row of zeros compiles the learner's prediction kernels before the first real chunk.
  model.predictFeatures(model.artifact.transform.features.map(() => new Float64Array(1)));
  port.postMessage({ type: 'ready' } satisfies ChunkReply);
} catch (error) {
  port.postMessage({ type: 'failed', id: -1, error: String((error as Error)?.message ?? error) } satisfies ChunkReply);
}

port.on('message', (message: ChunkRequest) => {
  if (!model) return;
  try {
    const out = model.predictFeatures(message.features);
    port.postMessage({ type: 'done', id: message.id, out } satisfies ChunkReply, [out.buffer as ArrayBuffer]);
  } catch (error) {
    port.postMessage({ type: 'failed', id: message.id, error: String((error as Error)?.message ?? error) } satisfies ChunkReply);
  }
});
