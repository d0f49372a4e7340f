import type { MetadataStore } from '../metadata/metadata-store.js';

/** One value of a metric for one label set at one time. */
export interface SeriesPoint {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
  readonly at: number;
}

/**
 * Where alert rules read metrics: "the values of metric X for series carrying labels L,
 * after time t". Sources are plugged in by metric name (`CompositeMetricSource`); the
 * monitoring area's drift results plug in through the same port (a source that serves
 * their metric names, e.g. `feature_drift`, with `endpoint` and `feature` labels).
 *
 * Contract: points come oldest first; a point's labels contain every label of the
 * query with equal values (and may carry more); a value may be NaN (not computed).
 */
export interface MetricSource {
  /** Whether this source serves the metric. */
  serves(metric: string): boolean;
  /** What is wrong with a rule on this metric and labels (a label the source needs is missing), if anything. */
  problem?(metric: string, labels: Readonly<Record<string, string>>): string | undefined;
  points(query: { metric: string; labels: Readonly<Record<string, string>>; since: number; now: number }): Promise<SeriesPoint[]>;
}

export function labelsMatch(want: Readonly<Record<string, string>>, have: Readonly<Record<string, string>>): boolean {
  return Object.entries(want).every(([k, v]) => have[k] === v);
}

/** The generic `metric_points` table: any metric pushed through `AlertService.recordPoints` or the API. */
export class MetricPointsSource implements MetricSource {
  readonly #store: MetadataStore;

  constructor(store: MetadataStore) {
    this.#store = store;
  }

  serves(): boolean {
    return true;
  }

  async points(q: { metric: string; labels: Readonly<Record<string, string>>; since: number }): Promise<SeriesPoint[]> {
    return (await this.#store.alerts.points(q.metric, q.since)).filter((p) => labelsMatch(q.labels, p.labels));
  }
}

/**
 * Tracked run metrics: `run.<key>` is the latest value of `<key>` of each finished run
 * of the experiment named by the `experiment` label, at the run's end time — one series
 * per experiment, so "accuracy of the nightly evaluation < 0.7" is a rule.
 */
export class RunMetricsSource implements MetricSource {
  readonly #store: MetadataStore;

  constructor(store: MetadataStore) {
    this.#store = store;
  }

  serves(metric: string): boolean {
    return metric.startsWith('run.');
  }

  async points(q: { metric: string; labels: Readonly<Record<string, string>>; since: number }): Promise<SeriesPoint[]> {
    const experiment = q.labels.experiment;
    if (experiment === undefined) return [];
    const exp = await this.#store.experiments.getByName(experiment);
    if (!exp) return [];
    const key = q.metric.slice('run.'.length);
    const runs = await this.#store.runs.search({ experimentIds: [exp.experimentId], filter: [], orderBy: [], viewType: 'ACTIVE_ONLY', offset: 0, limit: 10_000 });
    const out: SeriesPoint[] = [];
    for (const r of runs) {
      const at = r.info.endTime;
      const m = r.metrics.find((x) => x.key === key);
      if (r.info.status !== 'FINISHED' || at === null || at <= q.since || !m) continue;
      out.push({ labels: { experiment }, value: m.value, at });
    }
    return out.sort((a, b) => a.at - b.at);
  }
}

/** Picks the first source that serves a metric; the generic table is the last resort. */
export class CompositeMetricSource implements MetricSource {
  readonly #sources: readonly MetricSource[];

  constructor(sources: readonly MetricSource[]) {
    this.#sources = sources;
  }

  serves(metric: string): boolean {
    return this.#sources.some((s) => s.serves(metric));
  }

  problem(metric: string, labels: Readonly<Record<string, string>>): string | undefined {
    return this.#sources.find((s) => s.serves(metric))?.problem?.(metric, labels);
  }

  points(q: { metric: string; labels: Readonly<Record<string, string>>; since: number; now: number }): Promise<SeriesPoint[]> {
    const source = this.#sources.find((s) => s.serves(q.metric));
    return source ? source.points(q) : Promise.resolve([]);
  }
}
