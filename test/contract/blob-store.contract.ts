import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BlobStore } from '../../src/artifacts/blob-store.js';

async function text(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** The blob store contract: every adapter (fs now, S3 later) runs these. */
export function blobStoreContract(name: string, make: () => Promise<{ store: BlobStore; cleanup: () => Promise<void> }>): void {
  describe(`BlobStore contract: ${name}`, () => {
    let store: BlobStore;
    let cleanup: () => Promise<void>;
    beforeAll(async () => {
      ({ store, cleanup } = await make());
      await store.init();
      await store.init();
    });
    afterAll(async () => {
      await store.destroy();
      await cleanup();
    });

    it('puts bytes and streams, reads them back, stats, moves and deletes', async () => {
      expect(await store.put('a/one.txt', Buffer.from('hello'))).toEqual({ size: 5 });
      expect(await store.put('a/two.txt', Readable.from([Buffer.from('wor'), Buffer.from('ld')]))).toEqual({ size: 5 });
      expect(await text(await store.get('a/one.txt'))).toBe('hello');
      expect(await store.stat('a/two.txt')).toEqual({ size: 5 });
      expect(await store.stat('a/none.txt')).toBeUndefined();
      await store.put('a/one.txt', Buffer.from('replaced'));
      expect(await text(await store.get('a/one.txt'))).toBe('replaced');
      await store.move('a/two.txt', 'b/two.txt');
      expect(await store.stat('a/two.txt')).toBeUndefined();
      expect(await text(await store.get('b/two.txt'))).toBe('world');
      expect(await store.delete('b/two.txt')).toBe(true);
      expect(await store.delete('b/two.txt')).toBe(false);
    });

    it('lists keys by prefix', async () => {
      await store.put('list/x/1', Buffer.from('1'));
      await store.put('list/x/2', Buffer.from('2'));
      await store.put('list/y/3', Buffer.from('3'));
      const keys: string[] = [];
      for await (const k of store.list('list/x/')) keys.push(k);
      expect(keys.sort()).toEqual(['list/x/1', 'list/x/2']);
      const all: string[] = [];
      for await (const k of store.list('list/')) all.push(k);
      expect(all.sort()).toEqual(['list/x/1', 'list/x/2', 'list/y/3']);
    });

    it('fails get of a missing key with NOT_FOUND', async () => {
      await expect(store.get('missing/key')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    });

    it('never exposes a partial object when the source stream fails midway', async () => {
      const failing = new Readable({
        read() {
          this.push(Buffer.alloc(64 * 1024, 1));
          this.destroy(new Error('client went away'));
        },
      });
      await expect(store.put('partial/obj', failing)).rejects.toThrow(/client went away/);
      expect(await store.stat('partial/obj')).toBeUndefined();
      const keys: string[] = [];
      for await (const k of store.list('')) keys.push(k);
      expect(keys.filter((k) => k.startsWith('partial'))).toEqual([]);
    });

    it('rejects keys that could escape the store', async () => {
      for (const key of ['../x', '/abs', 'a//b', 'a/./b', 'a\\b', '']) {
        await expect(store.put(key, Buffer.from('x'))).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      }
    });
  });
}
