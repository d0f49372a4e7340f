import { alreadyExists, notFound, throwIfIssues, type Issue } from '../core/errors.js';
import { monitorScheduleIssues } from './monitor-schedule.js';
import type { Clock } from '../core/clock.js';
import type { ScheduleRecord, TriggerKind, TriggerRecord } from '../metadata/loop-repositories.js';
import type { MetadataStore } from '../metadata/metadata-store.js';
import type { Actor } from '../tracking/tracking-service.js';
import { cronIssues, nextDue } from './cron-schedule.js';

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const KINDS: readonly TriggerKind[] = ['dataset', 'alert', 'webhook'];

export interface ScheduleInput {
  readonly name: string;
  readonly cron: string;
  readonly timezone?: string;
  readonly pipeline: string;
  readonly params?: Readonly<Record<string, string>>;
}

export interface TriggerInput {
  readonly name: string;
  readonly kind: string;
  /** Dataset name pattern (`*` any characters) or alert rule name; none for webhooks. */
  readonly pattern?: string | null;
  readonly pipeline: string;
  readonly params?: Readonly<Record<string, string>>;
}

/** Schedules and triggers: validated, stored, each change an audit event. */
export class ScheduleService {
  readonly #store: MetadataStore;
  readonly #clock: Clock;

  constructor(store: MetadataStore, clock: Clock) {
    this.#store = store;
    this.#clock = clock;
  }

