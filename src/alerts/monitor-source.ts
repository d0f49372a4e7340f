import type { MetadataStore } from '../metadata/metadata-store.js';
import type { MonitorResult } from '../monitoring/monitor-types.js';
import type { MetricSource, SeriesPoint } from './metric-source.js';
import { labelsMatch } from './metric-source.js';

/** Per-window values of a monitor result, by metric name (null: not computed for that window). */
const WINDOW_METRICS: Readonly<Record<string, (r: MonitorResult) => number | null>> = {
  'drift.share': (r) => (r.dataset.evaluatedFeatures > 0 ? r.dataset.driftedShare : null),
  'drift.dataset': (r) => (r.dataset.evaluatedFeatures > 0 ? Number(r.dataset.drifted) : null),
  'drift.features': (r) => (r.dataset.evaluatedFeatures > 0 ? r.dataset.driftedFeatures : null),
  'drift.prediction': (r) => r.prediction?.score ?? null,
  'quality.issues': (r) => r.quality.length,
  'window.rows': (r) => r.window.rows,
  'performance.auc': (r) => r.performance?.auc ?? null,
  'performance.accuracy': (r) => r.performance?.accuracy ?? null,
  'performance.log_loss': (r) => r.performance?.logLoss ?? null,
  'performance.calibration_error': (r) => r.performance?.calibrationError ?? null,
  'performance.rmse': (r) => r.performance?.rmse ?? null,
  'performance.mae': (r) => r.performance?.mae ?? null,
  'performance.labelled': (r) => r.performance?.labelled ?? null,
  'performance.label_delay_ms': (r) => r.performance?.labelDelayMs ?? null,
};
/** Per-feature values, one series per feature (label `feature`). */
const FEATURE_METRICS: Readonly<Record<string, (f: MonitorResult['features'][number]) => number | null>> = {
  'drift.feature': (f) => (f.status === 'ok' ? Number(f.drifted) : null),
  'drift.score': (f) => f.score,
  'quality.null_rate': (f) => f.current.nullRate,
  'quality.out_of_range_rate': (f) => f.current.outOfRangeRate ?? null,
  'quality.unseen_rate': (f) => f.current.unseenRate ?? null,
};
export const MONITOR_METRICS = [...Object.keys(WINDOW_METRICS), ...Object.keys(FEATURE_METRICS)];

/**
 * Monitor results as metric series for alert rules: each stored monitor run of an endpoint
 * is a point at its computation time — drift (`drift.share`, `drift.dataset`, per feature
 * `drift.feature` and `drift.score`), data quality, and the window's live performance once
 * labels arrived (`performance.auc`, `performance.calibration_error`, …). Labels: `endpoint`,
 * and `feature` for per-feature metrics. A rule must name its endpoint.
 */
export class MonitorMetricsSource implements MetricSource {
  readonly #store: MetadataStore;

  constructor(store: MetadataStore) {
    this.#store = store;
  }

  serves(metric: string): boolean {
    return metric in WINDOW_METRICS || metric in FEATURE_METRICS;
  }

  problem(metric: string, labels: Readonly<Record<string, string>>): string | undefined {
    if (!this.serves(metric)) return undefined;
    if (labels.endpoint === undefined) return `metric ${metric} is per endpoint; add the label endpoint=<name> (e.g. --label endpoint=flights)`;
    return undefined;
  }

  async points(q: { metric: string; labels: Readonly<Record<string, string>>; since: number }): Promise<SeriesPoint[]> {
    const endpoint = q.labels.endpoint;
    if (endpoint === undefined) return [];
    const records = await this.#store.monitors.list(endpoint, { limit: 10_000, since: q.since + 1 });
    const out: SeriesPoint[] = [];
    // Oldest first; results computed at the same moment keep their insertion order.
    for (const record of [...records].reverse()) {
      const result = JSON.parse(record.resultJson) as MonitorResult;
      const window = WINDOW_METRICS[q.metric];
      if (window) {
        const value = window(result);
        if (value !== null) out.push({ labels: { endpoint }, value, at: record.computedAt });
        continue;
      }
      const feature = FEATURE_METRICS[q.metric]!;
      for (const f of result.features) {
        const value = feature(f);
        if (value !== null) out.push({ labels: { endpoint, feature: f.name }, value, at: record.computedAt });
      }
    }
    return out.filter((p) => labelsMatch(q.labels, p.labels));
  }
}
