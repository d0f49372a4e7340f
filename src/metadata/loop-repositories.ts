/**
 * Ports of the loop's tables (migration 0006): schedules, triggers and their claims;
 * alert rules, alerts and metric points; feedback on predictions. Every call is atomic
 * on its own; compose them with `MetadataStore.transaction`.
 */

/** A cron schedule that runs a pipeline (a file path or a pushed `name@version`). */
export interface ScheduleRecord {
  readonly name: string;
  readonly cron: string;
  /** IANA time zone the cron expression is read in, e.g. `UTC`. */
  readonly timezone: string;
  readonly pipeline: string;
  readonly params: Readonly<Record<string, string>>;
  readonly createdBy: string;
  readonly createdAt: number;
}

export type TriggerKind = 'dataset' | 'alert' | 'webhook';

/** What starts a pipeline run besides a schedule. */
export interface TriggerRecord {
  readonly name: string;
  readonly kind: TriggerKind;
  /** Dataset name pattern (`*` any characters) for `dataset`, alert rule name for `alert`, null for `webhook`. */
  readonly pattern: string | null;
  readonly pipeline: string;
  readonly params: Readonly<Record<string, string>>;
  readonly createdBy: string;
  readonly createdAt: number;
}

/** One fired schedule tick or trigger event; its (source, key) is unique across every process. */
export interface ClaimRecord {
  /** `schedule:<name>` or `trigger:<name>`. */
  readonly source: string;
  /** The due time (ISO) of a tick, or the event (`flights@3`, an alert's firing time). */
  readonly key: string;
  readonly claimedBy: string;
  readonly claimedAt: number;
  readonly runId: string | null;
  readonly error: string | null;
}

export interface ScheduleRepository {
  /** Throws ALREADY_EXISTS when the name is taken. */
  createSchedule(schedule: ScheduleRecord): Promise<void>;
  getSchedule(name: string): Promise<ScheduleRecord | undefined>;
  /** By name. */
  listSchedules(): Promise<ScheduleRecord[]>;
  /** Deletes the schedule (its claims stay as history); false when it did not exist. */
  deleteSchedule(name: string): Promise<boolean>;
  /** Throws ALREADY_EXISTS when the name is taken. */
  createTrigger(trigger: TriggerRecord): Promise<void>;
  getTrigger(name: string): Promise<TriggerRecord | undefined>;
  /** By name; only those of one kind when given. */
  listTriggers(kind?: TriggerKind): Promise<TriggerRecord[]>;
  deleteTrigger(name: string): Promise<boolean>;
  /**
   * Inserts the claim unless (source, key) exists. Returns true for exactly one caller
   * per (source, key), whichever process or connection it comes from.
   */
  claim(claim: Omit<ClaimRecord, 'runId' | 'error'>): Promise<boolean>;
  /** Records what a claim started (its run) or why it failed. */
  settleClaim(source: string, key: string, outcome: { runId: string | null; error: string | null }): Promise<void>;
  /** Claims of one source, newest first. */
  listClaims(source: string, limit: number): Promise<ClaimRecord[]>;
  /** The newest claim of a source, if any. */
  lastClaim(source: string): Promise<ClaimRecord | undefined>;
}

export type AlertOp = '>' | '<' | '>=' | '<=';

export interface AlertRuleRecord {
  readonly name: string;
  readonly metric: string;
  /** Labels a series must carry (equal values) to be watched by the rule; others are ignored. */
  readonly labels: Readonly<Record<string, string>>;
  readonly op: AlertOp;
  readonly threshold: number;
  /** Consecutive breaching evaluations before firing (1: at once). */
  readonly forCount: number;
  /** And at least this long since the first breach, in milliseconds (0: no duration). */
  readonly forMs: number;
  /** URLs that receive every state change as JSON. */
  readonly webhooks: readonly string[];
  readonly createdBy: string;
  readonly createdAt: number;
}

export type AlertStateName = 'ok' | 'pending' | 'firing' | 'resolved';

/** An alert: one rule and one label set, deduplicated by both. */
export interface AlertRecord {
  readonly rule: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly state: AlertStateName;
  /** The last value evaluated. */
  readonly value: number | null;
  /** Consecutive breaching evaluations so far. */
  readonly breaches: number;
  /** Time of the newest point already evaluated, so a point counts once. */
  readonly lastPointAt: number | null;
  readonly pendingSince: number | null;
  readonly firedAt: number | null;
  readonly resolvedAt: number | null;
  readonly updatedAt: number;
}

export interface MetricPointRecord {
  readonly metric: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
  readonly at: number;
}

export interface AlertRepository {
  createRule(rule: AlertRuleRecord): Promise<void>;
  getRule(name: string): Promise<AlertRuleRecord | undefined>;
  listRules(): Promise<AlertRuleRecord[]>;
  /** Deletes the rule and its alerts; false when it did not exist. */
  deleteRule(name: string): Promise<boolean>;
  getAlert(rule: string, labels: Readonly<Record<string, string>>): Promise<AlertRecord | undefined>;
  /** Inserts or replaces the alert of (rule, labels). */
  putAlert(alert: AlertRecord): Promise<void>;
  /** Alerts, newest change first; only those in the given states when given. */
  listAlerts(query: { rule?: string; states?: readonly AlertStateName[] }): Promise<AlertRecord[]>;
  appendPoints(points: readonly MetricPointRecord[]): Promise<void>;
  /** Points of a metric after `since` (exclusive), oldest first. */
  points(metric: string, since: number): Promise<MetricPointRecord[]>;
}

export type FeedbackKind = 'label' | 'human';

export interface FeedbackRecord {
  readonly endpoint: string;
  readonly requestId: string;
  /** `label`: ground truth; `human`: a score, a thumb or a comment. */
  readonly kind: FeedbackKind;
  /** The label as a number (classes as 0/1, regression values), or the human score (thumbs: 1 up, 0 down). */
  readonly value: number | null;
  /** A class label that is not a number, or `up`/`down` for thumbs. */
  readonly textValue: string | null;
  readonly comment: string | null;
  /** `api`, or the labels dataset version it came from (`labels@2`). */
  readonly source: string;
  readonly receivedAt: number;
}

export interface FeedbackRepository {
  /**
   * Writes feedback; a second record for (endpoint, request id, kind) replaces the first
   * (last write wins). Returns the request ids that replaced an earlier record.
   */
  put(records: readonly FeedbackRecord[]): Promise<string[]>;
  /** Feedback of an endpoint, by request id. */
  list(endpoint: string, kind: FeedbackKind): Promise<FeedbackRecord[]>;
}
