import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertService } from '../../src/alerts/alert-service.js';
import { CompositeMetricSource, MetricPointsSource } from '../../src/alerts/metric-source.js';
import { StalenessSource } from '../../src/alerts/staleness-source.js';
import { deliverWebhook } from '../../src/alerts/webhook-delivery.js';
import type { Platform } from '../../src/orchard.js';
import { tempPlatform } from '../support/temp.js';

const DAY = 86_400_000;

/** A real HTTP receiver that answers the given statuses in turn and keeps every body. */
async function receiver(statuses: number[]): Promise<{ url: string; bodies: unknown[]; server: Server }> {
  const bodies: unknown[] = [];
  let i = 0;
  const server = createServer((req, res) => {
    let data = '';
    req.on('data', (c) => (data += c));
    req.on('end', () => {
      bodies.push(JSON.parse(data));
      res.statusCode = statuses[Math.min(i++, statuses.length - 1)]!;
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, bodies, server };
}

describe('webhook delivery', () => {
  it('retries 5xx with doubling delays, and stops at a 4xx', async () => {
    const r = await receiver([503, 500, 200]);
    const delays: number[] = [];
    const ok = await deliverWebhook(r.url, { a: 1 }, { baseDelayMs: 100, sleep: async (ms) => void delays.push(ms) });
    expect(ok).toMatchObject({ delivered: true, attempts: 3, status: 200 });
    expect(delays).toEqual([100, 200]);
    expect(r.bodies).toEqual([{ a: 1 }, { a: 1 }, { a: 1 }]);
    r.server.close();
    const refused = await receiver([400]);
    const no = await deliverWebhook(refused.url, {}, { sleep: async () => {} });
    expect(no).toMatchObject({ delivered: false, attempts: 1, status: 400, error: 'HTTP 400' });
    refused.server.close();
    // Nobody listening: every attempt fails, then it gives up without throwing.
    const gone = await deliverWebhook(r.url, {}, { attempts: 2, sleep: async () => {} });
    expect(gone).toMatchObject({ delivered: false, attempts: 2, status: null });
  });
});

describe('alert rules', () => {
  let t: Awaited<ReturnType<typeof tempPlatform>>;
  let p: Platform;
  let now = Date.parse('2025-06-01T00:00:00Z');
  const clock = { now: () => now };
  beforeAll(async () => {
    t = await tempPlatform();
    p = t.platform;
  });
  afterAll(async () => t.cleanup());

  it('fires after consecutive breaches per label set, resolves, delivers each change and audits it', async () => {
    const hook = await receiver([500, 200]);
    const alerts = new AlertService({ store: p.store, source: new MetricPointsSource(p.store), clock, delivery: { baseDelayMs: 1, sleep: async () => {} } });
    await alerts.createRule({ name: 'tester' }, { name: 'psi', metric: 'psi', labels: { endpoint: 'flights' }, op: '>', threshold: 0.2, forCount: 2, webhooks: [hook.url] });
    const at = (m: number) => now + m * 60_000;
    await alerts.recordPoints([
      { metric: 'psi', labels: { endpoint: 'flights', feature: 'distance' }, value: 0.3, at: at(1) },
      { metric: 'psi', labels: { endpoint: 'flights', feature: 'hour' }, value: 0.1, at: at(1) },
      { metric: 'psi', labels: { endpoint: 'other', feature: 'distance' }, value: 0.9, at: at(1) },
      { metric: 'psi', labels: { feature: 'distance', endpoint: 'flights' }, value: 0.35, at: at(2) },
    ]);
    const first = await alerts.evaluate({ name: 'tester' });
    expect(first.map((c) => [c.alert.labels.feature, c.transition])).toEqual([['distance', 'pending'], ['distance', 'firing']]);
    expect(first[1]!.deliveries[0]).toMatchObject({ delivered: true, attempts: 1 });
    // Evaluating again sees no new point: no change, no duplicate alert.
    expect(await alerts.evaluate({ name: 'tester' })).toEqual([]);
    const listed = await alerts.listAlerts({ states: ['firing'] });
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ rule: 'psi', labels: { endpoint: 'flights', feature: 'distance' }, firedAt: at(2), value: 0.35 });

    await alerts.recordPoints([{ metric: 'psi', labels: { endpoint: 'flights', feature: 'distance' }, value: 0.05, at: at(3) }]);
    const resolved = await alerts.evaluate({ name: 'tester' });
    expect(resolved.map((c) => c.transition)).toEqual(['resolved']);
    expect(hook.bodies.map((b) => (b as { transition: string }).transition)).toEqual(['pending', 'pending', 'firing', 'resolved']);
    const actions = (await p.store.events.list({ entityKind: 'alert', limit: 50 })).map((e) => e.action).reverse();
    expect(actions).toEqual(['alert.pending', 'alert.firing', 'alert.delivered', 'alert.delivered', 'alert.resolved', 'alert.delivered']);
    hook.server.close();
  });

  it('refuses a bad rule with every problem at once', async () => {
    await expect(p.alerts.createRule({ name: 'tester' }, { name: 'bad rule', metric: '', op: '=>', threshold: Number.NaN, forCount: 0, webhooks: ['ftp://x'] })).rejects.toThrow(/6 problems/);
    expect((await p.alerts.listRules()).map((r) => r.name)).toEqual(['psi']);
  });

  it('deletes a rule with its alerts, audited; an unknown rule is NOT_FOUND', async () => {
    await p.alerts.createRule({ name: 'tester' }, { name: 'gone', metric: 'gone_metric', op: '>', threshold: 1 });
    await p.alerts.recordPoints([{ metric: 'gone_metric', labels: {}, value: 5, at: p.clock.now() + 1 }]);
    await p.alerts.evaluate({ name: 'tester' });
    expect(await p.alerts.listAlerts({ rule: 'gone' })).toHaveLength(1);
    await p.alerts.deleteRule({ name: 'tester' }, 'gone');
    expect((await p.alerts.listRules()).map((r) => r.name)).not.toContain('gone');
    expect(await p.alerts.listAlerts({ rule: 'gone' })).toEqual([]);
    expect((await p.store.events.list({ entityKind: 'alert_rule', entityId: 'gone', limit: 5 })).map((e) => e.action)).toEqual(['alert_rule.delete', 'alert_rule.create']);
    await expect(p.alerts.deleteRule({ name: 'tester' }, 'gone')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('staleness: model_age_days and training_data_age_days of the champion', async () => {
    const csv = join(t.home, 'train.csv');
    writeFileSync(csv, 'x,y\n1,0\n2,1\n');
    const data = await p.datasets.ingest({ name: 'tester' }, { name: 'train-data', source: csv, cwd: t.home });
    const dataAt = data.version.createdAt;
    await p.store.transaction(async (tx) => {
      await tx.registry.createModel({ name: 'flights', description: null, tags: [], requiresApproval: false, protectedAliases: [], approvers: [], createdBy: 'tester', now: dataAt });
      await tx.registry.createVersion({ name: 'flights', source: 'runs:/x/model', runId: null, digest: null, datasets: [`train-data@${data.version.version}`], pipelineVersionId: null, description: null, tags: [], createdBy: 'tester', now: dataAt + 2 * DAY });
      await tx.registry.createModel({ name: 'unused', description: null, tags: [], requiresApproval: false, protectedAliases: [], approvers: [], createdBy: 'tester', now: dataAt });
      await tx.registry.setAlias('flights', 'champion', 1, dataAt + 2 * DAY);
    });
    now = dataAt + 40 * DAY;
    const source = new CompositeMetricSource([new StalenessSource(p.store), new MetricPointsSource(p.store)]);
    const age = await source.points({ metric: 'model_age_days', labels: {}, since: 0, now });
    expect(age).toEqual([{ labels: { model: 'flights', version: '1' }, value: 38, at: now }]);
    const dataAge = await source.points({ metric: 'training_data_age_days', labels: { model: 'flights' }, since: 0, now });
    expect(dataAge[0]!.value).toBe(40);
    const alerts = new AlertService({ store: p.store, source, clock });
    await alerts.createRule({ name: 'tester' }, { name: 'stale-model', metric: 'model_age_days', op: '>', threshold: 30 });
    await alerts.createRule({ name: 'tester' }, { name: 'stale-data', metric: 'training_data_age_days', op: '>', threshold: 45 });
    const changes = await alerts.evaluate({ name: 'tester' });
    expect(changes.map((c) => [c.alert.rule, c.transition])).toEqual([['stale-model', 'firing']]);
  });
});
