import { OrchardError, notFound } from '../core/errors.js';
import type { RegisteredModel } from './types.js';

/** The registry's errors; each names the thing, the bad value and the command that helps. */

export const modelNotFound = (name: string): OrchardError =>
  notFound(`No registered model named '${name}'; list models with \`orchard models list\`, or register one with \`orchard models register ${name} <run-id>\`.`, { name });

export const versionNotFound = (model: RegisteredModel, version: number): OrchardError =>
  notFound(
    `Model '${model.name}' has no version ${version}; ${model.lastVersion === 0 ? 'it has no versions yet' : `versions go up to ${model.lastVersion}`} — see \`orchard models show ${model.name}\`.`,
    { name: model.name, version },
  );

export const aliasNotFound = (model: RegisteredModel, alias: string): OrchardError =>
  notFound(
    `Model '${model.name}' has no alias '${alias}'; ${model.aliases.length === 0 ? 'it has no aliases' : `its aliases are ${model.aliases.map((a) => `${a.alias} → ${a.version}`).join(', ')}`}. Set one with \`orchard models promote ${model.name} <version> --alias ${alias}\`.`,
    { name: model.name, alias },
  );

export const conflict = (message: string, details: Record<string, unknown>): OrchardError => new OrchardError('CONFLICT', message, { details });
