import { randomUUID } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import { invalidArgument, notFound, OrchardError } from '../core/errors.js';
import type { MonitorRunInput } from '../monitoring/monitor-service.js';
import { monitoredEndpoint, monitorRunInput } from './monitor-schedule.js';
import type { ScheduleRecord, TriggerRecord } from '../metadata/loop-repositories.js';
import type { MetadataStore } from '../metadata/metadata-store.js';
import { labelsKey } from '../metadata/kysely/alert-repository.js';
import type { Actor } from '../tracking/tracking-service.js';
import { latestDue } from './cron-schedule.js';
import { TRIGGER_SOURCE_TAG, TRIGGER_TAG, type PipelineLauncher } from './pipeline-launcher.js';
import type { ScheduleService } from './schedule-service.js';

/** What one tick started (or failed to start). */
export interface Fired {
  /** `schedule:<name>` or `trigger:<name>`. */
  readonly source: string;
  /** The claim: a due time, a dataset version, an alert firing, a webhook call. */
  readonly key: string;
  readonly runId: string | null;
  readonly error: string | null;
  readonly finished: Promise<unknown> | null;
}

/** Runs an endpoint's monitor now (the monitoring service, in the scheduler's process). */
export interface MonitorRunner {
  run(endpoint: string, input: MonitorRunInput): Promise<{ record: { id: number } }>;
}

export interface LoopSchedulerDeps {
  readonly store: MetadataStore;
  readonly monitors?: MonitorRunner;
  readonly schedules: ScheduleService;
  readonly launcher: PipelineLauncher;
  readonly clock: Clock;
  /** Who claims, for the claim rows (`host:pid`). */
  readonly owner: string;
}

/**
 * Fires schedules and triggers. Every firing is first claimed in the metadata store —
 * a row whose key is (schedule, due time) or (trigger, event) — and only the process
 * whose insert lands starts the run, so any number of servers can tick the same store.
 *
 * Catch-up policy: a tick looks at the latest due time of each schedule; ticks missed
 * while no process ran are not replayed one by one — the latest one runs once.
 */
export class LoopScheduler {
  readonly #d: LoopSchedulerDeps;

  constructor(deps: LoopSchedulerDeps) {
    this.#d = deps;
  }

