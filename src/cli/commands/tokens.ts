import type { Command } from 'commander';
import { apiClient } from '../../sdk/api-client.js';
import type { Token } from '../../tracking/types.js';
import type { CliContext } from '../context.js';
import { json, table, time } from '../format.js';
import { withContext } from '../main.js';

/**
 * Token management. Locally it writes to the store directly (whoever can open the
 * store is an admin); with ORCHARD_URL it asks the server, with an admin token.
 */
export function registerTokenCommands(program: Command): void {
  const token = program.command('token').description('Create, list and revoke API tokens');
  token
    .command('create')
    .description('Create an API token; its secret is printed once')
    .requiredOption('-r, --role <role>', 'viewer, editor or admin')
    .option('--name <name>', 'what the token is for, e.g. ci')
    .option('--json', 'print JSON')
    .action(
      withContext(async (ctx, opts: { role: string; name?: string; json?: boolean }) => {
        const created = ctx.config.url
          ? await remote<{ token: Token; secret: string }>(ctx, 'POST', '/tokens', { role: opts.role, name: opts.name })
          : await (await ctx.platform()).auth.createToken({ name: `local:${ctx.config.user}` }, { role: opts.role, name: opts.name });
        if (opts.json) return ctx.out(json(created));
        ctx.out(`Created ${created.token.role} token ${created.token.tokenId} (${created.token.name}).`);
        ctx.out(`Secret (shown only now):\n  ${created.secret}`);
        ctx.out(`Use it with: export ORCHARD_TOKEN=${created.secret}   (or MLFLOW_TRACKING_TOKEN for MLflow clients)`);
        ctx.out('Now that a token exists, the server requires a token on every request.');
      }),
    );
  token
    .command('list')
    .description('List API tokens (never their secrets)')
    .option('--json', 'print JSON')
    .action(
      withContext(async (ctx, opts: { json?: boolean }) => {
        const items = ctx.config.url ? (await remote<{ items: Token[] }>(ctx, 'GET', '/tokens')).items : await (await ctx.platform()).auth.listTokens();
        if (opts.json) return ctx.out(json(items));
        ctx.out(
          table(
            ['ID', 'NAME', 'ROLE', 'CREATED', 'LAST USED', 'REVOKED'],
            items.map((t) => [t.tokenId, t.name, t.role, time(t.createdAt), time(t.lastUsedAt), time(t.revokedAt)]),
          ),
        );
      }),
    );
  token
    .command('revoke <token-id>')
    .description('Revoke an API token at once')
    .action(
      withContext(async (ctx, tokenId: string) => {
        if (ctx.config.url) await remote(ctx, 'DELETE', `/tokens/${encodeURIComponent(tokenId)}`);
        else await (await ctx.platform()).auth.revokeToken({ name: `local:${ctx.config.user}` }, tokenId);
        ctx.out(`Revoked token ${tokenId}.`);
      }),
    );
}

function remote<T>(ctx: CliContext, method: string, path: string, body?: unknown): Promise<T> {
  return apiClient(ctx.config.url!, ctx.config.token).call<T>(method, path, body);
}
