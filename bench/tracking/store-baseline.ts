import BetterSqlite3 from 'better-sqlite3';
import { join } from 'node:path';
import type { Platform } from '../../src/orchard.js';
import type { MetricPoint } from '../../src/tracking/types.js';
import type { Measurement } from '../support/report.js';
import { nowMs, repeat } from '../support/stats.js';
import { StepCounter, trainingPoints } from './points.js';
import type { TrackingBenchSizes } from './sizes.js';

const BATCH = 1000;
const SECTION = '1 raw store';

/**
 * The store's own insert rate (`store.transaction(tx => tx.metrics.log(...))`,
 * 1000-point batches) and, for reference, better-sqlite3 prepared statements on
 * an identical table in a file with the same pragmas: history rows only, and
 * history plus the latest-value upsert the store also does.
 */
export async function measureStoreBaseline(platform: Platform, home: string, sizes: TrackingBenchSizes, runId: string): Promise<Measurement[]> {
  const steps = new StepCounter();
  const batches = () => Array.from({ length: sizes.rawBatches }, () => trainingPoints(BATCH, steps.take(BATCH)));

  const store = await repeat(sizes.reps, async () => {
    const work = batches();
    const t0 = nowMs();
    for (const points of work) await platform.store.transaction((tx) => tx.metrics.log(runId, points));
    return (work.length * BATCH * 1000) / (nowMs() - t0);
  });

  const bare = bareSqlite(join(home, 'bare-baseline.db'));
  try {
    const insertOnly = await repeat(sizes.reps, async () => {
      const work = batches();
      const t0 = nowMs();
      for (const points of work) bare.insert(runId, points, false);
      return (work.length * BATCH * 1000) / (nowMs() - t0);
    });
    const withLatest = await repeat(sizes.reps, async () => {
      const work = batches();
      const t0 = nowMs();
      for (const points of work) bare.insert(runId, points, true);
      return (work.length * BATCH * 1000) / (nowMs() - t0);
    });
    return [
      { section: SECTION, label: 'store.transaction(metrics.log) 1000-pt batches', unit: 'points/s', samples: store },
      { section: SECTION, label: 'bare better-sqlite3 insert (history only)', unit: 'points/s', samples: insertOnly },
      { section: SECTION, label: 'bare better-sqlite3 insert + latest upsert', unit: 'points/s', samples: withLatest },
    ];
  } finally {
    bare.close();
  }
}

/** The metric tables exactly as migration 0001 creates them on SQLite. */
const DDL = `
  create table metrics (run_id text not null, key text not null, value double precision not null, step bigint not null, timestamp bigint not null, is_nan integer not null);
  create index metrics_run_key_step on metrics (run_id, key, step, timestamp);
  create table latest_metrics (run_id text not null, key text not null, value double precision not null, step bigint not null, timestamp bigint not null, is_nan integer not null,
    constraint latest_metrics_pk primary key (run_id, key));
`;

function bareSqlite(path: string) {
  const db = new BetterSqlite3(path);
  // The pragmas SqliteMetadataStore sets.
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.exec(DDL);
  const insert = db.prepare('insert into metrics (run_id, key, value, step, timestamp, is_nan) values (?, ?, ?, ?, ?, ?)');
  const upsert = db.prepare(`insert into latest_metrics (run_id, key, value, step, timestamp, is_nan) values (?, ?, ?, ?, ?, ?)
    on conflict (run_id, key) do update set value = excluded.value, step = excluded.step, timestamp = excluded.timestamp, is_nan = excluded.is_nan
    where excluded.step > latest_metrics.step or (excluded.step = latest_metrics.step and excluded.timestamp >= latest_metrics.timestamp)`);
  const batch = db.transaction((runId: string, points: readonly MetricPoint[], latestToo: boolean) => {
    const latest = new Map<string, MetricPoint>();
    for (const p of points) {
      const nan = Number.isNaN(p.value);
      insert.run(runId, p.key, nan ? 0 : p.value, p.step, p.timestamp, nan ? 1 : 0);
      const cur = latest.get(p.key);
      if (!cur || p.step > cur.step || (p.step === cur.step && p.timestamp >= cur.timestamp)) latest.set(p.key, p);
    }
    if (!latestToo) return;
    for (const p of latest.values()) upsert.run(runId, p.key, Number.isNaN(p.value) ? 0 : p.value, p.step, p.timestamp, Number.isNaN(p.value) ? 1 : 0);
  });
  return {
    // BEGIN IMMEDIATE, as the store's transactions.
    insert: (runId: string, points: readonly MetricPoint[], latestToo: boolean) => batch.immediate(runId, points, latestToo),
    close: () => db.close(),
  };
}
