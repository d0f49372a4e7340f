import { writeFileSync } from 'node:fs';
import { text } from 'node:stream/consumers';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededRandom, gaussian } from '../../src/core/random.js';
import { loadModel, readModelArtifact } from '../../src/learn/model-artifact.js';
import type { Leaderboard } from '../../src/learn/tune/leaderboard.js';
import type { Run } from '../../src/tracking/types.js';
import { tempPlatform } from '../support/temp.js';

const actor = { name: 'tester' };
const PLUGIN = fileURLToPath(new URL('../fixtures/flaky-learner.ts', import.meta.url));

/** Hyper-parameter search end to end on the embedded stores, trials on 2 worker threads (run from source through tsx). */
describe('tuning runs', () => {
  let s: Awaited<ReturnType<typeof tempPlatform>>;
  const rows: { x1: number; x2: number; shop: string; noise: number; y: number }[] = [];
  beforeAll(async () => {
    s = await tempPlatform();
    const random = seededRandom(3);
    const normal = gaussian(random);
    for (let i = 0; i < 2000; i++) {
      const x1 = normal();
      const x2 = normal();
      const shop = ['a', 'b', 'c'][i % 3]!;
      // A nonlinear boundary: deeper trees can find x2², so depth matters.
      const y = x1 + 0.8 * x2 * x2 + (shop === 'a' ? 0.5 : 0) + normal() * 0.7 > 1 ? 1 : 0;
      rows.push({ x1, x2, shop, noise: normal(), y });
    }
    writeFileSync(join(s.home, 'points.csv'), ['x1,x2,shop,noise,y', ...rows.map((r) => `${r.x1},${r.x2},${r.shop},${r.noise},${r.y}`)].join('\n'));
    await s.platform.datasets.ingest(actor, { name: 'points', source: 'points.csv', cwd: s.home });
    await s.platform.derive.split(actor, 'points', { kind: 'random', fractions: { train: 0.7, valid: 0.3 }, seed: 2 });
  });
  afterAll(async () => s.cleanup());

  const children = async (parent: string): Promise<readonly Run[]> => {
    const experiment = await s.platform.tracking.getExperimentByName('tune');
    return (await s.platform.tracking.searchRuns({ experimentIds: [experiment.experimentId], filter: `tags.\`mlflow.parentRunId\` = '${parent}'`, maxResults: 1000 })).items;
  };
  const metric = (run: Run, key: string) => run.metrics.find((m) => m.key === key)?.value;
  const param = (run: Run, key: string) => run.params.find((p) => p.key === key)?.value;
  const tag = (run: Run, key: string) => run.tags.find((t) => t.key === key)?.value;
  const artifactText = async (runId: string, path: string) => text((await s.platform.artifacts.open(`${await s.platform.artifacts.runRoot(runId)}/${path}`)).stream);

  it('halves 9 candidates over training rows as scikit-learn schedules it, each trial a child run, and stores the refitted best model', async () => {
    const result = await s.platform.tuning.tune(actor, {
      data: 'points',
      target: 'y',
      learner: 'gbdt',
      params: { max_iter: '30' },
      grid: ['max_depth=1,2,4'],
      random: ['learning_rate=loguniform:0.02:0.5'],
      trials: 9,
      halving: {},
      workers: 2,
      seed: 5,
    });
    // 2,000 rows, 20% held out: 1,600 to train on. scikit-learn's plan for 9 candidates, factor 3,
    // min_resources='exhaust': 3 rungs; r0 = max(20, 1600 // 3²) = 177; resources 177, 531, 1593; candidates 9, 3, 1.
    expect(result.schedule?.resources).toEqual([177, 531, 1593]);
    expect(result.schedule?.candidates).toEqual([9, 3, 1]);

    const runs = await children(result.runId);
    expect(runs).toHaveLength(13);
    expect(runs.every((r) => r.info.parentRunId === result.runId && r.info.status === 'FINISHED' && param(r, 'max_iter') === '30')).toBe(true);
    const byRung = [1, 2, 3].map((rung) => runs.filter((r) => metric(r, 'rung') === rung));
    expect(byRung.map((r) => r.length)).toEqual([9, 3, 1]);
    expect(byRung.map((r) => [...new Set(r.map((x) => metric(x, 'resource')))])).toEqual([[177], [531], [1593]]);
    // Promotion follows the recorded scores: the best third of each rung (by AUC) is what the next rung ran.
    const key = (r: Run) => `${param(r, 'max_depth')}/${param(r, 'learning_rate')}`;
    for (let rung = 0; rung < 2; rung++) {
      const ranked = [...byRung[rung]!].sort((a, b) => metric(b, 'score')! - metric(a, 'score')!);
      const kept = ranked.slice(0, byRung[rung + 1]!.length).map(key);
      expect(byRung[rung + 1]!.map(key).sort()).toEqual(kept.sort());
      expect(byRung[rung]!.every((r) => metric(r, 'score') === metric(r, 'valid_auc'))).toBe(true);
    }
    const winner = byRung[2]![0]!;
    expect(result.best.runId).toBe(winner.info.runId);
    expect(result.best.value).toBe(metric(winner, 'score'));

    const parent = await s.platform.tracking.getRun(result.runId);
    expect(parent.info.status).toBe('FINISHED');
    expect(tag(parent, 'orchard.best_run')).toBe(winner.info.runId);
    expect(param(parent, 'best_max_depth')).toBe(param(winner, 'max_depth'));
    expect(param(parent, 'best_learning_rate')).toBe(param(winner, 'learning_rate'));
    expect(metric(parent, 'best_auc')).toBe(metric(winner, 'score'));
    expect(param(parent, 'halving_min_resources')).toBe('177');

    const board = JSON.parse(await artifactText(result.runId, 'leaderboard.json')) as Leaderboard;
    expect(board.trials).toHaveLength(13);
    expect(board.trials[0]).toMatchObject({ rank: 1, runId: winner.info.runId, rung: 3 });
    expect(board.best.params.max_depth).toBe(Number(param(winner, 'max_depth')));

    // The parent's model is orchard train's artifact, refitted on all 2,000 rows, and it predicts raw rows.
    const artifact = readModelArtifact(await artifactText(result.runId, 'model/model.json'), 'model.json');
    expect(artifact).toMatchObject({ orchardModel: 1, learner: 'gbdt', task: 'binary', training: { dataset: 'points@1', target: 'y', rows: 2000, runId: result.runId } });
    expect(artifact.params).toMatchObject({ max_iter: 30, max_depth: Number(param(winner, 'max_depth')), learning_rate: Number(param(winner, 'learning_rate')) });
    expect(artifact.signature.inputs.map((i) => i.name)).toEqual(['x1', 'x2', 'shop', 'noise']);
    const p = loadModel(artifact).predict(rows.slice(0, 500).map(({ x1, x2, shop, noise }) => ({ x1, x2, shop, noise })));
    expect(p.every((v) => v > 0 && v < 1)).toBe(true);
    const hits = rows.slice(0, 500).filter((r, i) => (p[i]! >= 0.5 ? 1 : 0) === r.y).length;
    expect(hits / 500).toBeGreaterThan(0.75);
    const edges = await s.platform.store.lineage.edges('run', result.runId, 'downstream');
    expect(edges.map((e) => e.dstId)).toEqual([result.digest]);
    expect((await s.platform.store.lineage.edges('run', result.runId, 'upstream')).map((e) => e.srcId)).toEqual(['points@1']);
  });

  it('searches a whole grid with a validation version and max_iter as the halving resource', async () => {
    const result = await s.platform.tuning.tune(actor, {
      data: 'points-train',
      valid: 'points-valid',
      target: 'y',
      learner: 'gbdt',
      params: { max_iter: '40' },
      grid: ['max_depth=1,3,5'],
      halving: { resource: 'max_iter' },
      metric: 'log_loss',
      workers: 2,
    });
    // 3 candidates, factor 3, resource max_iter up to 40, 'exhaust': r0 = max(1, 40 // 3) = 13; rungs 13, 39.
    expect(result.schedule?.resources).toEqual([13, 39]);
    const runs = await children(result.runId);
    expect(runs.map((r) => `${metric(r, 'rung')}:${param(r, 'max_iter')}`).sort()).toEqual(['1:13', '1:13', '1:13', '2:39']);
    // log_loss is minimised: the best trial has the lowest recorded score of the last rung.
    const last = runs.filter((r) => metric(r, 'rung') === 2);
    expect(result.best.runId).toBe(last[0]!.info.runId);
    const first = runs.filter((r) => metric(r, 'rung') === 1);
    const lowest = first.reduce((a, b) => (metric(b, 'score')! < metric(a, 'score')! ? b : a));
    expect(param(last[0]!, 'max_depth')).toBe(param(lowest, 'max_depth'));
    expect(result.bestParams.max_iter).toBe(39);
    const parent = await s.platform.tracking.getRun(result.runId);
    expect(param(parent, 'valid')).toBe('points-valid@1');
    expect(metric(parent, 'valid_log_loss')).toBeGreaterThan(0);
    expect(metric(parent, 'train_rows')).toBe(result.artifact.training.rows);
    const upstream = (await s.platform.store.lineage.edges('run', result.runId, 'upstream')).map((e) => e.srcId).sort();
    expect(upstream).toEqual(['points-train@1', 'points-valid@1']);
  });

  it('runs a plugin learner in the workers and records a failing trial as FAILED without stopping the search', async () => {
    const result = await s.platform.tuning.tune(actor, { data: 'points', target: 'y', learner: 'flaky-mean', grid: ['column=0,1,3', 'explode=0,1'], workers: 2, plugins: [PLUGIN] });
    const runs = await children(result.runId);
    expect(runs).toHaveLength(6);
    const failed = runs.filter((r) => r.info.status === 'FAILED');
    expect(failed.map((r) => param(r, 'explode'))).toEqual(['1', '1', '1']);
    // The learner ran in worker threads (thread 0 is the main one), which loaded the plugin themselves.
    expect(failed.every((r) => /^flaky-mean exploded on purpose \(explode=1\) in thread [1-9]\d*$/.test(tag(r, 'orchard.error') ?? '') && metric(r, 'score') === undefined)).toBe(true);
    // A plain search picks the best recorded score: x1 (column 0) carries the most signal, noise (column 3) none.
    const finished = runs.filter((r) => r.info.status === 'FINISHED');
    const top = finished.reduce((a, b) => (metric(b, 'score')! > metric(a, 'score')! ? b : a));
    expect(result.best.runId).toBe(top.info.runId);
    expect(param(top, 'column')).toBe('0');
    expect(result.bestParams).toMatchObject({ column: 0, explode: 0 });
    expect(metric(await s.platform.tracking.getRun(result.runId), 'failed_trials')).toBe(3);
    const board = result.trials.map((t) => t.status);
    expect(board.slice(-3)).toEqual(['FAILED', 'FAILED', 'FAILED']);
  });

  it('records a trial whose worker thread dies as FAILED and goes on with a fresh worker', async () => {
    const result = await s.platform.tuning.tune(actor, { data: 'points', target: 'y', learner: 'flaky-mean', grid: ['column=0,1', 'explode=0,2'], workers: 1, plugins: [PLUGIN] });
    const runs = await children(result.runId);
    expect(runs.map((r) => `${param(r, 'column')}/${param(r, 'explode')}:${r.info.status}`).sort()).toEqual(['0/0:FINISHED', '0/2:FAILED', '1/0:FINISHED', '1/2:FAILED']);
    expect(runs.filter((r) => r.info.status === 'FAILED').map((r) => tag(r, 'orchard.error'))).toEqual(['the worker thread running this trial stopped (exit code 3)', 'the worker thread running this trial stopped (exit code 3)']);
    expect(result.bestParams).toMatchObject({ column: 0, explode: 0 });
  });

  it('fails clearly when every trial fails, and marks the tuning run FAILED', async () => {
    const attempt = s.platform.tuning.tune(actor, { data: 'points', target: 'y', learner: 'flaky-mean', grid: ['column=0,1', 'explode=1'], workers: 2, plugins: [PLUGIN], runName: 'doomed' });
    await expect(attempt).rejects.toThrow(/All 2 trials of flaky-mean failed; the first failed with: flaky-mean exploded on purpose/);
    const experiment = await s.platform.tracking.getExperimentByName('tune');
    const [doomed] = (await s.platform.tracking.searchRuns({ experimentIds: [experiment.experimentId], filter: "attributes.run_name = 'doomed'" })).items;
    expect(doomed?.info.status).toBe('FAILED');
    expect(await children(doomed!.info.runId)).toHaveLength(2);
  });

  it('refuses bad spaces, metrics and resources before starting a run', async () => {
    const experiment = await s.platform.tracking.getExperimentByName('tune');
    const count = async () => (await s.platform.tracking.searchRuns({ experimentIds: [experiment.experimentId], maxResults: 1000 })).items.length;
    const before = await count();
    const base = { data: 'points', target: 'y', learner: 'gbdt', workers: 1 } as const;
    await expect(s.platform.tuning.tune(actor, { ...base, grid: ['depth=2,3'], random: ['learning_rate=gamma:1:2'] })).rejects.toThrow(/\(2 problems\).*no parameter 'depth'.*not a distribution; accepted forms/);
    await expect(s.platform.tuning.tune(actor, { ...base, grid: ['max_depth=2,3'], metric: 'accuracy_score' })).rejects.toThrow(/Unknown metric 'accuracy_score'; choose one of auc/);
    await expect(s.platform.tuning.tune(actor, { ...base, grid: ['max_iter=10,20'], halving: { resource: 'max_iter' } })).rejects.toThrow(/resource max_iter is also searched/);
    await expect(s.platform.tuning.tune(actor, { ...base, grid: ['max_depth=2,3'], halving: { resource: 'learning_rate' } })).rejects.toThrow(/learning_rate needs a whole-number maximum/);
    await expect(s.platform.tuning.tune(actor, { ...base, grid: ['max_depth=2,3'], validFraction: 1.5 })).rejects.toThrow(/validation fraction must be between 0 and 1/);
    await expect(s.platform.tuning.tune(actor, { ...base, grid: ['max_depth=2,3'], halving: { factor: 1 } })).rejects.toThrow(/halving factor must be a number > 1, got 1/);
    await expect(s.platform.tuning.tune(actor, { ...base, grid: ['max_depth=2,3'], plugins: ['no-such-plugin.ts'] })).rejects.toThrow(/No file no-such-plugin\.ts/);
    expect(await count()).toBe(before);
    // A metric of the wrong task is known only once the target is read: the run exists and is FAILED.
    await expect(s.platform.tuning.tune(actor, { ...base, grid: ['max_depth=2,3'], metric: 'rmse' })).rejects.toThrow(/metric 'rmse' does not apply to a binary target/);
  });
});
