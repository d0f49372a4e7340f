import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseModelRef, resolveModelRef } from '../../src/serving/model-ref.js';
import { tempPlatform } from '../support/temp.js';

const actor = { name: 'tester' };

describe('model references', () => {
  it('parses aliases, versions and run ids, and explains the forms otherwise', () => {
    expect(parseModelRef('flights@champion')).toEqual({ kind: 'alias', name: 'flights', alias: 'champion' });
    expect(parseModelRef('flights@3')).toEqual({ kind: 'version', name: 'flights', version: 3 });
    expect(parseModelRef('flights/3')).toEqual({ kind: 'version', name: 'flights', version: 3 });
    expect(parseModelRef('0123456789abcdef0123456789abcdef')).toEqual({ kind: 'run', runId: '0123456789abcdef0123456789abcdef' });
    expect(() => parseModelRef('flights')).toThrow(/not a model reference; write <model>@<alias>/);
  });

  describe('resolving', () => {
    let s: Awaited<ReturnType<typeof tempPlatform>>;
    let runId = '';
    beforeAll(async () => {
      s = await tempPlatform();
      writeFileSync(join(s.home, 'xy.csv'), ['x,y', ...Array.from({ length: 300 }, (_, i) => `${i % 17},${(i % 17) * 2 + (i % 3)}`)].join('\n'));
      await s.platform.datasets.ingest(actor, { name: 'xy', source: 'xy.csv', cwd: s.home });
      runId = (await s.platform.training.train(actor, { data: 'xy', target: 'y', learner: 'linear' })).runId;
      await s.platform.registry.register(actor, { name: 'xy-model', runId });
      await s.platform.registry.setAlias(actor, 'xy-model', 'champion', 1);
    });
    afterAll(async () => s.cleanup());

    it('finds the same artifact by alias, version and run, and names what is missing', async () => {
      const byAlias = await resolveModelRef(s.platform, 'xy-model@champion');
      const byVersion = await resolveModelRef(s.platform, 'xy-model@1');
      const byRun = await resolveModelRef(s.platform, runId);
      expect(byAlias.digest).toBe(byRun.digest);
      expect(byVersion.digest).toBe(byRun.digest);
      expect(byAlias.version?.version).toBe(1);
      expect(byRun.version).toBeNull();
      expect(byAlias.artifact.learner).toBe('linear');
      await expect(resolveModelRef(s.platform, 'xy-model@nope')).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(resolveModelRef(s.platform, 'other@1')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    });
  });
});
