import type { Command } from 'commander';
import type { Endpoint } from '../../serving/endpoint-service.js';
import type { EndpointInput } from '../../sdk/endpoints-client.js';
import { invalidArgument } from '../../core/errors.js';
import { json, table, time } from '../format.js';
import { withContext } from '../main.js';

interface SpecOptions {
  route?: string[];
  shadow?: string;
  sticky?: string;
  maxBatch?: string;
  maxWait?: string;
  maxQueue?: string;
  timeout?: string;
  log?: boolean;
  json?: boolean;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** `orchard endpoints …`: endpoint specs through the SDK (embedded, or the server at ORCHARD_URL). */
export function registerEndpointCommands(program: Command): void {
  const endpoints = program.command('endpoints').description('Serving endpoints: models, traffic split, shadow, batching, rollback');
  const specOptions = (c: Command) =>
    c
      .option('--route <model=percent>', 'a traffic route, repeatable: --route flights@champion=90 --route flights@challenger=10', collect)
      .option('--shadow <model>', "a challenger that gets a copy of every request (logged, not returned); 'none' removes it")
      .option('--sticky <key>', "header:<name> or field:<column>: the same key always reaches the same route; 'none' removes it")
      .option('--max-batch <rows>', 'most rows per model call')
      .option('--max-wait <ms>', 'how long a lone request waits for company')
      .option('--max-queue <rows>', 'most rows waiting before 429')
      .option('--timeout <ms>', 'per-request timeout')
      .option('--log', 'write the prediction log')
      .option('--no-log', 'do not write the prediction log')
      .option('--json', 'print JSON');

  specOptions(endpoints.command('create <name> [model]').description('Create an endpoint serving <model> (flights@champion), or the --route split')).action(
    withContext(async (ctx, name: string, model: string | undefined, opts: SpecOptions) => {
      const client = await ctx.client();
      const e = await client.endpoints.create({ name, ...(model ? { model } : {}), ...specInput(opts) });
      print(ctx.out, e, opts.json);
    }),
  );
  specOptions(endpoints.command('update <name> [model]').description('Change an endpoint (a new revision); what is not given stays')).action(
    withContext(async (ctx, name: string, model: string | undefined, opts: SpecOptions) => {
      const client = await ctx.client();
      print(ctx.out, await client.endpoints.update(name, { ...(model ? { model } : {}), ...specInput(opts) }), opts.json);
    }),
  );
  endpoints
    .command('list')
    .description('List endpoints')
    .option('--json', 'print JSON')
    .action(
      withContext(async (ctx, opts: { json?: boolean }) => {
        const list = await (await ctx.client()).endpoints.list();
        if (opts.json) return ctx.out(json(list));
        ctx.out(table(['NAME', 'ROUTES', 'SHADOW', 'REVISION', 'UPDATED'], list.map((e) => [e.spec.name, routesOf(e), e.spec.shadow ?? '-', String(e.revision), time(e.updatedAt)])));
      }),
    );
  endpoints
    .command('show <name>')
    .description('Show an endpoint and its revisions')
    .option('--json', 'print JSON')
    .action(
      withContext(async (ctx, name: string, opts: { json?: boolean }) => {
        const client = await ctx.client();
        const e = await client.endpoints.get(name);
        const revisions = await client.endpoints.revisions(name);
        if (opts.json) return ctx.out(json({ ...e, revisions }));
        print(ctx.out, e);
        ctx.out(`\nrevisions:\n${revisions.map((r) => `  ${String(r.revision).padStart(3)}  ${time(r.createdAt)}  ${r.actor}  ${r.spec.routes.map((x) => `${x.model}=${x.weight}`).join(' ')}`).join('\n')}`);
      }),
    );
  endpoints
    .command('delete <name>')
    .description('Delete an endpoint (servers hosting it stop serving it); its prediction log stays')
    .action(
      withContext(async (ctx, name: string) => {
        await (await ctx.client()).endpoints.delete(name);
        ctx.out(`Deleted endpoint '${name}'.`);
      }),
    );
  endpoints
    .command('rollback <name>')
    .description('Restore the spec before the current one (as a new revision)')
    .option('--json', 'print JSON')
    .action(
      withContext(async (ctx, name: string, opts: { json?: boolean }) => {
        const e = await (await ctx.client()).endpoints.rollback(name);
        if (!opts.json) ctx.out(`Rolled back endpoint '${name}'; revision ${e.revision} restores the spec before.`);
        print(ctx.out, e, opts.json);
      }),
    );
}

function specInput(o: SpecOptions): EndpointInput {
  const num = (v: string | undefined, flag: string) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n)) throw invalidArgument(`${flag} is '${v}'; expected a number.`);
    return n;
  };
  const routes = o.route?.map((r) => {
    const eq = r.lastIndexOf('=');
    if (eq <= 0) throw invalidArgument(`--route '${r}' must be <model>=<percent>, e.g. flights@champion=90.`);
    return { model: r.slice(0, eq), weight: num(r.slice(eq + 1), '--route percent')! };
  });
  const batching = { maxBatchSize: num(o.maxBatch, '--max-batch'), maxWaitMs: num(o.maxWait, '--max-wait'), maxQueueRows: num(o.maxQueue, '--max-queue') };
  const definedBatching = Object.fromEntries(Object.entries(batching).filter(([, v]) => v !== undefined));
  return {
    ...(routes ? { routes } : {}),
    ...(o.shadow !== undefined ? { shadow: o.shadow === 'none' ? null : o.shadow } : {}),
    ...(o.sticky !== undefined ? { sticky: o.sticky === 'none' ? null : o.sticky } : {}),
    ...(Object.keys(definedBatching).length ? { batching: definedBatching } : {}),
    ...(o.timeout !== undefined ? { timeoutMs: num(o.timeout, '--timeout') } : {}),
    ...(o.log !== undefined ? { log: o.log } : {}),
  };
}

const routesOf = (e: Endpoint) => e.spec.routes.map((r) => (e.spec.routes.length === 1 ? r.model : `${r.model}=${r.weight}%`)).join(' ');

function print(out: (t: string) => void, e: Endpoint, asJson?: boolean): void {
  if (asJson) return out(json(e));
  const s = e.spec;
  out(
    [
      `endpoint   ${s.name} (revision ${e.revision}, updated ${time(e.updatedAt)})`,
      `routes     ${routesOf(e)}`,
      `shadow     ${s.shadow ?? '-'}`,
      `sticky     ${s.sticky ? `${s.sticky.from}:${s.sticky.name}` : '-'}`,
      `batching   max ${s.batching.maxBatchSize} rows, wait ${s.batching.maxWaitMs} ms, queue ${s.batching.maxQueueRows} rows; timeout ${s.timeoutMs} ms`,
      `log        ${s.log ? 'on' : 'off'}`,
    ].join('\n'),
  );
}
