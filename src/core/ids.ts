import { randomBytes, randomUUID } from 'node:crypto';

/** A run id: 32 lowercase hex characters, the form MLflow clients expect. */
export function newRunId(): string {
  return randomUUID().replaceAll('-', '');
}

/** A short random id with a readable prefix, e.g. `tok_3f9a…`. */
export function newId(prefix: string, bytes = 12): string {
  return `${prefix}_${randomBytes(bytes).toString('hex')}`;
}

export const RUN_ID_PATTERN = /^[0-9a-f]{32}$/;
