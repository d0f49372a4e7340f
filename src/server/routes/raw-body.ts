import type { FastifyInstance } from 'fastify';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { OrchardError } from '../../core/errors.js';

/**
 * In this plugin scope request bodies are not parsed: handlers get the raw stream,
 * so uploads of any size and type flow to the artifact store without buffering.
 */
export function acceptRawBodies(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
}

export function bodyStream(body: unknown, raw: Readable): Readable {
  return body && typeof (body as Readable).pipe === 'function' ? (body as Readable) : raw;
}

/**
 * A download body that keeps its last chunk back until `source` ends cleanly.
 * The content store checks a blob's digest only at the end of the stream; with
 * Content-Length set, sending every byte before that check would let a client take
 * a corrupted blob for a complete file. Held back, a failed check (or a blob longer
 * than `size`) leaves the transfer short, and a blob that fits in one chunk fails
 * before any byte is sent, as a 500.
 */
export function withheldTail(source: Readable, size: number, digest: string): Readable {
  let held: Buffer | undefined;
  let seen = 0;
  const out = new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback) {
      seen += chunk.length;
      if (seen > size) {
        cb(new OrchardError('INTEGRITY_ERROR', `Blob ${digest} holds more than the ${size} bytes recorded for it; restore it from a backup or log the artifact again.`, { details: { expected: digest, size } }));
        return;
      }
      const previous = held;
      held = chunk;
      cb(null, previous);
    },
    flush(cb: TransformCallback) {
      cb(null, held);
    },
  });
  source.on('error', (error) => out.destroy(error));
  return source.pipe(out);
}

const TYPES: Record<string, string> = {
  json: 'application/json',
  txt: 'text/plain; charset=utf-8',
  log: 'text/plain; charset=utf-8',
  md: 'text/markdown; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
  html: 'text/html; charset=utf-8',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  svg: 'image/svg+xml',
  yaml: 'text/yaml; charset=utf-8',
  yml: 'text/yaml; charset=utf-8',
};

/** Content type of a downloaded artifact, from its extension. */
export function contentTypeOf(path: string): string {
  const ext = path.slice(path.lastIndexOf('.') + 1).toLowerCase();
  return TYPES[ext] ?? 'application/octet-stream';
}
