import type { FastifyRequest } from 'fastify';
import { invalidArgument } from '../../core/errors.js';

/**
 * The fields of a request: the JSON body for writes, the query string for reads
 * (MLflow clients send GET parameters in the query, repeated keys as lists).
 */
export function input(request: FastifyRequest): Record<string, unknown> {
  const query = (request.query ?? {}) as Record<string, unknown>;
  const body = request.body;
  if (body === undefined || body === null || body === '') return { ...query };
  if (typeof body !== 'object' || Array.isArray(body) || Buffer.isBuffer(body)) {
    throw invalidArgument('The request body must be a JSON object, e.g. {"run_id": "…"}.');
  }
  return { ...query, ...(body as Record<string, unknown>) };
}

/** A list field that may arrive once (a string) or repeated (a list). */
export function listOf(value: unknown): unknown[] | undefined {
  if (value === undefined || value === null) return undefined;
  return Array.isArray(value) ? value : [value];
}
