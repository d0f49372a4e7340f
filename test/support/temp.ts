import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type OrchardConfig } from '../../src/core/config.js';
import { createOrchard, type Platform } from '../../src/orchard.js';

/** A fresh folder under the OS temp dir; removed by the returned cleanup. */
export function tempDir(prefix = 'orchard-test-'): { path: string; cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

/** A platform on a fresh embedded home (SQLite file and artifact folder), or on `db` when given. */
export async function tempPlatform(options: { db?: string } = {}): Promise<{ platform: Platform; config: OrchardConfig; home: string; cleanup: () => Promise<void> }> {
  const dir = tempDir();
  const config = loadConfig({ ORCHARD_HOME: dir.path, ...(options.db ? { ORCHARD_DB: options.db } : {}), ORCHARD_USER: 'tester' }, dir.path);
  const platform = await createOrchard(config);
  return {
    platform,
    config,
    home: dir.path,
    cleanup: async () => {
      await platform.close();
      dir.cleanup();
    },
  };
}
