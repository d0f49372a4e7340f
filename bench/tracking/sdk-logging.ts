import type { Platform } from '../../src/orchard.js';
import { Orchard } from '../../src/sdk/index.js';
import type { Measurement } from '../support/report.js';
import { nowMs, repeat } from '../support/stats.js';
import { KEYS_PER_STEP } from './points.js';
import type { TrackingBenchSizes } from './sizes.js';

/**
 * What a user's training script sees: startRun → logMetric in a loop → end(),
 * timed from startRun until end() resolves (everything stored), with the
 * SDK's default batching (1000 points per send).
 */
export async function measureSdk(platform: Platform, url: string, experimentId: string, sizes: TrackingBenchSizes): Promise<Measurement[]> {
  const remote = Orchard.remote(url);
  const embedded = Orchard.embedded(platform);
  try {
    const section = '4 SDK';
    return [
      { section, label: 'Orchard.remote(url): logMetric loop → end()', unit: 'points/s', samples: await repeat(sizes.reps, () => loggingRate(remote, experimentId, sizes.sdkPoints)) },
      { section, label: 'Orchard.embedded(platform): same loop', unit: 'points/s', samples: await repeat(sizes.reps, () => loggingRate(embedded, experimentId, sizes.sdkPoints)) },
    ];
  } finally {
    await remote.close();
    await embedded.close();
  }
}

async function loggingRate(orchard: Orchard, experimentId: string, points: number): Promise<number> {
  const t0 = nowMs();
  const run = await orchard.startRun({ experiment: { id: experimentId }, runName: 'sdk-bench' });
  for (let i = 0; i < points; i++) run.logMetric(`metric_${i % KEYS_PER_STEP}`, Math.random(), { step: Math.floor(i / KEYS_PER_STEP) });
  await run.end();
  return (points * 1000) / (nowMs() - t0);
}
