import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { literal, queryRows } from '../../src/data/duckdb-engine.js';
import { PredictionLogWriter } from '../../src/serving/prediction-log-writer.js';
import type { PredictionRecord } from '../../src/serving/prediction-log-schema.js';
import type { InputSignature } from '../../src/serving/input-validation.js';
import { tempPlatform } from '../support/temp.js';

describe('prediction log writer', () => {
  let t: Awaited<ReturnType<typeof tempPlatform>>;
  beforeAll(async () => {
    t = await tempPlatform();
  });
  afterAll(async () => t.cleanup());

  it('writes every column typed as the schema says: timestamps, struct features, nulls, awkward text', async () => {
    const writer = new PredictionLogWriter({ blobs: t.platform.blobs, engine: t.platform.engine });
    const signature: InputSignature = [
      { name: 'date', kind: 'datetime' },
      { name: 'distance', kind: 'numeric' },
      { name: 'origin "quoted"', kind: 'categorical' },
      { name: 'direct', kind: 'boolean' },
    ];
    const ts = Date.UTC(2001, 2, 4, 17, 5, 9, 123);
    const base: PredictionRecord = { requestId: 'r-1', ts, endpoint: 'flights', model: 'flights', version: 2, digest: 'sha256:ab', shadow: false, prediction: 0.25, label: null, probabilities: null, latencyMs: 1.5, features: {} };
    writer.append(
      [
        { ...base, features: { date: Date.UTC(2001, 2, 4, 16, 0, 0, 7), distance: 1846.5, 'origin "quoted"': 'SFO\n"x"\\', direct: true } },
        { ...base, requestId: 'r-"2"', shadow: true, version: null, prediction: Number.NaN, label: 'delayed', probabilities: [0.1, 0.2, 0.7], features: { date: null, distance: null, 'origin "quoted"': null, direct: false } },
      ],
      signature,
    );
    await writer.close();
    const files: string[] = [];
    for await (const key of t.platform.blobs.list('prediction-log/flights/')) files.push((await t.platform.blobs.localPath!(key))!);
    expect(files).toHaveLength(1);
    const rows = await t.platform.engine.withConnection(async (c) => {
      const types = await queryRows(c, `describe select * from read_parquet(${literal(files[0]!)})`);
      const values = await queryRows(c, `select request_id, epoch_ms(ts) as ts, version, shadow, prediction, label, probabilities::varchar as p, epoch_ms(features.date) as date, features.distance as distance, features."origin ""quoted""" as origin, features.direct as direct from read_parquet(${literal(files[0]!)}) order by request_id`);
      return { types: Object.fromEntries(types.map((r) => [r.column_name, r.column_type])), values };
    });
    expect(rows.types).toMatchObject({ ts: 'TIMESTAMP', version: 'INTEGER', prediction: 'DOUBLE', features: 'STRUCT(date TIMESTAMP, distance DOUBLE, "origin ""quoted""" VARCHAR, direct BOOLEAN)' });
    expect(rows.values).toEqual([
      { request_id: 'r-"2"', ts, version: null, shadow: true, prediction: null, label: 'delayed', p: '[0.1, 0.2, 0.7]', date: null, distance: null, origin: null, direct: false },
      { request_id: 'r-1', ts, version: 2, shadow: false, prediction: 0.25, label: null, p: null, date: Date.UTC(2001, 2, 4, 16, 0, 0, 7), distance: 1846.5, origin: 'SFO\n"x"\\', direct: true },
    ]);
  });
});
