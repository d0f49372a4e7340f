import { existsSync, statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import type { ContentStore } from '../artifacts/content-store.js';
import { throwIfIssues, type Issue } from '../core/errors.js';
import { storeFile, storeFolder } from './artifact-files.js';
import type { ResolvedParams } from './params.js';
import type { Pipeline } from './pipeline.js';
import type { StoredValue } from './types.js';

/**
 * Stores the local files and folders a pipeline gives to inputs (`p.file(path)`) by
 * content, keyed `<step>.<input>`; relative paths start at `baseDir`.
 * @throws OrchardError `INVALID_ARGUMENT` listing every path that does not exist.
 */
export async function storeLocalInputs(content: ContentStore, pipeline: Pipeline, params: ResolvedParams, baseDir: string): Promise<Record<string, StoredValue>> {
  const locals: Record<string, StoredValue> = {};
  const issues: Issue[] = [];
  for (const node of pipeline.nodes) {
    for (const [input, b] of Object.entries(node.inputs)) {
      if (b.kind !== 'local') continue;
      const given = typeof b.path === 'string' ? b.path : String(params.pipeline[b.path.param]);
      const path = resolve(baseDir, given);
      const s = existsSync(path) ? statSync(path) : undefined;
      if (!s || (b.type === 'file' ? !s.isFile() : !s.isDirectory())) {
        issues.push({ code: 'missing_file', path: ['nodes', node.name, 'inputs', input], message: `step '${node.name}' input '${input}' names the ${b.type} ${path}, which does not exist${s ? ` as a ${b.type}` : ''}; fix the path (relative paths start at ${baseDir})` });
        continue;
      }
      if (b.type === 'file') {
        const blob = await storeFile(content, path);
        locals[`${node.name}.${input}`] = { kind: 'file', digest: blob.digest, size: blob.size, name: basename(path) };
      } else {
        const folder = await storeFolder(content, path);
        locals[`${node.name}.${input}`] = { kind: 'folder', digest: folder.digest, size: folder.size };
      }
    }
  }
  throwIfIssues(`inputs of pipeline '${pipeline.name}'`, issues);
  return locals;
}
