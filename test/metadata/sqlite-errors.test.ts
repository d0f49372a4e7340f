import BetterSqlite3 from 'better-sqlite3';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/core/config.js';
import { createMetadataStore } from '../../src/metadata/create-metadata-store.js';
import { createOrchard } from '../../src/orchard.js';
import { buildServer } from '../../src/server/app.js';
import { tempDir } from '../support/temp.js';

describe('SQLite store failures become clear errors', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('a database locked by another process gives STORE_BUSY after the busy timeout, and HTTP 503 with Retry-After', async () => {
    const dir = tempDir();
    cleanups.push(dir.cleanup);
    const config = loadConfig({ ORCHARD_HOME: dir.path, ORCHARD_DB: `sqlite:${dir.path}/o.db?busy_timeout=150` }, dir.path);
    const platform = await createOrchard(config);
    cleanups.push(() => platform.close());
    const app = await buildServer(platform);
    cleanups.push(() => app.close());
    const created = await app.inject({ method: 'POST', url: '/api/2.0/mlflow/runs/create', payload: { experiment_id: '0' } });
    const runId = created.json().run.info.run_id as string;

    // Another connection (as another process would) holds the write lock.
    const other = new BetterSqlite3(`${dir.path}/o.db`);
    other.exec('begin immediate');
    try {
      const res = await app.inject({ method: 'POST', url: '/api/2.0/mlflow/runs/log-metric', payload: { run_id: runId, key: 'm', value: 1, timestamp: 1 } });
      expect(res.statusCode).toBe(503);
      expect(res.headers['retry-after']).toBe('1');
      expect(res.json()).toMatchObject({ code: 'STORE_BUSY', error_code: 'TEMPORARILY_UNAVAILABLE' });
      expect(res.json().message).toMatch(/locked by another writer for more than 150 ms; retry/);
    } finally {
      other.exec('rollback');
      other.close();
    }
    // Once the lock is released, the same write goes through: nothing was half-written.
    const retry = await app.inject({ method: 'POST', url: '/api/2.0/mlflow/runs/log-metric', payload: { run_id: runId, key: 'm', value: 1, timestamp: 1 } });
    expect(retry.statusCode).toBe(200);
    const history = await app.inject({ method: 'GET', url: `/api/2.0/mlflow/metrics/get-history?run_id=${runId}&metric_key=m` });
    expect(history.json().metrics).toHaveLength(1);
  });

  it('a read-only database serves reads and refuses writes with STORE_READ_ONLY', async () => {
    const dir = tempDir();
    cleanups.push(dir.cleanup);
    const writable = await createOrchard(loadConfig({ ORCHARD_HOME: dir.path }, dir.path));
    await writable.close();
    const config = loadConfig({ ORCHARD_HOME: dir.path, ORCHARD_DB: `sqlite:${dir.path}/orchard.db?mode=ro` }, dir.path);
    const platform = await createOrchard(config);
    cleanups.push(() => platform.close());
    const app = await buildServer(platform);
    cleanups.push(() => app.close());
    const read = await app.inject({ method: 'GET', url: '/api/2.0/mlflow/experiments/get?experiment_id=0' });
    expect(read.statusCode).toBe(200);
    const write = await app.inject({ method: 'POST', url: '/api/2.0/mlflow/experiments/create', payload: { name: 'x' } });
    expect(write.statusCode).toBe(503);
    expect(write.json()).toMatchObject({ code: 'STORE_READ_ONLY' });
    expect(write.json().message).toMatch(/is read-only.*drop mode=ro/);
  });

  it('a file that is not a SQLite database is refused at start with STORE_UNAVAILABLE', async () => {
    const dir = tempDir();
    cleanups.push(dir.cleanup);
    const path = join(dir.path, 'junk.db');
    writeFileSync(path, 'this is not a database, just text that is long enough to have a header'.repeat(20));
    const store = await createMetadataStore(`sqlite:${path}`);
    await expect(store.init()).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE', message: expect.stringContaining('is not a valid SQLite database') });
  });

  it('an unknown scheme or option names the setting and the fix', async () => {
    await expect(createMetadataStore('mongodb://x')).rejects.toThrow(/ORCHARD_DB must start with one of: sqlite:, postgres:, postgresql:/);
    await expect(createMetadataStore('sqlite:/tmp/x.db?cache=shared')).rejects.toThrow(/unknown SQLite options cache/);
  });
});
