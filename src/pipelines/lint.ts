import { throwIfIssues, type Issue } from '../core/errors.js';
import { bindingType, dependenciesOf, describeBinding, describeCondition, isPipeline, type Binding, type Pipeline, type PipelineNode } from './pipeline.js';
import { isStep } from './step.js';
import { describeType, fits, isArtifactType, isValueType, typeOfValue, type PortType } from './types.js';

/** Names of pipelines, steps and parameters: letters, digits, `_` and `-` (a dot separates `<step>.<param>`). */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/;

/**
 * Checks a pipeline graph before it runs and returns every problem at once:
 * invalid or duplicate names, inputs nothing feeds, references to steps, outputs or
 * parameters that do not exist, outputs whose type does not fit the input they feed,
 * conditions and fan-outs that cannot work, and cycles. Each message names the
 * step and the fix. Pure: no I/O.
 */
export function lintPipeline(pipeline: Pipeline): Issue[] {
  const issues: Issue[] = [];
  const issue = (code: string, path: (string | number)[], message: string) => issues.push({ code, path, message });
  if (!isPipeline(pipeline)) {
    issue('not_a_pipeline', [], 'the value is not a pipeline; build it with pipeline(name, options, build)');
    return issues;
  }
  if (!NAME_PATTERN.test(pipeline.name)) issue('invalid_name', ['name'], `pipeline name '${pipeline.name}' must be 1–100 letters, digits, '_' or '-', starting with a letter or digit`);
  for (const key of Object.keys(pipeline.params)) {
    if (!NAME_PATTERN.test(key)) issue('invalid_name', ['params', key], `pipeline parameter '${key}' must be letters, digits, '_' or '-' (no dots: '--param <step>.<key>' sets step parameters)`);
  }
  if (pipeline.nodes.length === 0) issue('empty', ['nodes'], `pipeline '${pipeline.name}' has no steps; add one with p.step(…) in its build function`);

  const byName = new Map<string, PipelineNode>();
  const positions = new Map<string, number[]>();
  pipeline.nodes.forEach((n, i) => {
    positions.set(n.name, [...(positions.get(n.name) ?? []), i + 1]);
    if (!byName.has(n.name)) byName.set(n.name, n);
  });
  for (const [name, at] of positions) {
    if (at.length > 1) issue('duplicate_name', ['nodes', name], `${at.length} steps are named '${name}' (steps ${at.join(', ')} in build order); give all but one another name with { name: '…' }`);
  }
  const known = () => [...byName.keys()].join(', ') || '(none)';

  const check = (node: PipelineNode, path: (string | number)[], what: string, b: Binding, expected: PortType | undefined): void => {
    if (b.kind === 'value' && b.value === undefined) {
      issue('missing_input', path, `step '${node.name}' ${what} is given undefined; pass a value or a reference`);
      return;
    }
    if (b.kind === 'output') {
      const source = byName.get(b.node);
      if (!source) {
        issue('unknown_step', path, `step '${node.name}' ${what} reads '${describeBinding(b)}', but no step is named '${b.node}'; steps are ${known()}`);
        return;
      }
      if (!(b.output in source.step.outputs)) {
        const outs = Object.keys(source.step.outputs);
        issue('unknown_output', path, `step '${node.name}' ${what} reads '${describeBinding(b)}', but step '${b.node}' has no output '${b.output}'; its outputs are ${outs.join(', ') || '(none)'}`);
        return;
      }
    }
    if (b.kind === 'param' || (b.kind === 'local' && typeof b.path !== 'string')) {
      const param = b.kind === 'param' ? b.param : (b.path as { param: string }).param;
      if (!(param in pipeline.params)) {
        issue('unknown_param', path, `step '${node.name}' ${what} reads pipeline parameter '${param}', which is not declared; declare it in pipeline(name, { params: { ${param}: … } }, …)`);
        return;
      }
      if (b.kind === 'local' && typeof pipeline.params[param] !== 'string') issue('type_mismatch', path, `step '${node.name}' ${what} takes a path from parameter '${param}', which is not a string`);
    }
    const actual = bindingType(b, pipeline, byName);
    if (expected === undefined || actual === undefined) return;
    if (b.kind === 'value' && isValueType(expected)) {
      if (!valueFits(b.value, expected)) issue('type_mismatch', path, `step '${node.name}' ${what} expects ${describeType(expected)} but is given ${JSON.stringify(b.value)} (${describeType(actual)}); pass a ${describeType(expected)}`);
      return;
    }
    if (!fits(actual, expected)) {
      issue('type_mismatch', path, `step '${node.name}' ${what} expects ${describeType(expected)} but '${describeBinding(b)}' is ${describeType(actual)}; feed it a ${describeType(expected)}${b.kind === 'output' ? ` output or change the declared type of '${describeBinding(b)}'` : ''}`);
    }
  };

  pipeline.nodes.forEach((node, index) => {
    const at = ['nodes', node.name];
    if (!isStep(node.step)) {
      issue('not_a_step', at, `node ${index + 1} '${node.name}' is not a step made with step() or command()`);
      return;
    }
    if (!NAME_PATTERN.test(node.name)) issue('invalid_name', at, `step name '${node.name}' must be 1–100 letters, digits, '_' or '-', starting with a letter or digit; rename it with { name: '…' }`);
    const def = node.step;
    for (const [out, t] of Object.entries(def.outputs)) {
      if (t.kind === 'list' && !isValueType(t)) issue('invalid_output', [...at, 'outputs', out], `step '${node.name}' output '${out}' is a list of artifacts, which a step cannot write; use a folder output`);
    }
    for (const [input, expected] of Object.entries(def.inputs)) {
      if (node.map?.item === input) continue;
      const b = node.inputs[input];
      if (b === undefined) issue('missing_input', [...at, 'inputs', input], `step '${node.name}' needs input '${input}' (${describeType(expected)}) but nothing feeds it; pass inputs: { ${input}: … }`);
      else check(node, [...at, 'inputs', input], `input '${input}'`, b, expected);
    }
    for (const [input, b] of Object.entries(node.inputs)) {
      if (!(input in def.inputs)) issue('unknown_input', [...at, 'inputs', input], `step '${node.name}' is given input '${input}' (${describeBinding(b)}), which step '${def.name}' does not declare; its inputs are ${Object.keys(def.inputs).join(', ') || '(none)'}`);
      else if (node.map?.item === input) issue('unknown_input', [...at, 'inputs', input], `step '${node.name}' fans out over input '${input}', so it cannot also be given one; remove it from inputs`);
    }
    for (const [key, b] of Object.entries(node.params)) {
      if (!(key in def.params)) {
        issue('unknown_param', [...at, 'params', key], `step '${node.name}' sets parameter '${key}', which step '${def.name}' does not declare; its parameters are ${Object.keys(def.params).join(', ') || '(none)'}`);
        continue;
      }
      const d = def.params[key]!;
      check(node, [...at, 'params', key], `parameter '${key}'`, b, d === null ? { kind: 'json' } : typeOfValue(d));
    }
    node.when.forEach((c, i) => {
      const path = [...at, 'when', i];
      if (c?.kind !== 'orchard.condition') {
        issue('invalid_condition', path, `step '${node.name}' when[${i}] is not a condition; build one from a reference, e.g. when: train.outputs.auc.gt(0.8)`);
        return;
      }
      check(node, path, `condition '${describeCondition(c)}'`, c.ref, undefined);
      const t = bindingType(c.ref, pipeline, byName);
      if (t === undefined) return;
      if (isArtifactType(t) || !isValueType(t)) issue('invalid_condition', path, `step '${node.name}' condition '${describeCondition(c)}' tests an artifact (${describeType(t)}); test a value output instead`);
      else if (['gt', 'gte', 'lt', 'lte'].includes(c.op) && (t.kind !== 'number' || typeof c.value !== 'number')) {
        issue('invalid_condition', path, `step '${node.name}' condition '${describeCondition(c)}' compares ${describeType(t)} with ${JSON.stringify(c.value)}; ordering needs a number on both sides`);
      }
    });
    if (node.map) {
      const path = [...at, 'map'];
      const itemType = def.inputs[node.map.item];
      if (itemType === undefined) issue('invalid_map', path, `step '${node.name}' fans out into input '${node.map.item}', which step '${def.name}' does not declare; its inputs are ${Object.keys(def.inputs).join(', ') || '(none)'}`);
      check(node, path, 'fan-out list (over)', node.map.over, undefined);
      const t = bindingType(node.map.over, pipeline, byName);
      if (t !== undefined && t.kind !== 'list') issue('invalid_map', path, `step '${node.name}' fans out over '${describeBinding(node.map.over)}', which is ${describeType(t)}, not a list; pass a list output, a list parameter or a literal list`);
      else if (t !== undefined && t.kind === 'list' && itemType !== undefined && !(node.map.over.kind === 'value' ? valueFits(node.map.over.value, { kind: 'list', of: itemType }) : fits(t.of, itemType))) {
        issue('type_mismatch', path, `step '${node.name}' fans out '${describeBinding(node.map.over)}' (${describeType(t)}) into input '${node.map.item}', which expects ${describeType(itemType)}`);
      }
    }
    for (const a of node.after) if (!byName.has(a)) issue('unknown_step', [...at, 'after'], `step '${node.name}' runs after '${a}', but no step is named '${a}'; steps are ${known()}`);
  });

  for (const cycle of findCycles(pipeline.nodes.filter((n) => isStep(n.step)), byName)) {
    issue('cycle', ['nodes', cycle[0]!], `steps form a cycle: ${[...cycle, cycle[0]].join(' → ')}; a step cannot depend on its own results — remove one of these links`);
  }
  return issues;
}

