import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OrchardError } from '../../src/core/errors.js';
import { newRunId } from '../../src/core/ids.js';
import { createMetadataStore } from '../../src/metadata/create-metadata-store.js';
import type { MetadataStore, NewRun } from '../../src/metadata/metadata-store.js';
import { parseRunFilter, parseRunOrderBy } from '../../src/tracking/run-filter.js';
import type { MetricPoint } from '../../src/tracking/types.js';

export interface ContractTarget {
  /** A URI for a fresh, empty store. */
  uri(): Promise<string>;
  /** Removes what `uri()` made. */
  cleanup(): Promise<void>;
}

const WRITER = fileURLToPath(new URL('../fixtures/store-writer.ts', import.meta.url));

/** Runs a fixture script in another Node process (with tsx), collecting its output. */
export function runChild(args: string[], onLine?: (line: string, kill: () => void) => void): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', WRITER, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      for (const line of d.toString().split('\n')) if (line) onLine?.(line, () => child.kill('SIGKILL'));
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

function newRun(experimentId: string, overrides: Partial<NewRun> = {}): NewRun {
  const runId = newRunId();
  return { runId, experimentId, runName: `run-${runId.slice(0, 6)}`, userId: 'tester', status: 'RUNNING', startTime: Date.now(), artifactUri: `mlflow-artifacts:/${experimentId}/${runId}/artifacts`, parentRunId: null, tags: [], ...overrides };
}

const points = (key: string, n: number, from = 0): MetricPoint[] => Array.from({ length: n }, (_, i) => ({ key, value: (from + i) / 10, step: from + i, timestamp: 1_000 + from + i }));

/**
 * The metadata store contract: every adapter runs these (SQLite always,
 * PostgreSQL when a server is configured).
 */
