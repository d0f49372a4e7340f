import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { OrchardError, notFound } from '../core/errors.js';
import type { BlobStore } from './blob-store.js';

const TMP = '.tmp';

/**
 * Blobs as files under one folder. Writes go to `.tmp/`, are fsynced, then
 * renamed into place, so a crash never leaves a partial object under its key.
 */
export class FsBlobStore implements BlobStore {
  readonly location: string;
  readonly #root: string;

  constructor(root: string) {
    this.#root = root;
    this.location = root;
  }

  async init(): Promise<void> {
    try {
      await mkdir(join(this.#root, TMP), { recursive: true });
    } catch (cause) {
      throw new OrchardError('STORE_UNAVAILABLE', `Cannot create the artifact folder ${this.#root} (${(cause as NodeJS.ErrnoException).code}); check permissions or set ORCHARD_ARTIFACTS.`, { cause });
    }
  }

  async destroy(): Promise<void> {}

  async put(key: string, body: Readable | Uint8Array): Promise<{ size: number }> {
    const target = this.#path(key);
    const tmp = join(this.#root, TMP, `${randomBytes(12).toString('hex')}.part`);
    let size = 0;
    try {
      const out = createWriteStream(tmp, { flags: 'wx' });
      const source = body instanceof Uint8Array ? Readable.from([body]) : body;
      source.on('data', (chunk: Buffer) => {
        size += chunk.length;
      });
      await pipeline(source, out);
      const fh = await open(tmp, 'r+');
      try {
        await fh.sync();
      } finally {
        await fh.close();
      }
      await mkdir(dirname(target), { recursive: true });
      await rename(tmp, target);
      await syncDir(dirname(target));
      return { size };
    } catch (error) {
      await unlink(tmp).catch(() => {});
      throw this.#ioError(error, `write ${key}`);
    }
  }

  async get(key: string): Promise<Readable> {
    const path = this.#path(key);
    try {
      // Open first so a missing file fails here, not later on the stream.
      const fh = await open(path, 'r');
      return fh.createReadStream();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw notFound(`Blob ${key} is not in the artifact store at ${this.#root}.`, { key });
      throw this.#ioError(error, `read ${key}`);
    }
  }

  async stat(key: string): Promise<{ size: number } | undefined> {
    try {
      const s = await stat(this.#path(key));
      return { size: s.size };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw this.#ioError(error, `stat ${key}`);
    }
  }

  async move(from: string, to: string): Promise<void> {
    const target = this.#path(to);
    try {
      await mkdir(dirname(target), { recursive: true });
      await rename(this.#path(from), target);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw notFound(`Blob ${from} is not in the artifact store at ${this.#root}.`, { key: from });
      throw this.#ioError(error, `move ${from}`);
    }
  }

  async delete(key: string): Promise<boolean> {
    try {
      await rm(this.#path(key));
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw this.#ioError(error, `delete ${key}`);
    }
  }

  async *list(prefix: string): AsyncIterable<string> {
    const walk = async function* (dir: string, root: string): AsyncGenerator<string> {
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw error;
      }
      for (const entry of entries) {
        const full = join(dir, entry.name);
        if (entry.isDirectory()) {
          if (dir === root && entry.name === TMP) continue;
          yield* walk(full, root);
        } else yield relative(root, full).split(sep).join('/');
      }
    };
    // Walk only the folder the prefix names, then filter on the rest of it.
    const folder = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
    for await (const key of walk(join(this.#root, folder), this.#root)) if (key.startsWith(prefix)) yield key;
  }

  async localPath(key: string): Promise<string | undefined> {
    return (await this.stat(key)) ? this.#path(key) : undefined;
  }

  #path(key: string): string {
    if (key === '' || key.startsWith('/') || key.split('/').some((s) => s === '' || s === '.' || s === '..') || key.includes('\\') || key.includes('\0')) {
      throw new OrchardError('INVALID_ARGUMENT', `Blob key '${key}' is not a relative path of plain segments.`, { details: { key } });
    }
    return join(this.#root, ...key.split('/'));
  }

  #ioError(error: unknown, what: string): unknown {
    if (error instanceof OrchardError) return error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOSPC') return new OrchardError('STORE_UNAVAILABLE', `The artifact store at ${this.#root} is out of disk space (while trying to ${what}); free space and retry.`, { cause: error });
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
      return new OrchardError('STORE_READ_ONLY', `The artifact store at ${this.#root} is not writable (${code} while trying to ${what}); fix its permissions.`, { cause: error });
    }
    return error;
  }
}

async function syncDir(dir: string): Promise<void> {
  // Makes the rename durable; some file systems refuse to fsync a folder, which is harmless.
  try {
    const fh = await open(dir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    /* best effort */
  }
}

export function createFsBlobStore(uri: string): FsBlobStore {
  return new FsBlobStore(uri.replace(/^file:/, ''));
}
