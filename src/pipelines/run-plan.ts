import { dependenciesOf, describeCondition, holds, type Binding, type Pipeline, type PipelineNode } from './pipeline.js';
import type { ResolvedParams } from './params.js';
import { storedItems, storedList, type JsonValue, type StoredValue } from './types.js';

/**
 * The run state machine, without I/O: given the graph and the state of every unit
 * (a step, or one item of a fan-out), says what can happen next — run a unit, skip
 * it, mark it blocked by a failure upstream, expand a fan-out, or join one. The
 * runner applies decisions, persists them, and asks again.
 */

/**
 * `PENDING` (waiting for upstream steps), `QUEUED` (ready; waiting for a slot or a
 * retry), `RUNNING` (an attempt is active; for a fan-out: expanded), then one of
 * the terminal statuses.
 */
export type UnitStatus = 'PENDING' | 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'CACHED' | 'FAILED' | 'SKIPPED' | 'UPSTREAM_FAILED' | 'CANCELLED';

export const TERMINAL_STATUSES: ReadonlySet<UnitStatus> = new Set(['SUCCEEDED', 'CACHED', 'FAILED', 'SKIPPED', 'UPSTREAM_FAILED', 'CANCELLED']);
const OK: ReadonlySet<UnitStatus> = new Set(['SUCCEEDED', 'CACHED']);
const BROKEN: ReadonlySet<UnitStatus> = new Set(['FAILED', 'UPSTREAM_FAILED', 'CANCELLED']);

export interface UnitState {
  /** `train`, or `train[2]` for an item of a fan-out. */
  readonly unit: string;
  readonly node: string;
  /** The item's position in a fan-out; null for a plain step or a fan-out as a whole. */
  readonly index: number | null;
  readonly status: UnitStatus;
  readonly outputs: Readonly<Record<string, StoredValue>> | null;
}

export type Decision =
  | { readonly type: 'run'; readonly unit: string; readonly node: PipelineNode; readonly index: number | null; readonly inputs: Readonly<Record<string, StoredValue>> }
  | { readonly type: 'skip'; readonly unit: string; readonly reason: string }
  | { readonly type: 'upstream_failed'; readonly unit: string; readonly reason: string }
  | { readonly type: 'expand'; readonly node: string; readonly count: number }
  /** A fan-out ends: CACHED when every item came from the cache. */
  | { readonly type: 'join'; readonly node: string; readonly status: 'SUCCEEDED' | 'CACHED' | 'FAILED'; readonly outputs: Readonly<Record<string, StoredValue>> | null; readonly reason?: string };

export interface PlanContext {
  readonly params: ResolvedParams;
  /** Local files and folders given to inputs, stored when the run started, by `<step>.<input>`. */
  readonly locals: Readonly<Record<string, StoredValue>>;
}

export const unitName = (node: string, index: number | null): string => (index === null ? node : `${node}[${index}]`);

/** The states a run starts with: every step pending. */
export function initialStates(pipeline: Pipeline): Map<string, UnitState> {
  return new Map(pipeline.nodes.map((n) => [n.name, { unit: n.name, node: n.name, index: null, status: 'PENDING' as UnitStatus, outputs: null }]));
}

/**
 * States loaded for a resume: units that were queued or running when the runner
 * stopped go back to pending (an expanded fan-out stays expanded); finished ones stay.
 */
export function statesForResume(pipeline: Pipeline, stored: readonly UnitState[]): Map<string, UnitState> {
  const states = initialStates(pipeline);
  const maps = new Set(pipeline.nodes.filter((n) => n.map).map((n) => n.name));
  for (const s of stored) {
    const expandedMap = s.index === null && maps.has(s.node) && s.status === 'RUNNING';
    const status: UnitStatus = TERMINAL_STATUSES.has(s.status) && s.status !== 'CANCELLED' && s.status !== 'FAILED' && s.status !== 'UPSTREAM_FAILED' ? s.status : expandedMap ? 'RUNNING' : 'PENDING';
    states.set(s.unit, { ...s, status, outputs: OK.has(status) ? s.outputs : null });
  }
  // A fan-out whose items must run again is joined again; one that failed as a whole is expanded again.
  for (const name of maps) {
    const parent = states.get(name)!;
    const items = [...states.values()].filter((s) => s.node === name && s.index !== null);
    if (parent.status === 'PENDING' && items.length > 0) states.set(name, { ...parent, status: 'RUNNING' });
  }
  return states;
}

