import { copyFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { OrchardError } from '../../core/errors.js';
import { step } from '../step.js';
import { types } from '../types.js';

/**
 * Dataset steps built on the platform's DatasetService, run inside the step's worker
 * through `ctx.orchard()`. Each is a tracked data run of its own as well (with its
 * lineage), linked from the step run by an `orchard.dataset_version` tag.
 */

/**
 * Snapshots a file as a version of a dataset; identical data gives the existing version.
 * @example
 * const v = p.step(steps.ingest, { inputs: { source: p.file('flights.parquet') }, params: { dataset: 'flights' } });
 */
export const ingest = step({
  name: 'ingest',
  description: 'Snapshot a file (CSV, Parquet, JSON, NDJSON) as a version of a dataset',
  inputs: { source: types.file() },
  outputs: { version: types.string, rows: types.number },
  params: { dataset: '', format: '' },
  run: async ({ inputs, stored, params, actor, log, orchard }) => {
    if (params.dataset === '') throw new OrchardError('INVALID_ARGUMENT', "The ingest step needs the dataset's name: params: { dataset: 'flights' }.");
    const platform = await orchard();
    // The version's source is the artifact (by content), not the attempt's scratch copy.
    const file = stored.source as { digest: string; name?: string };
    const label = `artifact:${file.name ?? basename(inputs.source)}@${file.digest}`;
    const r = await platform.datasets.ingest(actor, { name: params.dataset, source: inputs.source, format: params.format === '' ? undefined : params.format, cwd: dirname(inputs.source), label });
    const ref = `${r.version.name}@${r.version.version}`;
    log.metrics({ rows: r.version.rows, bytes: r.version.bytes });
    log.tag('orchard.dataset_version', ref);
    return { version: ref, rows: r.version.rows };
  },
});

/** The Parquet file of a dataset version, as an artifact for steps that read files (command steps). */
export const datasetFile = step({
  name: 'dataset-file',
  description: "A dataset version's Parquet snapshot as a file artifact",
  inputs: { version: types.string },
  outputs: { data: types.file('dataset') },
  run: async ({ inputs, outputs, orchard }) => {
    const platform = await orchard();
    const version = await platform.datasets.resolve(inputs.version);
    await copyFile(await platform.datasets.parquetPath(version), outputs.data);
  },
});

/**
 * Pins a dataset to the version it names now: `flights-recent` or `flights-recent@latest`
 * gives `flights-recent@7` while that is the newest. Never cached, so the steps after it key
 * their cache on the concrete version — a pipeline that retrains on "the latest data" reruns
 * them when a new version lands, and reuses them when none did.
 * @example const data = p.step(steps.pin, { params: { dataset: 'flights-recent' } });
 */
export const pin = step({
  name: 'pin',
  description: 'The version a dataset reference names now (name → name@N)',
  outputs: { version: types.string, rows: types.number },
  params: { dataset: '' },
  cache: false,
  run: async ({ params, log, orchard }) => {
    if (params.dataset === '') throw new OrchardError('INVALID_ARGUMENT', "The pin step needs a dataset: params: { dataset: 'flights-recent' } (or name@latest, name@3).");
    const version = await (await orchard()).datasets.resolve(params.dataset);
    const ref = `${version.name}@${version.version}`;
    log.tag('orchard.dataset_version', ref);
    log.metrics({ rows: version.rows });
    return { version: ref, rows: version.rows };
  },
});