  /**
   * Runs every due monitor schedule once (claimed like any schedule), in this process. The
   * server ticks these before evaluating alert rules, so a rule sees the result at once.
   */
  async tickMonitors(actor: Actor): Promise<Fired[]> {
    const fired: Fired[] = [];
    for (const { s, endpoint, key } of await this.#dueSchedules()) {
      if (endpoint === undefined) continue;
      const f = await this.#claimed(actor, `schedule:${s.name}`, key, async () => {
        const result = (await this.#monitor(endpoint, s.params)).record.id;
        return { runId: null, finished: null, after: { endpoint, result } };
      }, ['monitor.scheduled_run', 'monitor.scheduled_fail'], { endpoint, result: null });
      if (f) fired.push(f);
    }
    return fired;
  }

  /**
   * Runs a monitor schedule's monitor now, on demand (no claim: a manual run does not take
   * the place of a due tick). @throws OrchardError `NOT_FOUND` for an unknown schedule;
   * `INVALID_ARGUMENT` for a pipeline schedule; the monitor's own errors.
   */
  async runMonitor(name: string): Promise<{ record: { id: number } }> {
    const s = await this.#d.store.schedules.getSchedule(name);
    if (!s) throw notFound(`No schedule '${name}'; list them with \`orchard schedules list\`.`, { schedule: name });
    const endpoint = monitoredEndpoint(s.pipeline);
    if (endpoint === undefined) throw invalidArgument(`Schedule '${name}' runs pipeline ${s.pipeline}, not a monitor; create one with \`orchard monitor schedule <endpoint> --cron …\`.`, { schedule: name });
    return this.#monitor(endpoint, s.params);
  }

  #monitor(endpoint: string, params: Readonly<Record<string, string>>): Promise<{ record: { id: number } }> {
    if (!this.#d.monitors) throw new OrchardError('CONFIG_ERROR', 'This scheduler has no monitoring service to run monitors with.');
    return this.#d.monitors.run(endpoint, monitorRunInput(params));
  }

  /** Fires every due pipeline schedule, every new dataset version and every new alert firing once. */
  async tick(actor: Actor): Promise<Fired[]> {
    const fired: Fired[] = [];
    for (const { s, endpoint, key } of await this.#dueSchedules()) {
      if (endpoint !== undefined) continue;
      const f = await this.#claimAndLaunch(actor, `schedule:${s.name}`, key, { pipeline: s.pipeline, params: s.params, kind: 'schedule', source: `schedule:${s.name}@${key}` });
      if (f) fired.push(f);
    }
    for (const t of await this.#d.store.schedules.listTriggers('dataset')) fired.push(...(await this.#datasetTrigger(actor, t)));
    for (const t of await this.#d.store.schedules.listTriggers('alert')) fired.push(...(await this.#alertTrigger(actor, t)));
    return fired;
  }

  /**
   * Fires a webhook trigger. A `key` (say, CI's build id) makes retries safe: a key
   * already fired starts nothing and returns the earlier claim.
   * @throws OrchardError `NOT_FOUND` for an unknown trigger; `INVALID_ARGUMENT` for one that is not a webhook.
   */
  async fire(actor: Actor, name: string, options: { key?: string; source?: string } = {}): Promise<Fired & { duplicate: boolean }> {
    const t = await this.#d.schedules.getTrigger(name);
    if (t.kind !== 'webhook') throw invalidArgument(`Trigger '${name}' is a ${t.kind} trigger and fires on its own; only webhook triggers are fired by a call. Create one with \`orchard triggers create <name> --on webhook --pipeline <p>\`.`, { trigger: name, kind: t.kind });
    const key = options.key ?? randomUUID();
    const source = `webhook:${name}${options.source ? `:${options.source}` : ''}`;
    const f = await this.#claimAndLaunch(actor, `trigger:${name}`, key, { pipeline: t.pipeline, params: t.params, kind: 'webhook', source });
    if (f) return { ...f, duplicate: false };
    const earlier = (await this.#d.store.schedules.listClaims(`trigger:${name}`, 1000)).find((c) => c.key === key);
    return { source: `trigger:${name}`, key, runId: earlier?.runId ?? null, error: earlier?.error ?? null, finished: null, duplicate: true };
  }

  async #datasetTrigger(actor: Actor, t: TriggerRecord): Promise<Fired[]> {
    const match = globToRegExp(t.pattern ?? '');
    const fired: Fired[] = [];
    for (const { name, latest } of await this.#d.store.datasets.listDatasets()) {
      // Versions that existed before the trigger do not fire it; only the newest version fires, once.
      if (!match.test(name) || latest.createdAt < t.createdAt) continue;
      const key = `${name}@${latest.version}`;
      const f = await this.#claimAndLaunch(actor, `trigger:${t.name}`, key, { pipeline: t.pipeline, params: t.params, kind: 'dataset', source: `dataset:${key}` });
      if (f) fired.push(f);
    }
    return fired;
  }

  async #alertTrigger(actor: Actor, t: TriggerRecord): Promise<Fired[]> {
    const fired: Fired[] = [];
    for (const a of await this.#d.store.alerts.listAlerts({ rule: t.pattern ?? '', states: ['firing'] })) {
      if (a.firedAt === null || a.firedAt < t.createdAt) continue;
      // One run per firing: the same alert firing again later is a new key.
      const key = `${a.rule}${labelsKey(a.labels)}@${new Date(a.firedAt).toISOString()}`;
      const f = await this.#claimAndLaunch(actor, `trigger:${t.name}`, key, { pipeline: t.pipeline, params: t.params, kind: 'alert', source: `alert:${key}` });
      if (f) fired.push(f);
    }
    return fired;
  }

  /** Schedules with a due time now, each with its claim key (the latest due time) and, for a monitor schedule, its endpoint. */
  async #dueSchedules(): Promise<{ s: ScheduleRecord; endpoint: string | undefined; key: string }[]> {
    const now = this.#d.clock.now();
    const out = [];
    for (const s of await this.#d.store.schedules.listSchedules()) {
      const due = latestDue(s.cron, s.timezone, s.createdAt, now);
      if (due !== undefined) out.push({ s, endpoint: monitoredEndpoint(s.pipeline), key: new Date(due).toISOString() });
    }
    return out;
  }

  #claimAndLaunch(actor: Actor, claimSource: string, key: string, run: { pipeline: string; params: Readonly<Record<string, string>>; kind: string; source: string }): Promise<Fired | undefined> {
    return this.#claimed(actor, claimSource, key, async () => {
      // Named after what started it, e.g. `retrain-on-data-drift (alert)`, so run listings say why it ran.
      const runName = `${claimSource.slice(claimSource.indexOf(':') + 1)} (${run.kind})`;
      const launched = await this.#d.launcher.launch(actor, { pipeline: run.pipeline, params: run.params, tags: [{ key: TRIGGER_TAG, value: run.kind }, { key: TRIGGER_SOURCE_TAG, value: run.source }], runName });
      return { runId: launched.runId, finished: launched.finished, after: { runId: launched.runId, source: run.source } };
    }, ['trigger.fire', 'trigger.fail'], { runId: null, source: run.source });
  }

  /**
   * Claims (source, key); only the process whose claim lands starts the work. The claim is
   * settled with the run it started or the error, and the outcome audited (`actions`: on success,
   * on failure; `after` fields from the work, or `failed` ones when it threw).
   */
  async #claimed(
    actor: Actor,
    claimSource: string,
    key: string,
    start: () => Promise<{ runId: string | null; finished: Promise<unknown> | null; after: Record<string, unknown> }>,
    actions: readonly [string, string],
    failed: Record<string, unknown>,
  ): Promise<Fired | undefined> {
    const won = await this.#d.store.schedules.claim({ source: claimSource, key, claimedBy: this.#d.owner, claimedAt: this.#d.clock.now() });
    if (!won) return undefined;
    let started: Awaited<ReturnType<typeof start>> | undefined;
    let error: string | null = null;
    try {
      started = await start();
    } catch (e) {
      error = (e as Error).message;
    }
    const runId = started?.runId ?? null;
    await this.#d.store.schedules.settleClaim(claimSource, key, { runId, error });
    await this.#d.store.events.append({ at: this.#d.clock.now(), actor: actor.name, action: error === null ? actions[0] : actions[1], entityKind: claimSource.split(':')[0]!, entityId: claimSource.slice(claimSource.indexOf(':') + 1), before: null, after: { key, ...(started?.after ?? failed), error } });
    return { source: claimSource, key, runId, error, finished: started?.finished ?? null };
  }
}

/** `flights-*` → /^flights-.*$/; every other character is literal. */
export function globToRegExp(pattern: string): RegExp {
  return new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
}
