import { OrchardError } from '../../core/errors.js';
import type { Task } from '../learner.js';

/** The metric a search optimises, and which way is better. */
export interface Objective {
  readonly metric: string;
  readonly direction: 'maximize' | 'minimize';
}

// The metrics `evaluatePredictions` reports per task, with the direction of each.
const METRICS: Readonly<Record<Task, Readonly<Record<string, Objective['direction']>>>> = {
  binary: { auc: 'maximize', pr_auc: 'maximize', log_loss: 'minimize', brier: 'minimize', accuracy: 'maximize', precision: 'maximize', recall: 'maximize', f1: 'maximize' },
  regression: { rmse: 'minimize', mae: 'minimize', r2: 'maximize', mape: 'minimize' },
  multiclass: { log_loss: 'minimize', accuracy: 'maximize' },
};

const DEFAULT_METRIC: Readonly<Record<Task, string>> = { binary: 'auc', regression: 'rmse', multiclass: 'log_loss' };

/** Every metric name some task can optimise (for checking `--metric` before any data is read). */
export const METRIC_NAMES: readonly string[] = [...new Set(Object.values(METRICS).flatMap((m) => Object.keys(m)))];

/**
 * The objective for a task: `metric`, or the task's default (AUC for binary, RMSE for regression).
 * @throws OrchardError INVALID_ARGUMENT when the metric does not apply to the task.
 */
export function objectiveFor(task: Task, metric?: string): Objective {
  const name = metric ?? DEFAULT_METRIC[task];
  const direction = METRICS[task][name];
  if (!direction) throw new OrchardError('INVALID_ARGUMENT', `The metric '${name}' does not apply to a ${task} target; choose one of ${Object.keys(METRICS[task]).join(', ')}.`, { details: { metric: name, task } });
  return { metric: name, direction };
}

/** The metric as a score where higher is better (NaN stays NaN, ranking last). */
export function scoreOf(objective: Objective, metrics: Readonly<Record<string, number>>): number {
  const value = metrics[objective.metric];
  if (value === undefined || Number.isNaN(value)) return Number.NaN;
  return objective.direction === 'maximize' ? value : -value;
}
