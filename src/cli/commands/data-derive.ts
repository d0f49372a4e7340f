import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { OrchardError, invalidArgument } from '../../core/errors.js';
import { describeAnomalies, parseSchema, type DataSchema } from '../../data/schema.js';
import type { SplitSpec } from '../../data/split.js';
import { parseTransformSpec } from '../../data/transform.js';
import type { CliContext } from '../context.js';
import { json, table } from '../format.js';
import { withContext } from '../main.js';
import { stageReporter } from '../progress.js';

const actorOf = (ctx: CliContext) => ({ name: `local:${ctx.config.user}` });

/** `orchard data schema|validate|split`. */
export function registerDataDeriveCommands(data: Command): void {
  data
    .command('schema <dataset>')
    .description('Infer a schema (types, required columns, null rates, category domains, ranges) from a dataset version')
    .option('-o, --out <file>', 'write it to this JSON file (edit it, then validate against it)')
    .action(
      withContext(async (ctx, reference: string, opts: { out?: string }) => {
        const schema = await (await ctx.platform()).derive.inferSchema(actorOf(ctx), reference);
        const text = JSON.stringify(schema, null, 2);
        if (opts.out) {
          writeFileSync(resolve(opts.out), text + '\n');
          ctx.err(`wrote ${resolve(opts.out)} (${schema.columns.length} columns)`);
        } else ctx.out(text);
      }),
    );

  data
    .command('validate <dataset>')
    .description('Validate a dataset version against a schema file or a schema inferred from another version')
    .option('-s, --schema <file>', 'schema JSON file (from `orchard data schema`)')
    .option('-a, --against <dataset>', 'infer the schema from this dataset version')
    .option('--fail-on-anomalies', 'exit with status 3 when there is any anomaly')
    .option('--json', 'print JSON')
    .action(
      withContext(async (ctx, reference: string, opts: { schema?: string; against?: string; failOnAnomalies?: boolean; json?: boolean }) => {
        const platform = await ctx.platform();
        if ((opts.schema === undefined) === (opts.against === undefined)) throw invalidArgument('Give exactly one of --schema <file> or --against <dataset@version>.');
        const schema: DataSchema = opts.schema ? readSchema(opts.schema) : await platform.derive.inferSchema(actorOf(ctx), opts.against!);
        const report = await platform.derive.validate(actorOf(ctx), reference, schema);
        const ref = `${report.version.name}@${report.version.version}`;
        if (opts.json) ctx.out(json({ dataset: ref, rows: report.rows, anomalies: report.anomalies, runId: report.runId }));
        else {
          ctx.out(`${ref} (${report.rows.toLocaleString('en-US')} rows) against ${schema.inferredFrom ? `the schema of ${schema.inferredFrom}` : opts.schema}: ${report.anomalies.length} anomal${report.anomalies.length === 1 ? 'y' : 'ies'}`);
          if (report.anomalies.length > 0) ctx.out(describeAnomalies(report.anomalies));
        }
        return opts.failOnAnomalies && report.anomalies.length > 0 ? 3 : 0;
      }),
    );

  data
    .command('split <dataset>')
    .description('Split a dataset version into new versions: random, stratified, by group, at time cut points, or by period')
    .option('--random <parts>', 'seeded random parts, e.g. train=0.8,test=0.2')
    .option('--stratify <column>', 'keep the class balance of this column (with --fractions)')
    .option('--group <column>', 'keep each value of this column in one part (with --fractions)')
    .option('--fractions <parts>', 'parts for --stratify, --group and --time, e.g. train=0.8,test=0.2')
    .option('--time <column>', 'split at cut points of this column (with --cuts and --names), or in its order by share (with --fractions: the latest rows last)')
    .option('--cuts <points>', 'ascending cut points, e.g. 2001-03-01,2001-05-01')
    .option('--names <names>', 'part names, one more than cut points, e.g. train,valid,test', 'train,test')
    .option('--by-period <column>', 'one part per period of this datetime column (with --every)')
    .option('--every <period>', 'year, month, week or day', 'month')
    .option('--seed <n>', 'seed for random, stratified and group splits', '42')
    .option('--output <name>', 'base name of the part datasets (default: the dataset name)')
    .option('--json', 'print JSON')
    .action(
      withContext(async (ctx, reference: string, opts: SplitOptions) => {
        const spec = splitSpec(opts);
        const result = await (await ctx.platform()).derive.split(actorOf(ctx), reference, spec, { output: opts.output }, stageReporter());
        if (opts.json) return ctx.out(json(result));
        ctx.out(`Split ${result.parent.name}@${result.parent.version} (${result.parent.rows.toLocaleString('en-US')} rows) into ${Object.keys(result.parts).length} parts (run ${result.runId}):`);
        ctx.out(table(['PART', 'DATASET', 'ROWS', 'SHARE'], Object.entries(result.parts).map(([p, v]) => [p, `${v.name}@${v.version}`, v.rows.toLocaleString('en-US'), `${((v.rows / result.parent.rows) * 100).toFixed(1)}%`])));
      }),
    );
}

