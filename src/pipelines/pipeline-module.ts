import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ContentStore } from '../artifacts/content-store.js';
import { OrchardError } from '../core/errors.js';
import { importBundle } from '../core/load-module.js';
import { isPipeline, type Pipeline } from './pipeline.js';

/**
 * Pipeline code as runs use it: a bundle stored in the artifact store by digest,
 * imported next to its source file when that still exists (so package imports
 * resolve as they did), else from a scratch folder (pushed, self-contained bundles).
 */
export async function importStoredBundle(content: ContentStore, digest: string, near: string | null, scratchDir: string): Promise<Record<string, unknown>> {
  const code = (await content.read(digest)).toString('utf8');
  let where = near !== null && existsSync(near) ? near : undefined;
  if (where === undefined) {
    await mkdir(scratchDir, { recursive: true });
    where = join(scratchDir, 'pipeline.mjs');
  }
  return importBundle({ code, digest: digest.replace(/^sha256:/, '') }, where);
}

/**
 * The pipeline a module exports: the one named `name`, else the default export, else
 * the only one.
 * @throws OrchardError `INVALID_ARGUMENT` naming the pipelines found and the fix.
 */
export function findPipeline(exports: Record<string, unknown>, source: string, name?: string): Pipeline {
  const found = Object.entries(exports).filter(([, v]) => isPipeline(v)) as [string, Pipeline][];
  if (name !== undefined) {
    const match = found.find(([, p]) => p.name === name);
    if (!match) throw new OrchardError('INVALID_ARGUMENT', `${source} exports no pipeline named '${name}'; it exports ${found.map(([, p]) => `'${p.name}'`).join(', ') || 'none'}.`, { details: { source, name } });
    return match[1];
  }
  if (found.length === 0) throw new OrchardError('INVALID_ARGUMENT', `${source} exports no pipeline; add \`export default pipeline('name', { params }, (p) => { … })\`.`, { details: { source } });
  const byDefault = found.find(([k]) => k === 'default');
  if (byDefault) return byDefault[1];
  if (found.length > 1) throw new OrchardError('INVALID_ARGUMENT', `${source} exports ${found.length} pipelines (${found.map(([, p]) => `'${p.name}'`).join(', ')}); export one as default, or choose one with --pipeline <name>.`, { details: { source } });
  return found[0]![1];
}
