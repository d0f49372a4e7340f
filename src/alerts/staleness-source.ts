import type { MetadataStore } from '../metadata/metadata-store.js';
import type { MetricSource, SeriesPoint } from './metric-source.js';
import { labelsMatch } from './metric-source.js';

const DAY_MS = 86_400_000;
export const STALENESS_METRICS = ['model_age_days', 'training_data_age_days'] as const;

/**
 * Staleness of production models, evaluated at `now`: for each registered model whose
 * `champion` alias points at a version, `model_age_days` is the version's age and
 * `training_data_age_days` the age of the newest dataset version in its lineage (none
 * when it has none). Labels: `model`, `version`. A rule such as
 * `model_age_days > 30` gives Netflix-style stale-model alerts.
 */
export class StalenessSource implements MetricSource {
  readonly #store: MetadataStore;
  readonly #alias: string;

  constructor(store: MetadataStore, alias = 'champion') {
    this.#store = store;
    this.#alias = alias;
  }

  serves(metric: string): boolean {
    return (STALENESS_METRICS as readonly string[]).includes(metric);
  }

  async points(q: { metric: string; labels: Readonly<Record<string, string>>; since: number; now: number }): Promise<SeriesPoint[]> {
    if (q.now <= q.since) return [];
    const out: SeriesPoint[] = [];
    const models = await this.#store.registry.searchModels({ filter: [], orderBy: [], offset: 0, limit: 100_000 });
    for (const m of models) {
      const alias = m.aliases.find((a) => a.alias === this.#alias);
      if (!alias) continue;
      const labels = { model: m.name, version: String(alias.version) };
      if (!labelsMatch(q.labels, labels)) continue;
      const v = await this.#store.registry.getVersion(m.name, alias.version);
      if (!v) continue;
      if (q.metric === 'model_age_days') {
        out.push({ labels, value: (q.now - v.createdAt) / DAY_MS, at: q.now });
        continue;
      }
      let newest: number | undefined;
      for (const ref of v.datasets) {
        const at = ref.lastIndexOf('@');
        const d = await this.#store.datasets.get(ref.slice(0, at), Number(ref.slice(at + 1)));
        if (d && (newest === undefined || d.createdAt > newest)) newest = d.createdAt;
      }
      if (newest !== undefined) out.push({ labels, value: (q.now - newest) / DAY_MS, at: q.now });
    }
    return out;
  }
}
