/** A stored monitor run: the listing columns plus the full result as JSON. */
export interface MonitorResultRecord {
  readonly id: number;
  readonly endpoint: string;
  readonly computedAt: number;
  readonly windowFrom: number | null;
  readonly windowTo: number | null;
  readonly windowRows: number;
  /** How the reference was named when the monitor ran (`flights@1`, `log:<from>..<to>`), reused by later runs. */
  readonly reference: string;
  readonly datasetDrifted: boolean;
  readonly driftedShare: number;
  /** The whole result (`MonitorResult` of src/monitoring/monitor-types.ts) as JSON. */
  readonly resultJson: string;
}

/**
 * Monitor results as a time series per endpoint. Append only: a result is never changed.
 */
export interface MonitorResultRepository {
  /** Appends a result and returns it with its id (ids increase with insertion). */
  add(record: Omit<MonitorResultRecord, 'id'>): Promise<MonitorResultRecord>;
  /** The endpoint's newest result (by computation time, then id), if any. */
  latest(endpoint: string): Promise<MonitorResultRecord | undefined>;
  /**
   * The endpoint's results, newest first (computation time, then id, both descending);
   * at most `limit`, optionally only those computed at or after `since`.
   */
  list(endpoint: string, query: { limit: number; since?: number }): Promise<MonitorResultRecord[]>;
}
