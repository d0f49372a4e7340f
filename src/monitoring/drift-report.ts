/**
 * Monitor results as text (the `orchard monitor show` table), JSON, and a small self-contained
 * HTML report: per feature, reference against current as shares per bin or category (inline
 * SVG, no scripts), the statistic, its threshold and the verdict. Only aggregates are shown —
 * never a row, and never a category seen only once. Pure.
 */
import type { CategoryChart, FeatureDrift, HistogramChart, MonitorResult } from './monitor-types.js';
import { P_VALUE_METHODS } from './drift-methods.js';

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const pct = (x: number | undefined): string => (x === undefined ? '-' : `${(x * 100).toFixed(1)}%`);
/** An epoch-milliseconds value as a UTC date and minute. */
const day = (ms: number): string => new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
const num = (x: number | null | undefined): string => (x === null || x === undefined ? '-' : Math.abs(x) >= 1e4 || (x !== 0 && Math.abs(x) < 1e-3) ? x.toExponential(3) : String(Number(x.toFixed(4))));
const iso = (ms: number | null): string => (ms === null ? '-' : new Date(ms).toISOString().replace('.000Z', 'Z'));

/** The verdict of a feature in a few words: `DRIFT`, `ok`, or why there is none. */
export function verdictText(f: FeatureDrift): string {
  if (f.status !== 'ok') return f.status.replace('_', ' ');
  return f.drifted ? 'DRIFT' : 'ok';
}

function scoreText(f: FeatureDrift): string {
  if (f.method === null) return '-';
  const kind = P_VALUE_METHODS.has(f.method) ? 'p' : 'd';
  const cmp = P_VALUE_METHODS.has(f.method) ? '<' : '≥';
  const score = f.score === null && f.status === 'ok' ? '∞' : num(f.score);
  return `${f.method} ${kind}=${score} (drift if ${cmp} ${f.threshold})`;
}

/** Rows of the per-feature table: feature, type, method and score, verdict, nulls, out of range or unseen. */
export function featureRows(result: MonitorResult): string[][] {
  const all = result.prediction ? [...result.features, result.prediction] : result.features;
  return all.map((f) => [
    f === result.prediction ? 'prediction (model output)' : f.name,
    f.type,
    scoreText(f),
    verdictText(f),
    pct(f.current.nullRate),
    f.type === 'numeric' ? pct(f.current.outOfRangeRate) : pct(f.current.unseenRate),
  ]);
}

export const FEATURE_HEADERS = ['FEATURE', 'TYPE', 'STATISTIC', 'VERDICT', 'NULLS', 'OUT OF RANGE / UNSEEN'];

/** One line summing up a result: dataset drift, share, window and reference. */
export function summaryLine(result: MonitorResult): string {
  const d = result.dataset;
  const verdict = d.evaluatedFeatures === 0 ? 'no verdict' : d.drifted ? 'DATASET DRIFT' : 'no dataset drift';
  return `${result.endpoint}: ${verdict} — ${d.driftedFeatures} of ${d.evaluatedFeatures} features drifted (threshold share ${d.shareThreshold}); window ${result.window.description}, ${result.window.rows.toLocaleString('en-US')} rows; reference ${result.reference.description}, ${result.reference.rows.toLocaleString('en-US')} rows`;
}

/** One line on the window's live performance, or on its missing labels. */
export function performanceLine(result: MonitorResult): string {
  const p = result.performance;
  if (!p) return 'live performance: no labels for this window yet (send them with POST /api/v1/endpoints/<name>/feedback)';
  const f = (x: number | null, digits = 4) => (x === null ? null : x.toFixed(digits));
  const parts = [
    `${p.labelled.toLocaleString('en-US')} of ${p.predictions.toLocaleString('en-US')} predictions labelled`,
    f(p.auc) && `AUC ${f(p.auc)}`,
    f(p.accuracy) && `accuracy ${f(p.accuracy)}`,
    f(p.logLoss) && `log loss ${f(p.logLoss)}`,
    p.calibrationError !== null && `observed rate ${pct(p.meanLabel!)} vs mean prediction ${pct(p.meanPrediction!)}`,
    f(p.rmse) && `RMSE ${f(p.rmse)}`,
    f(p.mae) && `MAE ${f(p.mae)}`,
  ].filter(Boolean);
  return `live performance: ${parts.join(', ')}`;
}

