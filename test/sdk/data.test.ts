import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/core/logger.js';
import { Orchard } from '../../src/sdk/orchard-client.js';
import { startServer, type RunningServer } from '../../src/server/start-server.js';
import { tempPlatform } from '../support/temp.js';

/** The data operations of the SDK, embedded and over HTTP, on the same small file. */
describe.each(['embedded', 'remote'] as const)('SDK data %s', (mode) => {
  let setup: Awaited<ReturnType<typeof tempPlatform>>;
  let server: RunningServer | undefined;
  let orchard: Orchard;
  let file: string;

  beforeAll(async () => {
    setup = await tempPlatform();
    file = join(setup.home, 'sales.csv');
    const rows = ['day,region,units,price'];
    for (let i = 0; i < 300; i++) rows.push(`2024-0${1 + (i % 3)}-${String(1 + (i % 28)).padStart(2, '0')},${['north', 'south', 'east'][i % 3]},${i % 17},${(i % 50) + 0.5}`);
    writeFileSync(file, rows.join('\n'));
    if (mode === 'remote') {
      server = await startServer(setup.platform, { host: '127.0.0.1', port: 0, logger: silentLogger });
      orchard = Orchard.remote(server.url);
    } else orchard = Orchard.embedded(setup.platform);
  });
  afterAll(async () => {
    await orchard.close();
    await server?.close();
    await setup.cleanup();
  });

  it('ingests, profiles, infers a schema, validates and splits', async () => {
    const ingested = await orchard.data.ingest('sales', file);
    expect(ingested).toMatchObject({ created: true, version: { name: 'sales', version: 1, rows: 300 } });
    expect((await orchard.data.ingest('sales', file)).created).toBe(false);
    expect((await orchard.data.list()).map((d) => `${d.name}@${d.latest.version}`)).toEqual(['sales@1']);
    expect((await orchard.data.get('sales@latest')).columns.map((c) => [c.name, c.kind])).toEqual([
      ['day', 'datetime'],
      ['region', 'categorical'],
      ['units', 'integer'],
      ['price', 'numeric'],
    ]);
    const profile = await orchard.data.profile('sales');
    expect(profile.columns.find((c) => c.name === 'units')?.numeric?.max).toBe(16);
    const schema = await orchard.data.schema('sales@1');
    expect(schema.columns.find((c) => c.name === 'region')?.domain).toEqual(['east', 'north', 'south']);
    const parts = await orchard.data.split('sales', { kind: 'period', by: 'day', every: 'month' });
    expect(Object.keys(parts.parts)).toEqual(['2024-01', '2024-02', '2024-03']);
    const report = await orchard.data.validate('sales-2024-02', { against: 'sales-2024-01' });
    expect(report.dataset).toBe('sales-2024-02@1');
    expect(Array.isArray(report.anomalies)).toBe(true);
    await expect(orchard.data.get('sales@9')).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('its versions are 1') });
    await expect(orchard.data.split('sales', { kind: 'random', fractions: { a: 1 }, seed: 1 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
