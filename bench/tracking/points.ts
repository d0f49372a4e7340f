import type { MetricPoint } from '../../src/tracking/types.js';

export const KEYS_PER_STEP = 10;
const KEYS = Array.from({ length: KEYS_PER_STEP }, (_, i) => `metric_${i}`);

/**
 * `count` points as a training loop logs them: ten keys per step, steps counting
 * up from `firstStep`, one timestamp per step.
 */
export function trainingPoints(count: number, firstStep: number, t0 = Date.now()): MetricPoint[] {
  const out: MetricPoint[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const step = firstStep + Math.floor(i / KEYS_PER_STEP);
    out[i] = { key: KEYS[i % KEYS_PER_STEP]!, value: Math.random(), step, timestamp: t0 + step };
  }
  return out;
}

/** Hands out step ranges so every batch of a run logs new steps, as a real run would. */
export class StepCounter {
  #next = 0;
  take(points: number): number {
    const first = this.#next;
    this.#next += Math.ceil(points / KEYS_PER_STEP);
    return first;
  }
}