export function renderDriftJson(result: MonitorResult): string {
  return JSON.stringify(result, null, 2);
}

const share = (xs: readonly number[]): number[] => {
  const t = xs.reduce((s, v) => s + v, 0);
  return xs.map((v) => (t === 0 ? 0 : v / t));
};

/** Grouped bars: for each label, the reference's share (blue) beside the current window's (orange). */
function pairedBars(labels: string[], ref: number[], cur: number[], title: string): string {
  const r = share(ref);
  const c = share(cur);
  const max = Math.max(...r, ...c, 1e-12);
  const width = 520;
  const height = 150;
  const gw = width / Math.max(labels.length, 1);
  const bw = Math.max(1, gw / 2 - 1);
  const bars = labels
    .map((label, i) => {
      const hr = (r[i]! / max) * (height - 34);
      const hc = (c[i]! / max) * (height - 34);
      const x = i * gw;
      return (
        `<rect class="r" x="${x.toFixed(1)}" y="${(height - 30 - hr).toFixed(1)}" width="${bw.toFixed(1)}" height="${hr.toFixed(1)}"><title>${esc(label)} reference: ${pct(r[i])}</title></rect>` +
        `<rect class="c" x="${(x + bw).toFixed(1)}" y="${(height - 30 - hc).toFixed(1)}" width="${bw.toFixed(1)}" height="${hc.toFixed(1)}"><title>${esc(label)} current: ${pct(c[i])}</title></rect>`
      );
    })
    .join('');
  const first = labels[0] ?? '';
  const last = labels[labels.length - 1] ?? '';
  const axis = `<text x="0" y="${height - 16}">${esc(first.slice(0, 28))}</text><text x="${width}" y="${height - 16}" text-anchor="end">${esc(last.slice(0, 28))}</text>`;
  const legend = `<rect class="r" x="0" y="${height - 10}" width="10" height="8"/><text x="14" y="${height - 2}">reference</text><rect class="c" x="90" y="${height - 10}" width="10" height="8"/><text x="104" y="${height - 2}">current</text>`;
  return `<svg role="img" aria-label="${esc(title)}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}">${bars}${axis}${legend}</svg>`;
}

function histogramChart(f: FeatureDrift, h: HistogramChart): string {
  const value = (x: number | undefined) => (f.datetime && x !== undefined ? day(x) : num(x));
  const labels = ['below min', ...h.reference.map((_, i) => `${value(h.edges[i])} – ${value(h.edges[i + 1])}`), 'above max'];
  return pairedBars(labels, [0, ...h.reference, 0], [h.currentBelow, ...h.current, h.currentAbove], `reference and current distribution of ${f.name}`);
}

function categoryChart(f: FeatureDrift, c: CategoryChart): { svg: string; hidden: boolean } {
  // A category seen once is one row's value, not an aggregate: keep it out of a report meant to be shared.
  const keep = c.categories.map((_, i) => c.reference[i]! + c.current[i]! > 1);
  const labels = c.categories.filter((_, i) => keep[i]);
  const ref = c.reference.filter((_, i) => keep[i]);
  const cur = c.current.filter((_, i) => keep[i]);
  const hiddenRef = c.otherReference + c.reference.filter((_, i) => !keep[i]).reduce((s, v) => s + v, 0);
  const hiddenCur = c.otherCurrent + c.current.filter((_, i) => !keep[i]).reduce((s, v) => s + v, 0);
  if (hiddenRef + hiddenCur > 0) {
    labels.push('(other)');
    ref.push(hiddenRef);
    cur.push(hiddenCur);
  }
  return { svg: pairedBars(labels, ref, cur, `reference and current categories of ${f.name}`), hidden: keep.some((k) => !k) };
}

