import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { invalidArgument } from '../../core/errors.js';
import { versionOf } from '../../registry/registry-validation.js';
import type { ModelVersion, RegisteredModel } from '../../registry/types.js';
import type { AuditEvent } from '../../tracking/types.js';
import { json, table, time } from '../format.js';
import { withContext } from '../main.js';

const list = (value: string) => value.split(',').map((s) => s.trim()).filter((s) => s !== '');
const short = (id: string | null) => (id === null ? '-' : id.length > 19 ? `${id.slice(0, 19)}…` : id);

/**
 * `orchard models …`: the registry from the command line, through the SDK (embedded, or the
 * server at ORCHARD_URL with ORCHARD_TOKEN, whose role and name decide approvals).
 */
export function registerModelCommands(program: Command): void {
  const models = program.command('models').description('Registered models: versions, aliases, approvals, model cards');

  models
    .command('list')
    .description('List registered models')
    .option('-f, --filter <filter>', "filter, e.g. \"name LIKE 'flights%'\"")
    .option('-n, --max <count>', 'at most this many models', '100')
    .option('--json', 'print JSON')
    .action(
      withContext(async (ctx, opts: { filter?: string; max: string; json?: boolean }) => {
        const client = await ctx.client();
        const page = await client.models.list({ filter: opts.filter, maxResults: Number(opts.max) });
        if (opts.json) return ctx.out(json(page.items));
        ctx.out(
          table(
            ['NAME', 'VERSIONS', 'ALIASES', 'APPROVAL', 'UPDATED'],
            page.items.map((m) => [m.name, String(m.lastVersion), aliasesOf(m), m.requiresApproval ? `required (${m.protectedAliases.join(', ')})` : '-', time(m.updatedAt)]),
          ),
        );
        if (page.nextPageToken) ctx.out('(more models: raise --max)');
      }),
    );

  models
    .command('show <name>')
    .description('Show a model and its versions, or one version with its approvals')
    .option('-v, --version <version>', 'one version')
    .option('--json', 'print JSON')
    .action(
      withContext(async (ctx, name: string, opts: { version?: string; json?: boolean }) => {
        const client = await ctx.client();
        if (opts.version !== undefined) {
          const v = await client.models.getVersion(name, versionOf(opts.version, '--version'));
          const approvals = await client.models.approvals(name, v.version);
          if (opts.json) return ctx.out(json({ ...v, approvals }));
          ctx.out(describeVersion(v));
          ctx.out(`\napprovals:\n${approvals.length === 0 ? '  (none)' : approvals.map((a) => `  ${time(a.at)}  ${a.action.padEnd(9)}  ${a.actor}${a.comment ? `  "${a.comment}"` : ''}`).join('\n')}`);
          return;
        }
        const model = await client.models.get(name);
        const versions = await client.models.versions(name, { maxResults: 1000 });
        if (opts.json) return ctx.out(json({ ...model, versions: versions.items }));
        ctx.out(describeModel(model));
        ctx.out('');
        ctx.out(
          table(
            ['VERSION', 'STATUS', 'APPROVAL', 'ALIASES', 'RUN', 'REGISTERED', 'BY'],
            versions.items.map((v) => [String(v.version), v.status, v.approval, v.aliases.join(', ') || '-', v.runId ?? '-', time(v.createdAt), v.createdBy]),
          ),
        );
      }),
    );

  const settings = (cmd: Command, description = 'what the model is for') =>
    cmd
      .option('--description <text>', description)
      .option('--require-approval', 'protected aliases need an approved version')
      .option('--protect <aliases>', 'aliases that need approval, comma-separated (default champion)')
      .option('--approvers <names>', 'who may approve besides admins: actor names, token names or ids, comma-separated');
  type SettingsOpts = { description?: string; requireApproval?: boolean; protect?: string; approvers?: string };
  const settingsOf = (o: SettingsOpts) => ({
    description: o.description,
    requiresApproval: o.requireApproval,
    protectedAliases: o.protect === undefined ? undefined : list(o.protect),
    approvers: o.approvers === undefined ? undefined : list(o.approvers),
  });

  settings(models.command('register <name> <run-id>').description("Register a training run's model as the next version (creates the model, with the approval options, if needed)"), 'what this version is')
    .option('-t, --tag <key=value...>', 'version tags')
    .option('--pipeline-version <id>', 'the pipeline version that produced it')
    .option('--json', 'print JSON')
    .action(
      withContext(async (ctx, name: string, runId: string, opts: SettingsOpts & { tag?: string[]; pipelineVersion?: string; json?: boolean }) => {
        const tags: Record<string, string> = {};
        for (const t of opts.tag ?? []) {
          const eq = t.indexOf('=');
          if (eq <= 0) throw invalidArgument(`--tag '${t}' is not key=value, e.g. --tag gate=passed.`);
          tags[t.slice(0, eq)] = t.slice(eq + 1);
        }
        const client = await ctx.client();
        const v = await client.models.register(name, runId, { ...settingsOf(opts), tags, pipelineVersionId: opts.pipelineVersion });
        if (opts.json) return ctx.out(json(v));
        ctx.out(`Registered ${v.name} version ${v.version} from run ${v.runId} (model ${short(v.digest)}; data ${v.datasets.join(', ') || '-'}).`);
      }),
    );

  settings(models.command('create <name>').description('Create a registered model without versions'))
    .option('--json', 'print JSON')
    .action(
      withContext(async (ctx, name: string, opts: SettingsOpts & { json?: boolean }) => {
        const model = await (await ctx.client()).models.create(name, settingsOf(opts));
        if (opts.json) return ctx.out(json(model));
        ctx.out(`Created model ${model.name}${model.requiresApproval ? ` (approval required for ${model.protectedAliases.join(', ')})` : ''}.`);
      }),
    );

  settings(models.command('update <name>').description('Change the description or, as an admin, the approval settings'))
    .option('--no-require-approval', 'protected aliases no longer need approval')
    .option('--rename <new-name>', 'rename the model')
    .option('--json', 'print JSON')
    .action(
      withContext(async (ctx, name: string, opts: SettingsOpts & { rename?: string; json?: boolean }) => {
        const client = await ctx.client();
        let model = opts.rename ? await client.models.rename(name, opts.rename) : undefined;
        const patch = settingsOf(opts);
        if (Object.values(patch).some((v) => v !== undefined)) model = await client.models.update(model?.name ?? name, patch);
        if (!model) throw invalidArgument('Nothing to update: pass --description, --require-approval, --no-require-approval, --protect, --approvers or --rename.');
        if (opts.json) return ctx.out(json(model));
        ctx.out(describeModel(model));
      }),
    );

  models
    .command('promote <name> <version>')
    .description('Point an alias at a version (protected aliases need an approved version)')
    .option('-a, --alias <alias>', 'the alias', 'champion')
    .option('--json', 'print JSON')
    .action(
      withContext(async (ctx, name: string, version: string, opts: { alias: string; json?: boolean }) => {
        const v = await (await ctx.client()).models.setAlias(name, opts.alias, versionOf(version));
        if (opts.json) return ctx.out(json(v));
        ctx.out(`${v.name}@${opts.alias} → version ${v.version}.`);
      }),
    );

  models
    .command('demote <name>')
    .description('Remove an alias')
    .requiredOption('-a, --alias <alias>', 'the alias to remove')
    .action(
      withContext(async (ctx, name: string, opts: { alias: string }) => {
        await (await ctx.client()).models.deleteAlias(name, opts.alias);
        ctx.out(`Removed alias ${opts.alias} of ${name}.`);
      }),
    );

  const decision = (verb: 'request-approval' | 'approve' | 'reject', description: string) => {
    const cmd = models.command(`${verb} <name> <version>`).description(description);
    if (verb === 'reject') cmd.requiredOption('-c, --comment <text>', 'why');
    else cmd.option('-c, --comment <text>', 'a note kept with the approval');
    cmd.option('--json', 'print JSON').action(
      withContext(async (ctx, name: string, version: string, opts: { comment?: string; json?: boolean }) => {
        const client = await ctx.client();
        const number = versionOf(version);
        const v =
          verb === 'request-approval'
            ? await client.models.requestApproval(name, number, opts.comment)
            : verb === 'approve'
              ? await client.models.approve(name, number, opts.comment)
              : await client.models.reject(name, number, opts.comment!);
        if (opts.json) return ctx.out(json(v));
        ctx.out(`${v.name} version ${v.version} is ${v.approval === 'pending' ? 'pending approval' : v.approval}.`);
      }),
    );
  };
  decision('request-approval', 'Ask for approval of a version');
  decision('approve', 'Approve a version (an admin or listed approver, not the requester)');
  decision('reject', 'Reject a version, saying why');

  for (const [verb, description] of [
    ['archive', 'Archive a version: it keeps its record but takes no alias'],
    ['restore', 'Bring an archived version back to READY'],
  ] as const) {
    models
      .command(`${verb} <name> <version>`)
      .description(description)
      .action(
        withContext(async (ctx, name: string, version: string) => {
          const client = await ctx.client();
          const v = verb === 'archive' ? await client.models.archive(name, versionOf(version)) : await client.models.restore(name, versionOf(version));
          ctx.out(`${v.name} version ${v.version} is ${v.status}.`);
        }),
      );
  }

  models
    .command('delete <name>')
    .description('Delete a model, or one version with --version (refused while an alias points into it)')
    .option('-v, --version <version>', 'delete only this version')
    .option('--force', 'delete even when aliases point into it')
    .action(
      withContext(async (ctx, name: string, opts: { version?: string; force?: boolean }) => {
        const client = await ctx.client();
        if (opts.version !== undefined) {
          await client.models.deleteVersion(name, versionOf(opts.version, '--version'), { force: opts.force });
          ctx.out(`Deleted version ${opts.version} of ${name}.`);
        } else {
          await client.models.delete(name, { force: opts.force });
          ctx.out(`Deleted model ${name} and its versions.`);
        }
      }),
    );

  models
    .command('card <name>')
    .description('Print the model card (generated from the metadata unless edited), or store an edited one')
    .option('-v, --version <version>', 'the version (default: champion, else the newest)')
    .option('--edit-file <file>', 'store this Markdown file as the card')
    .option('--reset', 'drop the edited card; the generated one shows again')
    .option('--generated', 'print the generated card even when an edited one is stored')
    .option('-o, --out <file>', 'write the card to a file instead of printing it')
    .option('--json', 'print JSON')
    .action(
      withContext(async (ctx, name: string, opts: { version?: string; editFile?: string; reset?: boolean; generated?: boolean; out?: string; json?: boolean }) => {
        if (opts.editFile && opts.reset) throw invalidArgument('Pass either --edit-file or --reset, not both.');
        const client = await ctx.client();
        const version = opts.version === undefined ? undefined : versionOf(opts.version, '--version');
        let card;
        if (opts.editFile) {
          const path = resolve(opts.editFile);
          let markdown: string;
          try {
            markdown = readFileSync(path, 'utf8');
          } catch (error) {
            throw invalidArgument(`Cannot read the card file ${path} (${(error as Error).message}).`);
          }
          card = await client.models.setCard(name, markdown, { version });
          if (!opts.json) ctx.err(`Stored the edited card of ${card.name} version ${card.version}; \`orchard models card ${card.name} --version ${card.version} --reset\` brings back the generated one.`);
        } else if (opts.reset) card = await client.models.resetCard(name, { version });
        else card = await client.models.card(name, { version, generated: opts.generated });
        if (opts.json) return ctx.out(json(card));
        if (opts.out) {
          writeFileSync(resolve(opts.out), card.markdown);
          return ctx.out(`Wrote the ${card.generated ? 'generated' : 'edited'} card of ${card.name} version ${card.version} to ${opts.out}.`);
        }
        if (!opts.editFile) ctx.out(card.markdown);
      }),
    );

  models
    .command('events <name>')
    .description("The model's audit log: who changed what, newest first")
    .option('-n, --limit <count>', 'at most this many events', '50')
    .option('--json', 'print JSON')
    .action(
      withContext(async (ctx, name: string, opts: { limit: string; json?: boolean }) => {
        const items = await (await ctx.client()).models.events(name, { limit: Number(opts.limit) });
        if (opts.json) return ctx.out(json(items));
        ctx.out(table(['TIME', 'ACTION', 'ACTOR', 'CHANGE'], items.map((e) => [time(e.at), e.action, e.actor, describeChange(e)])));
      }),
    );
}

