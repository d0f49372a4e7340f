import type { Selectable } from 'kysely';
import type { MetricPoint } from '../../tracking/types.js';
import type { MetricTable } from '../schema.js';

/** Splits a list into parts of at most `size` items (SQL variable limits). */
export function* chunked<T>(items: readonly T[], size: number): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}

export function metricFromRow(r: Pick<Selectable<MetricTable>, 'key' | 'value' | 'step' | 'timestamp' | 'is_nan'>): MetricPoint {
  return { key: r.key, value: r.is_nan ? Number.NaN : Number(r.value), step: Number(r.step), timestamp: Number(r.timestamp) };
}
