import type { FastifyInstance } from 'fastify';
import { invalidArgument } from '../../core/errors.js';
import { renderProfileHtml } from '../../data/profile-report.js';
import { parseSchema } from '../../data/schema.js';
import { parseSplitSpec } from '../../data/split.js';
import type { Platform } from '../../orchard.js';
import { input } from './request-input.js';

const admin = { config: { role: 'admin' } } as const;

/** Datasets under `/api/v1/datasets`: versions, profiles, schemas, validation, splits. */
export function dataRoutes(platform: Platform) {
  const { datasets, derive, store } = platform;
  const refOf = (req: { params: unknown }) => (req.params as { ref: string }).ref;
  return async (app: FastifyInstance): Promise<void> => {
    app.get('/datasets', async () => ({ items: await datasets.list() }));
    // Ingest reads a path on the server's file system, so it is for admins.
    app.post('/datasets', admin, async (req) => {
      const i = input(req);
      if (typeof i.name !== 'string' || typeof i.source !== 'string') throw invalidArgument('Ingest needs {"name": "flights", "source": "/path/on/the/server.parquet"}.');
      const csv = (i.csv ?? {}) as { delimiter?: unknown; header?: unknown };
      if (csv.delimiter !== undefined && typeof csv.delimiter !== 'string') throw invalidArgument('csv.delimiter must be a one-character string.');
      if (csv.header !== undefined && typeof csv.header !== 'boolean') throw invalidArgument('csv.header must be true or false.');
      const format = typeof i.format === 'string' ? i.format : undefined;
      const str = (v: unknown, field: string) => {
        if (v !== undefined && typeof v !== 'string') throw invalidArgument(`${field} must be a string.`);
        return v as string | undefined;
      };
      return datasets.ingest(req.actor, { name: i.name, source: i.source, format, csv: csv as { delimiter?: string; header?: boolean }, cwd: platform.config.home, table: str(i.table, 'table'), query: str(i.query, 'query') });
    });
    app.get('/datasets/:ref', async (req) => {
      const version = await datasets.resolve(refOf(req));
      return { ...version, versions: (await datasets.versions(version.name)).map((v) => v.version) };
    });
    app.get('/datasets/:ref/lineage', async (req) => {
      const v = await datasets.resolve(refOf(req));
      const id = `${v.name}@${v.version}`;
      return { upstream: await store.lineage.edges('dataset_version', id, 'upstream'), downstream: await store.lineage.edges('dataset_version', id, 'downstream') };
    });
    app.get('/datasets/:ref/profile', async (req) => datasets.storedProfile(await datasets.resolve(refOf(req))));
    app.get('/datasets/:ref/profile.html', async (req, reply) => {
      const profile = await datasets.storedProfile(await datasets.resolve(refOf(req)));
      return reply.type('text/html; charset=utf-8').send(renderProfileHtml(profile));
    });
    app.post('/datasets/:ref/profile', async (req) => datasets.profile(req.actor, refOf(req), { refresh: input(req).refresh === true }));
    app.get('/datasets/:ref/schema', async (req) => derive.inferSchema(req.actor, refOf(req)));
    app.post('/datasets/:ref/validate', async (req) => {
      const i = input(req);
      if ((i.schema === undefined) === (i.against === undefined)) throw invalidArgument('Validation needs exactly one of {"schema": {…}} or {"against": "name@version"}.');
      const schema = i.schema !== undefined ? parseSchema(i.schema, 'the request body') : await derive.inferSchema(req.actor, String(i.against));
      const report = await derive.validate(req.actor, refOf(req), schema);
      return { dataset: `${report.version.name}@${report.version.version}`, rows: report.rows, anomalies: report.anomalies, runId: report.runId };
    });
    app.post('/datasets/:ref/split', async (req) => {
      const i = input(req);
      return derive.split(req.actor, refOf(req), parseSplitSpec(i.spec), { output: typeof i.output === 'string' ? i.output : undefined });
    });
  };
}
