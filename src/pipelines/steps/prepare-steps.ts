import { writeFile } from 'node:fs/promises';
import { invalidArgument, OrchardError } from '../../core/errors.js';
import { renderProfileHtml } from '../../data/profile-report.js';
import { describeAnomalies, parseSchema, type Anomaly, type DataSchema } from '../../data/schema.js';
import type { SplitSpec } from '../../data/split.js';
import { parseTransformSpec } from '../../data/transform.js';
import { step } from '../step.js';
import { types, type JsonValue } from '../types.js';

/**
 * The seed's analysis and preparation stages as steps: profile, validate, split and
 * transform a dataset version, each through the platform's services inside the worker,
 * so each is also a tracked data run with its lineage.
 */

/**
 * Profiles a version (stored with it) and outputs the profile as JSON and a self-contained HTML report.
 * @example p.step(steps.profile, { inputs: { version: data.outputs.version } })
 */
export const profile = step({
  name: 'profile',
  description: 'Profile a dataset version; the profile as JSON and an HTML report',
  inputs: { version: types.string },
  outputs: { profile: types.file('profile'), report: types.file('report'), rows: types.number },
  run: async ({ inputs, outputs, actor, log, orchard }) => {
    const platform = await orchard();
    const p = await platform.datasets.profile(actor, inputs.version);
    await writeFile(outputs.profile, JSON.stringify(p));
    await writeFile(outputs.report, renderProfileHtml(p));
    log.metrics({ rows: p.rows, duplicate_rows: p.duplicateRows, columns: p.columns.length });
    return { rows: p.rows };
  },
});

/** Whether a validation passes: at most `maxAnomalies` anomalies (pure). The message lists every anomaly. */
export function anomalyVerdict(ref: string, schemaFrom: string, anomalies: readonly Anomaly[], maxAnomalies: number): { passed: boolean; message: string } {
  if (!Number.isInteger(maxAnomalies) || maxAnomalies < 0) throw invalidArgument(`maxAnomalies must be a whole number of anomalies (0 or more), got ${maxAnomalies}.`);
  const passed = anomalies.length <= maxAnomalies;
  const head = `${ref} has ${anomalies.length} ${anomalies.length === 1 ? 'anomaly' : 'anomalies'} against the schema of ${schemaFrom} (at most ${maxAnomalies} allowed)`;
  const fix = passed ? '' : '\nFix the data, or raise the threshold: params: { maxAnomalies: <n> } (--param validate.maxAnomalies=<n>).';
  return { passed, message: anomalies.length === 0 ? head : `${head}:\n${describeAnomalies(anomalies)}${fix}` };
}

/**
 * Validates a version against a schema: the one given (`schema`, Orchard's schema JSON) or one
 * inferred from `reference` (a dataset version). Fails the run when there are more than
 * `maxAnomalies` anomalies, with a message listing them; otherwise outputs them.
 * @example p.step(steps.validate, { inputs: { version: data.outputs.version, reference: january.outputs.version }, params: { maxAnomalies: 10 } })
 */
export const validate = step({
  name: 'validate',
  description: 'Validate a dataset version against a schema; fail above a number of anomalies',
  inputs: { version: types.string, reference: types.string },
  outputs: { anomalies: types.json<Anomaly[]>(), count: types.number, schema: types.file('schema') },
  params: { schema: {} as JsonValue, maxAnomalies: 0 },
  run: async ({ inputs, outputs, params, actor, log, orchard }) => {
    const given = params.schema !== null && typeof params.schema === 'object' && Object.keys(params.schema).length > 0;
    if (!given && inputs.reference === '') throw new OrchardError('INVALID_ARGUMENT', "The validate step needs a schema: a reference version (inputs: { reference: 'flights@1' }) or params: { schema: { orchardSchema: 1, columns: [...] } }.");
    const platform = await orchard();
    const schema: DataSchema = given ? parseSchema(params.schema, 'The validate step\'s schema param') : await platform.derive.inferSchema(actor, inputs.reference);
    const report = await platform.derive.validate(actor, inputs.version, schema);
    const ref = `${report.version.name}@${report.version.version}`;
    const verdict = anomalyVerdict(ref, schema.inferredFrom ?? 'the given schema', report.anomalies, params.maxAnomalies);
    log.metrics({ anomalies: report.anomalies.length, rows: report.rows });
    log.tag('orchard.validation_run', report.runId);
    console.log(verdict.message);
    if (!verdict.passed) throw new OrchardError('INVALID_ARGUMENT', verdict.message, { details: { anomalies: report.anomalies } });
    await writeFile(outputs.schema, JSON.stringify(schema, null, 2));
    return { anomalies: report.anomalies, count: report.anomalies.length };
  },
});

