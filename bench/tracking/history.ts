import BetterSqlite3 from 'better-sqlite3';
import { newRunId } from '../../src/core/ids.js';
import type { Platform } from '../../src/orchard.js';
import type { BenchHttpClient } from '../support/http-client.js';
import { progress, type Measurement } from '../support/report.js';
import { median, nowMs } from '../support/stats.js';
import { trainingPoints } from './points.js';
import type { TrackingBenchSizes } from './sizes.js';

const MLFLOW = '/api/2.0/mlflow';
const RUNS_PER_TX = 2500;
const POINTS_PER_CALL = 10_000;

export interface HistoryFixture {
  readonly experimentId: string;
  readonly bigRunId: string;
  readonly smallRunId: string;
  readonly runs: number;
  readonly points: number;
  readonly setupMs: number;
}

/**
 * An experiment with `historyRuns` runs, each with a short history, one of which
 * has `bigRunPoints` points. Written through the store port in large
 * transactions, which is far quicker than the API and stores the same rows.
 */
export async function buildHistory(platform: Platform, sizes: TrackingBenchSizes): Promise<HistoryFixture> {
  const t0 = nowMs();
  const now = Date.now();
  const { store } = platform;
  const experiment = await store.transaction((tx) => tx.experiments.create({ name: 'bench-history', tags: [], now }));
  const experimentId = experiment.experimentId;
  const newRun = (runId: string, i: number) => ({
    runId,
    experimentId,
    runName: `history-${i}`,
    userId: 'bench',
    status: 'FINISHED' as const,
    startTime: now - i * 1000,
    artifactUri: `mlflow-artifacts:/${experimentId}/${runId}/artifacts`,
    parentRunId: null,
    tags: [{ key: 'mlflow.runName', value: `history-${i}` }],
  });

  const bigRunId = newRunId();
  let smallRunId = '';
  let points = 0;
  for (let first = 1; first < sizes.historyRuns; first += RUNS_PER_TX) {
    await store.transaction(async (tx) => {
      for (let i = first; i < Math.min(first + RUNS_PER_TX, sizes.historyRuns); i++) {
        const runId = newRunId();
        smallRunId ||= runId;
        await tx.runs.create(newRun(runId, i));
        await tx.runs.insertParams(runId, [{ key: 'learner', value: i % 2 ? 'gbdt' : 'linear' }]);
        await tx.metrics.log(runId, trainingPoints(sizes.pointsPerRun, 0, now));
        points += sizes.pointsPerRun;
      }
    });
  }
  progress(`${sizes.historyRuns - 1} runs written in ${((nowMs() - t0) / 1000).toFixed(1)} s; now the ${sizes.bigRunPoints.toLocaleString('en-US')}-point run`);
  await store.transaction(async (tx) => {
    await tx.runs.create(newRun(bigRunId, 0));
    for (let done = 0; done < sizes.bigRunPoints; done += POINTS_PER_CALL) {
      await tx.metrics.log(bigRunId, trainingPoints(Math.min(POINTS_PER_CALL, sizes.bigRunPoints - done), done / 10, now));
    }
  });
  points += sizes.bigRunPoints;
  return { experimentId, bigRunId, smallRunId, runs: sizes.historyRuns, points, setupMs: nowMs() - t0 };
}

export interface HistoryResult {
  readonly measurements: Measurement[];
  readonly searchMs: number;
  readonly getBigMs: number;
  readonly getSmallMs: number;
  /** One pass over the history, straight in SQLite: what a query that scanned it would at least cost. */
  readonly scanExperimentMs: number;
  readonly scanBigRunMs: number;
}

/** runs/search over the experiment (100 per page, ordered by a metric) and runs/get of the long run, over HTTP. */
export async function measureHistoryQueries(client: BenchHttpClient, platform: Platform, fixture: HistoryFixture, sizes: TrackingBenchSizes): Promise<HistoryResult> {
  const search = () =>
    client.post<{ runs: { info: { run_id: string } }[]; next_page_token?: string }>(`${MLFLOW}/runs/search`, {
      experiment_ids: [fixture.experimentId],
      max_results: 100,
      order_by: ['metrics.metric_0 DESC'],
    });
  const get = (runId: string) => client.get<{ run: { data: { metrics: unknown[] } } }>(`${MLFLOW}/runs/get?run_id=${runId}`);

  // Check the answers before timing them: a fast wrong answer proves nothing.
  const page = await search();
  if (page.runs.length !== 100 || !page.next_page_token) throw new Error(`runs/search returned ${page.runs.length} runs${page.next_page_token ? '' : ' and no next page'}; expected 100 and a next page`);
  const big = await get(fixture.bigRunId);
  if (big.run.data.metrics.length !== 10) throw new Error(`runs/get of the long run returned ${big.run.data.metrics.length} latest metrics; expected 10`);

  const timed = async (fn: () => Promise<unknown>) => {
    const samples: number[] = [];
    for (let i = 0; i < sizes.queryReps; i++) {
      const t0 = nowMs();
      await fn();
      samples.push(nowMs() - t0);
    }
    return samples;
  };
  const searchSamples = await timed(search);
  const getBig = await timed(() => get(fixture.bigRunId));
  const getSmall = await timed(() => get(fixture.smallRunId));

  const db = new BetterSqlite3(platform.store.location, { readonly: true });
  try {
    const scanExperiment = db.prepare('select count(*) as n, max(value) as v from metrics where run_id in (select run_id from runs where experiment_id = ?)');
    const scanRun = db.prepare('select key, count(*) as n, max(step) as s from metrics where run_id = ? group by key');
    const scanExperimentSamples = await timed(async () => scanExperiment.get(Number(fixture.experimentId)));
    const scanRunSamples = await timed(async () => scanRun.all(fixture.bigRunId));
    const section = '5 listing with history';
    const points = `${(fixture.points / 1e6).toFixed(2)}M points`;
    return {
      measurements: [
        { section, label: `runs/search ${fixture.runs.toLocaleString('en-US')} runs, 100/page, order_by metric`, unit: 'ms', samples: searchSamples },
        { section, label: `runs/get, run with ${sizes.bigRunPoints.toLocaleString('en-US')} points`, unit: 'ms', samples: getBig },
        { section, label: `runs/get, run with ${sizes.pointsPerRun} points`, unit: 'ms', samples: getSmall },
        { section, label: `ref: SQLite pass over experiment history (${points})`, unit: 'ms', samples: scanExperimentSamples },
        { section, label: 'ref: SQLite pass over the long run history', unit: 'ms', samples: scanRunSamples },
      ],
      searchMs: median(searchSamples),
      getBigMs: median(getBig),
      getSmallMs: median(getSmall),
      scanExperimentMs: median(scanExperimentSamples),
      scanBigRunMs: median(scanRunSamples),
    };
  } finally {
    db.close();
  }
}
