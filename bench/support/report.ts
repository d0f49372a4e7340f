import { formatMs, formatRate, median } from './stats.js';

export type Unit = 'points/s' | 'calls/s' | 'ms';

/** One measured quantity: the value of each repetition. */
export interface Measurement {
  readonly section: string;
  readonly label: string;
  readonly unit: Unit;
  readonly samples: readonly number[];
  /** What the number includes, shown under the table when set. */
  readonly note?: string;
}

export const formatValue = (value: number, unit: Unit): string => (unit === 'ms' ? formatMs(value) : formatRate(value));

/** Prints measurements as a fixed-width table: median, min and max over the repetitions. */
export function printTable(rows: readonly Measurement[], write: (line: string) => void = (l) => process.stdout.write(`${l}\n`)): void {
  const header = ['section', 'measurement', 'median', 'min', 'max', 'unit', 'n'];
  const body = rows.map((r) => [
    r.section,
    r.label,
    formatValue(median(r.samples), r.unit),
    formatValue(Math.min(...r.samples), r.unit),
    formatValue(Math.max(...r.samples), r.unit),
    r.unit,
    String(r.samples.length),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const numeric = new Set([2, 3, 4, 6]);
  const line = (cells: string[]) => cells.map((c, i) => (numeric.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  write(line(header));
  write(widths.map((w) => '-'.repeat(w)).join('  '));
  let section = '';
  for (const row of body) {
    // Print a section name once, at its first row.
    const shown = row[0] === section ? ['', ...row.slice(1)] : row;
    section = row[0]!;
    write(line(shown));
  }
}

/** Progress goes to stderr, so stdout holds only the report. */
export function progress(message: string): void {
  process.stderr.write(`  … ${message}\n`);
}