  /** @throws OrchardError `INVALID_ARGUMENT` listing every problem; `ALREADY_EXISTS` for a taken name. */
  async createSchedule(actor: Actor, input: ScheduleInput): Promise<ScheduleRecord> {
    const timezone = input.timezone ?? 'UTC';
    const issues: Issue[] = [...nameIssues('schedule', input.name), ...pipelineIssues(input.pipeline), ...cronIssues(input.cron, timezone), ...monitorScheduleIssues(input.pipeline ?? '', input.params ?? {})];
    throwIfIssues(`schedule '${input.name}'`, issues);
    const record: ScheduleRecord = { name: input.name, cron: input.cron, timezone, pipeline: input.pipeline, params: input.params ?? {}, createdBy: actor.name, createdAt: this.#clock.now() };
    await this.#store.transaction(async (tx) => {
      if (await tx.schedules.getSchedule(input.name)) throw alreadyExists(`Schedule '${input.name}' exists; delete it first with \`orchard schedules delete ${input.name}\` or choose another name.`, { schedule: input.name });
      await tx.schedules.createSchedule(record);
      await tx.events.append({ at: record.createdAt, actor: actor.name, action: 'schedule.create', entityKind: 'schedule', entityId: record.name, before: null, after: record });
    });
    return record;
  }

  /** Schedules by name, each with its next tick and its last claimed one. */
  async listSchedules(): Promise<(ScheduleRecord & { nextAt: number | undefined; lastClaim: { key: string; runId: string | null; error: string | null } | undefined })[]> {
    const now = this.#clock.now();
    const out = [];
    for (const s of await this.#store.schedules.listSchedules()) {
      const last = await this.#store.schedules.lastClaim(`schedule:${s.name}`);
      out.push({ ...s, nextAt: nextDue(s.cron, s.timezone, now), lastClaim: last && { key: last.key, runId: last.runId, error: last.error } });
    }
    return out;
  }

  /** @throws OrchardError `NOT_FOUND` for an unknown schedule. */
  async deleteSchedule(actor: Actor, name: string): Promise<void> {
    await this.#store.transaction(async (tx) => {
      const before = await tx.schedules.getSchedule(name);
      if (!before) throw notFound(`No schedule '${name}'; list them with \`orchard schedules list\`.`, { schedule: name });
      await tx.schedules.deleteSchedule(name);
      await tx.events.append({ at: this.#clock.now(), actor: actor.name, action: 'schedule.delete', entityKind: 'schedule', entityId: name, before, after: null });
    });
  }

  /** @throws OrchardError `INVALID_ARGUMENT` listing every problem; `ALREADY_EXISTS` for a taken name. */
  async createTrigger(actor: Actor, input: TriggerInput): Promise<TriggerRecord> {
    const issues: Issue[] = [...nameIssues('trigger', input.name), ...pipelineIssues(input.pipeline)];
    const kind = input.kind as TriggerKind;
    const pattern = input.pattern ?? null;
    if (!KINDS.includes(kind)) issues.push({ code: 'invalid_kind', path: ['kind'], message: `'${input.kind}' is not a trigger kind; use one of ${KINDS.join(', ')}` });
    else if (kind === 'webhook' && pattern !== null) issues.push({ code: 'unexpected_pattern', path: ['pattern'], message: `a webhook trigger takes no pattern (got '${pattern}'); leave it out` });
    else if (kind !== 'webhook' && (pattern === null || pattern.trim() === '')) {
      issues.push({ code: 'missing_pattern', path: ['pattern'], message: kind === 'dataset' ? 'a dataset trigger needs a dataset name pattern, e.g. flights or flights-*' : 'an alert trigger needs the alert rule name it follows' });
    }
    throwIfIssues(`trigger '${input.name}'`, issues);
    const record: TriggerRecord = { name: input.name, kind, pattern, pipeline: input.pipeline, params: input.params ?? {}, createdBy: actor.name, createdAt: this.#clock.now() };
    await this.#store.transaction(async (tx) => {
      if (await tx.schedules.getTrigger(input.name)) throw alreadyExists(`Trigger '${input.name}' exists; delete it first with \`orchard triggers delete ${input.name}\` or choose another name.`, { trigger: input.name });
      await tx.schedules.createTrigger(record);
      await tx.events.append({ at: record.createdAt, actor: actor.name, action: 'trigger.create', entityKind: 'trigger', entityId: record.name, before: null, after: record });
    });
    return record;
  }

  /** Triggers by name, each with its latest firing (what fired it, and the run it started). */
  async listTriggers(kind?: TriggerKind): Promise<(TriggerRecord & { lastClaim: { key: string; claimedAt: number; runId: string | null; error: string | null } | undefined })[]> {
    const out = [];
    for (const t of await this.#store.schedules.listTriggers(kind)) {
      const last = await this.#store.schedules.lastClaim(`trigger:${t.name}`);
      out.push({ ...t, lastClaim: last && { key: last.key, claimedAt: last.claimedAt, runId: last.runId, error: last.error } });
    }
    return out;
  }

  /** @throws OrchardError `NOT_FOUND` for an unknown trigger. */
  async getTrigger(name: string): Promise<TriggerRecord> {
    const t = await this.#store.schedules.getTrigger(name);
    if (!t) throw notFound(`No trigger '${name}'; list them with \`orchard triggers list\`.`, { trigger: name });
    return t;
  }

  /** @throws OrchardError `NOT_FOUND` for an unknown trigger. */
  async deleteTrigger(actor: Actor, name: string): Promise<void> {
    await this.#store.transaction(async (tx) => {
      const before = await tx.schedules.getTrigger(name);
      if (!before) throw notFound(`No trigger '${name}'; list them with \`orchard triggers list\`.`, { trigger: name });
      await tx.schedules.deleteTrigger(name);
      await tx.events.append({ at: this.#clock.now(), actor: actor.name, action: 'trigger.delete', entityKind: 'trigger', entityId: name, before, after: null });
    });
  }
}

function nameIssues(what: string, name: string): Issue[] {
  return NAME.test(name) ? [] : [{ code: 'invalid_name', path: ['name'], message: `'${name}' is not a valid ${what} name; use letters, digits, '.', '_' and '-' (at most 128), starting with a letter or digit` }];
}

function pipelineIssues(pipeline: string): Issue[] {
  return pipeline.trim() === '' ? [{ code: 'missing_pipeline', path: ['pipeline'], message: 'the pipeline to run is missing; give a pipeline file or a pushed name@version' }] : [];
}
