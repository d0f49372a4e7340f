import type { Clock } from '../core/clock.js';
import { alreadyExists, notFound, throwIfIssues, type Issue } from '../core/errors.js';
import { labelsKey } from '../metadata/kysely/alert-repository.js';
import type { AlertOp, AlertRecord, AlertRuleRecord, AlertStateName, MetricPointRecord } from '../metadata/loop-repositories.js';
import type { MetadataStore } from '../metadata/metadata-store.js';
import type { Actor } from '../tracking/tracking-service.js';
import { applyPoint, initialAlert, type Transition } from './alert-state.js';
import type { MetricSource } from './metric-source.js';
import { deliverWebhook, type DeliveryOptions, type DeliveryResult } from './webhook-delivery.js';

const OPS: readonly AlertOp[] = ['>', '<', '>=', '<='];
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

export interface AlertRuleInput {
  readonly name: string;
  readonly metric: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly op: string;
  readonly threshold: number;
  readonly forCount?: number;
  readonly forMs?: number;
  readonly webhooks?: readonly string[];
}

/** One state change of an alert, with where it was delivered. */
export interface AlertChange {
  readonly alert: AlertRecord;
  readonly transition: Transition;
  readonly deliveries: readonly DeliveryResult[];
}

/**
 * Alert rules over metric sources: evaluation runs each rule's new points through the
 * state machine per label set (one alert per rule and labels), stores each change with
 * its audit event in one transaction, then delivers it to the rule's webhooks.
 */
export class AlertService {
  readonly #store: MetadataStore;
  readonly #source: MetricSource;
  readonly #clock: Clock;
  readonly #delivery: DeliveryOptions;

  constructor(deps: { store: MetadataStore; source: MetricSource; clock: Clock; delivery?: DeliveryOptions }) {
    this.#store = deps.store;
    this.#source = deps.source;
    this.#clock = deps.clock;
    this.#delivery = deps.delivery ?? {};
  }

