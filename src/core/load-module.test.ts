import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bundleModule, loadModule } from './load-module.js';

describe('loadModule', () => {
  it('bundles a TypeScript module with its relative imports and imports it, leaving no file behind', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'orchard-load-'));
    writeFileSync(join(dir, 'helper.ts'), 'export const twice = (x: number): number => x * 2;\n');
    writeFileSync(join(dir, 'main.ts'), "import { twice } from './helper.js';\nimport { sep } from 'node:path';\nexport const answer: number = twice(21);\nexport const separator = sep;\n");
    const { exports, bundle } = await loadModule(join(dir, 'main.ts'));
    expect(exports.answer).toBe(42);
    expect(exports.separator).toBe('/');
    expect(bundle.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(readdirSync(dir).sort()).toEqual(['helper.ts', 'main.ts']);
  });

  it('gives the same digest for the same code and a different one when it changes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'orchard-load-'));
    writeFileSync(join(dir, 'a.ts'), 'export const x = 1;\n');
    const first = await bundleModule(join(dir, 'a.ts'));
    expect((await bundleModule(join(dir, 'a.ts'))).digest).toBe(first.digest);
    writeFileSync(join(dir, 'a.ts'), 'export const x = 2;\n');
    expect((await bundleModule(join(dir, 'a.ts'))).digest).not.toBe(first.digest);
  });

  it('names the file, the place and the problem when the module does not compile', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'orchard-load-'));
    writeFileSync(join(dir, 'bad.ts'), 'export const x = ;\n');
    await expect(bundleModule(join(dir, 'bad.ts'))).rejects.toThrow(/Cannot load .*bad\.ts: .* at .*bad\.ts:1:/);
    await expect(bundleModule(join(dir, 'missing.ts'))).rejects.toThrow(/No file .*missing\.ts/);
    writeFileSync(join(dir, 'data.csv'), 'a\n1\n');
    await expect(bundleModule(join(dir, 'data.csv'))).rejects.toThrow(/not a module Orchard can load/);
  });
});