function featureSection(f: FeatureDrift, title = f.name): string {
  const stats: [string, string][] = [
    ['verdict', verdictText(f)],
    ['statistic', scoreText(f)],
    ['reference rows', `${f.reference.rows.toLocaleString('en-US')} (nulls ${pct(f.reference.nullRate)})`],
    ['current rows', `${f.current.rows.toLocaleString('en-US')} (nulls ${pct(f.current.nullRate)})`],
  ];
  const value = (x: number | undefined) => (f.datetime && x !== undefined ? day(x) : num(x));
  if (f.reference.min !== undefined) stats.push(['reference range', `${value(f.reference.min)} – ${value(f.reference.max)}`], ['out of range', pct(f.current.outOfRangeRate)]);
  if (f.current.unseen !== undefined) stats.push(['unseen categories', `${f.current.unseen.toLocaleString('en-US')} values (${pct(f.current.unseenRate)})`]);
  let chart = '';
  let note = f.message ? `<p class="note">${esc(f.message)}</p>` : '';
  if (f.chart?.kind === 'histogram') chart = histogramChart(f, f.chart);
  else if (f.chart?.kind === 'categories') {
    const c = categoryChart(f, f.chart);
    chart = c.svg;
    if (c.hidden) note += `<p class="note">Categories seen only once are counted in (other).</p>`;
  }
  const table = stats.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('');
  const cls = f.status !== 'ok' ? 'na' : f.drifted ? 'drift' : 'ok';
  return `<section class="${cls}"><h2>${esc(title)} <small>${esc(f.type)}</small></h2><div class="col"><table>${table}</table><figure>${chart}</figure></div>${note}</section>`;
}

/** One point of an endpoint's monitor series, for the report's history charts. */
export interface HistoryPoint {
  readonly computedAt: number;
  readonly driftedShare: number;
  readonly performance: MonitorResult['performance'];
}

/** A line chart of one series over the monitor runs (oldest left), with its values as labels; empty with fewer than 2 values. */
function lineChart(title: string, points: readonly { label: string; value: number | null }[]): string {
  const values = points.map((p) => p.value).filter((v): v is number => v !== null);
  if (values.length < 2) return '';
  const width = 520;
  const height = 140;
  const [lo, hi] = [Math.min(...values), Math.max(...values)];
  const pad = (hi - lo) * 0.1 || Math.abs(hi) * 0.1 || 1;
  const y = (v: number) => 20 + (1 - (v - (lo - pad)) / (hi - lo + 2 * pad)) * (height - 50);
  const x = (i: number) => 30 + (i * (width - 60)) / Math.max(points.length - 1, 1);
  const drawn = points.map((p, i) => ({ ...p, i })).filter((p) => p.value !== null);
  const line = drawn.map((p) => `${x(p.i).toFixed(1)},${y(p.value!).toFixed(1)}`).join(' ');
  const dots = drawn.map((p) => `<circle cx="${x(p.i).toFixed(1)}" cy="${y(p.value!).toFixed(1)}" r="3" fill="#1f77b4"><title>${esc(p.label)}: ${num(p.value!)}</title></circle><text x="${x(p.i).toFixed(1)}" y="${(y(p.value!) - 7).toFixed(1)}" text-anchor="middle">${num(p.value!)}</text>`).join('');
  const axis = `<text x="30" y="${height - 6}">${esc(points[0]!.label)}</text><text x="${width - 30}" y="${height - 6}" text-anchor="end">${esc(points[points.length - 1]!.label)}</text>`;
  return `<figure><figcaption>${esc(title)}</figcaption><svg role="img" aria-label="${esc(title)}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}"><polyline points="${line}" fill="none" stroke="#1f77b4" stroke-width="2"/>${dots}${axis}</svg></figure>`;
}

