import type { Command } from 'commander';
import { parseWindow } from '../../feedback/live-performance.js';
import type { AlertStateName } from '../../metadata/loop-repositories.js';
import { json, num, table, time } from '../format.js';
import { withContext } from '../main.js';

const collect = (v: string, prev: string[]) => [...prev, v];
const DURATION = /^(\d+)(s|m|h|d)$/;

/** Alert rules and alerts; feedback and live performance. */
export function registerAlertCommands(program: Command): void {
  const alerts = program.command('alerts').description('Alerts raised by alert rules');
  alerts
    .command('list')
    .option('--state <states>', 'comma-separated: ok, pending, firing, resolved')
    .option('--rule <name>', 'only this rule')
    .option('--json', 'print JSON')
    .action(
      withContext(async (ctx, opts: { state?: string; rule?: string; json?: boolean }) => {
        const items = await (await ctx.platform()).alerts.listAlerts({ rule: opts.rule, states: opts.state?.split(',') as AlertStateName[] | undefined });
        if (opts.json) return ctx.out(json(items));
        ctx.out(table(['RULE', 'LABELS', 'STATE', 'VALUE', 'FIRED', 'RESOLVED'], items.map((a) => [a.rule, JSON.stringify(a.labels), a.state, a.value === null ? '-' : num(a.value), time(a.firedAt), time(a.resolvedAt)])));
      }),
    );
  const rules = alerts.command('rules').description('Alert rules: metric, condition, for how long');
  rules
    .command('create <name>')
    .requiredOption('--metric <metric>', 'e.g. model_age_days, training_data_age_days, run.<key>, or a recorded metric')
    .requiredOption('--condition <condition>', "comparison and threshold, e.g. '> 30' or '<0.7'")
    .option('--label <key=value>', 'only series with this label (repeatable), e.g. model=flights', collect, [])
    .option('--for <n|duration>', 'consecutive breaching evaluations (3) or a duration (10m, 1h)', '1')
    .option('--webhook <url>', 'deliver every state change here (repeatable)', collect, [])
    .action(
      withContext(async (ctx, name: string, opts: { metric: string; condition: string; label: string[]; for: string; webhook: string[] }) => {
        const m = /^\s*(>=|<=|>|<)\s*(-?[\d.]+(?:e-?\d+)?)\s*$/.exec(opts.condition);
        const d = DURATION.exec(opts.for);
        const count = /^\d+$/.test(opts.for) ? Number(opts.for) : undefined;
        const problems: string[] = [];
        if (!m) problems.push(`--condition '${opts.condition}' must be a comparison and a number, e.g. '> 30'`);
        if (count === undefined && !d) problems.push(`--for '${opts.for}' must be a count (3) or a duration (10m, 1h, 1d)`);
        const badLabel = opts.label.filter((l) => !l.includes('='));
        if (badLabel.length > 0) problems.push(`--label ${badLabel.join(', ')} must be key=value`);
        if (problems.length > 0) {
          ctx.err(`orchard: ${problems.join('; ')}.`);
          return 2;
        }
        const forMs = d ? Number(d[1]) * { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[d[2] as 's' | 'm' | 'h' | 'd'] : 0;
        const labels = Object.fromEntries(opts.label.map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
        const rule = await (await ctx.platform()).alerts.createRule({ name: ctx.config.user }, { name, metric: opts.metric, labels, op: m![1]!, threshold: Number(m![2]), forCount: count ?? 1, forMs, webhooks: opts.webhook });
        ctx.out(`Created alert rule ${rule.name}: ${rule.metric} ${rule.op} ${rule.threshold}${rule.forCount > 1 ? ` for ${rule.forCount} evaluations` : ''}${rule.forMs > 0 ? ` for ${opts.for}` : ''}.`);
      }),
    );
  rules
    .command('delete <name>')
    .description('Delete an alert rule and its alerts')
    .action(
      withContext(async (ctx, name: string) => {
        await (await ctx.platform()).alerts.deleteRule({ name: ctx.config.user }, name);
        ctx.out(`Deleted alert rule ${name} and its alerts.`);
      }),
    );
  rules
    .command('list')
    .option('--json', 'print JSON')
    .action(
      withContext(async (ctx, opts: { json?: boolean }) => {
        const items = await (await ctx.platform()).alerts.listRules();
        if (opts.json) return ctx.out(json(items));
        ctx.out(table(['NAME', 'METRIC', 'LABELS', 'CONDITION', 'FOR', 'WEBHOOKS'], items.map((r) => [r.name, r.metric, JSON.stringify(r.labels), `${r.op} ${r.threshold}`, `${r.forCount}×${r.forMs > 0 ? ` ${r.forMs / 1000}s` : ''}`, String(r.webhooks.length)])));
      }),
    );

  const feedback = program.command('feedback').description('Ground truth and human feedback on an endpoint\'s predictions');
  feedback
    .command('import <endpoint> <dataset>')
    .description('Labels from a dataset version, joined on a key column')
    .option('--key <column>', 'the request id column', 'request_id')
    .option('--label <column>', 'the label column', 'label')
    .action(
      withContext(async (ctx, endpoint: string, dataset: string, opts: { key: string; label: string }) => {
        const r = await (await ctx.platform()).feedback.importLabels({ name: ctx.config.user }, endpoint, dataset, opts);
        ctx.out(`Accepted ${r.accepted} labels for ${endpoint}; ${r.replaced.length} replaced earlier ones.`);
      }),
    );
  feedback
    .command('performance <endpoint>')
    .description('Live performance per window: labels joined with the prediction log')
    .option('--window <duration>', 'window size: 30m, 6h, 1d, 1w', '1d')
    .option('--json', 'print JSON')
    .action(
      withContext(async (ctx, endpoint: string, opts: { window: string; json?: boolean }) => {
        const windowMs = parseWindow(opts.window);
        if (windowMs === undefined) {
          ctx.err(`orchard: --window '${opts.window}' must be a duration such as 30m, 6h, 1d or 1w.`);
          return 2;
        }
        const r = await (await ctx.platform()).feedback.performance(endpoint, windowMs);
        if (opts.json) return ctx.out(json(r));
        const f = (v: number | null) => (v === null ? '-' : num(v));
        const cols = r.task === 'binary' ? ['AUC', 'ACCURACY'] : ['RMSE', 'MAE'];
        ctx.out(table(['WINDOW', 'PREDICTIONS', 'LABELLED', ...cols, 'LABEL DELAY'], r.windows.map((w) => [time(w.start), String(w.predictions), String(w.labelled), ...(r.task === 'binary' ? [f(w.auc), f(w.accuracy)] : [f(w.rmse), f(w.mae)]), w.labelDelayMs === null ? '-' : `${(w.labelDelayMs / 3_600_000).toFixed(1)}h`])));
        if (r.unmatchedLabels > 0) ctx.out(`${r.unmatchedLabels} labels match no logged prediction (unknown request ids).`);
      }),
    );
}
