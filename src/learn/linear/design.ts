import { throwIfIssues, type Issue } from '../../core/errors.js';
import type { Task, TrainingData } from '../learner.js';

/** Per-column mean and standard deviation (population, over the present values; 1 for constant or empty columns). */
export function standardise(features: readonly Float64Array[]): { mean: number[]; scale: number[] } {
  const mean: number[] = [];
  const scale: number[] = [];
  for (const col of features) {
    let s = 0;
    let n = 0;
    for (let i = 0; i < col.length; i++) if (!Number.isNaN(col[i]!)) (s += col[i]!), n++;
    const m = n === 0 ? 0 : s / n;
    let v = 0;
    for (let i = 0; i < col.length; i++) if (!Number.isNaN(col[i]!)) v += (col[i]! - m) ** 2;
    const sd = n === 0 ? 0 : Math.sqrt(v / n);
    mean.push(m);
    scale.push(sd > 0 ? sd : 1);
  }
  return { mean, scale };
}

/**
 * The design the solvers see: (x − centre)/scale, a missing value counting as the
 * column mean. `centre` is the mean when an intercept is fitted (columns then average
 * to 0) and 0 when it is not, so a model without intercept stays one through the origin.
 */
export function design(features: readonly ArrayLike<number>[], centre: readonly number[], mean: readonly number[], scale: readonly number[]): Float64Array[] {
  return features.map((col, j) => {
    const c = centre[j]!;
    const s = scale[j]!;
    const missing = (mean[j]! - c) / s;
    const out = new Float64Array(col.length);
    for (let i = 0; i < col.length; i++) {
      const v = col[i]!;
      out[i] = Number.isNaN(v) ? missing : (v - c) / s;
    }
    return out;
  });
}

/**
 * Checks training data for a linear learner and reports every problem at once:
 * no rows, columns of the wrong length, infinite feature values (NaN is missing and
 * fine), and targets that do not fit the task.
 */
export function checkTrainingData(learnerName: string, data: TrainingData, task: Task): void {
  const issues: Issue[] = [];
  const n = data.target.length;
  if (n === 0) issues.push({ code: 'no_rows', path: ['target'], message: `there are 0 training rows; ${learnerName} needs at least one row with a target` });
  data.features.forEach((col, j) => {
    const name = data.featureNames[j] ?? `#${j + 1}`;
    if (col.length !== n) {
      issues.push({ code: 'length_mismatch', path: ['features', name], message: `feature \`${name}\` has ${col.length} values but the target has ${n}` });
      return;
    }
    for (let i = 0; i < col.length; i++) {
      const v = col[i]!;
      if (v === Number.POSITIVE_INFINITY || v === Number.NEGATIVE_INFINITY) {
        issues.push({ code: 'not_finite', path: ['features', name], message: `feature \`${name}\` is ${v} at row ${i + 1}; replace infinite values (missing values may be NaN/null)` });
        return;
      }
    }
  });
  const classesOk = task !== 'multiclass' || (Number.isInteger(data.classes) && data.classes! >= 2);
  if (!classesOk) issues.push({ code: 'bad_classes', path: ['classes'], message: `a multiclass task needs TrainingData.classes, a whole number ≥ 2; got ${String(data.classes)}` });
  let bad = -1;
  for (let i = 0; i < n && bad < 0 && classesOk; i++) {
    const t = data.target[i]!;
    if (task === 'regression' ? !Number.isFinite(t) : task === 'binary' ? t !== 0 && t !== 1 : !Number.isInteger(t) || t < 0 || t >= (data.classes ?? 0)) bad = i;
  }
  if (bad >= 0) {
    const t = data.target[bad]!;
    const want = task === 'regression' ? 'a finite number' : task === 'binary' ? '0 or 1' : `a class index 0…${(data.classes ?? 0) - 1}`;
    issues.push({ code: 'bad_target', path: ['target'], message: `the ${task} target is ${t} at row ${bad + 1}; it must be ${want} on every row (drop or fill those rows)` });
  }
  if (bad < 0 && classesOk && task !== 'regression' && n > 0) {
    const first = data.target[0]!;
    if (data.target.every((t) => t === first))
      issues.push({ code: 'single_class', path: ['target'], message: `the target has a single class (all ${first}); a classifier needs at least two` });
  }
  throwIfIssues(`training data for ${learnerName}`, issues);
}
