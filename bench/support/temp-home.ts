import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/core/config.js';
import { createOrchard, type Platform } from '../../src/orchard.js';

/**
 * A platform on a fresh ORCHARD_HOME (the embedded default: SQLite file and
 * artifact folder). The environment is not read, so ORCHARD_URL or ORCHARD_DB
 * of the shell cannot redirect a bench.
 */
export async function tempPlatform(prefix: string): Promise<{ platform: Platform; home: string; cleanup: (keep?: boolean) => Promise<void> }> {
  const home = mkdtempSync(join(tmpdir(), prefix));
  const platform = await createOrchard(loadConfig({ ORCHARD_HOME: home, ORCHARD_USER: 'bench' }, home));
  return {
    platform,
    home,
    cleanup: async (keep = false) => {
      await platform.close();
      if (!keep) rmSync(home, { recursive: true, force: true });
    },
  };
}
