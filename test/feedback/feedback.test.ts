import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { literal } from '../../src/data/duckdb-engine.js';
import type { Platform } from '../../src/orchard.js';
import { buildServer } from '../../src/server/app.js';
import { predictionLogDay, predictionLogPrefix, type PredictionRecord } from '../../src/serving/prediction-log-schema.js';
import { tempPlatform } from '../support/temp.js';

const DAY = 86_400_000;
const DAY1 = Date.parse('2025-03-01T00:00:00Z');

/** Writes one prediction-log file the way the schema in src/serving/prediction-log-schema.ts lays it out. */
async function writeLog(p: Platform, home: string, endpoint: string, rows: PredictionRecord[]): Promise<void> {
  const dir = join(home, 'artifacts', predictionLogPrefix(endpoint), predictionLogDay(rows[0]!.ts));
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${rows[0]!.ts}-${crypto.randomUUID()}.parquet`);
  const values = rows.map(
    (r) =>
      `(${literal(r.requestId)}, make_timestamp(${r.ts * 1000}), ${literal(r.endpoint)}, ${literal(r.model)}, ${r.version ?? 'null'}, ${literal(r.digest)}, ${r.shadow}, ${r.prediction}, ${r.label === null ? 'null' : literal(r.label)}, null::double[], ${r.latencyMs}, {'distance': ${Number(r.features.distance)}::double})`,
  );
  await p.engine.withConnection(async (c) => {
    await c.run(
      `copy (select * from (values ${values.join(', ')}) as t(request_id, ts, endpoint, model, version, digest, shadow, prediction, label, probabilities, latency_ms, features)) to ${literal(file)} (format parquet)`,
    );
  });
}

const row = (id: string, ts: number, prediction: number, shadow = false): PredictionRecord => ({ requestId: id, ts, endpoint: 'flights', model: 'flights', version: 1, digest: 'sha256:abc', shadow, prediction, label: null, probabilities: null, latencyMs: 1.5, features: { distance: 500 } });

describe('feedback and live performance', () => {
  let t: Awaited<ReturnType<typeof tempPlatform>>;
  let p: Platform;
  beforeAll(async () => {
    t = await tempPlatform();
    p = t.platform;
    const h = 3_600_000;
    const day1 = [0.9, 0.8, 0.3, 0.6, 0.2, 0.1].map((s, i) => row(`r${i + 1}`, DAY1 + (i + 1) * h, s));
    const day2 = [0.7, 0.4, 0.55, 0.35, 0.8, 0.45].map((s, i) => row(`r${i + 7}`, DAY1 + DAY + (i + 1) * h, s));
    await writeLog(p, t.home, 'flights', [...day1, row('r1', DAY1 + h, 0.01, true)]);
    await writeLog(p, t.home, 'flights', day2);
  });
  afterAll(async () => t.cleanup());

  it('joins labels with the log per window: AUC and accuracy match scikit-learn, unknown ids reported', async () => {
    const app = await buildServer(p);
    const labels = [1, 1, 0, 0, 0, 1, 0, 1, 1, 0].map((label, i) => ({ request_id: `r${i + 1}`, label }));
    // r3 first arrives wrong (1), then corrected to 0 in the same batch: last write wins and is reported.
    const res = await app.inject({ method: 'POST', url: '/api/v1/endpoints/flights/feedback', payload: { labels: [{ request_id: 'r3', label: 1 }, ...labels, { request_id: 'nobody', label: 1 }] } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ accepted: 12, replaced: ['r3'] });
    const perf = await app.inject({ method: 'GET', url: '/api/v1/endpoints/flights/performance?window=1d' });
    const r = perf.json();
    expect(r).toMatchObject({ task: 'binary', unmatchedLabels: 1, windowMs: DAY });
    // scikit-learn 1.2.1 (Debian python3-sklearn), run once: roc_auc_score / accuracy_score at 0.5 on
    // day 1 y=[1,1,0,0,0,1] p=[.9,.8,.3,.6,.2,.1] → 0.6666666666666666, 0.6666666666666666;
    // day 2 (r7–r10) y=[0,1,1,0] p=[.7,.4,.55,.35] → 0.5, 0.5.
    expect(r.windows).toHaveLength(2);
    expect(r.windows[0]).toMatchObject({ start: DAY1, predictions: 6, labelled: 6, rmse: null });
    expect(r.windows[0].auc).toBeCloseTo(0.6666666666666666, 12);
    expect(r.windows[0].accuracy).toBeCloseTo(0.6666666666666666, 12);
    expect(r.windows[1]).toMatchObject({ start: DAY1 + DAY, predictions: 6, labelled: 4, auc: 0.5, accuracy: 0.5 });
    expect(r.windows[0].labelDelayMs).toBeGreaterThan(0);
    await app.close();
  });

  it('takes human feedback and refuses bad items all at once, writing nothing', async () => {
    const ok = await p.feedback.submitHuman({ name: 'tester' }, 'chat', [{ requestId: 'a', thumb: 'up', comment: 'good' }, { requestId: 'b', score: 3 }]);
    expect(ok).toEqual({ accepted: 2, replaced: [] });
    await expect(p.feedback.submitHuman({ name: 'tester' }, 'chat', [{ requestId: 'c', thumb: 'sideways' as 'up' }, { requestId: '' }])).rejects.toThrow(/3 problems.*not a thumb.*request id is missing.*give a score, a thumb or a comment/);
    const stored = await p.feedback.list('chat', 'human');
    expect(stored.map((f) => [f.requestId, f.value, f.textValue, f.comment])).toEqual([['a', 1, 'up', 'good'], ['b', 3, null, null]]);
  });

  it('imports labels from a dataset version joined on a key', async () => {
    const csv = join(t.home, 'labels.csv');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(csv, 'rid,delayed\nr11,1\nr12,0\n');
    await p.datasets.ingest({ name: 'tester' }, { name: 'flight-labels', source: csv, cwd: t.home });
    await expect(p.feedback.importLabels({ name: 'tester' }, 'flights', 'flight-labels@1', { key: 'request_id', label: 'delayed' })).rejects.toThrow(/no column 'request_id'; its columns are rid, delayed/);
    const r = await p.feedback.importLabels({ name: 'tester' }, 'flights', 'flight-labels@1', { key: 'rid', label: 'delayed' });
    expect(r).toEqual({ accepted: 2, replaced: [] });
    const labels = await p.feedback.list('flights', 'label');
    expect(labels.find((l) => l.requestId === 'r11')).toMatchObject({ value: 1, source: 'flight-labels@1' });
  });

  it('an endpoint without a log is a clear error; a window with no labels has no metrics, never NaN', async () => {
    await expect(p.feedback.performance('nothing', DAY)).rejects.toThrow(/Endpoint 'nothing' has no prediction log yet/);
    await writeLog(p, t.home, 'quiet', [row('q1', DAY1, 0.4)]);
    const r = await p.feedback.performance('quiet', DAY);
    expect(r.windows).toEqual([{ start: DAY1, end: DAY1 + DAY, predictions: 1, labelled: 0, auc: null, accuracy: null, logLoss: null, meanLabel: null, meanPrediction: null, calibrationError: null, rmse: null, mae: null, labelDelayMs: null }]);
  });
});
