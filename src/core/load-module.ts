import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { threadId } from 'node:worker_threads';
import { OrchardError } from './errors.js';

/**
 * Loading a user's module (a pipeline, a learner plugin) written in TypeScript or
 * JavaScript, without a TypeScript toolchain at run time: esbuild bundles it to
 * one ES module. Imports of `orchard` point at the running installation, so a
 * plugin registers into the same registries the platform reads.
 */
export interface BundleOptions {
  /**
   * `external` (default): npm packages stay imports, resolved from the source's folder.
   * `bundle`: they are inlined, so the bundle runs without the source tree (pushed pipelines).
   */
  readonly packages?: 'external' | 'bundle';
}

export interface BundledModule {
  /** The bundled ES module's text. */
  readonly code: string;
  /** sha256 of the code, hex: the bundle's identity. */
  readonly digest: string;
}

const SOURCE_EXTENSIONS = ['.ts', '.mts', '.js', '.mjs'];

/**
 * What a bundle imports for `orchard`. It is bound to the running installation only
 * when the bundle is imported, so a bundle's code (and digest) does not depend on
 * where Orchard was installed when it was made: a pushed pipeline runs on any install.
 */
const ORCHARD_SPECIFIER = 'orchard-sdk:entry';

/** The running installation's SDK entry, which user code's `import 'orchard'` resolves to. */
function orchardEntry(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const js = resolve(here, '../sdk/index.js');
  return existsSync(js) ? js : resolve(here, '../sdk/index.ts');
}

/** Bundles `file` (and everything it imports from the source tree) into one ES module. */
export async function bundleModule(file: string, options: BundleOptions = {}): Promise<BundledModule> {
  const path = resolve(file);
  if (!existsSync(path)) throw new OrchardError('NOT_FOUND', `No file ${file}; give the path of a .ts or .js module.`, { details: { file } });
  if (!SOURCE_EXTENSIONS.some((e) => path.endsWith(e))) throw new OrchardError('INVALID_ARGUMENT', `${file} is not a module Orchard can load; use a ${SOURCE_EXTENSIONS.join(', ')} file.`, { details: { file } });
  const { build } = await import('esbuild');
  try {
    const result = await build({
      entryPoints: [path],
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      sourcemap: 'inline',
      logLevel: 'silent',
      packages: options.packages === 'bundle' ? undefined : 'external',
      plugins: [
        {
          name: 'orchard-self',
          setup(b) {
            b.onResolve({ filter: /^orchard$/ }, () => ({ path: ORCHARD_SPECIFIER, external: true }));
          },
        },
      ],
    });
    const code = result.outputFiles[0]!.text;
    return { code, digest: createHash('sha256').update(code).digest('hex') };
  } catch (cause) {
    const errors = (cause as { errors?: { text: string; location?: { file: string; line: number; column: number } | null }[] }).errors;
    const first = errors?.[0];
    const where = first?.location ? ` at ${first.location.file}:${first.location.line}:${first.location.column}` : '';
    throw new OrchardError('INVALID_ARGUMENT', `Cannot load ${file}: ${first?.text ?? (cause as Error).message}${where}; fix the module and try again.`, { cause, details: { file } });
  }
}

/**
 * Imports a bundled module. The bundle is written beside `near` (so its package
 * imports resolve from there, as they would for the source), imported, and removed.
 */
export async function importBundle(bundle: BundledModule, near: string): Promise<Record<string, unknown>> {
  // Process and thread in the name: worker threads of one process (tuning trials) import the same plugin at once.
  const file = join(dirname(resolve(near)), `.${basename(near)}.orchard-${bundle.digest.slice(0, 16)}-${process.pid}-${threadId}.mjs`);
  await writeFile(file, bindOrchard(bundle.code));
  try {
    return (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } finally {
    await unlink(file).catch(() => {});
  }
}

/** Points the bundle's `orchard` imports at this installation's SDK entry. */
function bindOrchard(code: string): string {
  const entry = JSON.stringify(pathToFileURL(orchardEntry()).href);
  return code.replaceAll(`"${ORCHARD_SPECIFIER}"`, entry).replaceAll(`'${ORCHARD_SPECIFIER}'`, entry);
}

/** Bundles and imports a user's module in one step. */
export async function loadModule(file: string): Promise<{ exports: Record<string, unknown>; bundle: BundledModule }> {
  const bundle = await bundleModule(file);
  return { exports: await importBundle(bundle, file), bundle };
}
