import { throwIfIssues, type Issue } from '../core/errors.js';
import type { Pipeline } from './pipeline.js';
import { preview, type ParamValue } from './types.js';

/** Parameter values of one run: the pipeline's, and each step's after wiring and overrides. */
export interface ResolvedParams {
  readonly pipeline: Readonly<Record<string, ParamValue>>;
  readonly nodes: Readonly<Record<string, Readonly<Record<string, ParamValue>>>>;
}

/**
 * Splits `key=value` arguments (`--param rows=100 train.lr=0.05`).
 * @throws OrchardError `INVALID_ARGUMENT` listing every malformed argument.
 */
export function parseParamArgs(args: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  const issues: Issue[] = [];
  args.forEach((arg, i) => {
    const eq = arg.indexOf('=');
    if (eq <= 0) issues.push({ code: 'invalid_param', path: ['param', i], message: `'${arg}' is not key=value; write --param rows=100, or --param <step>.<key>=<value> for a step's parameter` });
    else out[arg.slice(0, eq)] = arg.slice(eq + 1);
  });
  throwIfIssues('parameters', issues);
  return out;
}

/**
 * Resolves a run's parameters: pipeline defaults ← `key=value` overrides; each step's
 * defaults ← its wiring (literals or pipeline parameters) ← `<step>.<key>=value`
 * overrides. Text is parsed to the default's type (numbers, booleans, JSON for lists
 * and objects; a list of strings also takes `a,b,c`).
 * @throws OrchardError `INVALID_ARGUMENT` listing every unknown key and unparsable value.
 */
export function resolveParams(pipeline: Pipeline, overrides: Readonly<Record<string, string | ParamValue>>): ResolvedParams {
  const issues: Issue[] = [];
  const values: Record<string, ParamValue> = { ...pipeline.params };
  const nodeOverrides = new Map<string, Record<string, string | ParamValue>>();
  const nodes = new Map(pipeline.nodes.map((n) => [n.name, n]));
  for (const [key, raw] of Object.entries(overrides)) {
    const dot = key.indexOf('.');
    if (dot < 0) {
      if (!(key in pipeline.params)) {
        const known = Object.keys(pipeline.params);
        issues.push({ code: 'unknown_param', path: ['param', key], message: `pipeline '${pipeline.name}' has no parameter '${key}'; ${known.length ? `its parameters are ${known.join(', ')}` : 'it declares none'} (a step's parameter is set with <step>.<key>=<value>)` });
        continue;
      }
      const parsed = parseAs(raw, pipeline.params[key]!);
      if (typeof parsed === 'string' && parsed.startsWith('\u0000')) issues.push({ code: 'invalid_param', path: ['param', key], message: `parameter '${key}' ${parsed.slice(1)}` });
      else values[key] = parsed;
      continue;
    }
    const nodeName = key.slice(0, dot);
    const param = key.slice(dot + 1);
    const node = nodes.get(nodeName);
    if (!node) {
      issues.push({ code: 'unknown_param', path: ['param', key], message: `'${key}' names step '${nodeName}', which pipeline '${pipeline.name}' does not have; its steps are ${[...nodes.keys()].join(', ')}` });
      continue;
    }
    if (!(param in node.step.params)) {
      const known = Object.keys(node.step.params);
      issues.push({ code: 'unknown_param', path: ['param', key], message: `step '${nodeName}' has no parameter '${param}'; ${known.length ? `its parameters are ${known.join(', ')}` : 'it declares none'}` });
      continue;
    }
    nodeOverrides.set(nodeName, { ...(nodeOverrides.get(nodeName) ?? {}), [param]: raw });
  }
  const resolvedNodes: Record<string, Record<string, ParamValue>> = {};
  for (const node of pipeline.nodes) {
    const out: Record<string, ParamValue> = { ...node.step.params };
    for (const [key, b] of Object.entries(node.params)) {
      if (b.kind === 'value') out[key] = b.value;
      else if (b.kind === 'param' && b.param in values) out[key] = values[b.param]!;
    }
    for (const [key, raw] of Object.entries(nodeOverrides.get(node.name) ?? {})) {
      const parsed = parseAs(raw, node.step.params[key]!);
      if (typeof parsed === 'string' && parsed.startsWith('\u0000')) issues.push({ code: 'invalid_param', path: ['param', `${node.name}.${key}`], message: `parameter '${node.name}.${key}' ${parsed.slice(1)}` });
      else out[key] = parsed;
    }
    resolvedNodes[node.name] = out;
  }
  throwIfIssues(`parameters of pipeline '${pipeline.name}'`, issues);
  return { pipeline: values, nodes: resolvedNodes };
}

/** Parses a value to the type of `template`; a problem comes back as a string starting with NUL. */
function parseAs(raw: string | ParamValue, template: ParamValue): ParamValue {
  const bad = (what: string) => `\u0000must be ${what}, got '${typeof raw === 'string' ? raw : preview(raw)}'`;
  if (typeof raw !== 'string') {
    // Values given programmatically are checked, not parsed.
    if (template === null) return raw;
    if (Array.isArray(template)) return Array.isArray(raw) ? raw : bad('a list');
    if (typeof template === 'object') return raw !== null && typeof raw === 'object' && !Array.isArray(raw) ? raw : bad('a JSON object');
    return typeof raw === typeof template ? raw : bad(`a ${typeof template}`);
  }
  if (typeof template === 'number') {
    const n = Number(raw);
    return raw.trim() !== '' && Number.isFinite(n) ? n : bad('a number, e.g. 0.05');
  }
  if (typeof template === 'boolean') {
    if (['true', 'yes', '1'].includes(raw.toLowerCase())) return true;
    if (['false', 'no', '0'].includes(raw.toLowerCase())) return false;
    return bad('true or false');
  }
  if (typeof template === 'string') return raw;
  let json: unknown;
  let isJson = true;
  try {
    json = JSON.parse(raw);
  } catch {
    isJson = false;
  }
  if (template === null) return isJson ? (json as ParamValue) : raw;
  if (Array.isArray(template)) {
    if (isJson && Array.isArray(json)) return json as ParamValue;
    if (!isJson && template.every((t) => typeof t === 'string')) return raw === '' ? [] : raw.split(',').map((s) => s.trim());
    if (!isJson && template.length > 0 && template.every((t) => typeof t === 'number')) {
      const nums = raw.split(',').map((s) => Number(s.trim()));
      if (nums.every(Number.isFinite)) return nums;
    }
    return bad('a JSON list, e.g. ["a","b"] (or a,b for a list of strings)');
  }
  return isJson && json !== null && typeof json === 'object' && !Array.isArray(json) ? (json as ParamValue) : bad('a JSON object, e.g. {"depth":3}');
}
