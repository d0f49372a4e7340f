import type { Kysely } from 'kysely';
import type { AlertOp, AlertRecord, AlertRepository, AlertRuleRecord, AlertStateName, MetricPointRecord } from '../loop-repositories.js';
import type { AlertRuleTable, AlertTable, Database } from '../schema.js';

/** A label set's key: its entries sorted by name, so `{a,b}` and `{b,a}` are one alert. */
export function labelsKey(labels: Readonly<Record<string, string>>): string {
  return JSON.stringify(Object.keys(labels).sort().map((k) => [k, labels[k]]));
}

export class KyselyAlertRepository implements AlertRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async createRule(r: AlertRuleRecord): Promise<void> {
    await this.#db
      .insertInto('alert_rules')
      .values({
        name: r.name,
        metric: r.metric,
        labels_json: JSON.stringify(r.labels),
        op: r.op,
        threshold: r.threshold,
        for_count: r.forCount,
        for_ms: r.forMs,
        webhooks_json: JSON.stringify(r.webhooks),
        created_by: r.createdBy,
        created_at: r.createdAt,
      })
      .execute();
  }

  async getRule(name: string): Promise<AlertRuleRecord | undefined> {
    const row = await this.#db.selectFrom('alert_rules').selectAll().where('name', '=', name).executeTakeFirst();
    return row ? ruleOf(row) : undefined;
  }

  async listRules(): Promise<AlertRuleRecord[]> {
    return (await this.#db.selectFrom('alert_rules').selectAll().orderBy('name').execute()).map(ruleOf);
  }

  async deleteRule(name: string): Promise<boolean> {
    await this.#db.deleteFrom('alerts').where('rule', '=', name).execute();
    const r = await this.#db.deleteFrom('alert_rules').where('name', '=', name).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async getAlert(rule: string, labels: Readonly<Record<string, string>>): Promise<AlertRecord | undefined> {
    const row = await this.#db.selectFrom('alerts').selectAll().where('rule', '=', rule).where('labels_key', '=', labelsKey(labels)).executeTakeFirst();
    return row ? alertOf(row) : undefined;
  }

  async putAlert(a: AlertRecord): Promise<void> {
    const values = {
      labels_json: JSON.stringify(a.labels),
      state: a.state,
      value: a.value,
      breaches: a.breaches,
      last_point_at: a.lastPointAt,
      pending_since: a.pendingSince,
      fired_at: a.firedAt,
      resolved_at: a.resolvedAt,
      updated_at: a.updatedAt,
    };
    await this.#db
      .insertInto('alerts')
      .values({ rule: a.rule, labels_key: labelsKey(a.labels), ...values })
      .onConflict((oc) => oc.columns(['rule', 'labels_key']).doUpdateSet(values))
      .execute();
  }

  async listAlerts(query: { rule?: string; states?: readonly AlertStateName[] }): Promise<AlertRecord[]> {
    let q = this.#db.selectFrom('alerts').selectAll();
    if (query.rule !== undefined) q = q.where('rule', '=', query.rule);
    if (query.states !== undefined && query.states.length > 0) q = q.where('state', 'in', [...query.states]);
    return (await q.orderBy('updated_at', 'desc').orderBy('rule').orderBy('labels_key').execute()).map(alertOf);
  }

  async appendPoints(points: readonly MetricPointRecord[]): Promise<void> {
    if (points.length === 0) return;
    await this.#db
      .insertInto('metric_points')
      .values(points.map((p) => ({ metric: p.metric, labels_key: labelsKey(p.labels), labels_json: JSON.stringify(p.labels), value: p.value, at: p.at })))
      .execute();
  }

  async points(metric: string, since: number): Promise<MetricPointRecord[]> {
    const rows = await this.#db.selectFrom('metric_points').selectAll().where('metric', '=', metric).where('at', '>', since).orderBy('at').execute();
    return rows.map((r) => ({ metric: r.metric, labels: JSON.parse(r.labels_json), value: Number(r.value), at: Number(r.at) }));
  }
}

function ruleOf(r: AlertRuleTable): AlertRuleRecord {
  return {
    name: r.name,
    metric: r.metric,
    labels: JSON.parse(r.labels_json),
    op: r.op as AlertOp,
    threshold: Number(r.threshold),
    forCount: Number(r.for_count),
    forMs: Number(r.for_ms),
    webhooks: JSON.parse(r.webhooks_json),
    createdBy: r.created_by,
    createdAt: Number(r.created_at),
  };
}

const num = (v: number | null): number | null => (v === null ? null : Number(v));

function alertOf(r: AlertTable): AlertRecord {
  return {
    rule: r.rule,
    labels: JSON.parse(r.labels_json),
    state: r.state as AlertStateName,
    value: num(r.value),
    breaches: Number(r.breaches),
    lastPointAt: num(r.last_point_at),
    pendingSince: num(r.pending_since),
    firedAt: num(r.fired_at),
    resolvedAt: num(r.resolved_at),
    updatedAt: Number(r.updated_at),
  };
}
