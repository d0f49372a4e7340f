import { Kysely, Migrator, type Dialect, type MigrationProvider } from 'kysely';
import { OrchardError } from '../core/errors.js';
import type { SqlDialectName } from './dialect.js';
import { KyselyArtifactIndexRepository } from './kysely/artifact-index-repository.js';
import { KyselyDatasetRepository } from './kysely/dataset-repository.js';
import { KyselyLineageRepository } from './kysely/lineage-repository.js';
import { KyselyEventRepository } from './kysely/event-repository.js';
import { KyselyExperimentRepository } from './kysely/experiment-repository.js';
import { KyselyMetricRepository } from './kysely/metric-repository.js';
import { KyselyMonitorResultRepository } from './kysely/monitor-repository.js';
import { KyselyRegistryRepository } from './kysely/registry-repository.js';
import { KyselyRunRepository } from './kysely/run-repository.js';
import { KyselyTokenRepository } from './kysely/token-repository.js';
import { KyselyLockRepository } from './kysely/lock-repository.js';
import { KyselyPipelineRepository } from './kysely/pipeline-repository.js';
import { KyselyEndpointRepository } from './kysely/endpoint-repository.js';
import type { MetadataRepositories, MetadataStore } from './metadata-store.js';
import { initialMigration } from './migrations/0001-initial.js';
import { registryMigration } from './migrations/0002-registry.js';
import { pipelinesMigration } from './migrations/0003-pipelines.js';
import { monitoringMigration } from './migrations/0005-monitoring.js';
import { servingMigration } from './migrations/0004-serving.js';
import { loopMigration } from './migrations/0006-loop.js';
import { KyselyAlertRepository } from './kysely/alert-repository.js';
import { KyselyFeedbackRepository } from './kysely/feedback-repository.js';
import { KyselyScheduleRepository } from './kysely/schedule-repository.js';
import type { Database } from './schema.js';

/** Every migration, in order. Append only: never edit one that has shipped. */
function migrationsFor(dialect: SqlDialectName): MigrationProvider {
  return {
    getMigrations: async () => ({
      '0001-initial': initialMigration(dialect),
      '0002-registry': registryMigration(dialect),
      '0003-pipelines': pipelinesMigration(),
      '0004-serving': servingMigration(dialect),
      '0005-monitoring': monitoringMigration(dialect),
      '0006-loop': loopMigration(),
    }),
  };
}

/**
 * What SQLite and PostgreSQL share: the repositories (one Kysely code base),
 * the migration set, transactions and error translation. Adapters supply the
 * Kysely dialect and map their driver's errors.
 */
export abstract class KyselyMetadataStore implements MetadataStore {
  abstract readonly dialect: SqlDialectName;
  abstract readonly location: string;
  #db: Kysely<Database> | undefined;
  #repos: MetadataRepositories | undefined;
  #initialised: Promise<void> | undefined;

  /** Builds the Kysely dialect. Called once, from `init()`. */
  protected abstract createDialect(): Dialect;
  /** Maps a driver error to an `OrchardError`, or returns it unchanged. */
  protected abstract translateError(error: unknown): unknown;
  /** Runs after the connection opens and before migrations (pragmas, checks). */
  protected async afterConnect(_db: Kysely<Database>): Promise<void> {}
  /** A read-only store is checked instead of migrated. */
  protected get readOnly(): boolean {
    return false;
  }

  get experiments() {
    return this.#repositories().experiments;
  }
  get runs() {
    return this.#repositories().runs;
  }
  get metrics() {
    return this.#repositories().metrics;
  }
  get artifacts() {
    return this.#repositories().artifacts;
  }
  get events() {
    return this.#repositories().events;
  }
  get tokens() {
    return this.#repositories().tokens;
  }
  get datasets() {
    return this.#repositories().datasets;
  }
  get lineage() {
    return this.#repositories().lineage;
  }
  get registry() {
    return this.#repositories().registry;
  }
  get pipelines() {
    return this.#repositories().pipelines;
  }
  get locks() {
    return this.#repositories().locks;
  }
  get monitors() {
    return this.#repositories().monitors;
  }
  get endpoints() {
    return this.#repositories().endpoints;
  }
  get schedules() {
    return this.#repositories().schedules;
  }
  get alerts() {
    return this.#repositories().alerts;
  }
  get feedback() {
    return this.#repositories().feedback;
  }

