import { OrchardError } from '../core/errors.js';
import type { Role } from '../tracking/types.js';
import type { Actor } from '../tracking/tracking-service.js';
import type { ApprovalRecord, ModelVersion, RegisteredModel } from './types.js';

/**
 * Who is calling, for decisions that depend on more than a name: approvals and approval
 * settings. `identities` are the names the caller is known by (actor name, token name,
 * token id, OS user), matched against a model's approvers.
 */
export interface Caller {
  readonly actor: Actor;
  readonly role: Role;
  readonly identities: readonly string[];
}

/** A caller for embedded use: whoever can open the stores is an admin. */
export function embeddedCaller(name: string): Caller {
  return { actor: { name }, role: 'admin', identities: [name] };
}

/** True when `alias` of `model` may only point to an approved version. */
export function isProtected(model: RegisteredModel, alias: string): boolean {
  return model.requiresApproval && model.protectedAliases.includes(alias);
}

/**
 * Refuses a protected alias for a version that is not approved, naming the version, its
 * approval state and the command that moves it on.
 */
export function checkProtectedAlias(model: RegisteredModel, version: ModelVersion, alias: string, history: readonly ApprovalRecord[]): void {
  if (!isProtected(model, alias) || version.approval === 'approved') return;
  const ref = `version ${version.version} of model '${model.name}'`;
  const last = history[history.length - 1];
  const quoted = (s: string) => (/\s/.test(s) ? `'${s}'` : s);
  const cmd = (verb: string) => `\`orchard models ${verb} ${quoted(model.name)} ${version.version}\``;
  let state: string;
  if (version.approval === 'pending') {
    state = `is pending approval (requested by ${last?.actor ?? 'unknown'}); an approver other than the requester (an admin${model.approvers.length > 0 ? ` or one of ${model.approvers.join(', ')}` : ''}) approves it with ${cmd('approve')}`;
  } else if (version.approval === 'rejected') {
    state = `was rejected by ${last?.actor ?? 'unknown'}${last?.comment ? ` ("${last.comment}")` : ''}; request approval again with ${cmd('request-approval')} once that is addressed`;
  } else {
    state = `has no approval; request it with ${cmd('request-approval')}, then an approver runs ${cmd('approve')}`;
  }
  throw new OrchardError('CONFLICT', `Cannot point alias '${alias}' at ${ref}: the model requires approval for ${model.protectedAliases.join(', ')}, and version ${version.version} ${state}.`, {
    details: { name: model.name, version: version.version, alias, approval: version.approval },
  });
}

/**
 * Checks that `caller` may decide on an approval request: never the one who requested it
 * (four-eyes), and only an admin or a listed approver.
 */
export function checkApprover(model: RegisteredModel, version: ModelVersion, caller: Caller, requester: string | undefined, decision: 'approve' | 'reject'): void {
  const ref = `version ${version.version} of model '${model.name}'`;
  // A token's actor is `<token name> (<token id>)`: the same name on another token is the same person.
  const requesterNames = requester === undefined ? [] : [requester, requester.replace(/ \(tok_[0-9a-f]+\)$/, '')];
  if (requesterNames.some((r) => caller.actor.name === r || caller.identities.includes(r))) {
    throw new OrchardError(
      'PERMISSION_DENIED',
      `${caller.actor.name} requested approval of ${ref} and so cannot ${decision} it (four-eyes rule); ask another approver — an admin${model.approvers.length > 0 ? ` or one of ${model.approvers.join(', ')}` : ''}.`,
      { details: { name: model.name, version: version.version, requester } },
    );
  }
  const listed = caller.identities.some((id) => model.approvers.includes(id)) || model.approvers.includes(caller.actor.name);
  if (caller.role !== 'admin' && !listed) {
    throw new OrchardError(
      'PERMISSION_DENIED',
      `${caller.actor.name} may not ${decision} ${ref}: approvers are admins${model.approvers.length > 0 ? ` and ${model.approvers.join(', ')}` : ''}. An admin can add an approver with \`orchard models update ${model.name} --approvers <name,…>\`.`,
      { details: { name: model.name, version: version.version, role: caller.role } },
    );
  }
}
