import type { Logger } from '../core/logger.js';
import type { AlertService } from '../alerts/alert-service.js';
import type { Actor } from '../tracking/tracking-service.js';
import type { Fired, LoopScheduler } from './loop-scheduler.js';

/** The server's tick: run due monitors, evaluate alert rules, then fire what is due. Returns a stop function. */
export function startSchedulerLoop(deps: { scheduler: LoopScheduler; alerts: AlertService; logger: Logger; intervalMs: number; actor?: Actor }): { stop(): Promise<void> } {
  const actor = deps.actor ?? { name: 'scheduler' };
  let running: Promise<void> = Promise.resolve();
  let stopped = false;
  const tick = () => {
    running = runTick(deps.scheduler, deps.alerts, actor, deps.logger).then(
      () => undefined,
      (e: Error) => deps.logger.warn(`scheduler tick failed: ${e.message}`),
    );
  };
  // The first tick runs at once, so ticks missed while no server ran fire on start (once).
  tick();
  const timer = setInterval(() => {
    if (!stopped) void running.then(tick);
  }, deps.intervalMs);
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}

/** One tick; a run it starts goes on in the background. */
export async function runTick(scheduler: LoopScheduler, alerts: AlertService, actor: Actor, logger: Logger): Promise<Fired[]> {
  // Monitors first, so the rules evaluated next see their results in the same tick.
  for (const m of await scheduler.tickMonitors(actor)) logger.info(m.error === null ? `${m.source} ran its monitor (${m.key})` : `${m.source} monitor failed (${m.key}): ${m.error}`);
  for (const c of await alerts.evaluate(actor)) logger.info(`alert ${c.alert.rule} ${JSON.stringify(c.alert.labels)} ${c.transition} (value ${c.alert.value})`);
  const fired = await scheduler.tick(actor);
  for (const f of fired) logger.info(f.error === null ? `${f.source} fired (${f.key}): run ${f.runId}` : `${f.source} failed to start (${f.key}): ${f.error}`);
  return fired;
}