/** Lints and throws one INVALID_ARGUMENT listing every problem. */
export function assertValidPipeline(pipeline: Pipeline): void {
  throwIfIssues(`pipeline '${pipeline?.name}'`, lintPipeline(pipeline));
}

function valueFits(value: unknown, t: PortType): boolean {
  if (t.kind === 'json') return true;
  if (t.kind === 'list') return Array.isArray(value) && value.every((v) => valueFits(v, t.of));
  if (t.kind === 'number') return typeof value === 'number';
  if (t.kind === 'string') return typeof value === 'string';
  if (t.kind === 'boolean') return typeof value === 'boolean';
  return false;
}

/** Every elementary cycle found by a depth-first search, each reported once. */
function findCycles(nodes: readonly PipelineNode[], byName: ReadonlyMap<string, PipelineNode>): string[][] {
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const seen = new Set<string>();
  const order = new Map(nodes.map((n, i) => [n.name, i]));
  const visit = (name: string) => {
    state.set(name, 'visiting');
    stack.push(name);
    const node = byName.get(name);
    for (const dep of node ? dependenciesOf(node) : []) {
      if (!byName.has(dep)) continue;
      if (state.get(dep) === 'visiting') {
        // The dependency edge points upstream; show the cycle in data-flow order.
        const reversed = stack.slice(stack.indexOf(dep)).reverse();
        // Start at the step added first, so the same cycle always reads the same way.
        const first = reversed.reduce((best, n, i) => (order.get(n)! < order.get(reversed[best]!)! ? i : best), 0);
        const cycle = [...reversed.slice(first), ...reversed.slice(0, first)];
        const key = [...cycle].sort().join('\u0000');
        if (!seen.has(key)) {
          seen.add(key);
          cycles.push(cycle);
        }
      } else if (!state.has(dep)) visit(dep);
    }
    stack.pop();
    state.set(name, 'done');
  };
  for (const n of nodes) if (!state.has(n.name)) visit(n.name);
  return cycles;
}

/** Node names in an order where every node comes after the ones it depends on (assumes no cycles). */
export function topologicalOrder(pipeline: Pipeline): string[] {
  const byName = new Map(pipeline.nodes.map((n) => [n.name, n]));
  const order: string[] = [];
  const seen = new Set<string>();
  const visit = (name: string) => {
    if (seen.has(name)) return;
    seen.add(name);
    const node = byName.get(name);
    for (const d of node ? dependenciesOf(node) : []) if (byName.has(d)) visit(d);
    order.push(name);
  };
  pipeline.nodes.forEach((n) => visit(n.name));
  return order;
}
