import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { embeddedCaller, type Caller } from '../../src/registry/approval-policy.js';
import type { AuditEvent } from '../../src/tracking/types.js';
import { tempPlatform } from '../support/temp.js';

/** The registry's use cases on a real SQLite store, with models trained by TrainService. */

const alice = { name: 'alice' };
const bob: Caller = { actor: { name: 'bob' }, role: 'admin', identities: ['bob'] };
const eve: Caller = { actor: { name: 'eve' }, role: 'editor', identities: ['eve'] };

let s: Awaited<ReturnType<typeof tempPlatform>>;
let runA: string;
let runB: string;
let digestA: string;

beforeAll(async () => {
  s = await tempPlatform();
  const rows = Array.from({ length: 400 }, (_, i) => ({ shop: `s${i % 4}`, visits: (i * 37) % 200, sold: (i * 37) % 200 > 120 ? 1 : 0 }));
  await s.platform.datasets.ingestRows(alice, 'shops', rows);
  await s.platform.derive.split(alice, 'shops', { kind: 'random', fractions: { train: 0.75, test: 0.25 }, seed: 1 });
  const a = await s.platform.training.train(alice, { data: 'shops-train', test: 'shops-test', target: 'sold', learner: 'gbdt', params: { max_iter: '5' } });
  const b = await s.platform.training.train(alice, { data: 'shops-train', target: 'sold', learner: 'gbdt', params: { max_iter: '8' } });
  [runA, runB, digestA] = [a.runId, b.runId, a.digest];
});
afterAll(async () => s?.cleanup());

const events = async (model: string): Promise<AuditEvent[]> => (await s.platform.store.events.list({ entityKind: 'model', entityId: model, limit: 1000 })).reverse();

