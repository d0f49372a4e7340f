import { describe, expect, it } from 'vitest';
import { featureRows, renderDriftHtml, renderDriftJson, summaryLine } from './drift-report.js';
import type { FeatureDrift, MonitorResult } from './monitor-types.js';

const distance: FeatureDrift = {
  name: 'distance',
  type: 'numeric',
  status: 'ok',
  message: null,
  method: 'wasserstein',
  threshold: 0.1,
  score: 0.25,
  statistic: 0.25,
  drifted: true,
  reference: { rows: 1000, nulls: 0, nullRate: 0, min: 0, max: 100, std: 20, distinct: 90 },
  current: { rows: 200, nulls: 10, nullRate: 0.05, outOfRange: 19, outOfRangeRate: 0.1 },
  chart: { kind: 'histogram', edges: [0, 50, 100], reference: [600, 400], current: [50, 121], currentBelow: 0, currentAbove: 19 },
};
const origin: FeatureDrift = {
  name: '<origin>',
  type: 'categorical',
  status: 'ok',
  message: null,
  method: 'jensenshannon',
  threshold: 0.1,
  score: 0.05,
  statistic: 0.05,
  drifted: false,
  reference: { rows: 1000, nulls: 0, nullRate: 0, distinct: 3 },
  current: { rows: 200, nulls: 0, nullRate: 0, unseen: 1, unseenRate: 0.005, unseenExamples: ['SECRET-ID-42'] },
  chart: { kind: 'categories', categories: ['ORD', 'ATL', 'SECRET-ID-42'], reference: [700, 300, 0], current: [120, 79, 1], otherReference: 0, otherCurrent: 0 },
};
const note: FeatureDrift = { ...origin, name: 'note', status: 'all_null', message: 'Feature `note` has no non-null values in the window; drift cannot be measured.', method: null, threshold: null, score: null, statistic: null, chart: null, current: { rows: 200, nulls: 200, nullRate: 1 } };
const result: MonitorResult = {
  endpoint: 'flights',
  computedAt: Date.UTC(2026, 3, 1),
  reference: { description: 'flights@1', rows: 1000 },
  window: { description: 'last 200 predictions', rows: 200, from: Date.UTC(2026, 2, 31), to: Date.UTC(2026, 3, 1) },
  features: [distance, origin, note],
  prediction: null,
  dataset: { drifted: true, driftedShare: 0.5, driftedFeatures: 1, evaluatedFeatures: 2, shareThreshold: 0.5 },
  quality: [{ feature: '<origin>', kind: 'unseen_category', message: "1 values of `<origin>` (0.5%) are categories the reference never had, e.g. 'SECRET-ID-42'." }],
  messages: [],
};

describe('drift reports', () => {
  it('renders a self-contained HTML page with a section and chart per feature, aggregates only', () => {
    const html = renderDriftHtml(result);
    expect(html).not.toMatch(/<script|https?:\/\//);
    expect(html.match(/<section/g)).toHaveLength(3);
    expect(html.match(/<svg/g)).toHaveLength(2);
    expect(html).toContain('Dataset drift');
    expect(html).toContain('wasserstein d=0.25 (drift if ≥ 0.1)');
    expect(html).toContain('&#60;origin&#62;');
    // A category seen once is a row's value: it appears neither as a bar nor as an example.
    expect(html).not.toContain('SECRET-ID-42');
    expect(html).toContain('Categories seen only once are counted in (other).');
    expect(html).toContain('has no non-null values in the window');
  });

  it('shows a datetime feature as dates, not epoch milliseconds', () => {
    const [jan, feb, mar] = [Date.UTC(2001, 0, 1), Date.UTC(2001, 1, 1), Date.UTC(2001, 2, 1)];
    const date: FeatureDrift = { ...distance, name: 'date', datetime: true, reference: { ...distance.reference, min: jan, max: mar }, chart: { ...distance.chart!, edges: [jan, feb, mar] } as FeatureDrift['chart'] };
    const html = renderDriftHtml({ ...result, features: [date] });
    expect(html).toContain('2001-01-01 00:00 – 2001-03-01 00:00');
    expect(html).toContain('2001-02-01 00:00 – 2001-03-01 00:00');
    expect(html).not.toContain(String(jan));
  });

  it('charts the history: drift share and live performance per monitor run, oldest first, gaps where labels were missing', () => {
    const perf = (auc: number, logLoss: number) => ({ task: 'binary' as const, predictions: 100, labelled: 100, auc, accuracy: 0.8, logLoss, meanLabel: 0.2, meanPrediction: 0.25, calibrationError: 0.05, rmse: null, mae: null, labelDelayMs: 5 });
    const history = [
      { computedAt: Date.UTC(2026, 2, 3), driftedShare: 0.5, performance: perf(0.61, 0.47) },
      { computedAt: Date.UTC(2026, 2, 1), driftedShare: 0.25, performance: perf(0.66, 0.42) },
      { computedAt: Date.UTC(2026, 2, 2), driftedShare: 0.25, performance: null },
    ];
    const html = renderDriftHtml(result, history);
    expect(html).toContain('History <small>3 monitor runs</small>');
    const auc = /aria-label="live AUC"[^>]*><polyline points="([^"]+)"/.exec(html)!;
    // Two labelled runs (1 and 3 March) of three: the unlabelled one is a gap, not a zero.
    expect(auc[1]!.split(' ')).toHaveLength(2);
    const share = /aria-label="share of drifted features"[^>]*><polyline points="([^"]+)"/.exec(html)!;
    const ys = share[1]!.split(' ').map((p) => Number(p.split(',')[1]));
    // Oldest first: 0.25, 0.25, then 0.5 drawn higher (smaller y).
    expect(ys[0]).toBe(ys[1]);
    expect(ys[2]!).toBeLessThan(ys[0]!);
    expect(html).toContain('observed rate − mean prediction');
    expect(renderDriftHtml(result, history.slice(0, 1))).not.toContain('History');
  });

  it('prints the per-feature table rows, the summary and JSON', () => {
    expect(featureRows(result)).toEqual([
      ['distance', 'numeric', 'wasserstein d=0.25 (drift if ≥ 0.1)', 'DRIFT', '5.0%', '10.0%'],
      ['<origin>', 'categorical', 'jensenshannon d=0.05 (drift if ≥ 0.1)', 'ok', '0.0%', '0.5%'],
      ['note', 'categorical', '-', 'all null', '100.0%', '-'],
    ]);
    expect(summaryLine(result)).toMatch(/^flights: DATASET DRIFT — 1 of 2 features drifted/);
    expect(JSON.parse(renderDriftJson(result))).toEqual(result);
  });
});
