import type { ModelArtifact } from '../learn/model-artifact.js';
import type { Run } from '../tracking/types.js';
import type { ApprovalRecord, ModelVersion, RegisteredModel } from './types.js';

/** Everything a generated model card shows; gathered by `RegistryService`, rendered here without I/O. */
export interface ModelCardInput {
  readonly model: RegisteredModel;
  readonly version: ModelVersion;
  /** The run that produced the version, when it still exists. */
  readonly run?: Run;
  /** The Orchard model artifact, when the version has one. */
  readonly artifact?: Pick<ModelArtifact, 'learner' | 'task' | 'signature' | 'training' | 'classes'>;
  /** The dataset versions it was trained on, with what the registry knows of them. */
  readonly datasets: readonly { readonly ref: string; readonly rows?: number; readonly digest?: string; readonly source?: string }[];
  readonly approvals: readonly ApprovalRecord[];
}

/** Orchard's own run tags hold large JSON (importance) or errors; the card lists the rest. */
const HIDDEN_TAGS = new Set(['orchard.importance', 'orchard.importance.split', 'orchard.error']);

/** Renders the default model card: Markdown generated from the registry's metadata. */
export function renderModelCard(input: ModelCardInput): string {
  const { model, version: v, run, artifact } = input;
  const lines: string[] = [`# ${model.name} — version ${v.version}`, ''];
  if (model.description) lines.push(model.description, '');
  lines.push(
    '| | |',
    '|---|---|',
    row('Model', model.name),
    row('Version', `${v.version} (${v.status})`),
    row('Aliases', v.aliases.length > 0 ? v.aliases.join(', ') : '—'),
    row('Registered', `${iso(v.createdAt)} by ${v.createdBy}`),
    row('Source', code(v.source)),
    row('Run', v.runId ? `${code(v.runId)}${run ? ` (${run.info.runName}, ${run.info.status})` : ' (no longer exists)'}` : '—'),
    row('Model artifact', v.digest ? code(v.digest) : '—'),
    row('Pipeline version', v.pipelineVersionId ? code(v.pipelineVersionId) : '—'),
    row('Approval', approvalLine(model, v)),
    '',
  );
  if (v.description) lines.push('## Description', '', v.description, '');

  lines.push('## Training data', '');
  if (input.datasets.length === 0) lines.push('No dataset versions are recorded in the lineage of this version.', '');
  else {
    for (const d of input.datasets) {
      const details = [d.rows !== undefined ? `${d.rows.toLocaleString('en-US')} rows` : undefined, d.source ? `from ${code(d.source)}` : undefined, d.digest ? code(d.digest) : undefined].filter(Boolean);
      lines.push(`- ${code(d.ref)}${details.length > 0 ? ` — ${details.join(', ')}` : ''}`);
    }
    lines.push('');
  }

  lines.push('## Model', '');
  if (!artifact) lines.push('This version has no Orchard model artifact, so its learner and signature are unknown.', '');
  else {
    lines.push(
      `Learner ${code(artifact.learner)} (${artifact.task}), target ${code(artifact.training.target)}, trained on ${code(artifact.training.dataset)} (${artifact.training.rows.toLocaleString('en-US')} rows).`,
      '',
      '### Signature',
      '',
      '| Input | Kind |',
      '|---|---|',
      ...artifact.signature.inputs.map((i) => `| ${cell(i.name)} | ${i.kind} |`),
      '',
      `Output: ${outputLine(artifact)}.`,
      '',
    );
  }

  if (run) {
    lines.push('## Parameters', '');
    lines.push(...(run.params.length === 0 ? ['None logged.'] : ['| Param | Value |', '|---|---|', ...run.params.map((p) => `| ${cell(p.key)} | ${cell(p.value)} |`)]), '');
    const metrics = run.metrics.filter((m) => m.key !== 'loss');
    lines.push('## Metrics', '');
    lines.push(...(metrics.length === 0 ? ['None logged.'] : ['| Metric | Value |', '|---|---|', ...metrics.map((m) => `| ${cell(m.key)} | ${formatNumber(m.value)} |`)]), '');
  }

  lines.push('## Approvals', '');
  if (input.approvals.length === 0) lines.push('No approval was requested.', '');
  else {
    lines.push('| When | Action | By | Comment |', '|---|---|---|---|');
    for (const a of input.approvals) lines.push(`| ${iso(a.at)} | ${a.action} | ${cell(a.actor)} | ${cell(a.comment ?? '')} |`);
    lines.push('');
  }

  const tags = [...v.tags, ...(run?.tags ?? []).filter((t) => !HIDDEN_TAGS.has(t.key) && !t.key.startsWith('mlflow.'))];
  if (tags.length > 0) lines.push('## Tags', '', '| Tag | Value |', '|---|---|', ...tags.map((t) => `| ${cell(t.key)} | ${cell(t.value)} |`), '');
  return lines.join('\n');
}

function approvalLine(model: RegisteredModel, v: ModelVersion): string {
  const needs = model.requiresApproval ? `required for ${model.protectedAliases.join(', ') || 'no alias'}` : 'not required';
  return `${v.approval} (${needs})`;
}

function outputLine(a: NonNullable<ModelCardInput['artifact']>): string {
  const target = code(a.signature.target);
  if (a.signature.output === 'probability') return `the probability that ${target} is 1`;
  if (a.signature.output === 'probabilities') return `one probability per class of ${target}${a.classes ? ` (${a.classes.join(', ')})` : ''}`;
  return `a predicted value of ${target}`;
}

const row = (label: string, value: string) => `| ${label} | ${value} |`;
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const code = (text: string) => `\`${text.replaceAll('`', "'")}\``;
/** A table cell: pipes escaped, one line. */
const cell = (text: string) => text.replaceAll('|', '\\|').replace(/\s*\n\s*/g, ' ');

function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  return Number.isInteger(value) ? value.toLocaleString('en-US') : String(Number(value.toPrecision(6)));
}