describe('registering versions', () => {
  it("records the run's model digest, the dataset versions from lineage, and audits both creations", async () => {
    const v = await s.platform.registry.register(alice, { name: 'shops', runId: runA, description: 'first' });
    expect(v.description).toBe('first');
    expect((await s.platform.registry.getModel('shops')).description).toBeNull();
    expect(v).toMatchObject({ name: 'shops', version: 1, source: `runs:/${runA}/model`, runId: runA, digest: digestA, datasets: ['shops-train@1', 'shops-test@1'], status: 'READY', approval: 'none', createdBy: 'alice' });
    expect((await s.platform.tracking.getRun(runA)).tags).toContainEqual({ key: 'orchard.model', value: digestA });
    expect(await s.platform.store.lineage.edges('model_version', 'shops/1', 'upstream')).toMatchObject([{ srcKind: 'model_artifact', srcId: digestA, relation: 'registered_as' }]);
    const v2 = await s.platform.registry.register(alice, { name: 'shops', runId: runB });
    expect(v2).toMatchObject({ version: 2, datasets: ['shops-train@1'] });
    const log = await events('shops');
    expect(log.map((e) => e.action)).toEqual(['model.create', 'model_version.create', 'model_version.create']);
    expect(log[1]).toMatchObject({ actor: 'alice', before: null, after: { version: 1, digest: digestA } });
  });

  it('refuses unknown models and runs, and runs without a model, naming the fix', async () => {
    await expect(s.platform.registry.createVersion(alice, { name: 'nope', runId: runA })).rejects.toThrow(/No registered model named 'nope'; .*`orchard models register nope <run-id>`/);
    await expect(s.platform.registry.createVersion(alice, { name: 'shops', runId: 'f'.repeat(32) })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(s.platform.registry.createVersion(alice, { name: 'shops', runId: 'xyz' })).rejects.toThrow(/run_id must be 32 lowercase hex characters, got 'xyz'/);
    const bare = await s.platform.tracking.createRun(alice, {});
    await expect(s.platform.registry.createVersion(alice, { name: 'shops', runId: bare.info.runId })).rejects.toThrow(/stored no model \(it has no orchard.model tag\)/);
    // An MLflow client names its own source; the version has no Orchard digest then.
    const mlflow = await s.platform.registry.createVersion(alice, { name: 'shops', source: `runs:/${bare.info.runId}/model` });
    expect(mlflow).toMatchObject({ version: 3, runId: bare.info.runId, digest: null });
    await expect(s.platform.registry.createVersion(alice, { name: 'shops', runId: runA, source: `runs:/${runB}/model` })).rejects.toThrow(/names run .* but run_id is/);
  });

  it('never gives a deleted version number again', async () => {
    await s.platform.registry.deleteVersion(alice, 'shops', 3);
    expect((await s.platform.registry.register(alice, { name: 'shops', runId: runB })).version).toBe(4);
    const deleted = (await events('shops')).find((e) => e.action === 'model_version.delete');
    expect(deleted).toMatchObject({ before: { version: 3 }, after: null });
  });
});

describe('aliases and archive', () => {
  it('moves aliases with before/after in the audit log', async () => {
    await s.platform.registry.setAlias(alice, 'shops', 'champion', 1);
    await s.platform.registry.setAlias(alice, 'shops', 'champion', 2);
    expect((await s.platform.registry.getByAlias('shops', 'champion')).version).toBe(2);
    const sets = (await events('shops')).filter((e) => e.action === 'model_alias.set');
    expect(sets.map((e) => [e.before, e.after])).toEqual([
      [{ alias: 'champion', version: null }, { alias: 'champion', version: 1 }],
      [{ alias: 'champion', version: 1 }, { alias: 'champion', version: 2 }],
    ]);
    await expect(s.platform.registry.getByAlias('shops', 'prod')).rejects.toThrow(/Model 'shops' has no alias 'prod'; its aliases are champion → 2/);
    await expect(s.platform.registry.setAlias(alice, 'shops', 'latest', 1)).rejects.toThrow(/'latest' \(in any case\) is reserved/);
  });

  it('refuses to archive a version an alias points to, and any alias on an archived version', async () => {
    await expect(s.platform.registry.archiveVersion(alice, 'shops', 2)).rejects.toThrow(/Version 2 of model 'shops' is the target of champion, and an archived version cannot hold an alias/);
    const archived = await s.platform.registry.archiveVersion(alice, 'shops', 1);
    expect(archived.status).toBe('ARCHIVED');
    const before = (await events('shops')).length;
    await expect(s.platform.registry.setAlias(alice, 'shops', 'challenger', 1)).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringMatching(/Version 1 of model 'shops' is archived and cannot receive alias 'challenger'; restore it with `orchard models restore shops 1`/) });
    expect((await events('shops')).length).toBe(before);
    expect((await s.platform.registry.restoreVersion(alice, 'shops', 1)).status).toBe('READY');
    const log = (await events('shops')).filter((e) => e.action.startsWith('model_version.a') || e.action === 'model_version.restore');
    expect(log.map((e) => [e.action, e.before, e.after])).toEqual([
      ['model_version.archive', { version: 1, status: 'READY' }, { version: 1, status: 'ARCHIVED' }],
      ['model_version.restore', { version: 1, status: 'ARCHIVED' }, { version: 1, status: 'READY' }],
    ]);
  });

  it('refuses to delete a model with aliases unless forced', async () => {
    await s.platform.registry.register(alice, { name: 'doomed', runId: runB });
    await s.platform.registry.setAlias(alice, 'doomed', 'challenger', 1);
    await expect(s.platform.registry.deleteModel(alice, 'doomed')).rejects.toThrow(/Model 'doomed' still has aliases \(challenger → 1\).*--force/);
    await s.platform.registry.deleteModel(alice, 'doomed', { force: true });
    await expect(s.platform.registry.getModel('doomed')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await events('doomed')).at(-1)).toMatchObject({ action: 'model.delete', before: { name: 'doomed', versions: [1], aliases: [{ alias: 'challenger', version: 1 }] }, after: null });
  });
});

