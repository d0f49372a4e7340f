/**
 * Serving metrics in Prometheus' text exposition format (version 0.0.4), kept in plain maps:
 * counters and histograms keyed by their label values. Written here rather than with a client
 * library because the set is small and fixed and the hot path is a map lookup.
 */

type Labels = Readonly<Record<string, string>>;

const LATENCY_BUCKETS_MS = [0.5, 1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];
const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096, 16384];

class Counter {
  readonly values = new Map<string, { labels: Labels; value: number }>();
  inc(labels: Labels, by = 1): void {
    this.incKey(keyOf(labels), () => labels, by);
  }

  /** The hot path: the series by a key the caller built, its labels made only for a new series. */
  incKey(key: string, labels: () => Labels, by = 1): void {
    const v = this.values.get(key);
    if (v) v.value += by;
    else this.values.set(key, { labels: labels(), value: by });
  }
}

class Histogram {
  readonly series = new Map<string, { labels: Labels; counts: number[]; sum: number; count: number }>();
  constructor(readonly buckets: readonly number[]) {}
  observe(labels: Labels, value: number): void {
    this.observeKey(keyOf(labels), () => labels, value);
  }

  observeKey(key: string, labels: () => Labels, value: number): void {
    let s = this.series.get(key);
    if (!s) this.series.set(key, (s = { labels: labels(), counts: new Array<number>(this.buckets.length).fill(0), sum: 0, count: 0 }));
    for (let i = 0; i < this.buckets.length; i++) if (value <= this.buckets[i]!) s.counts[i]!++;
    s.sum += value;
    s.count++;
  }
}

/** What serving counts; `render()` gives the /metrics body. */
export class ServingMetrics {
  readonly requests = new Counter();
  readonly errors = new Counter();
  readonly rows = new Counter();
  readonly latency = new Histogram(LATENCY_BUCKETS_MS);
  readonly batchSize = new Histogram(BATCH_BUCKETS);
  /** Read at render time: queue depth and buffered log rows per endpoint, loaded model versions. */
  gauges: () => { queue: { endpoint: string; model: string; rows: number }[]; logBuffered: number; models: { endpoint: string; model: string; version: string; digest: string; role: string }[] } = () => ({ queue: [], logBuffered: 0, models: [] });

  /** One answered request. */
  request(endpoint: string, code: number, latencyMs: number, rows: number): void {
    // Keys as keyOf would build them (label values joined), without a labels object per request.
    this.requests.incKey(`${endpoint}\u0000${code}`, () => ({ endpoint, code: String(code) }));
    this.latency.observeKey(endpoint, () => ({ endpoint }), latencyMs);
    if (rows > 0) this.rows.incKey(endpoint, () => ({ endpoint }), rows);
  }

  error(endpoint: string, code: string): void {
    this.errors.inc({ endpoint, code });
  }

  render(): string {
    const out: string[] = [];
    counter(out, 'orchard_serving_requests_total', 'Prediction requests answered, by endpoint and HTTP status.', this.requests);
    counter(out, 'orchard_serving_errors_total', 'Failed prediction requests, by endpoint and error code.', this.errors);
    counter(out, 'orchard_serving_rows_total', 'Rows predicted, by endpoint.', this.rows);
    histogram(out, 'orchard_serving_request_duration_ms', 'Time to answer a prediction request, in milliseconds.', this.latency);
    histogram(out, 'orchard_serving_batch_size_rows', 'Rows per model call (micro-batch), by endpoint and model.', this.batchSize);
    const g = this.gauges();
    out.push('# HELP orchard_serving_queue_rows Rows waiting for a batch, by endpoint and model.', '# TYPE orchard_serving_queue_rows gauge');
    for (const q of g.queue) out.push(`orchard_serving_queue_rows${fmt({ endpoint: q.endpoint, model: q.model })} ${q.rows}`);
    out.push('# HELP orchard_serving_log_buffered_rows Prediction log rows in memory, not yet in Parquet.', '# TYPE orchard_serving_log_buffered_rows gauge', `orchard_serving_log_buffered_rows ${g.logBuffered}`);
    out.push('# HELP orchard_serving_model_info Model versions loaded, by endpoint and role (route or shadow); the value is 1.', '# TYPE orchard_serving_model_info gauge');
    for (const m of g.models) out.push(`orchard_serving_model_info${fmt(m)} 1`);
    return out.join('\n') + '\n';
  }
}

function counter(out: string[], name: string, help: string, c: Counter): void {
  out.push(`# HELP ${name} ${help}`, `# TYPE ${name} counter`);
  for (const { labels, value } of c.values.values()) out.push(`${name}${fmt(labels)} ${value}`);
}

function histogram(out: string[], name: string, help: string, h: Histogram): void {
  out.push(`# HELP ${name} ${help}`, `# TYPE ${name} histogram`);
  for (const s of h.series.values()) {
    h.buckets.forEach((b, i) => out.push(`${name}_bucket${fmt({ ...s.labels, le: String(b) })} ${s.counts[i]}`));
    out.push(`${name}_bucket${fmt({ ...s.labels, le: '+Inf' })} ${s.count}`, `${name}_sum${fmt(s.labels)} ${s.sum}`, `${name}_count${fmt(s.labels)} ${s.count}`);
  }
}

const keyOf = (labels: Labels) => Object.values(labels).join('\u0000');
const escape = (v: string) => v.replaceAll('\\', '\\\\').replaceAll('\n', '\\n').replaceAll('"', '\\"');
function fmt(labels: Labels): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${escape(v)}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}
