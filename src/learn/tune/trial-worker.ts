/**
 * Worker-thread entry of the trial pool: registers the built-in learners, loads
 * the plugins, then fits and scores trials on the shared data as the pool sends
 * them. Compiled to dist/learn/tune/trial-worker.js; from source it is started
 * through trial-worker-source.mjs, which registers tsx first.
 */
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { loadModule } from '../../core/load-module.js';
import '../builtins.js';
import { learner, type Learner } from '../learner.js';
import { errorText, runTrial, type TrialMessage, type TrialSetup, type WorkerMessage } from './trial.js';

const port = parentPort;
if (!port) throw new Error('trial-worker.js runs as a worker thread of the trial pool, not on its own.');
const setup = workerData as TrialSetup;
const send = (message: WorkerMessage) => port.postMessage(message);

let l: Learner | undefined;
try {
  for (const file of setup.plugins) await loadModule(file);
  l = learner(setup.learner);
  send({ type: 'ready' });
} catch (error) {
  send({ type: 'setup-failed', error: errorText(error) });
}

// One trial at a time: the pool sends the next only after this one's outcome.
port.on('message', (message: TrialMessage) => {
  if (!l) return;
  void runTrial(l, setup, message, () => performance.now()).then((outcome) => send({ type: 'outcome', id: message.id, outcome }));
});
