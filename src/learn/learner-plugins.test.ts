import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bundleModule } from '../core/load-module.js';
import './builtins.js';
import { findLearner, learner, learnerNames, learnerOrigin } from './learner.js';
import { loadLearnerPlugin, loadLearnerPlugins } from './learner-plugins.js';
import { loadModel, type ModelArtifact } from './model-artifact.js';

const dir = mkdtempSync(join(tmpdir(), 'orchard-plugins-'));
let counter = 0;
/** Writes a plugin module with a unique learner name, so tests in one process do not collide. */
function plugin(source: (name: string) => string): { file: string; name: string } {
  const name = `unit-${++counter}`;
  const file = join(dir, `${name}.ts`);
  writeFileSync(file, source(name));
  return { file, name };
}

const MEAN = (name: string) => `{
  name: '${name}',
  tasks: ['regression'],
  defaults: { shift: 0 },
  fit: (data: { target: Float64Array }, _task: string, params: Record<string, unknown>) => ({ mean: data.target.reduce((a, b) => a + b, 0) / data.target.length + Number(params.shift) }),
  predict: (s: { mean: number }, features: readonly ArrayLike<number>[]) => new Float64Array(features[0]!.length).fill(s.mean),
  save: (s: { mean: number }) => s,
  load: (saved: unknown) => saved as { mean: number },
}`;

