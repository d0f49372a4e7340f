import { notFound } from '../core/errors.js';
import type { MetadataStore } from '../metadata/metadata-store.js';
import type { UnitStatus } from './run-plan.js';

/** Each node's dependencies as a run stores them, so its graph can be shown without its code. */
export type StoredGraph = readonly { readonly node: string; readonly after: readonly string[] }[];

export interface UnitSummary {
  readonly unit: string;
  readonly node: string;
  readonly status: UnitStatus;
  readonly attempts: number;
  readonly startedAt: number | null;
  readonly endedAt: number | null;
  readonly reason: string | null;
  readonly stepRunId: string | null;
  /** The steps it waits for. */
  readonly after: readonly string[];
}

export interface RunSummary {
  readonly runId: string;
  readonly pipeline: string;
  readonly version: number | null;
  readonly status: string;
  readonly units: readonly UnitSummary[];
}

/**
 * A run's units from the store, in graph order (fan-out items after their fan-out),
 * with what each waits for.
 * @throws OrchardError `NOT_FOUND` when the run is not a pipeline run.
 */
export async function runSummary(store: MetadataStore, runId: string): Promise<RunSummary> {
  const rec = await store.pipelines.getRun(runId);
  if (!rec) throw notFound(`Run '${runId}' is not a pipeline run.`, { runId });
  const graph = (rec.options as { graph?: StoredGraph }).graph ?? [];
  const order = graphOrder(graph);
  const after = new Map(graph.map((g) => [g.node, g.after]));
  const steps = await store.pipelines.listSteps(runId);
  steps.sort((a, b) => (order.get(a.node) ?? 0) - (order.get(b.node) ?? 0) || (a.index ?? -1) - (b.index ?? -1));
  const units = steps.map((s) => ({
    unit: s.unit,
    node: s.node,
    status: s.status as UnitStatus,
    attempts: s.attempts,
    startedAt: s.startedAt,
    endedAt: s.endedAt,
    reason: s.reason,
    stepRunId: s.stepRunId,
    after: s.index === null ? (after.get(s.node) ?? []) : [s.node],
  }));
  return { runId, pipeline: rec.pipeline, version: rec.version, status: rec.status, units };
}

/** Position of each node in an order where it follows what it waits for. */
function graphOrder(graph: StoredGraph): Map<string, number> {
  const after = new Map(graph.map((g) => [g.node, g.after]));
  const order = new Map<string, number>();
  const visit = (node: string, seen: Set<string>) => {
    if (order.has(node) || seen.has(node)) return;
    seen.add(node);
    for (const d of after.get(node) ?? []) visit(d, seen);
    order.set(node, order.size);
  };
  graph.forEach((g) => visit(g.node, new Set()));
  return order;
}
