import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ContentStore, keyOf } from '../../src/artifacts/content-store.js';
import { FsBlobStore } from '../../src/artifacts/fs-blob-store.js';
import { tempDir } from '../support/temp.js';

describe('ContentStore over the file system', () => {
  let dir: ReturnType<typeof tempDir>;
  let content: ContentStore;
  beforeEach(async () => {
    dir = tempDir();
    const blobs = new FsBlobStore(join(dir.path, 'blobs'));
    await blobs.init();
    content = new ContentStore(blobs);
  });
  afterEach(() => dir.cleanup());

  it('addresses blobs by their SHA-256 (published digest of "hello world")', async () => {
    const blob = await content.put(Buffer.from('hello world'));
    // sha256("hello world"), as printed by `printf 'hello world' | sha256sum`.
    expect(blob).toEqual({ digest: 'sha256:b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9', size: 11 });
    expect((await content.read(blob.digest)).toString()).toBe('hello world');
  });

  it('stores identical content once', async () => {
    const a = await content.put(Buffer.from('same bytes'));
    const b = await content.put(Readable.from([Buffer.from('same '), Buffer.from('bytes')]));
    expect(b.digest).toBe(a.digest);
    const files = readdirSync(join(dir.path, 'blobs', 'sha256', a.digest.slice(7, 9)));
    expect(files).toEqual([a.digest.slice(7)]);
    expect(readdirSync(join(dir.path, 'blobs', 'staging'))).toEqual([]);
  });

  it('streams a large blob through without changing a byte', async () => {
    const data = randomBytes(12 * 1024 * 1024);
    const chunks = Array.from({ length: 12 }, (_, i) => data.subarray(i * 1024 * 1024, (i + 1) * 1024 * 1024));
    const blob = await content.put(Readable.from(chunks));
    expect(blob.digest).toBe(`sha256:${createHash('sha256').update(data).digest('hex')}`);
    expect(blob.size).toBe(data.length);
    expect((await content.read(blob.digest)).equals(data)).toBe(true);
  });

  it('fails a read with INTEGRITY_ERROR when the stored bytes were changed', async () => {
    const blob = await content.put(Buffer.from('precious model weights'));
    writeFileSync(join(dir.path, 'blobs', ...keyOf(blob.digest).split('/')), 'tampered');
    await expect(content.read(blob.digest)).rejects.toMatchObject({ code: 'INTEGRITY_ERROR', message: expect.stringContaining('is corrupted') });
    expect(await content.verify(blob.digest)).toBe(false);
  });

  it('rejects a malformed digest and reports a missing blob', async () => {
    await expect(content.open('md5:abc')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(content.open(`sha256:${'0'.repeat(64)}`)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('leaves no blob when the writing process is killed mid-upload', async () => {
    const root = join(dir.path, 'blobs');
    const script = `
      import { Readable } from 'node:stream';
      import { FsBlobStore } from ${JSON.stringify(new URL('../../src/artifacts/fs-blob-store.ts', import.meta.url).pathname)};
      import { ContentStore } from ${JSON.stringify(new URL('../../src/artifacts/content-store.ts', import.meta.url).pathname)};
      const blobs = new FsBlobStore(${JSON.stringify(root)});
      await blobs.init();
      let sent = 0;
      const slow = new Readable({ read() { sent++; if (sent === 4) process.stdout.write('mid-upload\\n'); setTimeout(() => this.push(Buffer.alloc(65536, 7)), 20); } });
      await new ContentStore(blobs).put(slow);
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (d: Buffer) => {
        if (d.toString().includes('mid-upload')) child.kill('SIGKILL');
      });
      child.on('close', () => resolve());
    });
    expect(child.signalCode).toBe('SIGKILL');
    const sha = join(root, 'sha256');
    const committed = (() => {
      try {
        return readdirSync(sha, { recursive: true });
      } catch {
        return [];
      }
    })();
    expect(committed).toEqual([]);
  });
});
