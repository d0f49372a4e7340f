import type { ContentStore } from '../artifacts/content-store.js';
import type { Clock } from '../core/clock.js';
import { OrchardError, invalidArgument, notFound } from '../core/errors.js';
import { readModelArtifact } from '../learn/model-artifact.js';
import type { MetadataStore } from '../metadata/metadata-store.js';
import type { Actor } from '../tracking/tracking-service.js';
import { renderModelCard, type ModelCardInput } from './model-card.js';
import { modelNotFound, versionNotFound } from './registry-errors.js';
import { LIMITS, modelNameOf, versionOf } from './registry-validation.js';
import type { ModelCard, ModelVersion, RegisteredModel } from './types.js';

/** Audit events keep at most this much of a card's text before and after an edit. */
const AUDIT_TEXT = 8000;

/**
 * Model cards: Markdown generated from the registry's metadata (model, version, run params
 * and metrics, dataset versions, approvals, the artifact's signature), or the edited card a
 * user stored for that version. Edits and resets are audited.
 */
export class ModelCardService {
  readonly #store: MetadataStore;
  readonly #content: ContentStore;
  readonly #clock: Clock;

  constructor(store: MetadataStore, content: ContentStore, clock: Clock) {
    this.#store = store;
    this.#content = content;
    this.#clock = clock;
  }

  /**
   * The card of a version: the stored edit, or else the generated one. Without `version`,
   * the version the `champion` alias points to, or else the newest version.
   */
  async card(name: unknown, version?: unknown): Promise<ModelCard> {
    const { model, v } = await this.#target(name, version);
    const stored = await this.#store.registry.getCard(model.name, v.version);
    if (stored) return { name: model.name, version: v.version, markdown: stored.markdown, generated: false, updatedBy: stored.updatedBy, updatedAt: stored.updatedAt };
    return { name: model.name, version: v.version, markdown: await this.generate(model, v), generated: true };
  }

  /** The card generated from the metadata, ignoring any stored edit. */
  async generated(name: unknown, version?: unknown): Promise<ModelCard> {
    const { model, v } = await this.#target(name, version);
    return { name: model.name, version: v.version, markdown: await this.generate(model, v), generated: true };
  }

  /** Stores an edited card for a version, replacing the generated one. */
  async setCard(actor: Actor, name: unknown, markdown: unknown, version?: unknown): Promise<ModelCard> {
    if (typeof markdown !== 'string' || markdown.trim() === '') throw invalidArgument('A model card must be non-empty Markdown text.', { field: 'markdown' });
    if (markdown.length > LIMITS.cardLength) throw invalidArgument(`The model card is ${markdown.length} characters; the limit is ${LIMITS.cardLength}.`, { field: 'markdown' });
    const { model, v } = await this.#target(name, version);
    const now = this.#clock.now();
    await this.#store.transaction(async (tx) => {
      const before = await tx.registry.getCard(model.name, v.version);
      await tx.registry.putCard({ name: model.name, version: v.version, markdown, updatedBy: actor.name, updatedAt: now });
      await tx.events.append({
        at: now,
        actor: actor.name,
        action: 'model_card.edit',
        entityKind: 'model',
        entityId: model.name,
        before: { version: v.version, ...(before ? excerpt(before.markdown) : { generated: true }) },
        after: { version: v.version, ...excerpt(markdown) },
      });
    });
    return { name: model.name, version: v.version, markdown, generated: false, updatedBy: actor.name, updatedAt: now };
  }

  /** Drops the edited card of a version, so the generated one shows again. */
  async resetCard(actor: Actor, name: unknown, version?: unknown): Promise<ModelCard> {
    const { model, v } = await this.#target(name, version);
    await this.#store.transaction(async (tx) => {
      const before = await tx.registry.getCard(model.name, v.version);
      if (!before) throw notFound(`Version ${v.version} of model '${model.name}' has no edited card; its card is already the generated one.`, { name: model.name, version: v.version });
      await tx.registry.deleteCard(model.name, v.version);
      await tx.events.append({ at: this.#clock.now(), actor: actor.name, action: 'model_card.reset', entityKind: 'model', entityId: model.name, before: { version: v.version, ...excerpt(before.markdown) }, after: { version: v.version, generated: true } });
    });
    return { name: model.name, version: v.version, markdown: await this.generate(model, v), generated: true };
  }

  /** Gathers the metadata of a version and renders its card. */
  async generate(model: RegisteredModel, v: ModelVersion): Promise<string> {
    const run = v.runId ? await this.#store.runs.get(v.runId) : undefined;
    let artifact: ModelCardInput['artifact'];
    if (v.digest) {
      try {
        artifact = readModelArtifact((await this.#content.read(v.digest)).toString('utf8'), v.digest);
      } catch (error) {
        // A card still renders when the artifact is gone or not Orchard's; it says so.
        if (!(error instanceof OrchardError)) throw error;
      }
    }
    const datasets = await Promise.all(
      v.datasets.map(async (ref) => {
        const at = ref.lastIndexOf('@');
        const found = at > 0 ? await this.#store.datasets.get(ref.slice(0, at), Number(ref.slice(at + 1))) : undefined;
        return found ? { ref, rows: found.rows, digest: found.digest, source: found.source } : { ref };
      }),
    );
    return renderModelCard({ model, version: v, run, artifact, datasets, approvals: await this.#store.registry.approvals(model.name, v.version) });
  }

  async #target(name: unknown, version: unknown): Promise<{ model: RegisteredModel; v: ModelVersion }> {
    const n = modelNameOf(name);
    const model = await this.#store.registry.getModel(n);
    if (!model) throw modelNotFound(n);
    let number: number;
    if (version !== undefined && version !== null && version !== '') number = versionOf(version);
    else {
      const champion = model.aliases.find((a) => a.alias === 'champion');
      const latest = (await this.#store.registry.latestVersions([n])).map((x) => x.version);
      if (!champion && latest.length === 0) throw notFound(`Model '${n}' has no versions, so it has no card yet; register one with \`orchard models register ${n} <run-id>\`.`, { name: n });
      number = champion?.version ?? Math.max(...latest);
    }
    const v = await this.#store.registry.getVersion(n, number);
    if (!v) throw versionNotFound(model, number);
    return { model, v };
  }
}

function excerpt(markdown: string): { markdown: string; chars: number; truncated?: true } {
  return markdown.length <= AUDIT_TEXT ? { markdown, chars: markdown.length } : { markdown: markdown.slice(0, AUDIT_TEXT), chars: markdown.length, truncated: true };
}