interface SplitOptions {
  random?: string;
  stratify?: string;
  group?: string;
  fractions?: string;
  time?: string;
  cuts?: string;
  names: string;
  byPeriod?: string;
  every: string;
  seed: string;
  output?: string;
  json?: boolean;
}

function splitSpec(o: SplitOptions): SplitSpec {
  const chosen = [o.random, o.stratify, o.group, o.time, o.byPeriod].filter((x) => x !== undefined);
  if (chosen.length !== 1) throw invalidArgument('Choose one kind of split: --random, --stratify, --group, --time or --by-period.');
  const seed = Number(o.seed);
  if (!Number.isInteger(seed)) throw invalidArgument(`--seed must be a whole number, got '${o.seed}'.`);
  const fractions = (text: string | undefined, flag: string): Record<string, number> => {
    if (text === undefined) throw invalidArgument(`${flag} needs --fractions, e.g. --fractions train=0.8,test=0.2.`);
    const out: Record<string, number> = {};
    for (const part of text.split(',')) {
      const [name, value] = part.split('=');
      if (!name || value === undefined || !Number.isFinite(Number(value))) throw invalidArgument(`'${part}' is not name=fraction; write e.g. train=0.8,test=0.2.`);
      out[name.trim()] = Number(value);
    }
    return out;
  };
  if (o.random !== undefined) return { kind: 'random', fractions: fractions(o.random, '--random'), seed };
  if (o.stratify !== undefined) return { kind: 'stratified', by: o.stratify, fractions: fractions(o.fractions, '--stratify'), seed };
  if (o.group !== undefined) return { kind: 'group', by: o.group, fractions: fractions(o.fractions, '--group'), seed };
  if (o.time !== undefined) {
    // Fractions instead of cut points: the rows in order of the column, the last share in the last part.
    if (o.cuts === undefined && o.fractions !== undefined) return { kind: 'ordered', by: o.time, fractions: fractions(o.fractions, '--time'), seed };
    if (o.cuts === undefined) throw invalidArgument('--time needs --cuts (e.g. --cuts 2001-05-01) or --fractions (e.g. --fractions train=0.8,test=0.2 puts the latest 20% in test).');
    return { kind: 'time', by: o.time, cuts: o.cuts.split(',').map((s) => s.trim()), names: o.names.split(',').map((s) => s.trim()) };
  }
  if (!['year', 'month', 'week', 'day'].includes(o.every)) throw invalidArgument(`--every must be year, month, week or day, got '${o.every}'.`);
  return { kind: 'period', by: o.byPeriod!, every: o.every as 'month' };
}

function readSchema(file: string): DataSchema {
  const path = resolve(file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw invalidArgument(`Schema file ${path} cannot be read; create one with \`orchard data schema <dataset> --out ${file}\`.`);
  }
  try {
    return parseSchema(JSON.parse(text), path);
  } catch (error) {
    if (error instanceof OrchardError) throw error;
    throw invalidArgument(`Schema file ${path} is not valid JSON (${(error as Error).message}).`);
  }
}

/** `orchard data transform`: fit a transform on one version, optionally apply it to others. */
export function registerTransformCommand(data: Command): void {
  data
    .command('transform <dataset>')
    .description('Fit feature transforms (derive, dateparts, impute, onehot, ordinal, scale) on a version; optionally apply them to another')
    .requiredOption('-s, --spec <file>', 'transform spec JSON: {"steps": [...], "features": [...]}')
    .option('-o, --out <file>', 'also write the fitted transform to this JSON file')
    .option('--apply <dataset>', 'apply the fitted transform to this version …')
    .option('--output <name>', '… writing the features as a new version of this dataset')
    .option('--keep <columns>', 'columns to carry over unchanged when applying, e.g. delay')
    .action(
      withContext(async (ctx, reference: string, opts: { spec: string; out?: string; apply?: string; output?: string; keep?: string }) => {
        const platform = await ctx.platform();
        const path = resolve(opts.spec);
        let raw: unknown;
        try {
          raw = JSON.parse(readFileSync(path, 'utf8'));
        } catch (error) {
          throw invalidArgument(`Transform spec ${path} cannot be read as JSON (${(error as Error).message}).`);
        }
        const spec = parseTransformSpec(raw, path);
        if ((opts.apply === undefined) !== (opts.output === undefined)) throw invalidArgument('--apply and --output go together: --apply flights@3 --output flights-features.');
        const { fitted, digest, runId } = await platform.derive.fitTransform(actorOf(ctx), reference, spec);
        if (opts.out) writeFileSync(resolve(opts.out), JSON.stringify(fitted, null, 2) + '\n');
        ctx.out(`Fitted on ${fitted.fittedOn}: ${fitted.features.length} features (${fitted.features.join(', ')}); transform ${digest} (run ${runId})`);
        if (opts.apply && opts.output) {
          const keep = opts.keep ? opts.keep.split(',').map((k) => k.trim()) : [];
          const version = await platform.derive.applyTransform(actorOf(ctx), opts.apply, fitted, { output: opts.output, keep });
          ctx.out(`Applied to ${opts.apply}: ${version.name}@${version.version}, ${version.rows.toLocaleString('en-US')} rows`);
        }
      }),
    );
}
