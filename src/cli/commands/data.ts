import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { renderProfileHtml, renderProfileText } from '../../data/profile-report.js';
import type { DatasetVersion } from '../../data/types.js';
import { json, table, time } from '../format.js';
import { withContext } from '../main.js';
import { registerDataDeriveCommands, registerTransformCommand } from './data-derive.js';
import { stageReporter } from '../progress.js';

const actorOf = (user: string) => ({ name: `local:${user}` });

export function registerDataCommands(program: Command): void {
  const data = program.command('data').description('Ingest, version, profile, validate and split datasets');
  registerDataDeriveCommands(data);
  registerTransformCommand(data);

  data
    .command('ingest <name> <source>')
    .description('Snapshot a file, glob or folder (CSV, Parquet, JSON, NDJSON) or a database table or query (sqlite:<file>, postgres://…) as a new version of a dataset, then profile it')
    .option('--format <format>', 'csv, parquet, json or ndjson (default: from the extension)')
    .option('--delimiter <char>', 'CSV column separator (default: detected)')
    .option('--no-header', 'the CSV has no header line')
    .option('--table <name>', 'for a database source: the table to read')
    .option('--query <sql>', 'for a database source: the query whose rows to read')
    .option('--no-profile', 'skip profiling')
    .option('--json', 'print JSON')
    .action(
      withContext(async (ctx, name: string, source: string, opts: { format?: string; delimiter?: string; header: boolean; table?: string; query?: string; profile: boolean; json?: boolean }) => {
        const platform = await ctx.platform();
        const progress = stageReporter();
        const actor = actorOf(ctx.config.user);
        const csv = { ...(opts.delimiter === undefined ? {} : { delimiter: opts.delimiter }), ...(opts.header === false ? { header: false } : {}) };
        const result = await platform.datasets.ingest(actor, { name, source, format: opts.format, csv, cwd: process.cwd(), table: opts.table, query: opts.query }, progress);
        const ref = `${result.version.name}@${result.version.version}`;
        let profiled = false;
        if (opts.profile) {
          await platform.datasets.profile(actor, ref, {}, (stage) => progress(`profiling: ${stage}`));
          profiled = true;
        }
        if (opts.json) return ctx.out(json({ ...result, profiled }));
        ctx.out(result.created ? `Created ${ref}: ${result.version.rows.toLocaleString('en-US')} rows, ${result.version.columns.length} columns, ${result.version.bytes.toLocaleString('en-US')} bytes (${result.version.digest.slice(0, 19)}…)` : `Unchanged: the data is identical to ${ref}; no new version.`);
        ctx.out(`  run ${result.runId}${profiled ? `; profile: orchard data profile ${ref}` : ''}`);
      }),
    );

  data
    .command('list')
    .description('List datasets with their latest version')
    .option('--json', 'print JSON')
    .action(
      withContext(async (ctx, opts: { json?: boolean }) => {
        const items = await (await ctx.platform()).datasets.list();
        if (opts.json) return ctx.out(json(items));
        ctx.out(table(['DATASET', 'LATEST', 'ROWS', 'COLUMNS', 'CREATED', 'SOURCE'], items.map(({ latest: v }) => [v.name, `@${v.version}`, v.rows.toLocaleString('en-US'), String(v.columns.length), time(v.createdAt), v.source])));
      }),
    );

  data
    .command('show <dataset>')
    .description('Show a dataset version (name@3, name@latest): columns, source, lineage, versions')
    .option('--json', 'print JSON')
    .action(
      withContext(async (ctx, reference: string, opts: { json?: boolean }) => {
        const platform = await ctx.platform();
        const v = await platform.datasets.resolve(reference);
        const ref = `${v.name}@${v.version}`;
        const versions = await platform.datasets.versions(v.name);
        const upstream = await platform.store.lineage.edges('dataset_version', ref, 'upstream');
        const downstream = await platform.store.lineage.edges('dataset_version', ref, 'downstream');
        if (opts.json) return ctx.out(json({ ...v, versions: versions.map((x) => x.version), lineage: { upstream, downstream } }));
        ctx.out(describeVersion(v));
        ctx.out(`\nlineage:`);
        for (const e of upstream) ctx.out(`  ${e.relation} by ${e.srcKind} ${e.srcId}`);
        for (const e of downstream) ctx.out(`  ${e.relation} by ${e.dstKind} ${e.dstId}`);
        ctx.out(`\nversions: ${versions.map((x) => `@${x.version}`).join(' ')}`);
      }),
    );

  data
    .command('profile <dataset>')
    .description('Profile a dataset version (EDA): types, missing values, distributions, top values, correlations')
    .option('--json', 'print the profile as JSON')
    .option('--html <file>', 'also write a self-contained HTML report with charts')
    .option('--refresh', 'compute again even if a profile is stored')
    .action(
      withContext(async (ctx, reference: string, opts: { json?: boolean; html?: string; refresh?: boolean }) => {
        const platform = await ctx.platform();
        const profile = await platform.datasets.profile(actorOf(ctx.config.user), reference, { refresh: opts.refresh }, stageReporter());
        if (opts.html) {
          const file = resolve(opts.html);
          writeFileSync(file, renderProfileHtml(profile));
          ctx.err(`wrote ${file}`);
        }
        ctx.out(opts.json ? json(profile) : renderProfileText(profile));
      }),
    );
}

function describeVersion(v: DatasetVersion): string {
  return [
    `dataset ${v.name}@${v.version}`,
    `  rows      ${v.rows.toLocaleString('en-US')}`,
    `  bytes     ${v.bytes.toLocaleString('en-US')} (Parquet)`,
    `  digest    ${v.digest}`,
    `  source    ${v.source}`,
    `  created   ${time(v.createdAt)} by ${v.createdBy}`,
    `  run       ${v.runId ?? '-'}`,
    `  profiled  ${v.profileDigest ? 'yes' : 'no'}`,
    '',
    table(['COLUMN', 'KIND', 'TYPE'], v.columns.map((c) => [c.name, c.kind, c.physicalType])),
  ].join('\n');
}