  /** @throws OrchardError `INVALID_ARGUMENT` listing every problem; `ALREADY_EXISTS` for a taken name. */
  async createRule(actor: Actor, input: AlertRuleInput): Promise<AlertRuleRecord> {
    const issues: Issue[] = [];
    if (!NAME.test(input.name)) issues.push({ code: 'invalid_name', path: ['name'], message: `'${input.name}' is not a valid rule name; use letters, digits, '.', '_' and '-'` });
    if (typeof input.metric !== 'string' || input.metric.trim() === '') issues.push({ code: 'missing_metric', path: ['metric'], message: 'the metric is missing; e.g. model_age_days, training_data_age_days, run.accuracy, or a metric you record' });
    if (!OPS.includes(input.op as AlertOp)) issues.push({ code: 'invalid_op', path: ['op'], message: `'${input.op}' is not a condition; use one of ${OPS.join(' ')}` });
    if (typeof input.threshold !== 'number' || !Number.isFinite(input.threshold)) issues.push({ code: 'invalid_threshold', path: ['threshold'], message: `the threshold is ${String(input.threshold)}; give a finite number` });
    const labelProblem = typeof input.metric === 'string' ? this.#source.problem?.(input.metric, input.labels ?? {}) : undefined;
    if (labelProblem !== undefined) issues.push({ code: 'missing_label', path: ['labels'], message: labelProblem });
    const forCount = input.forCount ?? 1;
    if (!Number.isInteger(forCount) || forCount < 1) issues.push({ code: 'invalid_for', path: ['forCount'], message: `'for' is ${forCount} evaluations; give a whole number of at least 1` });
    const forMs = input.forMs ?? 0;
    if (!Number.isFinite(forMs) || forMs < 0) issues.push({ code: 'invalid_for', path: ['forMs'], message: `'for' is ${forMs} ms; give a duration of 0 or more` });
    (input.webhooks ?? []).forEach((url, i) => {
      if (!/^https?:\/\/[^\s]+$/.test(url)) issues.push({ code: 'invalid_webhook', path: ['webhooks', i], message: `'${url}' is not an http(s) URL` });
    });
    throwIfIssues(`alert rule '${input.name}'`, issues);
    const rule: AlertRuleRecord = { name: input.name, metric: input.metric, labels: input.labels ?? {}, op: input.op as AlertOp, threshold: input.threshold, forCount, forMs, webhooks: input.webhooks ?? [], createdBy: actor.name, createdAt: this.#clock.now() };
    await this.#store.transaction(async (tx) => {
      if (await tx.alerts.getRule(rule.name)) throw alreadyExists(`Alert rule '${rule.name}' exists; choose another name.`, { rule: rule.name });
      await tx.alerts.createRule(rule);
      await tx.events.append({ at: rule.createdAt, actor: actor.name, action: 'alert_rule.create', entityKind: 'alert_rule', entityId: rule.name, before: null, after: rule });
    });
    return rule;
  }

  /** Deletes a rule and its alerts. @throws OrchardError `NOT_FOUND` for an unknown rule. */
  async deleteRule(actor: Actor, name: string): Promise<void> {
    await this.#store.transaction(async (tx) => {
      const before = await tx.alerts.getRule(name);
      if (!before) throw notFound(`No alert rule '${name}'; list them with \`orchard alerts rules list\`.`, { rule: name });
      await tx.alerts.deleteRule(name);
      await tx.events.append({ at: this.#clock.now(), actor: actor.name, action: 'alert_rule.delete', entityKind: 'alert_rule', entityId: name, before, after: null });
    });
  }

  listRules(): Promise<AlertRuleRecord[]> {
    return this.#store.alerts.listRules();
  }

  listAlerts(query: { rule?: string; states?: readonly AlertStateName[] } = {}): Promise<AlertRecord[]> {
    return this.#store.alerts.listAlerts(query);
  }

  /** Appends points to the generic metric table; each value must be a finite number or NaN. */
  async recordPoints(points: readonly MetricPointRecord[]): Promise<void> {
    const issues: Issue[] = [];
    points.forEach((p, i) => {
      if (typeof p.metric !== 'string' || p.metric === '') issues.push({ code: 'missing_metric', path: [i, 'metric'], message: 'the metric name is missing' });
      if (typeof p.value !== 'number' || p.value === Infinity || p.value === -Infinity) issues.push({ code: 'invalid_value', path: [i, 'value'], message: `${String(p.value)} is not a number` });
      if (!Number.isInteger(p.at)) issues.push({ code: 'invalid_time', path: [i, 'at'], message: `${String(p.at)} is not a time in milliseconds` });
    });
    throwIfIssues('metric points', issues);
    await this.#store.alerts.appendPoints(points.filter((p) => !Number.isNaN(p.value)));
  }

  /** Evaluates every rule on the points it has not seen; returns the state changes. */
  async evaluate(actor: Actor): Promise<AlertChange[]> {
    const now = this.#clock.now();
    const changes: { alert: AlertRecord; transition: Transition; rule: AlertRuleRecord }[] = [];
    for (const rule of await this.#store.alerts.listRules()) {
      const alerts = new Map((await this.#store.alerts.listAlerts({ rule: rule.name })).map((a) => [labelsKey(a.labels), a]));
      const seen = [...alerts.values()].map((a) => a.lastPointAt ?? -1);
      // From the oldest point any alert of the rule has seen; a new label set starts at the rule's creation.
      const since = Math.min(rule.createdAt - 1, ...seen);
      const points = await this.#source.points({ metric: rule.metric, labels: rule.labels, since, now });
      const touched = new Map<string, AlertRecord>();
      for (const p of points) {
        const key = labelsKey(p.labels);
        const current = touched.get(key) ?? alerts.get(key) ?? initialAlert(rule.name, p.labels, now);
        if (current.lastPointAt !== null && p.at <= current.lastPointAt) continue;
        const r = applyPoint(rule, current, p);
        touched.set(key, r.alert);
        if (r.transition) changes.push({ alert: r.alert, transition: r.transition, rule });
      }
      if (touched.size === 0) continue;
      await this.#store.transaction(async (tx) => {
        for (const a of touched.values()) await tx.alerts.putAlert(a);
        for (const c of changes.filter((x) => x.rule === rule)) {
          await tx.events.append({ at: now, actor: actor.name, action: `alert.${c.transition}`, entityKind: 'alert', entityId: `${rule.name}${labelsKey(c.alert.labels)}`, before: null, after: { ...c.alert, metric: rule.metric, op: rule.op, threshold: rule.threshold } });
        }
      });
    }
    const out: AlertChange[] = [];
    for (const c of changes) {
      const payload = { ...c.alert, metric: c.rule.metric, op: c.rule.op, threshold: c.rule.threshold, transition: c.transition };
      const deliveries = await Promise.all(c.rule.webhooks.map((url) => deliverWebhook(url, payload, this.#delivery)));
      for (const d of deliveries) {
        await this.#store.events.append({ at: this.#clock.now(), actor: actor.name, action: d.delivered ? 'alert.delivered' : 'alert.delivery_failed', entityKind: 'alert', entityId: `${c.rule.name}${labelsKey(c.alert.labels)}`, before: null, after: { ...d, transition: c.transition } });
      }
      out.push({ alert: c.alert, transition: c.transition, deliveries });
    }
    return out;
  }
}
