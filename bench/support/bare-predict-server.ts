/**
 * The baseline for bench/serving.ts: a bare `node:http` server that calls the same predictor
 * in-process — no validation, no batching, no log, no framework. Started as a child process:
 * `tsx bench/support/bare-predict-server.ts <orchard home> <model ref> <port>`.
 */
import { createServer } from 'node:http';
import { loadConfig } from '../../src/core/config.js';
import { loadModel } from '../../src/learn/model-artifact.js';
import { nativePredictor } from '../../src/learn/predictor.js';
import { createOrchard } from '../../src/orchard.js';
import { resolveModelRef } from '../../src/serving/model-ref.js';

const [home, ref, port] = process.argv.slice(2);
const platform = await createOrchard(loadConfig({ ORCHARD_HOME: home!, ORCHARD_USER: 'bench' }, home!));
const predictor = nativePredictor(loadModel((await resolveModelRef(platform, ref!)).artifact));
const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const { rows } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { rows: Record<string, unknown>[] };
    void predictor.predict(rows).then((out) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ predictions: Array.from(out) }));
    });
  });
});
server.listen(Number(port), '127.0.0.1', () => process.stdout.write('listening\n'));
process.once('SIGTERM', () => server.close(() => void platform.close().then(() => process.exit(0))));
