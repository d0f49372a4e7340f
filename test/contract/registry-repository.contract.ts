import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMetadataStore } from '../../src/metadata/create-metadata-store.js';
import type { MetadataStore } from '../../src/metadata/metadata-store.js';
import type { NewModelVersion } from '../../src/metadata/registry-repository.js';
import { parseRegistryFilter, parseRegistryOrderBy } from '../../src/registry/registry-filter.js';
import type { ContractTarget } from './metadata-store.contract.js';

const RUN_A = 'a'.repeat(32);
const RUN_B = 'b'.repeat(32);

function version(name: string, overrides: Partial<NewModelVersion> = {}): NewModelVersion {
  return { name, source: `runs:/${RUN_A}/model`, runId: RUN_A, digest: null, datasets: [], pipelineVersionId: null, description: null, tags: [], createdBy: 'alice', now: 1000, ...overrides };
}

/**
 * The registry repository contract: every metadata store adapter runs it (SQLite always,
 * PostgreSQL when a server is configured).
 */
export function registryRepositoryContract(name: string, target: ContractTarget): void {
  describe(`RegistryRepository contract: ${name}`, () => {
    let store: MetadataStore;

    beforeAll(async () => {
      store = await createMetadataStore(await target.uri());
      await store.init();
    });
    afterAll(async () => {
      await store?.destroy();
      await target.cleanup();
    });

    const model = (n: string, tags: { key: string; value: string }[] = [], now = 1000) =>
      store.registry.createModel({ name: n, description: null, tags, requiresApproval: false, protectedAliases: ['champion'], approvers: [], createdBy: 'alice', now });
    const query = (kind: 'models' | 'versions', filter: string, orderBy: string[], page: { offset: number; limit: number }) => ({
      filter: parseRegistryFilter(filter, kind),
      orderBy: parseRegistryOrderBy(orderBy, kind),
      ...page,
    });

    it('creates a model with tags and settings, and refuses a taken name', async () => {
      const created = await store.registry.createModel({
        name: 'c-flights',
        description: 'delays',
        tags: [{ key: 'team', value: 'ops' }],
        requiresApproval: true,
        protectedAliases: ['champion', 'prod'],
        approvers: ['bob'],
        createdBy: 'alice',
        now: 500,
      });
      expect(created).toEqual({
        name: 'c-flights',
        description: 'delays',
        tags: [{ key: 'team', value: 'ops' }],
        aliases: [],
        requiresApproval: true,
        protectedAliases: ['champion', 'prod'],
        approvers: ['bob'],
        lastVersion: 0,
        createdBy: 'alice',
        createdAt: 500,
        updatedAt: 500,
      });
      await expect(model('c-flights')).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
      expect(await store.registry.getModel('nope')).toBeUndefined();
    });

    it('numbers versions from 1 and never gives a deleted number again', async () => {
      await model('c-numbers');
      const v1 = await store.registry.createVersion(version('c-numbers', { digest: 'sha256:' + '1'.repeat(64), datasets: ['d@1', 'd@2'], pipelineVersionId: 'pv_1', tags: [{ key: 'k', value: 'v' }] }));
      expect(v1).toMatchObject({ name: 'c-numbers', version: 1, status: 'READY', approval: 'none', datasets: ['d@1', 'd@2'], pipelineVersionId: 'pv_1', tags: [{ key: 'k', value: 'v' }], aliases: [], createdBy: 'alice' });
      const v2 = await store.registry.createVersion(version('c-numbers'));
      expect(v2.version).toBe(2);
      await store.registry.deleteVersion('c-numbers', 2);
      expect(await store.registry.getVersion('c-numbers', 2)).toBeUndefined();
      expect((await store.registry.createVersion(version('c-numbers'))).version).toBe(3);
      expect((await store.registry.getModel('c-numbers'))!.lastVersion).toBe(3);
    });

    it('gives concurrent registrations distinct numbers', async () => {
      await model('c-concurrent');
      const made = await Promise.all(Array.from({ length: 6 }, () => store.transaction((tx) => tx.registry.createVersion(version('c-concurrent')))));
      expect(made.map((v) => v.version).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6]);
    });

    it('rolls back a version whose transaction fails, counter included', async () => {
      await model('c-rollback');
      await expect(
        store.transaction(async (tx) => {
          await tx.registry.createVersion(version('c-rollback'));
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      expect(await store.registry.getVersion('c-rollback', 1)).toBeUndefined();
      expect((await store.registry.createVersion(version('c-rollback'))).version).toBe(1);
    });

    it('sets, moves and deletes aliases, seen from the model and the version', async () => {
      await model('c-alias');
      await store.registry.createVersion(version('c-alias'));
      await store.registry.createVersion(version('c-alias'));
      await store.registry.setAlias('c-alias', 'champion', 1, 2000);
      await store.registry.setAlias('c-alias', 'challenger', 2, 2000);
      await store.registry.setAlias('c-alias', 'champion', 2, 3000);
      expect((await store.registry.getModel('c-alias'))!.aliases).toEqual([
        { alias: 'challenger', version: 2 },
        { alias: 'champion', version: 2 },
      ]);
      expect((await store.registry.getVersion('c-alias', 2))!.aliases).toEqual(['challenger', 'champion']);
      expect((await store.registry.getVersion('c-alias', 1))!.aliases).toEqual([]);
      expect(await store.registry.deleteAlias('c-alias', 'challenger')).toBe(true);
      expect(await store.registry.deleteAlias('c-alias', 'challenger')).toBe(false);
    });

    it('updates a model and a version, and tags both', async () => {
      await model('c-update', [], 1000);
      await store.registry.createVersion(version('c-update'));
      await store.registry.updateModel('c-update', { description: 'new', requiresApproval: true, approvers: ['x', 'y'] }, 4000);
      await store.registry.setModelTag('c-update', { key: 'a', value: '1' }, 4100);
      await store.registry.setModelTag('c-update', { key: 'a', value: '2' }, 4200);
      expect(await store.registry.getModel('c-update')).toMatchObject({ description: 'new', requiresApproval: true, approvers: ['x', 'y'], protectedAliases: ['champion'], tags: [{ key: 'a', value: '2' }], updatedAt: 4200 });
      expect(await store.registry.deleteModelTag('c-update', 'a', 4300)).toBe(true);
      await store.registry.updateVersion('c-update', 1, { status: 'ARCHIVED', approval: 'pending', description: 'v1' }, 5000);
      await store.registry.setVersionTag('c-update', 1, { key: 'q', value: 'z' }, 5100);
      expect(await store.registry.getVersion('c-update', 1)).toMatchObject({ status: 'ARCHIVED', approval: 'pending', description: 'v1', tags: [{ key: 'q', value: 'z' }], updatedAt: 5100 });
      expect(await store.registry.deleteVersionTag('c-update', 1, 'q', 5200)).toBe(true);
      expect(await store.registry.deleteVersionTag('c-update', 1, 'q', 5300)).toBe(false);
    });

    it('searches models by name (LIKE, ILIKE, =) and tags, ordered and paged', async () => {
      await model('s-Alpha', [{ key: 'team', value: 'risk' }], 100);
      await model('s-beta', [{ key: 'team', value: 'ops' }], 200);
      await model('s-gamma', [], 300);
      const names = async (filter: string, orderBy: string[] = [], page?: { offset: number; limit: number }) => (await store.registry.searchModels(query('models', filter, orderBy, page ?? { offset: 0, limit: 100 }))).map((m) => m.name);
      expect(await names("name LIKE 's-%'")).toEqual(['s-Alpha', 's-beta', 's-gamma']);
      expect(await names("name LIKE 's-a%'")).toEqual([]);
      expect(await names("name ILIKE 's-a%'")).toEqual(['s-Alpha']);
      expect(await names("name = 's-beta'")).toEqual(['s-beta']);
      expect(await names("name LIKE 's-%' and tags.team = 'risk'")).toEqual(['s-Alpha']);
      expect(await names("name LIKE 's-%' and tags.team != 'risk'")).toEqual(['s-beta', 's-gamma']);
      expect(await names("name LIKE 's-%' and tags.team LIKE '%s'")).toEqual(['s-beta']);
      expect(await names("name LIKE 's-%' and tags.team ILIKE 'R%'")).toEqual(['s-Alpha']);
      expect(await names("name LIKE 's-%'", ['name DESC'])).toEqual(['s-gamma', 's-beta', 's-Alpha']);
      expect(await names("name LIKE 's-%'", ['creation_timestamp DESC'], { offset: 1, limit: 1 })).toEqual(['s-beta']);
    });

    it('searches versions by name, run id, number, source and tags', async () => {
      await model('sv-a');
      await model('sv-b');
      await store.registry.createVersion(version('sv-a', { runId: RUN_A, tags: [{ key: 'stage', value: 'x' }] }));
      await store.registry.createVersion(version('sv-a', { runId: RUN_B, source: `runs:/${RUN_B}/model` }));
      await store.registry.createVersion(version('sv-b', { runId: RUN_B, source: 'mlflow-artifacts:/0/x/artifacts/model' }));
      const ids = async (filter: string, orderBy: string[] = []) => (await store.registry.searchVersions(query('versions', filter, orderBy, { offset: 0, limit: 100 }))).map((v) => `${v.name}/${v.version}`);
      expect(await ids("name IN ('sv-a', 'sv-b')")).toEqual(['sv-a/2', 'sv-a/1', 'sv-b/1']);
      expect(await ids(`name LIKE 'sv-%' and run_id = '${RUN_B}'`)).toEqual(['sv-a/2', 'sv-b/1']);
      expect(await ids("name = 'sv-a' and version_number >= 2")).toEqual(['sv-a/2']);
      expect(await ids("name LIKE 'sv-%' and source_path LIKE 'mlflow-artifacts:%'")).toEqual(['sv-b/1']);
      expect(await ids("name LIKE 'sv-%' and tags.stage = 'x'")).toEqual(['sv-a/1']);
      expect(await ids("name = 'sv-a'", ['version_number ASC'])).toEqual(['sv-a/1', 'sv-a/2']);
      const latest = await store.registry.latestVersions(['sv-a', 'sv-b']);
      expect(latest.map((v) => `${v.name}/${v.version}`)).toEqual(['sv-a/2', 'sv-b/1']);
      await store.registry.updateVersion('sv-a', 1, { status: 'ARCHIVED' }, 9000);
      expect((await store.registry.latestVersions(['sv-a'])).map((v) => `${v.version}:${v.status}`)).toEqual(['2:READY', '1:ARCHIVED']);
    });

    it('keeps approval history in order and stores, replaces and drops cards', async () => {
      await model('c-approval');
      await store.registry.createVersion(version('c-approval'));
      await store.registry.addApproval({ name: 'c-approval', version: 1, action: 'requested', actor: 'alice', comment: null, at: 10 });
      await store.registry.addApproval({ name: 'c-approval', version: 1, action: 'approved', actor: 'bob', comment: 'ok', at: 20 });
      expect((await store.registry.approvals('c-approval', 1)).map((a) => `${a.action}:${a.actor}:${a.comment}`)).toEqual(['requested:alice:null', 'approved:bob:ok']);
      await store.registry.putCard({ name: 'c-approval', version: 1, markdown: '# one', updatedBy: 'alice', updatedAt: 30 });
      await store.registry.putCard({ name: 'c-approval', version: 1, markdown: '# two', updatedBy: 'bob', updatedAt: 40 });
      expect(await store.registry.getCard('c-approval', 1)).toEqual({ name: 'c-approval', version: 1, markdown: '# two', updatedBy: 'bob', updatedAt: 40 });
      expect(await store.registry.deleteCard('c-approval', 1)).toBe(true);
      expect(await store.registry.getCard('c-approval', 1)).toBeUndefined();
    });

    it('renames a model with everything that belongs to it, and refuses a taken name', async () => {
      await model('r-old', [{ key: 't', value: '1' }]);
      await store.registry.createVersion(version('r-old', { tags: [{ key: 'vt', value: '2' }] }));
      await store.registry.setAlias('r-old', 'champion', 1, 10);
      await store.registry.addApproval({ name: 'r-old', version: 1, action: 'requested', actor: 'alice', comment: null, at: 10 });
      await store.registry.putCard({ name: 'r-old', version: 1, markdown: '# card', updatedBy: 'alice', updatedAt: 10 });
      await model('r-taken');
      await expect(store.transaction((tx) => tx.registry.renameModel('r-old', 'r-taken', 20))).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
      await store.transaction((tx) => tx.registry.renameModel('r-old', 'r-new', 20));
      expect(await store.registry.getModel('r-old')).toBeUndefined();
      expect(await store.registry.getModel('r-new')).toMatchObject({ tags: [{ key: 't', value: '1' }], aliases: [{ alias: 'champion', version: 1 }], lastVersion: 1, updatedAt: 20 });
      expect(await store.registry.getVersion('r-new', 1)).toMatchObject({ tags: [{ key: 'vt', value: '2' }], aliases: ['champion'] });
      expect(await store.registry.approvals('r-new', 1)).toHaveLength(1);
      expect((await store.registry.getCard('r-new', 1))?.markdown).toBe('# card');
    });

    it('deletes a model with its versions, aliases, tags, approvals and cards', async () => {
      await model('d-model', [{ key: 't', value: '1' }]);
      await store.registry.createVersion(version('d-model', { tags: [{ key: 'vt', value: '2' }] }));
      await store.registry.setAlias('d-model', 'champion', 1, 10);
      await store.registry.addApproval({ name: 'd-model', version: 1, action: 'requested', actor: 'alice', comment: null, at: 10 });
      await store.registry.putCard({ name: 'd-model', version: 1, markdown: '# card', updatedBy: 'alice', updatedAt: 10 });
      await store.transaction((tx) => tx.registry.deleteModel('d-model'));
      expect(await store.registry.getModel('d-model')).toBeUndefined();
      expect(await store.registry.approvals('d-model', 1)).toEqual([]);
      expect(await store.registry.getCard('d-model', 1)).toBeUndefined();
      // The name is free again, and nothing of the old model shows through.
      await model('d-model');
      expect(await store.registry.getModel('d-model')).toMatchObject({ tags: [], aliases: [], lastVersion: 0 });
    });
  });
}