function aliasesOf(m: RegisteredModel): string {
  return m.aliases.length === 0 ? '-' : m.aliases.map((a) => `${a.alias}→${a.version}`).join(', ');
}

function describeModel(m: RegisteredModel): string {
  return [
    `model ${m.name}${m.description ? `  ${m.description}` : ''}`,
    `  versions   ${m.lastVersion}`,
    `  aliases    ${aliasesOf(m)}`,
    `  approval   ${m.requiresApproval ? `required for ${m.protectedAliases.join(', ')}` : 'not required'}; approvers: admins${m.approvers.length > 0 ? `, ${m.approvers.join(', ')}` : ''}`,
    `  created    ${time(m.createdAt)}${m.createdBy ? ` by ${m.createdBy}` : ''}`,
    `  updated    ${time(m.updatedAt)}`,
    ...(m.tags.length > 0 ? [`  tags       ${m.tags.map((t) => `${t.key}=${t.value}`).join(', ')}`] : []),
  ].join('\n');
}

function describeVersion(v: ModelVersion): string {
  return [
    `model ${v.name} version ${v.version}${v.description ? `  ${v.description}` : ''}`,
    `  status     ${v.status}`,
    `  approval   ${v.approval}`,
    `  aliases    ${v.aliases.join(', ') || '-'}`,
    `  source     ${v.source}`,
    `  run        ${v.runId ?? '-'}`,
    `  model      ${v.digest ?? '-'}`,
    `  data       ${v.datasets.join(', ') || '-'}`,
    `  pipeline   ${v.pipelineVersionId ?? '-'}`,
    `  registered ${time(v.createdAt)} by ${v.createdBy}`,
    ...(v.tags.length > 0 ? [`  tags       ${v.tags.map((t) => `${t.key}=${t.value}`).join(', ')}`] : []),
  ].join('\n');
}

/** One line for an audit event: the parts of before and after that changed. */
function describeChange(e: AuditEvent): string {
  const after = (e.after ?? {}) as Record<string, unknown>;
  const before = (e.before ?? {}) as Record<string, unknown>;
  if (e.action.startsWith('model_alias.')) return `${String(after.alias ?? before.alias)}: ${String(before.version ?? '-')} → ${String(after.version ?? '-')}`;
  if (e.action.startsWith('model_approval.')) return `version ${String(after.version)}: ${String(before.approval)} → ${String(after.approval)}${after.comment ? ` "${String(after.comment)}"` : ''}`;
  if (e.action === 'model_version.create') return `version ${String(after.version)} from run ${String(after.runId ?? '-')}`;
  if (e.action === 'model.create') return after.requiresApproval ? `approval required for ${String(after.protectedAliases)}` : 'approval not required';
  if (e.action.startsWith('model_version.') && 'status' in after) return `version ${String(after.version)}: ${String(before.status)} → ${String(after.status)}`;
  const text = JSON.stringify(e.after ?? e.before ?? {});
  return text.length > 80 ? `${text.slice(0, 79)}…` : text;
}
