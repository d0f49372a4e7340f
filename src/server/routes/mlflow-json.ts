import type { ArtifactFile, Experiment, KeyValue, MetricPoint, Run, RunInfo } from '../../tracking/types.js';

/** Domain records in the JSON shapes of MLflow's REST API (snake_case, protobuf JSON for doubles). */

/** Protobuf JSON writes non-finite doubles as strings. */
export function jsonNumber(value: number): number | string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return 'Infinity';
  if (value === Number.NEGATIVE_INFINITY) return '-Infinity';
  return value;
}

export const metricJson = (m: MetricPoint) => ({ key: m.key, value: jsonNumber(m.value), timestamp: m.timestamp, step: m.step });

const kv = (list: readonly KeyValue[]) => list.map((t) => ({ key: t.key, value: t.value }));

export function experimentJson(e: Experiment) {
  return {
    experiment_id: e.experimentId,
    name: e.name,
    artifact_location: e.artifactLocation,
    lifecycle_stage: e.lifecycleStage,
    last_update_time: e.lastUpdateTime,
    creation_time: e.creationTime,
    tags: kv(e.tags),
  };
}

export function runInfoJson(i: RunInfo) {
  return {
    run_id: i.runId,
    run_uuid: i.runId,
    run_name: i.runName,
    experiment_id: i.experimentId,
    user_id: i.userId,
    status: i.status,
    start_time: i.startTime,
    ...(i.endTime === null ? {} : { end_time: i.endTime }),
    artifact_uri: i.artifactUri,
    lifecycle_stage: i.lifecycleStage,
  };
}

export function runJson(r: Run) {
  return {
    info: runInfoJson(r.info),
    data: { metrics: r.metrics.map(metricJson), params: kv(r.params), tags: kv(r.tags) },
    inputs: {},
  };
}

export function fileJson(f: ArtifactFile, prefix = '') {
  return { path: prefix + f.path, is_dir: f.isDir, ...(f.isDir ? {} : { file_size: f.size }) };
}