/** What can happen next. Only units that are `PENDING` (and expanded fan-outs) get decisions. */
export function decide(pipeline: Pipeline, ctx: PlanContext, states: ReadonlyMap<string, UnitState>): Decision[] {
  const decisions: Decision[] = [];
  const byName = new Map(pipeline.nodes.map((n) => [n.name, n]));
  for (const node of pipeline.nodes) {
    const parent = states.get(node.name);
    if (!parent) continue;
    if (node.map && parent.status === 'RUNNING') {
      decisions.push(...fanOutDecisions(node, ctx, states));
      continue;
    }
    if (parent.status !== 'PENDING') continue;
    const deps = dependenciesOf(node).filter((d) => byName.has(d));
    const depStates = deps.map((d) => states.get(d)!);
    if (depStates.some((s) => !TERMINAL_STATUSES.has(s.status))) continue;
    const broken = depStates.find((s) => BROKEN.has(s.status));
    if (broken) {
      decisions.push({ type: 'upstream_failed', unit: node.name, reason: `upstream step '${broken.unit}' ${broken.status === 'FAILED' ? 'failed' : broken.status === 'CANCELLED' ? 'was cancelled' : 'did not run because of a failure'}` });
      continue;
    }
    const skipped = depStates.find((s) => s.status === 'SKIPPED');
    if (skipped) {
      decisions.push({ type: 'skip', unit: node.name, reason: `upstream step '${skipped.unit}' was skipped` });
      continue;
    }
    const failedCondition = node.when.find((c) => !holds(c, conditionValue(c.ref, ctx, states)));
    if (failedCondition) {
      decisions.push({ type: 'skip', unit: node.name, reason: `condition ${describeCondition(failedCondition)} is false (the value is ${JSON.stringify(conditionValue(failedCondition.ref, ctx, states))})` });
      continue;
    }
    if (node.map) {
      const over = resolve(node.map.over, node.name, 'over', ctx, states);
      decisions.push({ type: 'expand', node: node.name, count: over ? (storedItems(over)?.length ?? 0) : 0 });
      continue;
    }
    decisions.push({ type: 'run', unit: node.name, node, index: null, inputs: inputsOf(node, ctx, states) });
  }
  return decisions;
}

function fanOutDecisions(node: PipelineNode, ctx: PlanContext, states: ReadonlyMap<string, UnitState>): Decision[] {
  const items = [...states.values()].filter((s) => s.node === node.name && s.index !== null).sort((a, b) => a.index! - b.index!);
  const pending = items.filter((s) => s.status === 'PENDING');
  if (pending.length > 0) {
    const list = storedItems(resolve(node.map!.over, node.name, 'over', ctx, states) ?? { kind: 'value', value: [] }) ?? [];
    const base = inputsOf(node, ctx, states);
    return pending.map((s) => ({ type: 'run' as const, unit: s.unit, node, index: s.index, inputs: { ...base, [node.map!.item]: list[s.index!]! } }));
  }
  if (items.some((s) => !TERMINAL_STATUSES.has(s.status))) return [];
  const bad = items.filter((s) => !OK.has(s.status));
  if (bad.length > 0) {
    return [{ type: 'join', node: node.name, status: 'FAILED', outputs: null, reason: `${bad.length} of ${items.length} items did not succeed: ${bad.slice(0, 5).map((s) => s.unit).join(', ')}${bad.length > 5 ? ', …' : ''}` }];
  }
  const outputs: Record<string, StoredValue> = {};
  for (const key of Object.keys(node.step.outputs)) outputs[key] = storedList(items.map((s) => s.outputs![key]!));
  const allCached = items.length > 0 && items.every((s) => s.status === 'CACHED');
  return [{ type: 'join', node: node.name, status: allCached ? 'CACHED' : 'SUCCEEDED', outputs }];
}

function inputsOf(node: PipelineNode, ctx: PlanContext, states: ReadonlyMap<string, UnitState>): Record<string, StoredValue> {
  const inputs: Record<string, StoredValue> = {};
  for (const [name, b] of Object.entries(node.inputs)) {
    const v = resolve(b, node.name, name, ctx, states);
    if (v !== undefined) inputs[name] = v;
  }
  return inputs;
}

function resolve(b: Binding, node: string, input: string, ctx: PlanContext, states: ReadonlyMap<string, UnitState>): StoredValue | undefined {
  switch (b.kind) {
    case 'output':
      return states.get(b.node)?.outputs?.[b.output];
    case 'param':
      return { kind: 'value', value: ctx.params.pipeline[b.param] ?? null };
    case 'value':
      return { kind: 'value', value: b.value };
    case 'local':
      return ctx.locals[`${node}.${input}`];
  }
}

function conditionValue(b: Binding, ctx: PlanContext, states: ReadonlyMap<string, UnitState>): JsonValue {
  const v = resolve(b, '', '', ctx, states);
  return v?.kind === 'value' ? v.value : null;
}

/** Whether every unit is terminal (the run is over). */
export function isComplete(states: ReadonlyMap<string, UnitState>): boolean {
  return [...states.values()].every((s) => TERMINAL_STATUSES.has(s.status));
}

/** How a run ended, from its units: FINISHED when none failed, else FAILED (KILLED when cancelled). */
export function runOutcome(states: ReadonlyMap<string, UnitState>): 'FINISHED' | 'FAILED' | 'KILLED' {
  const all = [...states.values()];
  if (all.some((s) => s.status === 'CANCELLED')) return 'KILLED';
  return all.some((s) => s.status === 'FAILED' || s.status === 'UPSTREAM_FAILED') ? 'FAILED' : 'FINISHED';
}
