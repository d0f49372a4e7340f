import { describe, expect, it } from 'vitest';
import { MicroBatcher } from './micro-batcher.js';

/** A runner that records batch sizes and answers each row with its own number times two. */
function doubling() {
  const sizes: number[] = [];
  const run = async (rows: number[]) => {
    sizes.push(rows.length);
    await new Promise((r) => setImmediate(r));
    return Float64Array.from(rows, (x) => x * 2);
  };
  return { sizes, run };
}

describe('MicroBatcher', () => {
  it('never exceeds the max batch size, however large a request is, and keeps each request in order', async () => {
    const { sizes, run } = doubling();
    const b = new MicroBatcher<number>({ maxBatchSize: 64, maxWaitMs: 0, maxQueueRows: 1_000_000 }, run, () => 1);
    const big = Array.from({ length: 10_000 }, (_, i) => i);
    const small = [[-1], [-2, -3], Array.from({ length: 100 }, (_, i) => 20_000 + i)];
    const [outBig, ...outSmall] = await Promise.all([b.submit(big), ...small.map((rows) => b.submit(rows))]);
    expect(Math.max(...sizes)).toBe(64);
    expect(sizes.reduce((a, c) => a + c, 0)).toBe(10_000 + 103);
    expect(Array.from(outBig!)).toEqual(big.map((x) => x * 2));
    outSmall.forEach((out, i) => expect(Array.from(out)).toEqual(small[i]!.map((x) => x * 2)));
  });

  it('gathers concurrent requests into one batch', async () => {
    const { sizes, run } = doubling();
    const b = new MicroBatcher<number>({ maxBatchSize: 100, maxWaitMs: 0, maxQueueRows: 1000 }, run, () => 1);
    await Promise.all(Array.from({ length: 30 }, (_, i) => b.submit([i])));
    expect(sizes).toEqual([30]);
  });

  it('refuses with OVERLOADED and a retry hint when the queue is full, and serves what it admitted', async () => {
    const { run } = doubling();
    const b = new MicroBatcher<number>({ maxBatchSize: 2, maxWaitMs: 0, maxQueueRows: 10 }, run, () => 1);
    const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => b.submit([i, i])));
    const refused = results.filter((r) => r.status === 'rejected');
    expect(refused.length).toBe(15);
    expect((refused[0] as PromiseRejectedResult).reason).toMatchObject({ code: 'OVERLOADED', details: { maxQueueRows: 10, retryAfterSeconds: 1 } });
    expect(results.filter((r) => r.status === 'fulfilled').length).toBe(5);
    expect(b.queuedRows).toBe(0);
  });

  it('rejects a request that outlives its timeout and drops its queued rows', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const b = new MicroBatcher<number>({ maxBatchSize: 1, maxWaitMs: 0, maxQueueRows: 100 }, async (rows) => {
      await gate;
      return Float64Array.from(rows);
    }, () => 1);
    const first = b.submit([1]);
    const late = b.submit([2, 3, 4], 5);
    await expect(late).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED' });
    expect(b.queuedRows).toBe(0);
    release();
    expect(Array.from(await first)).toEqual([1]);
    await b.idle();
  });

  it('fails every request of a batch whose model throws, and keeps serving', async () => {
    let fail = true;
    const b = new MicroBatcher<number>({ maxBatchSize: 10, maxWaitMs: 0, maxQueueRows: 100 }, async (rows) => {
      if (fail) throw new Error('boom');
      return Float64Array.from(rows);
    }, () => 1);
    await expect(Promise.all([b.submit([1]), b.submit([2])])).rejects.toThrow('boom');
    fail = false;
    expect(Array.from(await b.submit([3]))).toEqual([3]);
  });
});
