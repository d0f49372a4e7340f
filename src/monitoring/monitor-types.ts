import type { LabelledMetrics, PerformanceTask } from '../feedback/live-performance.js';
import type { DriftMethod, FeatureType } from './drift-methods.js';

/** Reference against current bins of a numeric feature: equal-width bins over the reference's range. */
export interface HistogramChart {
  readonly kind: 'histogram';
  /** `bins + 1` edges from the reference's minimum to its maximum. */
  readonly edges: number[];
  readonly reference: number[];
  readonly current: number[];
  /** Current values below the reference's minimum and above its maximum (out of range). */
  readonly currentBelow: number;
  readonly currentAbove: number;
}

/** Reference against current counts of the most frequent categories; the rest summed in `other`. */
export interface CategoryChart {
  readonly kind: 'categories';
  readonly categories: string[];
  readonly reference: number[];
  readonly current: number[];
  readonly otherReference: number;
  readonly otherCurrent: number;
}

export interface SampleStats {
  /** Rows of the sample (nulls included). */
  readonly rows: number;
  readonly nulls: number;
  readonly nullRate: number;
}

/**
 * `ok`: drift computed. `missing`: the feature is absent from the log or from the reference.
 * `empty`: the window has no rows. `all_null`: one side has no non-null value.
 */
export type FeatureStatus = 'ok' | 'missing' | 'empty' | 'all_null';

export interface FeatureDrift {
  readonly name: string;
  readonly type: FeatureType;
  /** A datetime feature: its numbers (range, histogram edges) are epoch milliseconds. */
  readonly datetime?: boolean;
  readonly status: FeatureStatus;
  /** Why there is no verdict, or what to know about it (a constant reference, say). */
  readonly message: string | null;
  readonly method: DriftMethod | null;
  readonly threshold: number | null;
  /** The p-value or distance the verdict compares with the threshold; null when there is none (or it is infinite). */
  readonly score: number | null;
  /** The test statistic behind a p-value (KS D, chi-square, z), else the score. */
  readonly statistic: number | null;
  readonly drifted: boolean;
  readonly reference: SampleStats & { readonly min?: number; readonly max?: number; readonly std?: number; readonly distinct: number };
  readonly current: SampleStats & {
    /** Numeric: values outside the reference's [min, max]. */
    readonly outOfRange?: number;
    readonly outOfRangeRate?: number;
    /** Categorical: values never seen in the reference, with a few examples. */
    readonly unseen?: number;
    readonly unseenRate?: number;
    readonly unseenExamples?: string[];
  };
  readonly chart: HistogramChart | CategoryChart | null;
}

export interface QualityIssue {
  readonly feature: string;
  /** `missing_feature`, `unexpected_feature`, `type_mismatch`, `null_rate`, `out_of_range`, `unseen_category`, `empty_window`. */
  readonly kind: string;
  readonly message: string;
}

/** One monitor run over one window: what is stored as a point of the endpoint's time series. */
export interface MonitorResult {
  readonly endpoint: string;
  readonly computedAt: number;
  /** e.g. `flights@1` or `log 2026-03-01T00:00:00.000Z..2026-04-01T00:00:00.000Z`. */
  readonly reference: { readonly description: string; readonly rows: number };
  readonly window: { readonly description: string; readonly rows: number; readonly from: number | null; readonly to: number | null };
  readonly features: FeatureDrift[];
  /** Drift of the `prediction` column; null when the reference has no predictions (a dataset version). */
  readonly prediction: FeatureDrift | null;
  readonly dataset: { readonly drifted: boolean; readonly driftedShare: number; readonly driftedFeatures: number; readonly evaluatedFeatures: number; readonly shareThreshold: number };
  readonly quality: QualityIssue[];
  readonly messages: string[];
  /**
   * Live performance of the window: its logged predictions joined with the labels received
   * so far (feedback, by request id). Null when none of the window's predictions has a label
   * yet; absent in results stored before it existed.
   */
  readonly performance?: WindowLabelledPerformance | null;
}

/** A window's labelled predictions and their metrics. */
export interface WindowLabelledPerformance extends LabelledMetrics {
  readonly task: PerformanceTask;
  /** Predictions in the window (labelled or not). */
  readonly predictions: number;
}