describe('approval workflow', () => {
  beforeAll(async () => {
    await s.platform.registry.register(alice, { name: 'guarded', runId: runA, requiresApproval: true, approvers: ['carol'] });
    await s.platform.registry.register(alice, { name: 'guarded', runId: runB });
  });

  it('keeps a protected alias from an unapproved version, with the command to approve it', async () => {
    await expect(s.platform.registry.setAlias(alice, 'guarded', 'champion', 1)).rejects.toThrow(/Cannot point alias 'champion' at version 1 of model 'guarded'.* has no approval; request it with `orchard models request-approval guarded 1`/);
    // Registering again cannot quietly change or drop the approval settings.
    await expect(s.platform.registry.register(alice, { name: 'guarded', runId: runB, requiresApproval: false })).rejects.toThrow(/Model 'guarded' already exists with other approval settings \(requires approval: yes, for champion\)/);
    expect((await s.platform.registry.getModel('guarded')).lastVersion).toBe(2);
    // Unprotected aliases are free.
    await s.platform.registry.setAlias(alice, 'guarded', 'challenger', 1);
    await s.platform.registry.requestApproval(alice, 'guarded', 1, 'AUC 0.99 on test');
    await expect(s.platform.registry.requestApproval(alice, 'guarded', 1)).rejects.toThrow(/already pending approval/);
    await expect(s.platform.registry.setAlias(alice, 'guarded', 'champion', 1)).rejects.toThrow(/is pending approval \(requested by alice\).*`orchard models approve guarded 1`/);
  });

  it('lets an admin or listed approver approve, but never the requester (four-eyes)', async () => {
    await expect(s.platform.registry.approve(embeddedCaller('alice'), 'guarded', 1)).rejects.toMatchObject({ code: 'PERMISSION_DENIED', message: expect.stringContaining('four-eyes') });
    await expect(s.platform.registry.approve(eve, 'guarded', 1)).rejects.toThrow(/eve may not approve version 1 of model 'guarded': approvers are admins and carol/);
    const approved = await s.platform.registry.approve(bob, 'guarded', 1, 'checked the slices');
    expect(approved.approval).toBe('approved');
    await s.platform.registry.setAlias(alice, 'guarded', 'champion', 1);
    expect((await s.platform.registry.getByAlias('guarded', 'champion')).version).toBe(1);
    expect((await s.platform.registry.approvals('guarded', 1)).map((a) => [a.action, a.actor, a.comment])).toEqual([
      ['requested', 'alice', 'AUC 0.99 on test'],
      ['approved', 'bob', 'checked the slices'],
    ]);
    const log = (await events('guarded')).filter((e) => e.action.startsWith('model_approval') || e.action === 'model_alias.set');
    expect(log.map((e) => [e.action, e.actor, e.before, e.after])).toEqual([
      ['model_alias.set', 'alice', { alias: 'challenger', version: null }, { alias: 'challenger', version: 1 }],
      ['model_approval.request', 'alice', { version: 1, approval: 'none' }, { version: 1, approval: 'pending', comment: 'AUC 0.99 on test' }],
      ['model_approval.approve', 'bob', { version: 1, approval: 'pending' }, { version: 1, approval: 'approved', comment: 'checked the slices' }],
      ['model_alias.set', 'alice', { alias: 'champion', version: null }, { alias: 'champion', version: 1 }],
    ]);
  });

  it('rejects with a reason, which a later promote names; approval can be requested again', async () => {
    await s.platform.registry.requestApproval(alice, 'guarded', 2);
    await expect(s.platform.registry.reject({ ...eve, identities: ['eve', 'carol'] }, 'guarded', 2, '')).rejects.toThrow(/A rejection needs a comment/);
    await s.platform.registry.reject({ actor: { name: 'carol' }, role: 'editor', identities: ['carol'] }, 'guarded', 2, 'worse on shop s3');
    await expect(s.platform.registry.setAlias(alice, 'guarded', 'champion', 2)).rejects.toThrow(/was rejected by carol \("worse on shop s3"\); request approval again/);
    await expect(s.platform.registry.approve(bob, 'guarded', 2)).rejects.toThrow(/Cannot approve version 2 of model 'guarded': it is already rejected/);
    expect((await s.platform.registry.requestApproval(alice, 'guarded', 2)).approval).toBe('pending');
  });

  it('leaves approval settings to admins, audited with before and after', async () => {
    await expect(s.platform.registry.updateModel(eve, 'guarded', { requiresApproval: false })).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
    expect((await s.platform.registry.getModel('guarded')).requiresApproval).toBe(true);
    await s.platform.registry.updateModel(eve, 'guarded', { description: 'editors may describe' });
    await s.platform.registry.updateModel(bob, 'guarded', { protectedAliases: ['champion', 'prod'], approvers: 'carol,dan' });
    const update = (await events('guarded')).filter((e) => e.action === 'model.update').at(-1)!;
    expect(update.before).toMatchObject({ protectedAliases: ['champion'], approvers: ['carol'] });
    expect(update.after).toMatchObject({ protectedAliases: ['champion', 'prod'], approvers: ['carol', 'dan'], description: 'editors may describe' });
    await expect(s.platform.registry.updateModel(bob, 'guarded', { protectedAliases: ['v1'] })).rejects.toThrow(/protectedAliases\[0\]: 'v1' is reserved/);
  });
});

