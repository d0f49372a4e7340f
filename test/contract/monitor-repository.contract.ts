import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMetadataStore } from '../../src/metadata/create-metadata-store.js';
import type { MetadataStore } from '../../src/metadata/metadata-store.js';
import type { MonitorResultRecord } from '../../src/metadata/monitor-repository.js';
import type { ContractTarget } from './metadata-store.contract.js';

function record(endpoint: string, computedAt: number, overrides: Partial<MonitorResultRecord> = {}): Omit<MonitorResultRecord, 'id'> {
  return { endpoint, computedAt, windowFrom: computedAt - 3_600_000, windowTo: computedAt, windowRows: 500, reference: 'flights@1', datasetDrifted: false, driftedShare: 0.2, resultJson: '{"features":[]}', ...overrides };
}

/** The monitor results repository contract: every metadata store adapter runs it. */
export function monitorRepositoryContract(name: string, target: ContractTarget): void {
  describe(`MonitorResultRepository contract: ${name}`, () => {
    let store: MetadataStore;

    beforeAll(async () => {
      store = await createMetadataStore(await target.uri());
      await store.init();
    });
    afterAll(async () => {
      await store?.destroy();
      await target.cleanup();
    });

    it('appends results and reads them back field for field', async () => {
      const added = await store.monitors.add(record('flights', 2_000_000, { datasetDrifted: true, driftedShare: 0.6, windowFrom: null, windowTo: null, reference: 'log:1..2' }));
      expect(added.id).toBeGreaterThan(0);
      const latest = await store.monitors.latest('flights');
      expect(latest).toEqual(added);
    });

    it('lists an endpoint newest first, breaking ties by insertion, with limit and since', async () => {
      const a = await store.monitors.add(record('delays', 1000));
      const b = await store.monitors.add(record('delays', 3000));
      const c = await store.monitors.add(record('delays', 3000, { windowRows: 0 }));
      await store.monitors.add(record('other', 9000));
      expect((await store.monitors.list('delays', { limit: 10 })).map((r) => r.id)).toEqual([c.id, b.id, a.id]);
      expect((await store.monitors.list('delays', { limit: 2 })).map((r) => r.id)).toEqual([c.id, b.id]);
      expect((await store.monitors.list('delays', { limit: 10, since: 2000 })).map((r) => r.id)).toEqual([c.id, b.id]);
      expect((await store.monitors.latest('delays'))?.windowRows).toBe(0);
      expect(await store.monitors.latest('nobody')).toBeUndefined();
    });

    it('writes nothing when the surrounding transaction fails', async () => {
      await expect(
        store.transaction(async (tx) => {
          await tx.monitors.add(record('rolled-back', 5000));
          throw new Error('abort');
        }),
      ).rejects.toThrow('abort');
      expect(await store.monitors.list('rolled-back', { limit: 10 })).toEqual([]);
    });
  });
}
