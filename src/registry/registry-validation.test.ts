import { describe, expect, it } from 'vitest';
import { aliasIssues, modelNameIssues, tagsOf, versionOf } from './registry-validation.js';

describe('registry names', () => {
  it("accepts aliases by MLflow's rules and refuses reserved ones", () => {
    // mlflow/utils/validation.py: ^[\w\-]*$, at most 255, not 'latest', not v<digits>.
    for (const ok of ['champion', 'challenger', 'prod-eu_2', 'v2x', 'é']) expect(aliasIssues(ok), ok).toEqual([]);
    expect(aliasIssues('latest')[0]?.code).toBe('reserved_alias');
    expect(aliasIssues('LATEST')[0]?.code).toBe('reserved_alias');
    expect(aliasIssues('v3')[0]?.code).toBe('reserved_alias');
    expect(aliasIssues('V12')[0]?.code).toBe('reserved_alias');
    expect(aliasIssues('has space')[0]?.message).toMatch(/only contain letters, digits, underscores/);
    expect(aliasIssues('a'.repeat(256))[0]?.code).toBe('too_long');
    expect(aliasIssues('')[0]?.code).toBe('invalid_alias');
  });

  it('keeps / and @ out of model names', () => {
    expect(modelNameIssues('flights delay v2')).toEqual([]);
    expect(modelNameIssues('a/b')[0]?.message).toMatch(/may not contain \/, @/);
    expect(modelNameIssues('a@b')[0]?.code).toBe('invalid_name');
    expect(modelNameIssues(' padded')[0]?.message).toMatch(/starts or ends with spaces/);
    expect(modelNameIssues(3)[0]?.code).toBe('invalid_name');
  });

  it('reads versions sent as numbers or strings', () => {
    expect(versionOf('3')).toBe(3);
    expect(versionOf(7)).toBe(7);
    expect(() => versionOf('0')).toThrow(/version must be a version number such as 3, got '0'/);
    expect(() => versionOf('latest')).toThrow(/got 'latest'/);
  });

  it('reports every bad tag at once', () => {
    expect(tagsOf({ team: 'a', n: 3 }, 'model tags')).toEqual([
      { key: 'team', value: 'a' },
      { key: 'n', value: '3' },
    ]);
    expect(() => tagsOf([{ key: '', value: 'x' }, { key: 'ok', value: {} }], 'model tags')).toThrow(/Invalid model tags \(2 problems\): tags\[0\]\.key: .*; tags\[1\]\.value: must be a string/);
  });
});
