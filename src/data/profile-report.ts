import type { ColumnProfile, DatasetProfile, Histogram } from './profile.js';

/** A profile for people: a text summary for the terminal and a self-contained HTML report with charts. */

const fmt = (v: number | null | undefined): string => {
  if (v === null || v === undefined || Number.isNaN(v)) return '-';
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v) && Math.abs(v) < 1e15) return v.toLocaleString('en-US');
  const a = Math.abs(v);
  return a !== 0 && (a >= 1e6 || a < 1e-3) ? v.toExponential(3) : Number(v.toPrecision(5)).toLocaleString('en-US', { maximumFractionDigits: 6 });
};
const pct = (f: number): string => `${(f * 100).toFixed(f > 0 && f < 0.001 ? 3 : 1)}%`;
const time = (ms: number): string => new Date(ms).toISOString().replace('T', ' ').replace(/\.000Z$/, '').replace(/Z$/, '');
const numOrTime = (c: ColumnProfile, v: number): string => (c.kind === 'datetime' ? time(v) : fmt(v));

export function renderProfileText(profile: DatasetProfile): string {
  const lines = [
    `${profile.dataset}: ${fmt(profile.rows)} rows, ${profile.columns.length} columns, ${fmt(profile.duplicateRows)} duplicate rows`,
    '',
  ];
  for (const c of profile.columns) {
    lines.push(`${c.name}  (${c.kind}, ${c.physicalType})`);
    lines.push(`  count ${fmt(c.count)}   missing ${fmt(c.missing)} (${pct(c.missingFraction)})   distinct ~${fmt(c.distinct)}`);
    if (c.numeric) {
      const n = c.numeric;
      lines.push(`  min ${numOrTime(c, n.min)}   max ${numOrTime(c, n.max)}${c.kind === 'datetime' ? '' : `   mean ${fmt(n.mean)}   std ${fmt(n.std)}`}`);
      lines.push(`  ${Object.entries(n.quantiles).map(([k, v]) => `${k} ${numOrTime(c, v)}`).join('   ')}`);
      lines.push(`  ${sparkline(n.histogram)}`);
    }
    if (c.top && c.top.length > 0) {
      lines.push(`  top: ${c.top.slice(0, 8).map((t) => `${t.value} (${pct(t.count / Math.max(c.count, 1))})`).join(', ')}`);
    }
    lines.push('');
  }
  if (profile.correlations.columns.length > 1) {
    lines.push('correlations (Pearson):');
    const names = profile.correlations.columns;
    const width = Math.max(...names.map((n) => n.length), 6);
    lines.push(`  ${''.padEnd(width)}  ${names.map((n) => n.slice(0, 8).padStart(8)).join(' ')}`);
    names.forEach((n, i) => lines.push(`  ${n.padEnd(width)}  ${profile.correlations.matrix[i]!.map((v) => (v === null ? '-' : v.toFixed(3)).padStart(8)).join(' ')}`));
  }
  return lines.join('\n').trimEnd();
}

const BARS = '▁▂▃▄▅▆▇█';
function sparkline(h: Histogram): string {
  const max = Math.max(...h.counts, 1);
  return h.counts.map((c) => (c === 0 ? ' ' : BARS[Math.min(BARS.length - 1, Math.floor((c / max) * (BARS.length - 1) + 0.5))])).join('');
}

const esc = (s: string): string => s.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!);

/** Bars as an inline SVG; labels are bin edges or category names, never rows. */
function barChart(labels: string[], values: number[], opts: { horizontal?: boolean; title: string }): string {
  const max = Math.max(...values, 1);
  if (opts.horizontal) {
    const rowH = 18;
    const height = values.length * rowH + 4;
    const bars = values
      .map((v, i) => {
        const w = Math.max(1, (v / max) * 260);
        return `<text x="150" y="${i * rowH + 13}" text-anchor="end">${esc(labels[i]!.slice(0, 22))}</text><rect x="155" y="${i * rowH + 3}" width="${w.toFixed(1)}" height="${rowH - 5}"><title>${esc(labels[i]!)}: ${fmt(v)}</title></rect><text x="${(160 + w).toFixed(1)}" y="${i * rowH + 13}" class="v">${fmt(v)}</text>`;
      })
      .join('');
    return `<svg role="img" aria-label="${esc(opts.title)}" viewBox="0 0 480 ${height}" width="480" height="${height}">${bars}</svg>`;
  }
  const width = 480;
  const height = 140;
  const bw = width / values.length;
  const bars = values
    .map((v, i) => {
      const h = (v / max) * (height - 20);
      return `<rect x="${(i * bw + 1).toFixed(1)}" y="${(height - 16 - h).toFixed(1)}" width="${Math.max(1, bw - 2).toFixed(1)}" height="${h.toFixed(1)}"><title>${esc(labels[i]!)}: ${fmt(v)}</title></rect>`;
    })
    .join('');
  const axis = `<text x="0" y="${height - 2}">${esc(labels[0]!.split(' – ')[0]!)}</text><text x="${width}" y="${height - 2}" text-anchor="end">${esc(labels[labels.length - 1]!.split(' – ')[1] ?? '')}</text>`;
  return `<svg role="img" aria-label="${esc(opts.title)}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}">${bars}${axis}</svg>`;
}

