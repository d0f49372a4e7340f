import { createReadStream, createWriteStream } from 'node:fs';
import { copyFile, mkdir, readdir, stat } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { pipeline as pump } from 'node:stream/promises';
import type { ContentStore } from '../artifacts/content-store.js';
import { OrchardError } from '../core/errors.js';
import type { FolderFile } from './step-executor.js';
import type { StoredValue } from './types.js';

/**
 * Files and folders between local paths and the content store. A folder is stored
 * as its files plus a manifest (JSON, paths sorted) whose digest is the folder's,
 * so equal trees get equal digests.
 */
export interface FolderManifest {
  readonly orchardFolder: 1;
  readonly files: readonly FolderFile[];
}

export async function storeFile(content: ContentStore, path: string): Promise<{ digest: string; size: number }> {
  return content.put(createReadStream(path));
}

export async function storeFolder(content: ContentStore, root: string): Promise<{ digest: string; size: number; files: FolderFile[] }> {
  const files: FolderFile[] = [];
  for (const path of await walk(root)) {
    const blob = await storeFile(content, path);
    files.push({ path: relative(root, path).split(sep).join('/'), digest: blob.digest, size: blob.size });
  }
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const manifest: FolderManifest = { orchardFolder: 1, files };
  const stored = await content.put(Buffer.from(JSON.stringify(manifest)));
  return { digest: stored.digest, size: files.reduce((s, f) => s + f.size, 0), files };
}

export async function readManifest(content: ContentStore, digest: string): Promise<FolderManifest> {
  const parsed = JSON.parse((await content.read(digest)).toString('utf8')) as FolderManifest;
  if (parsed?.orchardFolder !== 1 || !Array.isArray(parsed.files)) {
    throw new OrchardError('INTEGRITY_ERROR', `Blob ${digest} is not a folder manifest; the step output that names it is corrupted.`, { details: { digest } });
  }
  return parsed;
}

/** Writes a blob to a local file: a copy of the local blob when the store has one, else a stream. */
export async function writeBlob(content: ContentStore, digest: string, dest: string): Promise<void> {
  await mkdir(dirname(dest), { recursive: true });
  let local: string | undefined;
  try {
    local = await content.localPath(digest);
  } catch (error) {
    if (!(error instanceof OrchardError && error.code === 'STORE_UNAVAILABLE')) throw error;
  }
  if (local !== undefined) await copyFile(local, dest);
  else await pump(await content.open(digest), createWriteStream(dest));
}

/**
 * Materialises a stored artifact at `dest` and returns the path a step sees: a file at
 * `dest/<name>` (its original name, so tools that look at extensions work), a folder
 * at `dest`, a list as numbered entries under `dest`.
 */
export async function materialise(content: ContentStore, value: StoredValue, dest: string, name: string): Promise<string | string[]> {
  switch (value.kind) {
    case 'file': {
      const path = join(dest, value.name ?? name);
      await writeBlob(content, value.digest, path);
      return path;
    }
    case 'folder': {
      await mkdir(dest, { recursive: true });
      const manifest = await readManifest(content, value.digest);
      for (const f of manifest.files) await writeBlob(content, f.digest, join(dest, ...f.path.split('/')));
      return dest;
    }
    case 'list': {
      const paths: string[] = [];
      for (let i = 0; i < value.items.length; i++) paths.push((await materialise(content, value.items[i]!, join(dest, String(i)), name)) as string);
      return paths;
    }
    case 'value':
      throw new OrchardError('INTERNAL', `A value cannot be materialised as a file (input '${name}').`);
  }
}

async function walk(root: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(root, { withFileTypes: true })) {
    const path = join(root, entry.name);
    if (entry.isDirectory()) out.push(...(await walk(path)));
    else if (entry.isFile()) out.push(path);
    else if (entry.isSymbolicLink()) {
      const s = await stat(path);
      if (s.isFile()) out.push(path);
      else if (s.isDirectory()) out.push(...(await walk(path)));
    }
  }
  return out;
}