/** The history section: drift share and live performance per monitor run, oldest first. */
function historySection(history: readonly HistoryPoint[]): string {
  if (history.length < 2) return '';
  const ordered = [...history].sort((a, b) => a.computedAt - b.computedAt);
  const label = (h: HistoryPoint) => iso(h.computedAt).replace('T', ' ').slice(0, 19);
  const charts = [
    lineChart('share of drifted features', ordered.map((h) => ({ label: label(h), value: h.driftedShare }))),
    lineChart('live AUC', ordered.map((h) => ({ label: label(h), value: h.performance?.auc ?? null }))),
    lineChart('live log loss', ordered.map((h) => ({ label: label(h), value: h.performance?.logLoss ?? null }))),
    lineChart('observed rate − mean prediction', ordered.map((h) => ({ label: label(h), value: h.performance && h.performance.meanLabel !== null && h.performance.meanPrediction !== null && h.performance.calibrationError !== null ? h.performance.meanLabel - h.performance.meanPrediction : null }))),
    lineChart('live RMSE', ordered.map((h) => ({ label: label(h), value: h.performance?.rmse ?? null }))),
  ].filter((c) => c !== '');
  return `<h2>History <small>${ordered.length} monitor runs</small></h2><div class="col">${charts.join('')}</div>`;
}

/** The HTML report of one monitor result: a summary, the endpoint's history, data-quality issues, a section per feature. */
export function renderDriftHtml(result: MonitorResult, history: readonly HistoryPoint[] = []): string {
  const quality = result.quality.length === 0 ? '<p>No data-quality issues.</p>' : `<ul>${result.quality.map((q) => `<li><b>${esc(q.kind.replace(/_/g, ' '))}</b>: ${esc(q.message.replace(/, e\.g\. .*$/, '.'))}</li>`).join('')}</ul>`;
  const d = result.dataset;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Drift of ${esc(result.endpoint)}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2rem;color:#222;max-width:1100px}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin:1.5rem 0 .5rem}h2 small{color:#777;font-weight:400}
.col{display:flex;gap:2rem;align-items:flex-start;flex-wrap:wrap}
table{border-collapse:collapse}th,td{padding:2px 8px;text-align:left;border-bottom:1px solid #eee}th{color:#555;font-weight:500}
svg rect.r{fill:#1f77b4}svg rect.c{fill:#ff7f0e}svg text{font-size:11px;fill:#444}figure{margin:0}figcaption{color:#555}
section{border-left:4px solid #ccc;padding-left:1rem}section.drift{border-color:#d62728}section.ok{border-color:#2ca02c}
.note{color:#666}.summary span{margin-right:1.5rem}.verdict{font-weight:600;color:${d.drifted ? '#d62728' : '#2ca02c'}}
</style></head><body>
<h1>Drift of endpoint ${esc(result.endpoint)}</h1>
<p class="summary"><span class="verdict">${d.evaluatedFeatures === 0 ? 'no verdict' : d.drifted ? 'Dataset drift' : 'No dataset drift'}</span><span><b>${d.driftedFeatures}</b> of <b>${d.evaluatedFeatures}</b> features drifted (drift when ≥ ${pct(d.shareThreshold)})</span></p>
<p class="summary"><span>window: ${esc(result.window.description)}, ${result.window.rows.toLocaleString('en-US')} rows (${esc(iso(result.window.from))} – ${esc(iso(result.window.to))})</span><span>reference: ${esc(result.reference.description)}, ${result.reference.rows.toLocaleString('en-US')} rows</span><span>computed ${esc(iso(result.computedAt))}</span></p>
${result.messages.map((m) => `<p class="note">${esc(m)}</p>`).join('')}
<p class="summary">${esc(performanceLine(result).replace(/^live performance: /, 'Live performance: '))}</p>
${historySection(history)}
<h2>Data quality</h2>${quality}
${result.features.map((f) => featureSection(f)).join('\n')}
${result.prediction ? featureSection(result.prediction, 'prediction (model output)') : ''}
</body></html>
`;
}
