import type { Readable } from 'node:stream';
import type { RawBatch } from '../tracking/validation.js';
import type { ArtifactFile, AuditEvent, Experiment, MetricPoint, Page, Run, RunInfo, RunStatus, ViewType } from '../tracking/types.js';

/**
 * What the SDK needs from Orchard, whether it runs in this process (embedded,
 * straight to the stores) or behind a server (HTTP). Both throw `OrchardError`s
 * with the same codes.
 */
export interface TrackingTransport {
  /** `embedded` or the server's URL, for messages. */
  readonly target: string;
  createExperiment(input: { name: string; tags?: Record<string, string> }): Promise<Experiment>;
  getExperiment(id: string): Promise<Experiment>;
  /** The experiment, or undefined when no experiment has that name. */
  findExperiment(name: string): Promise<Experiment | undefined>;
  searchExperiments(query: { viewType?: ViewType; maxResults?: number; pageToken?: string }): Promise<Page<Experiment>>;
  createRun(input: { experimentId: string; runName?: string; tags?: { key: string; value: string }[]; parentRunId?: string; startTime?: number }): Promise<Run>;
  getRun(runId: string): Promise<Run>;
  updateRun(runId: string, patch: { status?: RunStatus; endTime?: number; runName?: string }): Promise<RunInfo>;
  logBatch(runId: string, batch: RawBatch): Promise<void>;
  metricHistory(runId: string, key: string, page?: { maxResults?: number; pageToken?: string }): Promise<Page<MetricPoint>>;
  searchRuns(query: { experimentIds: string[]; filter?: string; orderBy?: string[]; viewType?: ViewType; maxResults?: number; pageToken?: string }): Promise<Page<Run>>;
  uploadArtifact(runId: string, path: string, body: Readable | Uint8Array): Promise<{ digest: string; size: number }>;
  listArtifacts(runId: string, dir?: string): Promise<ArtifactFile[]>;
  downloadArtifact(runId: string, path: string): Promise<Readable>;
  listEvents(query: { entityKind?: string; entityId?: string; limit?: number }): Promise<AuditEvent[]>;
  close(): Promise<void>;
}
