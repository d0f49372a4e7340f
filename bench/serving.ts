/**
 * Online serving: `orchard serve flights@champion` (validation and the prediction log on) against
 * a bare `node:http` server calling the same predictor in-process, each loaded by autocannon with
 * single-row requests from 50 connections, one after the other on the same machine (the load
 * generator runs in this process, the servers in their own). Prints throughput, p50 and p99 of
 * each, and the ratio of throughputs. Targets: ≥ 0.8× the bare server, p99 ≤ 10 ms.
 *
 * The model: a gbdt trained inside the bench on a sample of flights-3m (delay > 15 minutes from
 * hour, distance, origin and destination). Needs dist/ (`npm run build`) for `orchard serve`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { flightsPath } from '../src/data/sample-data.js';
import { parseOptions } from './support/parse-options.js';
import { progress } from './support/report.js';
import { formatRatio } from './support/stats.js';
import { tempPlatform } from './support/temp-home.js';

const ROOT = join(import.meta.dirname, '..');
const OPTIONS = { rows: 'training rows sampled from flights-3m (default 200000)', seconds: 'seconds of load per server (default 10)', connections: 'concurrent connections (default 50)' };

export async function run(args: string[]): Promise<void> {
  const opts = parseOptions(args, OPTIONS, 'serving');
  const rows = Number(opts.get('rows') ?? 200_000);
  const seconds = Number(opts.get('seconds') ?? 10);
  const connections = Number(opts.get('connections') ?? 50);
  if (!existsSync(join(ROOT, 'dist', 'cli', 'main.js'))) throw new Error('bench serving needs dist/: run `npm run build` first.');

  const t = await tempPlatform('orchard-bench-serving-');
  const actor = { name: 'bench' };
  try {
    progress(`sampling ${rows.toLocaleString('en-US')} flights and training a gbdt`);
    const sample = join(t.home, 'flights-sample.parquet');
    await t.platform.engine.withConnection(async (c) => {
      await c.run(`COPY (SELECT hour(date)::INTEGER AS hour, distance::DOUBLE AS distance, origin, destination, delay FROM read_parquet('${flightsPath()}') USING SAMPLE ${rows} ROWS (reservoir, 7)) TO '${sample}' (FORMAT parquet)`);
    });
    await t.platform.datasets.ingest(actor, { name: 'flights', source: sample, cwd: t.home });
    const { runId } = await t.platform.training.train(actor, { data: 'flights', target: 'delayed=delay > 15', learner: 'gbdt', params: { max_iter: '100' } });
    await t.platform.registry.register(actor, { name: 'flights', runId });
    await t.platform.registry.setAlias(actor, 'flights', 'champion', 1);
    await t.platform.close();

    const body = JSON.stringify({ rows: [{ hour: 17, distance: 1846, origin: 'SFO', destination: 'ORD' }] });
    const env: NodeJS.ProcessEnv = { ...process.env, ORCHARD_HOME: t.home, ORCHARD_USER: 'bench' };
    for (const k of Object.keys(env)) if (k.startsWith('ORCHARD_') && k !== 'ORCHARD_HOME' && k !== 'ORCHARD_USER') delete env[k];

    progress('bare node:http server');
    const bare = await load(spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'bench', 'support', 'bare-predict-server.ts'), t.home, 'flights@champion', '5811'], { env, cwd: ROOT }), /listening/, 'http://127.0.0.1:5811/', body, seconds, connections);
    progress('orchard serve flights@champion (validation and prediction log on)');
    const served = await load(spawn(process.execPath, [join(ROOT, 'bin', 'orchard.js'), 'serve', 'flights@champion', '--port', '5812'], { env, cwd: ROOT }), /Serving flights@champion/, 'http://127.0.0.1:5812/predict', body, seconds, connections);

    const line = (name: string, r: Result) => `${name.padEnd(34)} ${Math.round(r.rps).toLocaleString('en-US').padStart(8)} req/s   p50 ${r.p50.toFixed(2)} ms   p99 ${r.p99.toFixed(2)} ms   non-2xx ${r.non2xx}   errors ${r.errors}`;
    process.stdout.write(`\nserving, single-row requests, ${connections} connections, ${seconds} s each (autocannon)\n`);
    process.stdout.write(`${line('bare node:http + predictor', bare)}\n${line('orchard serve (validate + log)', served)}\n`);
    process.stdout.write(`throughput ratio orchard / bare: ${formatRatio(served.rps / bare.rps)} (target ≥ 0.8x); orchard p99 ${served.p99.toFixed(2)} ms (target ≤ 10 ms)\n`);
  } finally {
    await t.cleanup().catch(() => {});
  }
}

interface Result {
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
}

async function load(child: ChildProcess, ready: RegExp, url: string, body: string, seconds: number, connections: number): Promise<Result> {
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`server did not start within 60 s:\n${out}`)), 60_000);
      child.stdout!.on('data', () => ready.test(out) && (clearTimeout(timer), resolve()));
      child.on('exit', (code) => reject(new Error(`server exited with ${code}:\n${out}`)));
    });
    const options = { url, method: 'POST' as const, body, headers: { 'content-type': 'application/json' }, connections };
    await autocannon({ ...options, duration: 2 }); // warm-up
    const r = await autocannon({ ...options, duration: seconds });
    return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, non2xx: r.non2xx, errors: r.errors };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
  }
}