  init(): Promise<void> {
    this.#initialised ??= (async () => {
      try {
        this.#db = new Kysely<Database>({ dialect: this.createDialect() });
        await this.afterConnect(this.#db);
        if (this.readOnly) await this.#db.selectFrom('experiments').select('experiment_id').limit(1).execute();
        else await this.migrate();
        this.#repos = this.#translated(repositoriesFor(this.#db, this.dialect));
      } catch (error) {
        const db = this.#db;
        this.#db = undefined;
        this.#initialised = undefined;
        await db?.destroy().catch(() => {});
        throw this.translateError(error);
      }
    })();
    return this.#initialised;
  }

  async migrate(): Promise<string[]> {
    // Migrations only add tables and columns and do not depend on each other's order beyond
    // 0001, so a store that ran a later one first (areas developed side by side) still takes an earlier one.
    const migrator = new Migrator({ db: this.#kysely(), provider: migrationsFor(this.dialect), allowUnorderedMigrations: true });
    const { error, results } = await migrator.migrateToLatest();
    if (error) {
      const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
      const translated = this.translateError(error);
      if (translated instanceof OrchardError) throw translated;
      throw new OrchardError('STORE_UNAVAILABLE', `Migration ${failed} of the metadata store at ${this.location} failed: ${(error as Error).message}`, {
        cause: error,
      });
    }
    return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
  }

  async destroy(): Promise<void> {
    const db = this.#db;
    this.#db = undefined;
    this.#repos = undefined;
    this.#initialised = undefined;
    await db?.destroy();
  }

  async transaction<T>(fn: (tx: MetadataRepositories) => Promise<T>): Promise<T> {
    try {
      return await this.#kysely()
        .transaction()
        .execute((trx) => fn(this.#translated(repositoriesFor(trx, this.dialect))));
    } catch (error) {
      throw this.translateError(error);
    }
  }

  /** The Kysely instance, for adapter-specific queries in tests and tools. */
  protected kysely(): Kysely<Database> {
    return this.#kysely();
  }

  #kysely(): Kysely<Database> {
    if (!this.#db) throw new OrchardError('INTERNAL', `The metadata store at ${this.location} is not open; call init() first.`);
    return this.#db;
  }

  #repositories(): MetadataRepositories {
    if (!this.#repos) throw new OrchardError('INTERNAL', `The metadata store at ${this.location} is not open; call init() first.`);
    return this.#repos;
  }

  /** Wraps every repository method so driver errors leave as `OrchardError`s. */
  #translated(repos: MetadataRepositories): MetadataRepositories {
    const wrap = <T extends object>(target: T): T =>
      new Proxy(target, {
        get: (obj, prop) => {
          const value = Reflect.get(obj, prop, obj);
          if (typeof value !== 'function') return value;
          return async (...args: unknown[]) => {
            try {
              return await value.apply(obj, args);
            } catch (error) {
              throw this.translateError(error);
            }
          };
        },
      });
    return {
      experiments: wrap(repos.experiments),
      runs: wrap(repos.runs),
      metrics: wrap(repos.metrics),
      artifacts: wrap(repos.artifacts),
      events: wrap(repos.events),
      tokens: wrap(repos.tokens),
      datasets: wrap(repos.datasets),
      lineage: wrap(repos.lineage),
      registry: wrap(repos.registry),
      pipelines: wrap(repos.pipelines),
      locks: wrap(repos.locks),
      monitors: wrap(repos.monitors),
      endpoints: wrap(repos.endpoints),
      schedules: wrap(repos.schedules),
      alerts: wrap(repos.alerts),
      feedback: wrap(repos.feedback),
    };
  }
}

function repositoriesFor(db: Kysely<Database>, dialect: SqlDialectName): MetadataRepositories {
  return {
    experiments: new KyselyExperimentRepository(db),
    runs: new KyselyRunRepository(db, dialect),
    metrics: new KyselyMetricRepository(db, dialect),
    artifacts: new KyselyArtifactIndexRepository(db),
    events: new KyselyEventRepository(db),
    tokens: new KyselyTokenRepository(db),
    datasets: new KyselyDatasetRepository(db),
    lineage: new KyselyLineageRepository(db),
    registry: new KyselyRegistryRepository(db, dialect),
    pipelines: new KyselyPipelineRepository(db),
    locks: new KyselyLockRepository(db),
    monitors: new KyselyMonitorResultRepository(db),
    endpoints: new KyselyEndpointRepository(db),
    schedules: new KyselyScheduleRepository(db),
    alerts: new KyselyAlertRepository(db),
    feedback: new KyselyFeedbackRepository(db),
  };
}
