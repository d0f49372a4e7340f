import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { OrchardError, type ErrorCode } from '../core/errors.js';
import type { Logger } from '../core/logger.js';

/** The one place error codes become HTTP statuses. */
const STATUS: Record<ErrorCode, number> = {
  INVALID_ARGUMENT: 400,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  CONFLICT: 409,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  STORE_BUSY: 503,
  STORE_READ_ONLY: 503,
  STORE_UNAVAILABLE: 503,
  INTEGRITY_ERROR: 500,
  CONFIG_ERROR: 500,
  OVERLOADED: 429,
  DEADLINE_EXCEEDED: 504,
  NOT_READY: 503,
  INTERNAL: 500,
};

/** MLflow's error codes, which its clients switch on. */
const MLFLOW_CODE: Record<ErrorCode, string> = {
  INVALID_ARGUMENT: 'INVALID_PARAMETER_VALUE',
  NOT_FOUND: 'RESOURCE_DOES_NOT_EXIST',
  ALREADY_EXISTS: 'RESOURCE_ALREADY_EXISTS',
  CONFLICT: 'INVALID_STATE',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  PERMISSION_DENIED: 'PERMISSION_DENIED',
  PAYLOAD_TOO_LARGE: 'INVALID_PARAMETER_VALUE',
  UNSUPPORTED_MEDIA_TYPE: 'INVALID_PARAMETER_VALUE',
  STORE_BUSY: 'TEMPORARILY_UNAVAILABLE',
  STORE_READ_ONLY: 'TEMPORARILY_UNAVAILABLE',
  STORE_UNAVAILABLE: 'TEMPORARILY_UNAVAILABLE',
  INTEGRITY_ERROR: 'INTERNAL_ERROR',
  CONFIG_ERROR: 'INTERNAL_ERROR',
  OVERLOADED: 'REQUEST_LIMIT_EXCEEDED',
  DEADLINE_EXCEEDED: 'TEMPORARILY_UNAVAILABLE',
  NOT_READY: 'TEMPORARILY_UNAVAILABLE',
  INTERNAL: 'INTERNAL_ERROR',
};

export const MLFLOW_PREFIXES = ['/api/2.0/', '/ajax-api/2.0/'];

/** Turns whatever a handler threw into an `OrchardError`, including Fastify's own request errors. */
export function toOrchardError(error: unknown, limitBytes: number): OrchardError {
  if (error instanceof OrchardError) return error;
  const e = error as FastifyError;
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new OrchardError('PAYLOAD_TOO_LARGE', `The request body is larger than the ${limitBytes} byte limit; send smaller batches, or raise ORCHARD_BODY_LIMIT on the server.`, { details: { limitBytes } });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new OrchardError('UNSUPPORTED_MEDIA_TYPE', `Content-Type '${(e as { contentType?: string }).contentType ?? 'unknown'}' is not accepted here; send JSON with Content-Type: application/json.`);
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new OrchardError('INVALID_ARGUMENT', 'The request says Content-Type: application/json but its body is empty; send a JSON object.');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new OrchardError('INVALID_ARGUMENT', 'The Content-Length header does not match the body; send the body whole.');
  }
  if (e instanceof SyntaxError || e.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
    return new OrchardError('INVALID_ARGUMENT', `The request body is not valid JSON (${e.message}); send a JSON object.`);
  }
  if (e.code === 'FST_ERR_VALIDATION') return new OrchardError('INVALID_ARGUMENT', e.message);
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return new OrchardError('INVALID_ARGUMENT', e.message);
  }
  return new OrchardError('INTERNAL', 'Internal error in the Orchard server; the server log has the details.', { cause: error });
}

/** Fastify error handler: JSON `{ code, message, details, error_code }` and never a crash. */
export function createErrorHandler(limitBytes: number, logger: Logger) {
  return (error: unknown, request: FastifyRequest, reply: FastifyReply): void => {
    const err = toOrchardError(error, limitBytes);
    const mlflow = MLFLOW_PREFIXES.some((p) => request.url.startsWith(p));
    // MLflow answers 400 for RESOURCE_ALREADY_EXISTS; its clients expect that.
    const status = mlflow && err.code === 'ALREADY_EXISTS' ? 400 : STATUS[err.code];
    if (status >= 500) logger.error(`${request.method} ${request.url} failed: ${err.message}`, { code: err.code, cause: String((err.cause as Error | undefined)?.stack ?? err.cause ?? '') });
    if (err.code === 'STORE_BUSY' || err.code === 'NOT_READY') reply.header('Retry-After', '1');
    if (err.code === 'OVERLOADED') reply.header('Retry-After', String(err.details.retryAfterSeconds ?? 1));
    if (reply.sent || reply.raw.headersSent) {
      // A streamed download failed midway: cut the connection so the client sees a broken transfer, not a short file.
      reply.raw.destroy(err);
      return;
    }
    void reply.status(status).type('application/json').send({ error_code: MLFLOW_CODE[err.code], code: err.code, message: err.message, details: err.details });
  };
}
