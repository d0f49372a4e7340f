import { resolve } from 'node:path';
import { OrchardError, isOrchardError, throwIfIssues } from '../core/errors.js';
import { bundleModule, importBundle } from '../core/load-module.js';
// Built-ins first, so a plugin that imports 'orchard' (and with it the built-ins) does not claim them.
import './builtins.js';
import { learnerShapeIssues, registerLearner, registeringFrom, type Learner } from './learner.js';

/**
 * Learner plugins: a user's module (TypeScript or JavaScript) that registers learners,
 * either by calling `registerLearner` from `orchard` while it is imported, or by
 * `export default` of a learner or a list of learners. Loaded from `--plugin <file>`,
 * the `plugins` list of the Orchard config, or `ORCHARD_PLUGINS`.
 */
export interface LoadedPlugin {
  /** Absolute path of the module. */
  readonly path: string;
  /** sha256 (hex) of the bundled module: which code the plugin's learners are. */
  readonly digest: string;
  /** Names of the learners it registered. */
  readonly learners: readonly string[];
}

// Per process, by absolute path, so a plugin named both in the config and on the command line loads once.
const LOADED = Symbol.for('orchard.learnerPlugins');
const slots = globalThis as Record<symbol, unknown>;
const loaded: Map<string, LoadedPlugin> = (slots[LOADED] as Map<string, LoadedPlugin> | undefined) ?? new Map();
slots[LOADED] = loaded;

/**
 * Loads one plugin module and registers its learners; loading the same path again returns the first result.
 * @throws OrchardError `NOT_FOUND` when the file does not exist; `INVALID_ARGUMENT` naming the file when it
 *   does not compile, throws while loading, registers and exports no learner, or offers a learner of a bad
 *   shape. A plugin that fails registers nothing.
 */
export async function loadLearnerPlugin(file: string): Promise<LoadedPlugin> {
  // One plugin at a time: registrations are attributed to the plugin being imported.
  const result = queue.then(() => load(resolve(file)));
  queue = result.catch(() => {});
  return result;
}

let queue: Promise<unknown> = Promise.resolve();

async function load(path: string): Promise<LoadedPlugin> {
  const known = loaded.get(path);
  if (known) return known;
  const bundle = await bundleModule(path);
  let exports: Record<string, unknown> = {};
  const registered = await registeringFrom({ path, digest: bundle.digest }, async () => {
    try {
      exports = await importBundle(bundle, path);
    } catch (cause) {
      const what = isOrchardError(cause) ? cause.message : `${(cause as Error)?.name ?? 'Error'}: ${(cause as Error)?.message ?? String(cause)}`;
      throw new OrchardError('INVALID_ARGUMENT', `Plugin ${path} failed while loading: ${what}. Fix the module and try again.`, { cause, details: { plugin: path } });
    }
    const offered = exports.default;
    if (offered === undefined) return;
    const list = Array.isArray(offered) ? offered : [offered];
    list.forEach((candidate, i) => {
      try {
        throwIfIssues(`learner${Array.isArray(offered) ? ` [${i}]` : ''} in its default export`, learnerShapeIssues(candidate));
        registerLearner(candidate as Learner);
      } catch (cause) {
        throw new OrchardError('INVALID_ARGUMENT', `Plugin ${path}: ${(cause as Error).message}`, { cause, details: { plugin: path } });
      }
    });
  });
  if (registered.length === 0) {
    const names = Object.keys(exports);
    const has = names.length === 0 ? 'exports nothing' : `exports only ${names.join(', ')}`;
    throw new OrchardError('INVALID_ARGUMENT', `Plugin ${path} registered no learner and ${has}; call registerLearner(learner) from 'orchard' in the module, or \`export default\` a learner (or a list of them).`, { details: { plugin: path } });
  }
  const plugin: LoadedPlugin = Object.freeze({ path, digest: bundle.digest, learners: Object.freeze(registered) });
  loaded.set(path, plugin);
  return plugin;
}

/** Loads plugins one after another (their learners may depend on load order), stopping at the first failure. */
export async function loadLearnerPlugins(files: readonly string[]): Promise<LoadedPlugin[]> {
  const out: LoadedPlugin[] = [];
  for (const file of files) out.push(await loadLearnerPlugin(file));
  return out;
}