function columnSection(c: ColumnProfile): string {
  const stats: [string, string][] = [
    ['kind', `${c.kind} (${c.physicalType})`],
    ['count', fmt(c.count)],
    ['missing', `${fmt(c.missing)} (${pct(c.missingFraction)})`],
    ['distinct', `~${fmt(c.distinct)}`],
  ];
  let chart = '';
  if (c.numeric) {
    const n = c.numeric;
    stats.push(['min', numOrTime(c, n.min)], ['max', numOrTime(c, n.max)]);
    if (c.kind !== 'datetime') stats.push(['mean', fmt(n.mean)], ['std', fmt(n.std)]);
    for (const [k, v] of Object.entries(n.quantiles)) stats.push([k, numOrTime(c, v)]);
    const labels = n.histogram.counts.map((_, i) => `${numOrTime(c, n.histogram.edges[i]!)} – ${numOrTime(c, n.histogram.edges[i + 1]!)}`);
    chart = barChart(labels, n.histogram.counts, { title: `histogram of ${c.name}` });
  } else if (c.top) {
    // A string seen once is a row's value, not an aggregate: keep it out of a report meant to be shared.
    const shown = c.kind === 'boolean' ? c.top : c.top.filter((t) => t.count > 1);
    if (shown.length > 0) {
      chart = barChart(
        shown.map((t) => t.value),
        shown.map((t) => t.count),
        { horizontal: true, title: `most frequent values of ${c.name}` },
      );
    }
    if (shown.length < c.top.length) chart += `<p class="note">Values seen only once are not shown.</p>`;
  }
  if (c.length) stats.push(['length', `${c.length.min}–${c.length.max} (mean ${fmt(c.length.mean)})`]);
  const table = stats.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('');
  return `<section><h2>${esc(c.name)}</h2><div class="col"><table>${table}</table><figure>${chart}</figure></div></section>`;
}

function correlationSection(p: DatasetProfile): string {
  const { columns, matrix } = p.correlations;
  if (columns.length < 2) return '';
  const cell = (v: number | null) => {
    if (v === null) return '<td>-</td>';
    const a = Math.min(1, Math.abs(v));
    const color = v >= 0 ? `rgba(31,119,180,${a.toFixed(2)})` : `rgba(214,39,40,${a.toFixed(2)})`;
    return `<td style="background:${color}">${v.toFixed(2)}</td>`;
  };
  const head = `<tr><th></th>${columns.map((c) => `<th>${esc(c)}</th>`).join('')}</tr>`;
  const body = columns.map((c, i) => `<tr><th>${esc(c)}</th>${matrix[i]!.map(cell).join('')}</tr>`).join('');
  return `<section><h2>Correlations (Pearson)</h2><table class="corr">${head}${body}</table></section>`;
}

/**
 * A small self-contained HTML report: summary statistics and charts per column.
 * It holds aggregates only — bin counts, quantiles and the most frequent values —
 * never rows of the data, so it stays small and safe to share.
 */
export function renderProfileHtml(profile: DatasetProfile): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Profile of ${esc(profile.dataset)}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2rem;color:#222;max-width:1100px}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin:1.5rem 0 .5rem}
.col{display:flex;gap:2rem;align-items:flex-start;flex-wrap:wrap}
table{border-collapse:collapse}th,td{padding:2px 8px;text-align:left;border-bottom:1px solid #eee}
th{color:#555;font-weight:500}svg rect{fill:#1f77b4}svg text{font-size:11px;fill:#444}svg text.v{fill:#777}
.corr td{text-align:right;min-width:3.5rem}.summary span{margin-right:1.5rem}
</style></head><body>
<h1>Profile of ${esc(profile.dataset)}</h1>
<p class="summary"><span><b>${fmt(profile.rows)}</b> rows</span><span><b>${profile.columns.length}</b> columns</span><span><b>${fmt(profile.duplicateRows)}</b> duplicate rows</span><span>profiled ${esc(time(profile.createdAt))} UTC</span></p>
${profile.columns.map(columnSection).join('\n')}
${correlationSection(profile)}
</body></html>
`;
}
