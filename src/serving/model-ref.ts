import type { ContentStore } from '../artifacts/content-store.js';
import { invalidArgument } from '../core/errors.js';
import { readModelArtifact, type ModelArtifact } from '../learn/model-artifact.js';
import type { RegistryService } from '../registry/registry-service.js';
import type { ModelVersion } from '../registry/types.js';
import type { TrackingService } from '../tracking/tracking-service.js';

/**
 * A reference to a model, as users write it:
 * `flights@champion` (a registered model's alias), `flights@3` or `flights/3`
 * (a version), or a training run id (32 hex characters).
 */
export type ModelRef =
  | { readonly kind: 'alias'; readonly name: string; readonly alias: string }
  | { readonly kind: 'version'; readonly name: string; readonly version: number }
  | { readonly kind: 'run'; readonly runId: string };

const RUN_ID = /^[0-9a-f]{32}$/;

/** Parses a model reference; the message shows the accepted forms. */
export function parseModelRef(text: string): ModelRef {
  const t = text.trim();
  if (RUN_ID.test(t)) return { kind: 'run', runId: t };
  const sep = t.includes('@') ? t.lastIndexOf('@') : t.lastIndexOf('/');
  const name = sep > 0 ? t.slice(0, sep) : '';
  const tail = sep > 0 ? t.slice(sep + 1) : '';
  if (!name || !tail) throw invalidArgument(`'${text}' is not a model reference; write <model>@<alias> (flights@champion), <model>@<version> (flights@3) or a training run id.`, { model: text });
  if (/^\d+$/.test(tail)) return { kind: 'version', name, version: Number(tail) };
  return { kind: 'alias', name, alias: tail };
}

export function formatModelRef(ref: ModelRef): string {
  return ref.kind === 'run' ? ref.runId : ref.kind === 'alias' ? `${ref.name}@${ref.alias}` : `${ref.name}@${ref.version}`;
}

/** A resolved model: its artifact and where it came from. */
export interface ResolvedModel {
  readonly ref: ModelRef;
  /** The registered version, when the reference named one (directly or through an alias). */
  readonly version: ModelVersion | null;
  readonly digest: string;
  readonly artifact: ModelArtifact;
}

export interface ModelRefDeps {
  readonly registry: RegistryService;
  readonly tracking: TrackingService;
  readonly content: ContentStore;
}

/**
 * Resolves a reference to the model artifact it names now (an alias is read at
 * this moment; call again to follow it). The artifact's bytes are verified
 * against their digest while read (ContentStore), so a corrupted file fails here.
 * @throws OrchardError NOT_FOUND for an unknown model, version, alias or run;
 *   INVALID_ARGUMENT for a version or run without an Orchard model; INTEGRITY_ERROR for corrupted bytes.
 */
export async function resolveModelRef(deps: ModelRefDeps, text: string | ModelRef): Promise<ResolvedModel> {
  const ref = typeof text === 'string' ? parseModelRef(text) : text;
  let version: ModelVersion | null = null;
  let digest: string | undefined;
  if (ref.kind === 'run') {
    const run = await deps.tracking.getRun(ref.runId);
    digest = run.tags.find((t) => t.key === 'orchard.model')?.value;
    if (!digest) throw invalidArgument(`Run ${ref.runId} stored no model (it has no orchard.model tag); pass a finished training run or a registered model.`, { model: ref.runId });
  } else {
    version = ref.kind === 'alias' ? await deps.registry.getByAlias(ref.name, ref.alias) : await deps.registry.getVersion(ref.name, ref.version);
    digest = version.digest ?? undefined;
    if (!digest) throw invalidArgument(`${version.name} version ${version.version} has no Orchard model artifact (source ${version.source}); register a version made by orchard train.`, { model: formatModelRef(ref) });
  }
  const artifact = readModelArtifact((await deps.content.read(digest)).toString('utf8'), digest);
  return { ref, version, digest, artifact };
}

/**
 * The dataset version (`name@N`) a model was trained on: the `data` parameter of the
 * training run behind the reference (read now, so an alias is followed).
 * @throws OrchardError NOT_FOUND for an unknown model, version, alias or run;
 *   INVALID_ARGUMENT when the version has no training run, or the run recorded no training data.
 */
export async function trainingDataOf(deps: Pick<ModelRefDeps, 'registry' | 'tracking'>, text: string): Promise<string> {
  const ref = parseModelRef(text);
  let runId: string;
  if (ref.kind === 'run') runId = ref.runId;
  else {
    const version = ref.kind === 'alias' ? await deps.registry.getByAlias(ref.name, ref.alias) : await deps.registry.getVersion(ref.name, ref.version);
    if (version.runId === null) throw invalidArgument(`${version.name} version ${version.version} was not registered from a run (source ${version.source}), so its training data is unknown; give the reference dataset as name@version.`, { model: text });
    runId = version.runId;
  }
  const data = (await deps.tracking.getRun(runId)).params.find((p) => p.key === 'data')?.value;
  if (data === undefined) throw invalidArgument(`Run ${runId} behind ${text} recorded no training data (no 'data' parameter); give the reference dataset as name@version.`, { model: text });
  return data;
}