export function metadataStoreContract(name: string, target: ContractTarget): void {
  describe(`MetadataStore contract: ${name}`, () => {
    let store: MetadataStore;
    let uri: string;

    beforeAll(async () => {
      uri = await target.uri();
      store = await createMetadataStore(uri);
      await store.init();
    });
    afterAll(async () => {
      await store?.destroy();
      await target.cleanup();
    });

    it('starts with the Default experiment, id 0, and migrates idempotently', async () => {
      const exp = await store.experiments.get('0');
      expect(exp).toMatchObject({ experimentId: '0', name: 'Default', artifactLocation: 'mlflow-artifacts:/0', lifecycleStage: 'active' });
      expect(await store.migrate()).toEqual([]);
    });

    it('creates, reads, renames, tags and deletes experiments', async () => {
      const exp = await store.experiments.create({ name: 'contract-exp', tags: [{ key: 'team', value: 'a' }], now: 1000 });
      expect(exp.experimentId).not.toBe('0');
      expect(exp.artifactLocation).toBe(`mlflow-artifacts:/${exp.experimentId}`);
      expect(exp.tags).toEqual([{ key: 'team', value: 'a' }]);
      expect(await store.experiments.getByName('contract-exp')).toMatchObject({ experimentId: exp.experimentId });
      await expect(store.experiments.create({ name: 'contract-exp', tags: [], now: 1 })).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
      await store.experiments.rename(exp.experimentId, 'contract-exp-2', 2000);
      await store.experiments.setTag(exp.experimentId, { key: 'team', value: 'b' }, 2100);
      const renamed = await store.experiments.get(exp.experimentId);
      expect(renamed).toMatchObject({ name: 'contract-exp-2', lastUpdateTime: 2100, tags: [{ key: 'team', value: 'b' }] });
      await store.experiments.setLifecycleStage(exp.experimentId, 'deleted', 3000);
      const active = await store.experiments.search({ viewType: 'ACTIVE_ONLY', offset: 0, limit: 100 });
      expect(active.map((e) => e.experimentId)).not.toContain(exp.experimentId);
      const deleted = await store.experiments.search({ viewType: 'DELETED_ONLY', offset: 0, limit: 100 });
      expect(deleted.map((e) => e.experimentId)).toEqual([exp.experimentId]);
      expect(await store.experiments.get('999999')).toBeUndefined();
    });

    it('pages experiments by offset in a stable order', async () => {
      for (let i = 0; i < 7; i++) await store.experiments.create({ name: `page-${i}`, tags: [], now: 5000 + i });
      const like = { pattern: 'page-%', caseInsensitive: false };
      const seen: string[] = [];
      for (let offset = 0; offset < 10; offset += 3) {
        const page = await store.experiments.search({ viewType: 'ALL', nameLike: like, orderBy: [{ field: 'name', ascending: false }], offset, limit: 3 });
        seen.push(...page.map((e) => e.name));
      }
      expect(seen).toEqual(['page-6', 'page-5', 'page-4', 'page-3', 'page-2', 'page-1', 'page-0']);
      const ci = await store.experiments.search({ viewType: 'ALL', nameLike: { pattern: 'PAGE-1', caseInsensitive: true }, offset: 0, limit: 10 });
      expect(ci.map((e) => e.name)).toEqual(['page-1']);
    });

    it('creates runs and reads them back with params, tags and latest metrics', async () => {
      const exp = await store.experiments.create({ name: 'runs-crud', tags: [], now: 1 });
      const run = newRun(exp.experimentId, { tags: [{ key: 'stage', value: 'dev' }] });
      await store.runs.create(run);
      await store.transaction(async (tx) => {
        await tx.runs.insertParams(run.runId, [{ key: 'lr', value: '0.1' }, { key: 'depth', value: '6' }]);
        await tx.metrics.log(run.runId, [...points('loss', 5), { key: 'auc', value: 0.7, step: 1, timestamp: 10 }]);
      });
      await store.metrics.log(run.runId, [{ key: 'auc', value: 0.9, step: 2, timestamp: 5 }]);
      // An older step logged later does not replace the latest value.
      await store.metrics.log(run.runId, [{ key: 'auc', value: 0.1, step: 0, timestamp: 99 }]);
      await store.runs.update(run.runId, { status: 'FINISHED', endTime: 42, runName: 'renamed' });
      const got = await store.runs.get(run.runId);
      expect(got?.info).toMatchObject({ runId: run.runId, experimentId: exp.experimentId, runName: 'renamed', status: 'FINISHED', endTime: 42, lifecycleStage: 'active' });
      expect(got?.params).toEqual([{ key: 'depth', value: '6' }, { key: 'lr', value: '0.1' }]);
      expect(got?.tags).toEqual([{ key: 'stage', value: 'dev' }]);
      expect(got?.metrics).toEqual([
        { key: 'auc', value: 0.9, step: 2, timestamp: 5 },
        { key: 'loss', value: 0.4, step: 4, timestamp: 1004 },
      ]);
      expect(await store.runs.getParams(run.runId, ['lr', 'nope'])).toEqual(new Map([['lr', '0.1']]));
      await expect(store.runs.insertParams(run.runId, [{ key: 'lr', value: '0.2' }])).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
      await store.runs.setTags(run.runId, [{ key: 'stage', value: 'prod' }]);
      expect(await store.runs.deleteTag(run.runId, 'stage')).toBe(true);
      expect(await store.runs.deleteTag(run.runId, 'stage')).toBe(false);
      await store.runs.setLifecycleStage(run.runId, 'deleted', 77);
      expect((await store.runs.getInfo(run.runId))?.lifecycleStage).toBe('deleted');
      expect(await store.runs.get(newRunId())).toBeUndefined();
    });

    it('stores NaN and infinities and returns the history in step order, paged', async () => {
      const exp = await store.experiments.create({ name: 'history', tags: [], now: 1 });
      const run = newRun(exp.experimentId);
      await store.runs.create(run);
      await store.metrics.log(run.runId, [
        { key: 'm', value: Number.NaN, step: 2, timestamp: 3 },
        { key: 'm', value: Number.POSITIVE_INFINITY, step: 0, timestamp: 1 },
        { key: 'm', value: Number.NEGATIVE_INFINITY, step: 1, timestamp: 2 },
      ]);
      const all = await store.metrics.history(run.runId, 'm', { offset: 0, limit: 10 });
      expect(all.map((p) => p.value)).toEqual([Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN]);
      expect((await store.runs.get(run.runId))?.metrics[0]?.value).toBeNaN();
      await store.metrics.log(run.runId, points('long', 2500));
      const page1 = await store.metrics.history(run.runId, 'long', { offset: 0, limit: 1000 });
      const page3 = await store.metrics.history(run.runId, 'long', { offset: 2000, limit: 1000 });
      expect(page1).toHaveLength(1000);
      expect(page3).toHaveLength(500);
      expect(page3[499]).toEqual({ key: 'long', value: 249.9, step: 2499, timestamp: 3499 });
    });

    it('searches runs with filters, ordering and paging', async () => {
      const exp = await store.experiments.create({ name: 'search', tags: [], now: 1 });
      const specs = [
        { learner: 'gbdt', auc: 0.91, stage: 'prod', status: 'FINISHED' as const },
        { learner: 'gbdt', auc: 0.75, stage: 'dev', status: 'FINISHED' as const },
        { learner: 'linear', auc: 0.82, stage: 'prod', status: 'FAILED' as const },
        { learner: 'linear', auc: Number.NaN, stage: 'Prod', status: 'RUNNING' as const },
        { learner: 'tfjs', auc: undefined, stage: 'dev', status: 'RUNNING' as const },
      ];
      const ids: string[] = [];
      for (const [i, s] of specs.entries()) {
        const run = newRun(exp.experimentId, { startTime: 10_000 + i, status: s.status, runName: `s${i}`, tags: [{ key: 'stage', value: s.stage }] });
        ids.push(run.runId);
        await store.runs.create(run);
        await store.runs.insertParams(run.runId, [{ key: 'learner', value: s.learner }]);
        if (s.auc !== undefined) await store.metrics.log(run.runId, [{ key: 'auc', value: s.auc, step: 0, timestamp: 1 }]);
      }
      const search = async (filter: string, orderBy: string[] = [], offset = 0, limit = 100) =>
        (await store.runs.search({ experimentIds: [exp.experimentId], filter: parseRunFilter(filter), orderBy: parseRunOrderBy(orderBy), viewType: 'ACTIVE_ONLY', offset, limit })).map((r) => r.info.runName);

      expect(await search("metrics.auc > 0.8 and params.learner = 'gbdt' and tags.stage = 'prod'")).toEqual(['s0']);
      expect(await search('metrics.auc >= 0.75', ['metrics.auc DESC'])).toEqual(['s0', 's2', 's1']);
      expect(await search('', ['metrics.auc ASC'])).toEqual(['s1', 's2', 's0', 's4', 's3']);
      expect(await search("params.learner IN ('linear', 'tfjs')")).toEqual(['s4', 's3', 's2']);
      expect(await search("params.learner NOT IN ('linear', 'tfjs')")).toEqual(['s1', 's0']);
      expect(await search("tags.stage LIKE 'p%'")).toEqual(['s2', 's0']);
      expect(await search("tags.stage ILIKE 'p%'")).toEqual(['s3', 's2', 's0']);
      expect(await search("attributes.status = 'RUNNING'")).toEqual(['s4', 's3']);
      expect(await search('metrics.auc IS NULL')).toEqual(['s4']);
      expect(await search('attributes.start_time < 10002', ['attributes.start_time ASC'])).toEqual(['s0', 's1']);
      expect(await search("params.learner != 'gbdt'", ['params.learner DESC', 'attributes.run_name ASC'])).toEqual(['s4', 's2', 's3']);
      // Pages of 2 in the default order (newest first) cover every run exactly once.
      const paged = [...(await search('', [], 0, 2)), ...(await search('', [], 2, 2)), ...(await search('', [], 4, 2))];
      expect(paged).toEqual(['s4', 's3', 's2', 's1', 's0']);
      await store.runs.setLifecycleStage(ids[0]!, 'deleted', 1);
      expect(await search("params.learner = 'gbdt'")).toEqual(['s1']);
      const deleted = await store.runs.search({ experimentIds: [exp.experimentId], filter: [], orderBy: [], viewType: 'DELETED_ONLY', offset: 0, limit: 10 });
      expect(deleted.map((r) => r.info.runName)).toEqual(['s0']);
    });

    it('indexes artifacts by path and by run', async () => {
      const run = newRun('0');
      await store.runs.create(run);
      const rec = (path: string, digest: string, runId: string | null = run.runId) => ({ path, runId, digest: `sha256:${digest.repeat(64)}`, size: 3, createdAt: 1 });
      expect(await store.artifacts.put(rec(`0/${run.runId}/artifacts/a.txt`, 'a'))).toBeUndefined();
      await store.artifacts.put(rec(`0/${run.runId}/artifacts/dir/b.txt`, 'b'));
      const previous = await store.artifacts.put(rec(`0/${run.runId}/artifacts/a.txt`, 'c'));
      expect(previous?.digest).toBe(`sha256:${'a'.repeat(64)}`);
      expect((await store.artifacts.get(`0/${run.runId}/artifacts/a.txt`))?.digest).toBe(`sha256:${'c'.repeat(64)}`);
      expect((await store.artifacts.listByRun(run.runId)).map((r) => r.path)).toEqual([`0/${run.runId}/artifacts/a.txt`, `0/${run.runId}/artifacts/dir/b.txt`]);
      expect((await store.artifacts.listPrefix(`0/${run.runId}/artifacts/dir/`, 10)).map((r) => r.path)).toEqual([`0/${run.runId}/artifacts/dir/b.txt`]);
      // Prefixes are literal: % and _ are not wildcards.
      expect(await store.artifacts.listPrefix(`0/${run.runId}/artifacts/%`, 10)).toEqual([]);
      expect(await store.artifacts.delete(`0/${run.runId}/artifacts/a.txt`)).toBe(true);
      expect(await store.artifacts.delete(`0/${run.runId}/artifacts/a.txt`)).toBe(false);
    });

    it('appends audit events and lists them newest first', async () => {
      const first = await store.events.append({ at: 1, actor: 'ann', action: 'x.create', entityKind: 'thing', entityId: 't1', before: null, after: { a: 1 } });
      const second = await store.events.append({ at: 2, actor: 'bob', action: 'x.update', entityKind: 'thing', entityId: 't1', before: { a: 1 }, after: { a: 2 } });
      expect(second).toBeGreaterThan(first);
      const list = await store.events.list({ entityKind: 'thing', entityId: 't1', limit: 10 });
      expect(list.map((e) => [e.actor, e.before, e.after])).toEqual([
        ['bob', { a: 1 }, { a: 2 }],
        ['ann', null, { a: 1 }],
      ]);
      expect((await store.events.list({ entityKind: 'thing', beforeId: second, limit: 10 })).map((e) => e.eventId)).toEqual([first]);
      expect((await store.events.list({ actor: 'ann', entityKind: 'thing', limit: 10 })).map((e) => e.eventId)).toEqual([first]);
    });

    it('stores tokens by secret hash and revokes them', async () => {
      const before = await store.tokens.countActive();
      await store.tokens.create({ tokenId: 'tok_1', name: 'ci', role: 'editor', createdBy: 'ann', createdAt: 1, revokedAt: null, lastUsedAt: null, secretHash: 'h1' });
      expect(await store.tokens.countActive()).toBe(before + 1);
      expect(await store.tokens.findBySecretHash('h1')).toMatchObject({ tokenId: 'tok_1', role: 'editor' });
      await store.tokens.touch('tok_1', 5);
      expect((await store.tokens.get('tok_1'))?.lastUsedAt).toBe(5);
      expect(await store.tokens.revoke('tok_1', 9)).toBe(true);
      expect(await store.tokens.revoke('tok_1', 10)).toBe(false);
      expect(await store.tokens.countActive()).toBe(before);
    });

    it('rolls back every write of a failed transaction', async () => {
      const run = newRun('0');
      await store.runs.create(run);
      await expect(
        store.transaction(async (tx) => {
          await tx.metrics.log(run.runId, points('rollback', 600));
          await tx.runs.insertParams(run.runId, [{ key: 'p', value: '1' }]);
          throw new OrchardError('INVALID_ARGUMENT', 'stop here');
        }),
      ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: 'stop here' });
      expect(await store.metrics.history(run.runId, 'rollback', { offset: 0, limit: 10 })).toEqual([]);
      expect((await store.runs.get(run.runId))?.params).toEqual([]);
    });

    it('takes concurrent writers from two processes without losing a point', async () => {
      const exp = await store.experiments.create({ name: 'concurrent', tags: [], now: 1 });
      const [a, b] = await Promise.all([runChild(['write', uri, exp.experimentId, 'A']), runChild(['write', uri, exp.experimentId, 'B'])]);
      expect(a.stderr).toBe('');
      expect(b.stderr).toBe('');
      expect([a.code, b.code]).toEqual([0, 0]);
      const runs = await store.runs.search({ experimentIds: [exp.experimentId], filter: [], orderBy: [], viewType: 'ALL', offset: 0, limit: 1000 });
      expect(runs).toHaveLength(2 * 10);
      for (const run of runs) {
        const history = await store.metrics.history(run.info.runId, 'loss', { offset: 0, limit: 10_000 });
        expect(history).toHaveLength(5 * 200);
        expect(history.map((p) => p.step)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
        expect(run.metrics).toEqual([{ key: 'loss', value: 999, step: 999, timestamp: 999 }]);
        expect(run.params.map((p) => p.key)).toEqual(['writer']);
      }
    });

    it('leaves no partial batch when a writer is killed in the middle of one', async () => {
      const run = newRun('0');
      await store.runs.create(run);
      const result = await runChild(['hang-in-batch', uri, run.runId], (line, kill) => {
        if (line.includes('mid-batch')) kill();
      });
      expect(result.signal).toBe('SIGKILL');
      expect(result.stdout).toContain('mid-batch');
      expect(await store.metrics.history(run.runId, 'killed', { offset: 0, limit: 10 })).toEqual([]);
      expect((await store.runs.get(run.runId))?.metrics).toEqual([]);
      // The lock the dead writer held is gone: the store takes writes again.
      await store.metrics.log(run.runId, points('after', 3));
      expect(await store.metrics.history(run.runId, 'after', { offset: 0, limit: 10 })).toHaveLength(3);
    });

    it('grants a lock to one owner at a time, renews it, lets it expire, and hands it over from a dead owner', async () => {
      const name = `lock-${newRunId()}`;
      expect(await store.locks.acquire({ name, owner: 'a', expiresAt: 2_000, now: 1_000 })).toEqual({ acquired: true, holder: { name, owner: 'a', expiresAt: 2_000 } });
      expect(await store.locks.acquire({ name, owner: 'b', expiresAt: 2_500, now: 1_500 })).toEqual({ acquired: false, holder: { name, owner: 'a', expiresAt: 2_000 } });
      expect(await store.locks.acquire({ name, owner: 'a', expiresAt: 3_000, now: 1_500 })).toMatchObject({ acquired: true });
      expect(await store.locks.renew(name, 'a', 4_000)).toBe(true);
      expect(await store.locks.renew(name, 'b', 9_000)).toBe(false);
      // Expired: anyone may take it; held by a known-dead owner: taken at once.
      expect(await store.locks.acquire({ name, owner: 'b', expiresAt: 6_000, now: 5_000 })).toMatchObject({ acquired: true, holder: { owner: 'b' } });
      expect(await store.locks.acquire({ name, owner: 'c', expiresAt: 7_000, now: 5_500, replaceOwner: 'a' })).toMatchObject({ acquired: false, holder: { owner: 'b' } });
      expect(await store.locks.acquire({ name, owner: 'c', expiresAt: 7_000, now: 5_500, replaceOwner: 'b' })).toMatchObject({ acquired: true, holder: { owner: 'c' } });
      expect(await store.locks.release(name, 'b')).toBe(false);
      expect(await store.locks.release(name, 'c')).toBe(true);
      expect(await store.locks.get(name)).toBeUndefined();
      // Two owners racing for a free lock: exactly one wins.
      const race = await Promise.all(['x', 'y', 'z'].map((owner) => store.locks.acquire({ name, owner, expiresAt: 9_000, now: 8_000 })));
      expect(race.filter((r) => r.acquired)).toHaveLength(1);
    });

    it('stores pipeline versions, runs, units, attempts and cache entries', async () => {
      const name = `p-${newRunId().slice(0, 8)}`;
      const v1 = await store.pipelines.addVersion({ name, digest: 'sha256:' + 'a'.repeat(64), gitCommit: null, source: '/x/p.ts', createdBy: 't', createdAt: 1 });
      const v2 = await store.pipelines.addVersion({ name, digest: 'sha256:' + 'b'.repeat(64), gitCommit: 'abc', source: '/x/p.ts', createdBy: 't', createdAt: 2 });
      const again = await store.pipelines.addVersion({ name, digest: 'sha256:' + 'a'.repeat(64), gitCommit: null, source: '/y/p.ts', createdBy: 't', createdAt: 3 });
      expect([v1.version.version, v1.created, v2.version.version, again.version.version, again.created]).toEqual([1, true, 2, 1, false]);
      expect((await store.pipelines.getVersion(name, 'latest'))?.gitCommit).toBe('abc');
      expect((await store.pipelines.listVersions(name)).map((v) => v.version)).toEqual([2, 1]);

      const runId = newRunId();
      await store.pipelines.createRun({ runId, pipeline: name, version: 2, moduleDigest: v2.version.digest, source: null, params: { pipeline: { n: 1 }, nodes: {} }, options: { noCache: false }, status: 'RUNNING', createdBy: 't', createdAt: 5, updatedAt: 5 });
      await store.pipelines.setRunStatus(runId, 'FINISHED', 9);
      expect(await store.pipelines.getRun(runId)).toMatchObject({ pipeline: name, version: 2, params: { pipeline: { n: 1 } }, status: 'FINISHED', updatedAt: 9 });
      const step = { runId, unit: 'sq[1]', node: 'sq', index: 1, status: 'RUNNING', stepRunId: null, cacheKey: null, attempts: 1, outputs: null, reason: null, startedAt: 6, endedAt: null };
      await store.pipelines.putStep(step);
      await store.pipelines.putStep({ ...step, status: 'SUCCEEDED', outputs: { y: { kind: 'value', value: [1.5, null] } }, endedAt: 8 });
      expect(await store.pipelines.listSteps(runId)).toEqual([{ ...step, status: 'SUCCEEDED', outputs: { y: { kind: 'value', value: [1.5, null] } }, endedAt: 8 }]);
      const attempt = { runId, unit: 'sq[1]', attempt: 1, status: 'RUNNING', worker: 'host:1', failureKind: null, message: null, startedAt: 6, endedAt: null };
      await store.pipelines.putAttempt(attempt);
      await store.pipelines.putAttempt({ ...attempt, status: 'FAILED', failureKind: 'crash', message: 'gone', endedAt: 7 });
      await store.pipelines.putAttempt({ ...attempt, attempt: 2, startedAt: 7 });
      expect((await store.pipelines.listAttempts(runId)).map((a) => [a.attempt, a.status, a.failureKind])).toEqual([[1, 'FAILED', 'crash'], [2, 'RUNNING', null]]);

      const key = 'sha256:' + 'c'.repeat(64);
      expect(await store.pipelines.getCache(key)).toBeUndefined();
      await store.pipelines.putCache({ cacheKey: key, outputs: { f: { kind: 'file', digest: 'sha256:' + 'd'.repeat(64), size: 3 } }, stepRunId: runId, createdAt: 10 });
      await store.pipelines.putCache({ cacheKey: key, outputs: { f: { kind: 'value', value: 2 } }, stepRunId: runId, createdAt: 11 });
      expect(await store.pipelines.getCache(key)).toEqual({ cacheKey: key, outputs: { f: { kind: 'value', value: 2 } }, stepRunId: runId, createdAt: 11 });
    });
  });
}