describe('learner plugins', () => {
  it("registers learners a module registers through `import { registerLearner } from 'orchard'`, recording path and bundle digest", async () => {
    const { file, name } = plugin((n) => `import { registerLearner, type Learner } from 'orchard';\nconst l: Learner<{ mean: number }> = ${MEAN(n)};\nregisterLearner(l);\n`);
    const loaded = await loadLearnerPlugin(file);
    expect(loaded.learners).toEqual([name]);
    expect(loaded.path).toBe(file);
    // The digest is the sha256 of the bundled code, as bundleModule computes it independently.
    const code = (await bundleModule(file)).code;
    expect(loaded.digest).toBe(createHash('sha256').update(code).digest('hex'));
    expect(learnerOrigin(name)).toEqual({ path: file, digest: loaded.digest });
    const state = await learner(name).fit({ features: [Float64Array.of(1, 2)], featureNames: ['x'], target: Float64Array.of(2, 4) }, 'regression', { shift: 1 }, {});
    expect([...learner(name).predict(state, [[0, 0, 0]])]).toEqual([4, 4, 4]);
    // Loading the same file again (config and --plugin both name it) is a no-op.
    expect(await loadLearnerPlugin(file)).toBe(loaded);
    expect(learnerOrigin('gbdt')).toBeUndefined();
    expect(readdirSync(dir).filter((f) => f.endsWith('.mjs'))).toEqual([]);
  });

  it('registers a default export (one learner or a list) without importing orchard', async () => {
    const one = plugin((n) => `export default ${MEAN(n)};\n`);
    const list = plugin((n) => `export default [${MEAN(`${n}-a`)}, ${MEAN(`${n}-b`)}];\n`);
    const loaded = await loadLearnerPlugins([one.file, list.file]);
    expect(loaded.map((p) => p.learners)).toEqual([[one.name], [`${list.name}-a`, `${list.name}-b`]]);
    expect(learnerNames()).toEqual(expect.arrayContaining([one.name, `${list.name}-a`, `${list.name}-b`]));
  });

  it('names the file and the cause when the module throws while loading, and registers nothing from it', async () => {
    const { file, name } = plugin((n) => `import { registerLearner } from 'orchard';\nregisterLearner(${MEAN(n)});\nthrow new Error('no GPU found');\n`);
    await expect(loadLearnerPlugin(file)).rejects.toThrow(`Plugin ${file} failed while loading: Error: no GPU found. Fix the module and try again.`);
    expect(findLearner(name)).toBeUndefined();
    expect(learnerOrigin(name)).toBeUndefined();
  });

  it('refuses a module that registers and exports nothing, or exports something else', async () => {
    const empty = plugin(() => `const x = 1;\nvoid x;\n`);
    await expect(loadLearnerPlugin(empty.file)).rejects.toThrow(`Plugin ${empty.file} registered no learner and exports nothing; call registerLearner(learner) from 'orchard'`);
    const other = plugin(() => `export const answer = 42;\n`);
    await expect(loadLearnerPlugin(other.file)).rejects.toThrow(/registered no learner and exports only answer;/);
  });

  it('lists every problem of a learner with a bad shape, naming the file', async () => {
    const registered = plugin((n) => `import { registerLearner } from 'orchard';\nregisterLearner({ name: '${n}', tasks: ['ranking'], defaults: {}, fit: () => 1 } as never);\n`);
    const error = (await loadLearnerPlugin(registered.file).catch((e: unknown) => e)) as Error;
    expect(error.message).toContain(`Plugin ${registered.file} failed while loading: Invalid learner '${registered.name}' (4 problems)`);
    expect(error.message).toMatch(/tasks: must be a non-empty list of binary, multiclass, regression; got \["ranking"\]/);
    expect(error.message).toMatch(/predict: must be a function; got nothing; save: must be a function; got nothing; load: must be a function/);
    const exported = plugin(() => `export default { name: 'x y', tasks: ['binary'], defaults: { depth: [1] }, fit() {}, predict() {}, save() {}, load() {} };\n`);
    await expect(loadLearnerPlugin(exported.file)).rejects.toThrow(new RegExp(`Plugin ${exported.file}: Invalid learner in its default export \\(2 problems\\): name: must be 1–64 letters.*defaults\\.depth: must be a number, string, boolean or null`));
    expect(findLearner('x y')).toBeUndefined();
  });

  it('refuses a plugin learner that takes a built-in name or another plugin’s', async () => {
    const clash = plugin(() => `export default ${MEAN('gbdt')};\n`);
    await expect(loadLearnerPlugin(clash.file)).rejects.toThrow("A learner named 'gbdt' exists already (it is built in or registered by the program); give the plugin's learner another name.");
    expect(learner('gbdt').tasks).toContain('binary');
    const first = plugin((n) => `export default ${MEAN(`${n}-shared`)};\n`);
    await loadLearnerPlugin(first.file);
    const second = plugin(() => `export default ${MEAN(`${first.name}-shared`)};\n`);
    await expect(loadLearnerPlugin(second.file)).rejects.toThrow(`plugin ${first.file} registered it first`);
    expect(learnerOrigin(`${first.name}-shared`)?.path).toBe(first.file);
  });

  it('loads plugins asked for at the same time one after another, each once', async () => {
    const a = plugin((n) => `import { registerLearner } from 'orchard';\nawait new Promise((r) => setTimeout(r, 20));\nregisterLearner(${MEAN(n)});\n`);
    const b = plugin((n) => `import { registerLearner } from 'orchard';\nregisterLearner(${MEAN(n)});\n`);
    const [first, second, again] = await Promise.all([loadLearnerPlugin(a.file), loadLearnerPlugin(b.file), loadLearnerPlugin(a.file)]);
    expect(first!.learners).toEqual([a.name]);
    expect(second!.learners).toEqual([b.name]);
    expect(again).toBe(first);
    expect(learnerOrigin(a.name)?.path).toBe(a.file);
    expect(learnerOrigin(b.name)?.path).toBe(b.file);
  });

  it('a model of a plugin learner that is not loaded fails naming the learner, the plugin and how to load it', () => {
    const artifact = { orchardModel: 1, learner: 'never-loaded-mlp', plugin: { path: '/models/mlp.ts', digest: 'ab'.repeat(32) }, state: {} } as unknown as ModelArtifact;
    expect(() => loadModel(artifact)).toThrow(
      "The model needs learner 'never-loaded-mlp' from plugin /models/mlp.ts (bundle sha256:abababababab…), which is not loaded; load it with --plugin /models/mlp.ts, or list it under \"plugins\" in the Orchard config (<home>/config.json) or in ORCHARD_PLUGINS.",
    );
    expect(() => loadModel({ ...artifact, plugin: undefined })).toThrow(/The model needs learner 'never-loaded-mlp', which is not registered \(known learners: gbdt, logistic, linear/);
  });
});
