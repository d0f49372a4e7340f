import { createHash, randomBytes } from 'node:crypto';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { OrchardError, invalidArgument } from '../core/errors.js';
import type { BlobStore } from './blob-store.js';

export const DIGEST_PATTERN = /^sha256:[0-9a-f]{64}$/;

export interface StoredBlob {
  /** `sha256:<64 hex>` of the bytes. */
  readonly digest: string;
  readonly size: number;
}

/**
 * Content addressing over a bare `BlobStore`: a blob's key is the SHA-256 of its
 * bytes, so identical content is stored once, and every read is checked against it.
 */
export class ContentStore {
  readonly #blobs: BlobStore;
  readonly #verified = new Set<string>();

  constructor(blobs: BlobStore) {
    this.#blobs = blobs;
  }

  get location(): string {
    return this.#blobs.location;
  }

  /** Streams `body` into the store, hashing on the way; returns its digest and size. */
  async put(body: Readable | Uint8Array): Promise<StoredBlob> {
    const hash = createHash('sha256');
    const source = body instanceof Uint8Array ? Readable.from([body]) : body;
    const hashing = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        hash.update(chunk);
        cb(null, chunk);
      },
    });
    source.on('error', (e) => hashing.destroy(e));
    const staging = `staging/${randomBytes(16).toString('hex')}`;
    const { size } = await this.#blobs.put(staging, source.pipe(hashing));
    const digest = `sha256:${hash.digest('hex')}`;
    const key = keyOf(digest);
    if (await this.#blobs.stat(key)) await this.#blobs.delete(staging);
    else await this.#blobs.move(staging, key);
    return { digest, size };
  }

  /**
   * Streams a blob, verifying it as it goes. The last chunk is held back until the
   * whole blob has hashed to `digest`, so a consumer never receives every byte of a
   * corrupted blob: the stream fails with `INTEGRITY_ERROR` instead (at once when the
   * blob exceeds `expectedSize`, which callers pass when they announced a length).
   * @throws OrchardError `NOT_FOUND` when the blob is missing.
   */
  async open(digest: string, expectedSize?: number): Promise<Readable> {
    const source = await this.#blobs.get(keyOf(digest));
    const verifier = new VerifyingStream(digest, this.#blobs.location, expectedSize);
    source.on('error', (e) => verifier.destroy(e));
    return source.pipe(verifier);
  }

  /** Reads a whole blob into memory, verified. For small blobs only. */
  async read(digest: string): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of await this.open(digest)) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  /**
   * A local file with the blob's bytes, verified once per process. Engines such as
   * DuckDB read it in place; it must not be written to.
   * @throws OrchardError `NOT_FOUND` or `INTEGRITY_ERROR`.
   */
  async localPath(digest: string): Promise<string> {
    const key = keyOf(digest);
    const path = this.#blobs.localPath ? await this.#blobs.localPath(key) : undefined;
    if (path === undefined) {
      throw new OrchardError('STORE_UNAVAILABLE', `The artifact store at ${this.#blobs.location} cannot expose blob ${digest} as a local file; use a file: artifact store for data engines.`);
    }
    if (!this.#verified.has(digest)) {
      if (!(await this.verify(digest))) {
        throw new OrchardError('INTEGRITY_ERROR', `Blob ${digest} in the artifact store at ${this.#blobs.location} is corrupted; restore it from a backup or ingest the data again.`, { details: { digest } });
      }
      this.#verified.add(digest);
    }
    return path;
  }

  async has(digest: string): Promise<boolean> {
    return (await this.#blobs.stat(keyOf(digest))) !== undefined;
  }

  /** Re-hashes a stored blob; false when its bytes no longer match the digest. */
  async verify(digest: string): Promise<boolean> {
    try {
      await this.read(digest);
      return true;
    } catch (error) {
      if (error instanceof OrchardError && error.code === 'INTEGRITY_ERROR') return false;
      throw error;
    }
  }
}

/** Blob key of a digest: `sha256/ab/<hex>`, fanned out so no folder grows huge. */
export function keyOf(digest: string): string {
  if (!DIGEST_PATTERN.test(digest)) throw invalidArgument(`'${digest}' is not a content digest; expected sha256:<64 hex characters>.`, { digest });
  const hex = digest.slice('sha256:'.length);
  return `sha256/${hex.slice(0, 2)}/${hex}`;
}

class VerifyingStream extends Transform {
  readonly #hash = createHash('sha256');
  readonly #digest: string;
  readonly #where: string;
  readonly #expectedSize: number | undefined;
  #held: Buffer | undefined;
  #seen = 0;

  constructor(digest: string, where: string, expectedSize: number | undefined) {
    super();
    this.#digest = digest;
    this.#where = where;
    this.#expectedSize = expectedSize;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.#hash.update(chunk);
    this.#seen += chunk.length;
    if (this.#expectedSize !== undefined && this.#seen > this.#expectedSize) {
      cb(
        new OrchardError('INTEGRITY_ERROR', `Blob ${this.#digest} in the artifact store at ${this.#where} holds more than the ${this.#expectedSize} bytes recorded for it; restore it from a backup or log the artifact again.`, {
          details: { expected: this.#digest, size: this.#expectedSize },
        }),
      );
      return;
    }
    const previous = this.#held;
    this.#held = chunk;
    cb(null, previous);
  }

  override _flush(cb: TransformCallback): void {
    const actual = `sha256:${this.#hash.digest('hex')}`;
    if (actual === this.#digest) cb(null, this.#held);
    else {
      cb(
        new OrchardError('INTEGRITY_ERROR', `Blob ${this.#digest} in the artifact store at ${this.#where} is corrupted: its bytes hash to ${actual}. Restore it from a backup or log the artifact again.`, {
          details: { expected: this.#digest, actual },
        }),
      );
    }
  }
}
