import { describe, expect, it } from 'vitest';
import { checkApprover, checkProtectedAlias, type Caller } from './approval-policy.js';
import type { ModelVersion, RegisteredModel } from './types.js';

const model: RegisteredModel = {
  name: 'flights',
  description: null,
  tags: [],
  aliases: [],
  requiresApproval: true,
  protectedAliases: ['champion', 'prod'],
  approvers: ['carol', 'tok_abc'],
  lastVersion: 3,
  createdBy: 'alice',
  createdAt: 0,
  updatedAt: 0,
};
const version = (approval: ModelVersion['approval']): ModelVersion => ({
  name: 'flights',
  version: 3,
  source: 'runs:/x/model',
  runId: null,
  digest: null,
  datasets: [],
  pipelineVersionId: null,
  status: 'READY',
  approval,
  description: null,
  tags: [],
  aliases: [],
  createdBy: 'alice',
  createdAt: 0,
  updatedAt: 0,
});
const caller = (name: string, role: Caller['role'], identities: string[] = [name]): Caller => ({ actor: { name }, role, identities });

describe('protected aliases', () => {
  it('lets only an approved version take a protected alias', () => {
    expect(() => checkProtectedAlias(model, version('approved'), 'champion', [])).not.toThrow();
    expect(() => checkProtectedAlias(model, version('none'), 'challenger', [])).not.toThrow();
    expect(() => checkProtectedAlias({ ...model, requiresApproval: false }, version('none'), 'champion', [])).not.toThrow();
  });

  it('names the version, its approval state and the command that moves it on', () => {
    const pending = () => checkProtectedAlias(model, version('pending'), 'champion', [{ name: 'flights', version: 3, action: 'requested', actor: 'alice', comment: null, at: 0 }]);
    expect(pending).toThrow(/Cannot point alias 'champion' at version 3 of model 'flights': the model requires approval for champion, prod, and version 3 is pending approval \(requested by alice\).*`orchard models approve flights 3`/);
    expect(() => checkProtectedAlias(model, version('none'), 'prod', [])).toThrow(/has no approval; request it with `orchard models request-approval flights 3`/);
    expect(() => checkProtectedAlias(model, version('rejected'), 'prod', [{ name: 'flights', version: 3, action: 'rejected', actor: 'bob', comment: 'worse on March', at: 0 }])).toThrow(
      /was rejected by bob \("worse on March"\)/,
    );
    try {
      pending();
    } catch (error) {
      expect(error).toMatchObject({ code: 'CONFLICT', details: { approval: 'pending', version: 3, alias: 'champion' } });
    }
  });
});

describe('approvers', () => {
  it('accepts admins and listed approvers (by actor, token name or token id)', () => {
    expect(() => checkApprover(model, version('pending'), caller('dave', 'admin'), 'alice', 'approve')).not.toThrow();
    expect(() => checkApprover(model, version('pending'), caller('carol', 'editor'), 'alice', 'approve')).not.toThrow();
    expect(() => checkApprover(model, version('pending'), caller('ci (tok_abc)', 'editor', ['ci (tok_abc)', 'ci', 'tok_abc']), 'alice', 'reject')).not.toThrow();
  });

  it('refuses other editors and the requester (four-eyes), even an admin', () => {
    expect(() => checkApprover(model, version('pending'), caller('eve', 'editor'), 'alice', 'approve')).toThrow(/eve may not approve version 3 of model 'flights': approvers are admins and carol, tok_abc/);
    expect(() => checkApprover(model, version('pending'), caller('alice', 'admin'), 'alice', 'approve')).toThrow(/alice requested approval of version 3 of model 'flights' and so cannot approve it \(four-eyes rule\)/);
    expect(() => checkApprover(model, version('pending'), caller('alice (tok_1)', 'admin', ['alice (tok_1)', 'alice', 'tok_1']), 'alice', 'reject')).toThrow(/four-eyes/);
    // Another token with the requester's name is the same person.
    expect(() => checkApprover(model, version('pending'), caller('alice (tok_2)', 'admin', ['alice (tok_2)', 'alice', 'tok_2']), 'alice (tok_1)', 'approve')).toThrow(/four-eyes/);
    expect(() => checkApprover(model, version('pending'), caller('bob (tok_2)', 'admin', ['bob (tok_2)', 'bob', 'tok_2']), 'alice (tok_1)', 'approve')).not.toThrow();
  });
});
