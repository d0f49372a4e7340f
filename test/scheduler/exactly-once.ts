import { expect, it } from 'vitest';
import type { Clock } from '../../src/core/clock.js';
import type { Platform } from '../../src/orchard.js';
import { LoopScheduler } from '../../src/scheduler/loop-scheduler.js';
import type { PipelineLauncher } from '../../src/scheduler/pipeline-launcher.js';

/** A launcher that counts what it was asked to start (the pipeline runner is tested elsewhere). */
export function countingLauncher(): PipelineLauncher & { calls: { pipeline: string; tags: readonly { key: string; value: string }[] }[] } {
  const calls: { pipeline: string; tags: readonly { key: string; value: string }[] }[] = [];
  return {
    calls,
    async launch(_actor, input) {
      calls.push({ pipeline: input.pipeline, tags: input.tags });
      return { runId: `run-${calls.length}`, finished: Promise.resolve() };
    },
  };
}

/**
 * Exactly-once firing with several schedulers on one store: `open` gives independent
 * platforms (separate connections, as separate server processes have) on the same database.
 */
export function exactlyOnceSuite(open: (clock: Clock) => Promise<Platform[]>, close: (p: Platform[]) => Promise<void>): void {
  it('fires each due tick once across schedulers ticking at the same time, and catches up once', async () => {
    let now = Date.parse('2025-03-01T00:00:00Z');
    const clock = { now: () => now };
    const platforms = await open(clock);
    try {
      const launchers = platforms.map(() => countingLauncher());
      const schedulers = platforms.map((p, i) => new LoopScheduler({ store: p.store, schedules: p.schedules, launcher: launchers[i]!, clock, owner: `proc-${i}` }));
      await platforms[0]!.schedules.createSchedule({ name: 'tester' }, { name: 'hourly', cron: '0 * * * *', pipeline: 'train@latest' });
      const total = () => launchers.reduce((n, l) => n + l.calls.length, 0);

      now = Date.parse('2025-03-01T00:30:00Z');
      await Promise.all(schedulers.map((s) => s.tick({ name: 'scheduler' })));
      expect(total()).toBe(0); // created at 00:00, first tick 01:00

      now = Date.parse('2025-03-01T01:00:05Z');
      for (let round = 0; round < 3; round++) await Promise.all(schedulers.map((s) => s.tick({ name: 'scheduler' })));
      expect(total()).toBe(1);

      // Down for five hours: the missed ticks (02:00 … 06:00) run once, as the 06:00 tick.
      now = Date.parse('2025-03-01T06:10:00Z');
      await Promise.all(schedulers.map((s) => s.tick({ name: 'scheduler' })));
      expect(total()).toBe(2);
      const claims = await platforms[0]!.store.schedules.listClaims('schedule:hourly', 10);
      expect(claims.map((c) => c.key)).toEqual(['2025-03-01T06:00:00.000Z', '2025-03-01T01:00:00.000Z']);
      const fired = launchers.flatMap((l) => l.calls);
      expect(fired.map((c) => c.tags.find((t) => t.key === 'orchard.trigger.source')?.value).sort()).toEqual(['schedule:hourly@2025-03-01T01:00:00.000Z', 'schedule:hourly@2025-03-01T06:00:00.000Z']);
    } finally {
      await close(platforms);
    }
  });

  it('runs a monitor schedule once per due tick across schedulers, in process, and never as a pipeline', async () => {
    let now = Date.parse('2025-03-01T00:00:00Z');
    const clock = { now: () => now };
    const platforms = await open(clock);
    try {
      const launchers = platforms.map(() => countingLauncher());
      const runs: { endpoint: string; input: unknown }[] = [];
      const monitors = { run: async (endpoint: string, input: unknown) => (runs.push({ endpoint, input }), { record: { id: runs.length } }) };
      const schedulers = platforms.map((p, i) => new LoopScheduler({ store: p.store, schedules: p.schedules, launcher: launchers[i]!, monitors, clock, owner: `proc-${i}` }));
      await platforms[0]!.schedules.createSchedule({ name: 'tester' }, { name: 'watch', cron: '*/15 * * * *', pipeline: 'monitor:flights', params: { reference: 'model:flights@champion', window: 'last:500', features: 'distance,origin' } });
      await expect(platforms[0]!.schedules.createSchedule({ name: 'tester' }, { name: 'bad', cron: '* * * * *', pipeline: 'monitor:flights', params: { window: 'yesterday', colour: 'red' } })).rejects.toThrow(/window 'yesterday' is neither a duration.*not colour/s);
      now = Date.parse('2025-03-01T00:15:02Z');
      for (let round = 0; round < 3; round++) await Promise.all(schedulers.flatMap((s) => [s.tickMonitors({ name: 'scheduler' }), s.tick({ name: 'scheduler' })]));
      expect(runs).toEqual([{ endpoint: 'flights', input: { reference: 'model:flights@champion', window: { last: 500 }, features: ['distance', 'origin'] } }]);
      expect(launchers.every((l) => l.calls.length === 0)).toBe(true);
      now = Date.parse('2025-03-01T00:31:00Z');
      await Promise.all(schedulers.map((s) => s.tickMonitors({ name: 'scheduler' })));
      expect(runs).toHaveLength(2);
      expect((await platforms[0]!.store.schedules.listClaims('schedule:watch', 10)).map((c) => c.key)).toEqual(['2025-03-01T00:30:00.000Z', '2025-03-01T00:15:00.000Z']);
    } finally {
      await close(platforms);
    }
  });
}