/**
 * The split step's `train` and `test` outputs (pure): the parts of those names, else the first
 * and second part in the order the spec names them (not the order the parts come back in).
 */
export function trainAndTest(spec: SplitSpec, parts: Readonly<Record<string, string>>): { train: string; test: string } {
  const named = spec.kind === 'time' ? spec.names : 'fractions' in spec ? Object.keys(spec.fractions) : [];
  const names = [...named.filter((n) => n in parts), ...Object.keys(parts).filter((n) => !named.includes(n))];
  return { train: parts.train ?? parts[names[0]!] ?? '', test: parts.test ?? parts[names[1]!] ?? '' };
}

/** The split spec a `split` step's params describe (pure). */
export function splitSpecOf(params: { kind: string; by: string; cuts: readonly string[]; names: readonly string[]; fractions: JsonValue; seed: number }): SplitSpec {
  switch (params.kind) {
    case 'time':
      return { kind: 'time', by: params.by, cuts: params.cuts, names: params.names };
    case 'random':
    case 'stratified':
    case 'group':
    case 'ordered': {
      const f = params.fractions;
      if (f === null || typeof f !== 'object' || Array.isArray(f) || Object.values(f).some((v) => typeof v !== 'number')) {
        throw invalidArgument(`A ${params.kind} split needs fractions: { train: 0.8, test: 0.2 }, got ${JSON.stringify(f)}.`);
      }
      const fractions = f as Record<string, number>;
      return params.kind === 'random' ? { kind: 'random', fractions, seed: params.seed } : { kind: params.kind, by: params.by, fractions, seed: params.seed };
    }
    default:
      throw invalidArgument(`Split kind '${params.kind}' is unknown; use time (by, cuts, names), random, stratified, group or ordered (fractions, seed; ordered puts the last rows by by in the last part).`);
  }
}

/**
 * Splits a version into parts, each a new version `<output>-<part>` (default output: the
 * dataset's name). Outputs every part (`parts`), and `train` and `test`: the parts of those
 * names, else the first and second part.
 * @example p.step(steps.split, { inputs: { version }, params: { kind: 'time', by: 'date', cuts: ['2001-05-01'], names: ['train', 'test'] } })
 */
export const split = step({
  name: 'split',
  description: 'Split a dataset version at time cut points or at random',
  inputs: { version: types.string },
  outputs: { train: types.string, test: types.string, parts: types.json<Record<string, string>>() },
  params: { kind: 'time', by: '', cuts: [] as string[], names: ['train', 'test'], fractions: { train: 0.8, test: 0.2 } as JsonValue, seed: 0, output: '' },
  run: async ({ inputs, params, actor, log, orchard }) => {
    const spec = splitSpecOf(params);
    const platform = await orchard();
    const r = await platform.derive.split(actor, inputs.version, spec, { output: params.output === '' ? undefined : params.output });
    const parts = Object.fromEntries(Object.entries(r.parts).map(([k, v]) => [k, `${v.name}@${v.version}`]));
    for (const [k, v] of Object.entries(r.parts)) log.metric(`rows/${k}`, v.rows);
    log.tag('orchard.split_run', r.runId);
    return { ...trainAndTest(spec, parts), parts };
  },
});

/**
 * Fits a transform spec (Orchard's transform JSON: steps and features) on a version and
 * outputs the fitted transform as a file and its digest.
 * @example p.step(steps.transform, { inputs: { version: s.outputs.train }, params: { spec: { steps: [{ op: 'onehot', column: 'origin' }], features: ['origin=ATL'] } } })
 */
export const transform = step({
  name: 'transform',
  description: 'Fit a feature transform on a dataset version',
  inputs: { version: types.string },
  outputs: { transform: types.file('transform'), digest: types.string, features: types.list(types.string) },
  params: { spec: {} as JsonValue },
  run: async ({ inputs, outputs, params, actor, log, orchard }) => {
    const spec = parseTransformSpec(params.spec, "The transform step's spec param");
    const platform = await orchard();
    const r = await platform.derive.fitTransform(actor, inputs.version, spec);
    await writeFile(outputs.transform, JSON.stringify(r.fitted));
    log.metric('features', r.fitted.features.length);
    log.tag('orchard.transform', r.digest);
    return { digest: r.digest, features: [...r.fitted.features] };
  },
});
