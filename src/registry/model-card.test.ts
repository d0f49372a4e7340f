import { describe, expect, it } from 'vitest';
import { renderModelCard, type ModelCardInput } from './model-card.js';

const input: ModelCardInput = {
  model: {
    name: 'flights',
    description: 'Predicts a delay over 15 minutes.',
    tags: [],
    aliases: [{ alias: 'champion', version: 2 }],
    requiresApproval: true,
    protectedAliases: ['champion'],
    approvers: [],
    lastVersion: 2,
    createdBy: 'alice',
    createdAt: 0,
    updatedAt: 0,
  },
  version: {
    name: 'flights',
    version: 2,
    source: `runs:/${'c'.repeat(32)}/model`,
    runId: 'c'.repeat(32),
    digest: `sha256:${'d'.repeat(64)}`,
    datasets: ['flights-train@1', 'gone@4'],
    pipelineVersionId: null,
    status: 'READY',
    approval: 'approved',
    description: 'March retrain',
    tags: [{ key: 'owner', value: 'ops | night' }],
    aliases: ['champion'],
    createdBy: 'alice',
    createdAt: Date.UTC(2024, 2, 1, 12, 0, 0),
    updatedAt: 0,
  },
  run: {
    info: { runId: 'c'.repeat(32), experimentId: '1', runName: 'gbdt on flights-train@1', userId: 'alice', status: 'FINISHED', startTime: 0, endTime: 1, lifecycleStage: 'active', artifactUri: '', parentRunId: null },
    params: [{ key: 'max_iter', value: '200' }],
    metrics: [
      { key: 'test_auc', value: 0.7123456789, step: 0, timestamp: 0 },
      { key: 'loss', value: 0.5, step: 199, timestamp: 0 },
      { key: 'train_rows', value: 12000, step: 0, timestamp: 0 },
    ],
    tags: [
      { key: 'mlflow.runName', value: 'x' },
      { key: 'orchard.importance', value: '{}' },
      { key: 'orchard.task', value: 'binary' },
    ],
  },
  artifact: {
    learner: 'gbdt',
    task: 'binary',
    signature: { inputs: [{ name: 'distance', kind: 'integer' }, { name: 'origin', kind: 'categorical' }], target: 'delayed', output: 'probability' },
    training: { dataset: 'flights-train@1', target: 'delayed=delay > 15', rows: 12000, runId: 'c'.repeat(32), trainedAt: 0 },
  },
  datasets: [{ ref: 'flights-train@1', rows: 12000, digest: `sha256:${'e'.repeat(64)}`, source: 'file:flights.parquet' }, { ref: 'gone@4' }],
  approvals: [
    { name: 'flights', version: 2, action: 'requested', actor: 'alice', comment: null, at: Date.UTC(2024, 2, 1, 13, 0, 0) },
    { name: 'flights', version: 2, action: 'approved', actor: 'bob', comment: 'beats v1\non March', at: Date.UTC(2024, 2, 2, 9, 30, 0) },
  ],
};

describe('generated model cards', () => {
  it('shows the model, provenance, signature, params, metrics, approvals and tags', () => {
    const md = renderModelCard(input);
    expect(md.startsWith('# flights — version 2\n\nPredicts a delay over 15 minutes.\n')).toBe(true);
    expect(md).toContain('| Version | 2 (READY) |');
    expect(md).toContain('| Aliases | champion |');
    expect(md).toContain('| Registered | 2024-03-01T12:00:00Z by alice |');
    expect(md).toContain(`| Run | \`${'c'.repeat(32)}\` (gbdt on flights-train@1, FINISHED) |`);
    expect(md).toContain('| Approval | approved (required for champion) |');
    expect(md).toContain('## Description\n\nMarch retrain\n');
    expect(md).toContain(`- \`flights-train@1\` — 12,000 rows, from \`file:flights.parquet\`, \`sha256:${'e'.repeat(64)}\``);
    expect(md).toContain('- `gone@4`\n');
    expect(md).toContain('Learner `gbdt` (binary), target `delayed=delay > 15`, trained on `flights-train@1` (12,000 rows).');
    expect(md).toContain('| Input | Kind |\n|---|---|\n| distance | integer |\n| origin | categorical |');
    expect(md).toContain('Output: the probability that `delayed` is 1.');
    expect(md).toContain('| max_iter | 200 |');
    // The loss series is a training curve, not a result; other metrics keep 6 significant digits.
    expect(md).toContain('| test_auc | 0.712346 |\n| train_rows | 12,000 |');
    expect(md).not.toContain('| loss |');
    expect(md).toContain('| 2024-03-02T09:30:00Z | approved | bob | beats v1 on March |');
    expect(md).toContain('| owner | ops \\| night |');
    expect(md).toContain('| orchard.task | binary |');
    expect(md).not.toContain('orchard.importance');
    expect(md).not.toContain('mlflow.runName');
  });

  it('says what it does not know', () => {
    const md = renderModelCard({ ...input, run: undefined, artifact: undefined, datasets: [], approvals: [] });
    expect(md).toContain('(no longer exists)');
    expect(md).toContain('No dataset versions are recorded in the lineage of this version.');
    expect(md).toContain('This version has no Orchard model artifact, so its learner and signature are unknown.');
    expect(md).toContain('No approval was requested.');
    expect(md).not.toContain('## Parameters');
  });
});
