import { sql, type Kysely, type RawBuilder, type Selectable, type SqlBool } from 'kysely';
import { alreadyExists } from '../../core/errors.js';
import type { RegistryFilterClause, RegistryOrderClause } from '../../registry/registry-filter.js';
import type { ApprovalRecord, ApprovalState, ModelAlias, ModelVersion, ModelVersionStatus, RegisteredModel, StoredModelCard } from '../../registry/types.js';
import type { KeyValue } from '../../tracking/types.js';
import type { SqlDialectName } from '../dialect.js';
import type { ModelPatch, ModelVersionPatch, NewModel, NewModelVersion, RegistryRepository, RegistrySearch } from '../registry-repository.js';
import type { Database, ModelTable, ModelVersionTable } from '../schema.js';
import { chunked } from './rows.js';

export class KyselyRegistryRepository implements RegistryRepository {
  readonly #db: Kysely<Database>;
  readonly #dialect: SqlDialectName;

  constructor(db: Kysely<Database>, dialect: SqlDialectName) {
    this.#db = db;
    this.#dialect = dialect;
  }

  // ---- models

  async createModel(input: NewModel): Promise<RegisteredModel> {
    if (await this.#db.selectFrom('models').select('name').where('name', '=', input.name).executeTakeFirst()) throw modelExists(input.name);
    await this.#db
      .insertInto('models')
      .values({
        name: input.name,
        description: input.description,
        requires_approval: input.requiresApproval ? 1 : 0,
        protected_aliases: JSON.stringify(input.protectedAliases),
        approvers: JSON.stringify(input.approvers),
        created_by: input.createdBy,
        created_at: input.now,
        updated_at: input.now,
      })
      .execute();
    for (const tag of input.tags) await this.setModelTag(input.name, tag, input.now);
    return (await this.getModel(input.name))!;
  }

  async getModel(name: string): Promise<RegisteredModel | undefined> {
    const row = await this.#db.selectFrom('models').selectAll().where('name', '=', name).executeTakeFirst();
    return row ? (await this.#modelsWithData([row]))[0] : undefined;
  }

  async searchModels(query: RegistrySearch): Promise<RegisteredModel[]> {
    let q = this.#db.selectFrom('models').selectAll('models');
    for (const clause of query.filter) q = q.where(this.#condition(clause, 'models'));
    const order = query.orderBy.map((o) => sql`${sql.ref(`models.${modelColumn(o)}`)} ${sql.raw(o.ascending ? 'asc' : 'desc')}`);
    const rows = await q
      .orderBy(sql`${sql.join([...order, sql`models.name asc`])}`)
      .limit(query.limit)
      .offset(query.offset)
      .execute();
    return this.#modelsWithData(rows);
  }

  async updateModel(name: string, patch: ModelPatch, now: number): Promise<void> {
    await this.#db
      .updateTable('models')
      .set({
        updated_at: now,
        ...(patch.description !== undefined ? { description: patch.description } : {}),
        ...(patch.requiresApproval !== undefined ? { requires_approval: patch.requiresApproval ? 1 : 0 } : {}),
        ...(patch.protectedAliases !== undefined ? { protected_aliases: JSON.stringify(patch.protectedAliases) } : {}),
        ...(patch.approvers !== undefined ? { approvers: JSON.stringify(patch.approvers) } : {}),
      })
      .where('name', '=', name)
      .execute();
  }

  async renameModel(name: string, newName: string, now: number): Promise<void> {
    if (await this.#db.selectFrom('models').select('name').where('name', '=', newName).executeTakeFirst()) throw modelExists(newName);
    const model = await this.#db.selectFrom('models').selectAll().where('name', '=', name).executeTakeFirstOrThrow();
    // Children reference the name without ON UPDATE CASCADE: copy the model and its versions, move the rest, drop the old rows.
    await this.#db.insertInto('models').values({ ...model, name: newName, updated_at: now }).execute();
    const versions = await this.#db.selectFrom('model_versions').selectAll().where('name', '=', name).execute();
    for (const part of chunked(versions, 200)) await this.#db.insertInto('model_versions').values(part.map((v) => ({ ...v, name: newName }))).execute();
    for (const table of ['model_version_tags', 'model_tags', 'model_aliases', 'model_approvals', 'model_cards'] as const) {
      await this.#db.updateTable(table).set({ name: newName }).where('name', '=', name).execute();
    }
    await this.#db.deleteFrom('model_versions').where('name', '=', name).execute();
    await this.#db.deleteFrom('models').where('name', '=', name).execute();
  }

  async deleteModel(name: string): Promise<void> {
    for (const table of ['model_version_tags', 'model_tags', 'model_aliases', 'model_approvals', 'model_cards', 'model_versions', 'models'] as const) {
      await this.#db.deleteFrom(table).where('name', '=', name).execute();
    }
  }

  async setModelTag(name: string, tag: KeyValue, now: number): Promise<void> {
    await this.#db
      .insertInto('model_tags')
      .values({ name, key: tag.key, value: tag.value })
      .onConflict((oc) => oc.columns(['name', 'key']).doUpdateSet({ value: tag.value }))
      .execute();
    await this.#touchModel(name, now);
  }

  async deleteModelTag(name: string, key: string, now: number): Promise<boolean> {
    const result = await this.#db.deleteFrom('model_tags').where('name', '=', name).where('key', '=', key).executeTakeFirst();
    await this.#touchModel(name, now);
    return Number(result.numDeletedRows) > 0;
  }

  // ---- versions

  async createVersion(input: NewModelVersion): Promise<ModelVersion> {
    // An atomic increment: on PostgreSQL the row lock makes a concurrent registration wait and take the next number.
    const counter = await this.#db
      .updateTable('models')
      .set((eb) => ({ last_version: eb('last_version', '+', 1), updated_at: input.now }))
      .where('name', '=', input.name)
      .returning('last_version')
      .executeTakeFirstOrThrow();
    const version = Number(counter.last_version);
    await this.#db
      .insertInto('model_versions')
      .values({
        name: input.name,
        version,
        run_id: input.runId,
        source: input.source,
        digest: input.digest,
        status: 'READY',
        approval: 'none',
        description: input.description,
        created_by: input.createdBy,
        created_at: input.now,
        updated_at: input.now,
        datasets_json: JSON.stringify(input.datasets),
        pipeline_version_id: input.pipelineVersionId,
      })
      .execute();
    for (const tag of input.tags) await this.#putVersionTag(input.name, version, tag);
    return (await this.getVersion(input.name, version))!;
  }

  async getVersion(name: string, version: number): Promise<ModelVersion | undefined> {
    const row = await this.#db.selectFrom('model_versions').selectAll().where('name', '=', name).where('version', '=', version).executeTakeFirst();
    return row ? (await this.#versionsWithData([row]))[0] : undefined;
  }

  async latestVersions(names: readonly string[]): Promise<ModelVersion[]> {
    const rows: Selectable<ModelVersionTable>[] = [];
    for (const part of chunked(names, 500)) {
      rows.push(
        ...(await this.#db
          .selectFrom('model_versions as v')
          .selectAll('v')
          .where('v.name', 'in', part)
          .where(({ eb, selectFrom }) =>
            eb('v.version', '=', selectFrom('model_versions as w').select((e) => e.fn.max('w.version').as('m')).whereRef('w.name', '=', 'v.name').whereRef('w.status', '=', 'v.status')),
          )
          .orderBy('v.name')
          .orderBy('v.version', 'desc')
          .execute()),
      );
    }
    return this.#versionsWithData(rows);
  }

  async searchVersions(query: RegistrySearch): Promise<ModelVersion[]> {
    let q = this.#db.selectFrom('model_versions').selectAll('model_versions');
    for (const clause of query.filter) q = q.where(this.#condition(clause, 'model_versions'));
    const order = query.orderBy.map((o) => sql`${sql.ref(`model_versions.${versionColumn(o)}`)} ${sql.raw(o.ascending ? 'asc' : 'desc')}`);
    const rows = await q
      .orderBy(sql`${sql.join([...order, sql`model_versions.name asc`, sql`model_versions.version desc`])}`)
      .limit(query.limit)
      .offset(query.offset)
      .execute();
    return this.#versionsWithData(rows);
  }

  async updateVersion(name: string, version: number, patch: ModelVersionPatch, now: number): Promise<void> {
    await this.#db
      .updateTable('model_versions')
      .set({
        updated_at: now,
        ...(patch.description !== undefined ? { description: patch.description } : {}),
        ...(patch.status !== undefined ? { status: patch.status } : {}),
        ...(patch.approval !== undefined ? { approval: patch.approval } : {}),
      })
      .where('name', '=', name)
      .where('version', '=', version)
      .execute();
  }

  async deleteVersion(name: string, version: number): Promise<void> {
    for (const table of ['model_version_tags', 'model_aliases', 'model_approvals', 'model_cards', 'model_versions'] as const) {
      await this.#db.deleteFrom(table).where('name', '=', name).where('version', '=', version).execute();
    }
  }

  async setVersionTag(name: string, version: number, tag: KeyValue, now: number): Promise<void> {
    await this.#putVersionTag(name, version, tag);
    await this.#db.updateTable('model_versions').set({ updated_at: now }).where('name', '=', name).where('version', '=', version).execute();
  }

  async deleteVersionTag(name: string, version: number, key: string, now: number): Promise<boolean> {
    const result = await this.#db.deleteFrom('model_version_tags').where('name', '=', name).where('version', '=', version).where('key', '=', key).executeTakeFirst();
    await this.#db.updateTable('model_versions').set({ updated_at: now }).where('name', '=', name).where('version', '=', version).execute();
    return Number(result.numDeletedRows) > 0;
  }

  // ---- aliases, approvals, cards

  async setAlias(name: string, alias: string, version: number, now: number): Promise<void> {
    await this.#db
      .insertInto('model_aliases')
      .values({ name, alias, version, updated_at: now })
      .onConflict((oc) => oc.columns(['name', 'alias']).doUpdateSet({ version, updated_at: now }))
      .execute();
  }

  async deleteAlias(name: string, alias: string): Promise<boolean> {
    const result = await this.#db.deleteFrom('model_aliases').where('name', '=', name).where('alias', '=', alias).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  async addApproval(r: ApprovalRecord): Promise<void> {
    await this.#db.insertInto('model_approvals').values({ name: r.name, version: r.version, action: r.action, actor: r.actor, comment: r.comment, at: r.at }).execute();
  }

  async approvals(name: string, version: number): Promise<ApprovalRecord[]> {
    const rows = await this.#db.selectFrom('model_approvals').selectAll().where('name', '=', name).where('version', '=', version).orderBy('approval_id').execute();
    return rows.map((r) => ({ name: r.name, version: Number(r.version), action: r.action as ApprovalRecord['action'], actor: r.actor, comment: r.comment, at: Number(r.at) }));
  }

  async putCard(card: StoredModelCard): Promise<void> {
    await this.#db
      .insertInto('model_cards')
      .values({ name: card.name, version: card.version, markdown: card.markdown, updated_by: card.updatedBy, updated_at: card.updatedAt })
      .onConflict((oc) => oc.columns(['name', 'version']).doUpdateSet({ markdown: card.markdown, updated_by: card.updatedBy, updated_at: card.updatedAt }))
      .execute();
  }

  async getCard(name: string, version: number): Promise<StoredModelCard | undefined> {
    const r = await this.#db.selectFrom('model_cards').selectAll().where('name', '=', name).where('version', '=', version).executeTakeFirst();
    return r ? { name: r.name, version: Number(r.version), markdown: r.markdown, updatedBy: r.updated_by, updatedAt: Number(r.updated_at) } : undefined;
  }

  async deleteCard(name: string, version: number): Promise<boolean> {
    const result = await this.#db.deleteFrom('model_cards').where('name', '=', name).where('version', '=', version).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  // ---- helpers

  async #touchModel(name: string, now: number): Promise<void> {
    await this.#db.updateTable('models').set({ updated_at: now }).where('name', '=', name).execute();
  }

  async #putVersionTag(name: string, version: number, tag: KeyValue): Promise<void> {
    await this.#db
      .insertInto('model_version_tags')
      .values({ name, version, key: tag.key, value: tag.value })
      .onConflict((oc) => oc.columns(['name', 'version', 'key']).doUpdateSet({ value: tag.value }))
      .execute();
  }

  #condition(clause: RegistryFilterClause, table: 'models' | 'model_versions'): RawBuilder<SqlBool> {
    if (clause.field === 'tag') {
      const tags = table === 'models' ? sql`model_tags t where t.name = models.name` : sql`model_version_tags t where t.name = model_versions.name and t.version = model_versions.version`;
      const op = clause.comparator === '!=' ? '=' : clause.comparator;
      const cond = this.#compare(sql.ref('t.value'), op, clause.value);
      // `tags.k != 'x'` matches what has no tag k too, as MLflow's registry does.
      return clause.comparator === '!='
        ? sql<SqlBool>`not exists (select 1 from ${tags} and t.key = ${clause.key} and ${cond})`
        : sql<SqlBool>`exists (select 1 from ${tags} and t.key = ${clause.key} and ${cond})`;
    }
    const column = clause.field === 'version_number' ? 'version' : clause.field === 'source_path' ? 'source' : clause.field;
    return this.#compare(sql.ref(`${table}.${column}`), clause.comparator, clause.value);
  }

  #compare(column: RawBuilder<unknown> | ReturnType<typeof sql.ref>, comparator: RegistryFilterClause['comparator'], value: RegistryFilterClause['value']): RawBuilder<SqlBool> {
    switch (comparator) {
      case 'IN':
      case 'NOT IN':
        return sql<SqlBool>`${column} ${sql.raw(comparator.toLowerCase())} (${sql.join((value as readonly string[]).map((v) => sql`${v}`))})`;
      case 'LIKE':
        return sql<SqlBool>`${column} like ${value}`;
      case 'ILIKE':
        return this.#dialect === 'postgres' ? sql<SqlBool>`${column} ilike ${value}` : sql<SqlBool>`lower(${column}) like lower(${value})`;
      default:
        return sql<SqlBool>`${column} ${sql.raw(comparator)} ${value}`;
    }
  }

  async #modelsWithData(rows: Selectable<ModelTable>[]): Promise<RegisteredModel[]> {
    if (rows.length === 0) return [];
    const tags = new Map<string, KeyValue[]>();
    const aliases = new Map<string, ModelAlias[]>();
    for (const part of chunked(rows.map((r) => r.name), 500)) {
      for (const t of await this.#db.selectFrom('model_tags').selectAll().where('name', 'in', part).orderBy('key').execute()) push(tags, t.name, { key: t.key, value: t.value });
      for (const a of await this.#db.selectFrom('model_aliases').selectAll().where('name', 'in', part).orderBy('alias').execute()) push(aliases, a.name, { alias: a.alias, version: Number(a.version) });
    }
    return rows.map((r) => ({
      name: r.name,
      description: r.description,
      tags: tags.get(r.name) ?? [],
      aliases: aliases.get(r.name) ?? [],
      requiresApproval: Number(r.requires_approval) === 1,
      protectedAliases: JSON.parse(r.protected_aliases) as string[],
      approvers: JSON.parse(r.approvers) as string[],
      lastVersion: Number(r.last_version),
      createdBy: r.created_by,
      createdAt: Number(r.created_at),
      updatedAt: Number(r.updated_at),
    }));
  }

  async #versionsWithData(rows: Selectable<ModelVersionTable>[]): Promise<ModelVersion[]> {
    if (rows.length === 0) return [];
    const tags = new Map<string, KeyValue[]>();
    const aliases = new Map<string, string[]>();
    for (const part of chunked([...new Set(rows.map((r) => r.name))], 500)) {
      const wanted = new Set(rows.map((r) => `${r.version}/${r.name}`));
      for (const t of await this.#db.selectFrom('model_version_tags').selectAll().where('name', 'in', part).orderBy('key').execute()) {
        if (wanted.has(`${t.version}/${t.name}`)) push(tags, `${t.version}/${t.name}`, { key: t.key, value: t.value });
      }
      for (const a of await this.#db.selectFrom('model_aliases').selectAll().where('name', 'in', part).orderBy('alias').execute()) push(aliases, `${a.version}/${a.name}`, a.alias);
    }
    return rows.map((r) => {
      const id = `${r.version}/${r.name}`;
      return {
        name: r.name,
        version: Number(r.version),
        source: r.source,
        runId: r.run_id,
        digest: r.digest,
        datasets: JSON.parse(r.datasets_json) as string[],
        pipelineVersionId: r.pipeline_version_id,
        status: r.status as ModelVersionStatus,
        approval: r.approval as ApprovalState,
        description: r.description,
        tags: tags.get(id) ?? [],
        aliases: aliases.get(id) ?? [],
        createdBy: r.created_by,
        createdAt: Number(r.created_at),
        updatedAt: Number(r.updated_at),
      };
    });
  }
}

function push<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function modelColumn(o: RegistryOrderClause): 'name' | 'created_at' | 'updated_at' {
  return o.field === 'creation_timestamp' ? 'created_at' : o.field === 'last_updated_timestamp' ? 'updated_at' : 'name';
}

function versionColumn(o: RegistryOrderClause): 'name' | 'version' | 'created_at' | 'updated_at' {
  return o.field === 'version_number' ? 'version' : modelColumn(o);
}

function modelExists(name: string) {
  return alreadyExists(`A registered model named '${name}' already exists; register a new version of it, or choose another name.`, { name });
}
