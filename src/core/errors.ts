/**
 * One error base for the whole platform. Every error carries a stable `code`
 * (what shells map to HTTP statuses or exit codes), structured `details`, and
 * an optional `cause`. Messages name the thing, the bad value and the fix.
 */

/** Stable error codes. Only the server maps them to HTTP statuses. */
export type ErrorCode =
  | 'INVALID_ARGUMENT'
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'CONFLICT'
  | 'UNAUTHENTICATED'
  | 'PERMISSION_DENIED'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'STORE_BUSY'
  | 'STORE_READ_ONLY'
  | 'STORE_UNAVAILABLE'
  | 'INTEGRITY_ERROR'
  | 'CONFIG_ERROR'
  /** A bounded queue is full; retry after a moment (serving backpressure). */
  | 'OVERLOADED'
  /** The work did not finish within its time limit. */
  | 'DEADLINE_EXCEEDED'
  /** The service is starting or switching and cannot answer yet. */
  | 'NOT_READY'
  | 'INTERNAL';

/** One problem found while validating input; validation reports all of them at once. */
export interface Issue {
  /** Machine-readable kind, e.g. `too_long`, `invalid_type`. */
  readonly code: string;
  /** Where the problem is, e.g. `['metrics', 3, 'value']`. */
  readonly path: readonly (string | number)[];
  readonly message: string;
}

export interface OrchardErrorOptions {
  readonly details?: Record<string, unknown>;
  readonly cause?: unknown;
}

export class OrchardError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options: OrchardErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'OrchardError';
    this.code = code;
    this.details = options.details ?? {};
  }

  toJSON(): { code: ErrorCode; message: string; details: Record<string, unknown> } {
    return { code: this.code, message: this.message, details: this.details };
  }
}

export function isOrchardError(value: unknown): value is OrchardError {
  return value instanceof OrchardError;
}

export const invalidArgument = (message: string, details?: Record<string, unknown>): OrchardError =>
  new OrchardError('INVALID_ARGUMENT', message, { details });

export const notFound = (message: string, details?: Record<string, unknown>): OrchardError =>
  new OrchardError('NOT_FOUND', message, { details });

export const alreadyExists = (message: string, details?: Record<string, unknown>): OrchardError =>
  new OrchardError('ALREADY_EXISTS', message, { details });

/** Raises one INVALID_ARGUMENT that lists every issue, or returns when there are none. */
export function throwIfIssues(subject: string, issues: readonly Issue[]): void {
  if (issues.length === 0) return;
  const lines = issues.map((i) => `${formatPath(i.path)}: ${i.message}`);
  const message =
    issues.length === 1 ? `Invalid ${subject}: ${lines[0]}` : `Invalid ${subject} (${issues.length} problems): ${lines.join('; ')}`;
  throw new OrchardError('INVALID_ARGUMENT', message, { details: { issues } });
}

export function formatPath(path: readonly (string | number)[]): string {
  if (path.length === 0) return '(root)';
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}