describe('model cards', () => {
  it('generates a card from the metadata, stores an edit, and resets to the generated one', async () => {
    const generated = await s.platform.modelCards.card('guarded');
    expect(generated).toMatchObject({ name: 'guarded', version: 1, generated: true });
    expect(generated.markdown).toContain('Learner `gbdt` (binary), target `sold`, trained on `shops-train@1`');
    expect(generated.markdown).toContain('| shop | categorical |');
    expect(generated.markdown).toContain('| max_iter | 5 |');
    expect(generated.markdown).toMatch(/\| test_auc \| \d/);
    expect(generated.markdown).toContain('- `shops-test@1` — ');
    expect(generated.markdown).toContain('| approved | bob | checked the slices |');

    const edited = await s.platform.modelCards.setCard(alice, 'guarded', '# Guarded\n\nHand-written.', 1);
    expect(edited.generated).toBe(false);
    expect(await s.platform.modelCards.card('guarded', 1)).toMatchObject({ markdown: '# Guarded\n\nHand-written.', generated: false, updatedBy: 'alice' });
    expect((await s.platform.modelCards.card('guarded', 2)).generated).toBe(true);
    const reset = await s.platform.modelCards.resetCard(alice, 'guarded', 1);
    expect(reset.markdown).toBe(generated.markdown);
    const cardEvents = (await events('guarded')).filter((e) => e.action.startsWith('model_card'));
    expect(cardEvents.map((e) => [e.action, e.before, e.after])).toEqual([
      ['model_card.edit', { version: 1, generated: true }, { version: 1, markdown: '# Guarded\n\nHand-written.', chars: 24 }],
      ['model_card.reset', { version: 1, markdown: '# Guarded\n\nHand-written.', chars: 24 }, { version: 1, generated: true }],
    ]);
    await expect(s.platform.modelCards.setCard(alice, 'guarded', '  ', 1)).rejects.toThrow(/non-empty Markdown/);
  });
});

describe('search', () => {
  it("finds models and versions with MLflow's filters", async () => {
    const models = await s.platform.registry.searchModels({ filter: "name LIKE 'g%'" });
    expect(models.items.map((m) => m.name)).toEqual(['guarded']);
    const byRun = await s.platform.registry.searchVersions({ filter: `run_id = '${runB}'`, orderBy: ['name', 'version_number'] });
    expect(byRun.items.map((v) => `${v.name}/${v.version}`)).toEqual(['guarded/2', 'shops/2', 'shops/4']);
    const paged = await s.platform.registry.searchVersions({ filter: "name = 'shops'", maxResults: 2 });
    expect(paged.items.map((v) => v.version)).toEqual([4, 2]);
    const next = await s.platform.registry.searchVersions({ filter: "name = 'shops'", maxResults: 2, pageToken: paged.nextPageToken });
    expect(next.items.map((v) => v.version)).toEqual([1]);
    expect(next.nextPageToken).toBeUndefined();
  });
});
