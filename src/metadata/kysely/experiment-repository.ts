import type { Kysely, Selectable } from 'kysely';
import { alreadyExists } from '../../core/errors.js';
import type { Experiment, KeyValue, LifecycleStage } from '../../tracking/types.js';
import type { ExperimentRepository, ExperimentSearch } from '../metadata-store.js';
import type { Database, ExperimentTable } from '../schema.js';

export class KyselyExperimentRepository implements ExperimentRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async create(input: { name: string; artifactLocation?: string; tags: readonly KeyValue[]; now: number }): Promise<Experiment> {
    const taken = await this.#db.selectFrom('experiments').select('experiment_id').where('name', '=', input.name).executeTakeFirst();
    if (taken) {
      throw alreadyExists(`Experiment '${input.name}' already exists (id ${taken.experiment_id}); choose another name or use the existing one.`, {
        name: input.name,
        experimentId: String(taken.experiment_id),
      });
    }
    const row = await this.#db
      .insertInto('experiments')
      .values({
        name: input.name,
        artifact_location: input.artifactLocation ?? '',
        lifecycle_stage: 'active',
        creation_time: input.now,
        last_update_time: input.now,
      })
      .returning('experiment_id')
      .executeTakeFirstOrThrow();
    const id = Number(row.experiment_id);
    if (input.artifactLocation === undefined) {
      await this.#db.updateTable('experiments').set({ artifact_location: `mlflow-artifacts:/${id}` }).where('experiment_id', '=', id).execute();
    }
    if (input.tags.length > 0) {
      await this.#db
        .insertInto('experiment_tags')
        .values(input.tags.map((t) => ({ experiment_id: id, key: t.key, value: t.value })))
        .execute();
    }
    return (await this.get(String(id)))!;
  }

  async get(experimentId: string): Promise<Experiment | undefined> {
    const id = Number(experimentId);
    if (!Number.isSafeInteger(id)) return undefined;
    const row = await this.#db.selectFrom('experiments').selectAll().where('experiment_id', '=', id).executeTakeFirst();
    return row ? (await this.#withTags([row]))[0] : undefined;
  }

  async getByName(name: string): Promise<Experiment | undefined> {
    const row = await this.#db.selectFrom('experiments').selectAll().where('name', '=', name).executeTakeFirst();
    return row ? (await this.#withTags([row]))[0] : undefined;
  }

  async search(query: ExperimentSearch): Promise<Experiment[]> {
    let q = this.#db.selectFrom('experiments').selectAll();
    if (query.viewType !== 'ALL') q = q.where('lifecycle_stage', '=', query.viewType === 'ACTIVE_ONLY' ? 'active' : 'deleted');
    if (query.exactName !== undefined) q = q.where('name', '=', query.exactName);
    const like = query.nameLike;
    if (like !== undefined) {
      q = like.caseInsensitive
        ? q.where((eb) => eb(eb.fn('lower', ['name']), 'like', like.pattern.toLowerCase()))
        : q.where('name', 'like', like.pattern);
    }
    for (const o of query.orderBy ?? []) q = q.orderBy(o.field, o.ascending ? 'asc' : 'desc');
    q = q.orderBy('experiment_id', 'asc').limit(query.limit).offset(query.offset);
    return this.#withTags(await q.execute());
  }

  async rename(experimentId: string, name: string, now: number): Promise<void> {
    const taken = await this.#db.selectFrom('experiments').select('experiment_id').where('name', '=', name).executeTakeFirst();
    if (taken && String(taken.experiment_id) !== experimentId) {
      throw alreadyExists(`Experiment name '${name}' is taken by experiment ${taken.experiment_id}; choose another name.`, { name });
    }
    await this.#db.updateTable('experiments').set({ name, last_update_time: now }).where('experiment_id', '=', Number(experimentId)).execute();
  }

  async setLifecycleStage(experimentId: string, stage: LifecycleStage, now: number): Promise<void> {
    await this.#db
      .updateTable('experiments')
      .set({ lifecycle_stage: stage, last_update_time: now })
      .where('experiment_id', '=', Number(experimentId))
      .execute();
  }

  async setTag(experimentId: string, tag: KeyValue, now: number): Promise<void> {
    const id = Number(experimentId);
    await this.#db
      .insertInto('experiment_tags')
      .values({ experiment_id: id, key: tag.key, value: tag.value })
      .onConflict((oc) => oc.columns(['experiment_id', 'key']).doUpdateSet({ value: tag.value }))
      .execute();
    await this.#db.updateTable('experiments').set({ last_update_time: now }).where('experiment_id', '=', id).execute();
  }

  async #withTags(rows: Selectable<ExperimentTable>[]): Promise<Experiment[]> {
    if (rows.length === 0) return [];
    const ids = rows.map((r) => Number(r.experiment_id));
    const tags = await this.#db.selectFrom('experiment_tags').selectAll().where('experiment_id', 'in', ids).orderBy('key').execute();
    const byId = new Map<number, KeyValue[]>();
    for (const t of tags) {
      const list = byId.get(Number(t.experiment_id)) ?? [];
      list.push({ key: t.key, value: t.value });
      byId.set(Number(t.experiment_id), list);
    }
    return rows.map((r) => ({
      experimentId: String(r.experiment_id),
      name: r.name,
      artifactLocation: r.artifact_location,
      lifecycleStage: r.lifecycle_stage as LifecycleStage,
      creationTime: Number(r.creation_time),
      lastUpdateTime: Number(r.last_update_time),
      tags: byId.get(Number(r.experiment_id)) ?? [],
    }));
  }
}
