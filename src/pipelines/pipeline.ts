import { OrchardError } from '../core/errors.js';
import { isStep, type AnyStep, type ParamDefaults, type StepDefinition, type Widen } from './step.js';
import { types, typeOfValue, type JsonValue, type ListType, type ParamValue, type PortType, type Ports, type RuntimeValue, type Shape } from './types.js';

/**
 * The pipeline DSL. `pipeline(name, options, build)` calls `build` once with a
 * builder and returns the graph as a plain value: nodes (step uses), bindings
 * between them, conditions and fan-outs. Lint checks this value; the runner plans
 * from it. Nothing here runs a step.
 */

/** Where a node's input, parameter or condition gets its value. */
export type Binding =
  | { readonly kind: 'output'; readonly node: string; readonly output: string }
  | { readonly kind: 'param'; readonly param: string }
  | { readonly kind: 'value'; readonly value: JsonValue }
  /** A local file or folder, hashed into the artifact store when the run starts. */
  | { readonly kind: 'local'; readonly type: 'file' | 'folder'; readonly path: string | { readonly kind: 'param'; readonly param: string } };

export type ConditionOp = 'eq' | 'ne' | 'gt' | 'gte' | 'lt' | 'lte' | 'truthy' | 'falsy';

/** `when` conditions: the node runs only when every condition holds; otherwise it is skipped. */
export interface Condition {
  readonly kind: 'orchard.condition';
  readonly ref: Binding;
  readonly op: ConditionOp;
  readonly value?: JsonValue;
}

export interface PipelineNode {
  readonly name: string;
  readonly step: AnyStep;
  readonly inputs: Readonly<Record<string, Binding>>;
  /** Parameter overrides of this use of the step (literals or pipeline parameters). */
  readonly params: Readonly<Record<string, Binding>>;
  readonly when: readonly Condition[];
  /** Nodes that must finish first although no data flows from them. */
  readonly after: readonly string[];
  /** Fan-out: one instance of the step per item of `over`, given as input `item`. */
  readonly map: { readonly over: Binding; readonly item: string } | undefined;
  readonly retries: number;
  readonly retryDelayMs: number;
  readonly timeoutMs: number | undefined;
  readonly cache: boolean;
}

export interface PipelineOptions<P extends ParamDefaults = ParamDefaults> {
  readonly description?: string;
  /** Pipeline parameters with defaults; a run overrides them with `--param <key>=<value>`. */
  readonly params?: P;
  /** Experiment of the pipeline's runs (default: the pipeline's name). */
  readonly experiment?: string;
  /** Most steps running at once (default: the number of cores). */
  readonly concurrency?: number;
}

/** The graph value. */
export interface Pipeline {
  readonly kind: 'orchard.pipeline';
  readonly name: string;
  readonly description: string | undefined;
  readonly params: Readonly<Record<string, ParamValue>>;
  readonly nodes: readonly PipelineNode[];
  readonly experiment: string | undefined;
  readonly concurrency: number | undefined;
}

const REF = Symbol.for('orchard.pipeline.ref');

/** A reference to a node's output or a pipeline parameter; also builds `when` conditions. */
export interface Ref<T extends PortType = PortType> {
  readonly [REF]: Binding;
  /** Never set: carries the port type for TypeScript. */
  readonly __shape?: Shape<T>;
  eq(value: JsonValue): Condition;
  ne(value: JsonValue): Condition;
  gt(value: number): Condition;
  gte(value: number): Condition;
  lt(value: number): Condition;
  lte(value: number): Condition;
  truthy(): Condition;
  falsy(): Condition;
}

/** A local path given to an artifact input (`p.file('data/flights.csv')`). */
export interface LocalArtifact<K extends 'file' | 'folder' = 'file' | 'folder'> {
  readonly [REF]: Binding;
  readonly __shape?: K;
}

type ValueShapes = 'string' | 'number' | 'boolean' | 'json' | { readonly list: ValueShapes };
type Accepts<T> = T extends { kind: 'json' } ? ValueShapes : T extends ListType<infer X> ? { readonly list: Accepts<X> } : Shape<T>;
type Literal<T> = T extends { kind: 'file' | 'folder' } ? never : RuntimeValue<T>;
/** What may feed an input of type `T`: a reference of a fitting type, or (for values) a literal. */
export type Source<T> = { readonly [REF]: Binding; readonly __shape?: Accepts<T> } | Literal<T>;

export interface NodeHandle<O extends Ports = Ports> {
  readonly name: string;
  readonly outputs: { readonly [K in keyof O]: Ref<O[K]> };
}

type StepInputs<S> = S extends StepDefinition<infer I, Ports, ParamDefaults> ? I : never;
type StepOutputs<S> = S extends StepDefinition<Ports, infer O, ParamDefaults> ? O : never;
type StepParams<S> = S extends StepDefinition<Ports, Ports, infer P> ? P : never;
type Listed<O extends Ports> = { readonly [K in keyof O]: ListType<O[K]> };

interface WiringBase<S> {
  /** The node's name in the pipeline (default: the step's name). */
  readonly name?: string;
  readonly params?: { readonly [K in keyof StepParams<S>]?: Widen<StepParams<S>>[K] | Ref };
  readonly when?: Condition | readonly Condition[];
  readonly after?: readonly (NodeHandle | string)[];
  readonly retries?: number;
  readonly retryDelayMs?: number;
  readonly timeoutMs?: number;
  readonly cache?: boolean;
}

export interface Wiring<S> extends WiringBase<S> {
  readonly inputs?: { readonly [K in keyof StepInputs<S>]: Source<StepInputs<S>[K]> };
}

export interface MapWiring<S, K extends keyof StepInputs<S>> extends WiringBase<S> {
  /** The list to fan out over: a list output, a list parameter or a literal list. */
  readonly over: Source<ListType<StepInputs<S>[K]>>;
  /** The input that receives each item. */
  readonly item: K;
  readonly inputs?: { readonly [J in Exclude<keyof StepInputs<S>, K>]: Source<StepInputs<S>[J]> };
}

export interface PipelineBuilder<P extends ParamDefaults> {
  /** References to the pipeline's parameters. */
  readonly params: { readonly [K in keyof P]: Ref<ParamType<P[K]>> };
  /** Adds a use of a step; returns references to its outputs. */
  step<S extends AnyStep>(def: S, wiring?: Wiring<S>): NodeHandle<StepOutputs<S>>;
  /** Adds a fan-out: one instance of the step per item; its outputs are lists, in item order (the join). */
  map<S extends AnyStep, K extends keyof StepInputs<S> & string>(def: S, wiring: MapWiring<S, K>): NodeHandle<Listed<StepOutputs<S>>>;
  /** A local file (relative paths start at the pipeline file's folder), stored by content when the run starts. */
  file(path: string | Ref): LocalArtifact<'file'>;
  folder(path: string | Ref): LocalArtifact<'folder'>;
  /** A reference to a node's output by name, also to a node added later. */
  ref(node: string, output: string): Ref;
}

type ParamType<V> = V extends string ? typeof types.string : V extends number ? typeof types.number : V extends boolean ? typeof types.boolean : V extends readonly (infer E)[] ? ListType<ParamType<E>> : PortType;

/**
 * Builds a pipeline graph.
 * @example
 * export default pipeline('numbers', { params: { start: 3 } }, (p) => {
 *   const a = p.step(double, { inputs: { x: p.params.start } });
 *   p.step(double, { name: 'again', inputs: { x: a.outputs.y }, when: a.outputs.y.gt(5) });
 * });
 */
export function pipeline<const P extends ParamDefaults = {}>(name: string, options: PipelineOptions<P>, build: (p: PipelineBuilder<P>) => void): Pipeline;
export function pipeline(name: string, build: (p: PipelineBuilder<{}>) => void): Pipeline;
export function pipeline(name: string, optionsOrBuild: PipelineOptions | ((p: PipelineBuilder<ParamDefaults>) => void), maybeBuild?: (p: PipelineBuilder<ParamDefaults>) => void): Pipeline {
  const options: PipelineOptions = typeof optionsOrBuild === 'function' ? {} : (optionsOrBuild ?? {});
  const build = typeof optionsOrBuild === 'function' ? optionsOrBuild : maybeBuild;
  if (typeof build !== 'function') throw new OrchardError('INVALID_ARGUMENT', `Pipeline '${name}' has no build function; write pipeline('${name}', { params }, (p) => { p.step(…) }).`);
  const params = { ...(options.params ?? {}) } as Record<string, ParamValue>;
  const nodes: PipelineNode[] = [];
  const builder: PipelineBuilder<ParamDefaults> = {
    params: Object.fromEntries(Object.keys(params).map((k) => [k, makeRef({ kind: 'param', param: k })])),
    step: (def, wiring) => add(nodes, def, (wiring ?? {}) as Wiring<AnyStep>, undefined) as never,
    map: (def, wiring) => add(nodes, def, wiring as unknown as Wiring<AnyStep>, { over: bindingOf(wiring.over), item: String(wiring.item) }) as never,
    file: (path) => local('file', path),
    folder: (path) => local('folder', path) as unknown as LocalArtifact<'folder'>,
    ref: (node, output) => makeRef({ kind: 'output', node, output }),
  };
  build(builder);
  return Object.freeze({
    kind: 'orchard.pipeline' as const,
    name,
    description: options.description,
    params: Object.freeze(params),
    nodes: Object.freeze(nodes),
    experiment: options.experiment,
    concurrency: options.concurrency,
  });
}

function add(nodes: PipelineNode[], def: AnyStep, wiring: Wiring<AnyStep>, map: PipelineNode['map']): NodeHandle {
  if (!isStep(def)) throw new OrchardError('INVALID_ARGUMENT', `p.step() and p.map() take a step made with step() or command(), got ${typeof def}; declare it first: const s = step({ name, run }).`);
  const name = wiring.name ?? def.name;
  const after = (wiring.after ?? []).map((a) => (typeof a === 'string' ? a : a.name));
  const node: PipelineNode = Object.freeze({
    name,
    step: def,
    inputs: Object.freeze(Object.fromEntries(Object.entries(wiring.inputs ?? {}).map(([k, v]) => [k, bindingOf(v)]))),
    params: Object.freeze(Object.fromEntries(Object.entries(wiring.params ?? {}).map(([k, v]) => [k, bindingOf(v)]))),
    when: Object.freeze(wiring.when === undefined ? [] : Array.isArray(wiring.when) ? [...wiring.when] : [wiring.when as Condition]),
    after: Object.freeze(after),
    map,
    retries: wiring.retries ?? def.retries,
    retryDelayMs: wiring.retryDelayMs ?? def.retryDelayMs,
    timeoutMs: wiring.timeoutMs ?? def.timeoutMs,
    cache: wiring.cache ?? def.cache,
  });
  nodes.push(node);
  const outputs = Object.fromEntries(Object.keys(def.outputs).map((k) => [k, makeRef({ kind: 'output', node: name, output: k })]));
  return Object.freeze({ name, outputs });
}

function local(type: 'file' | 'folder', path: string | Ref): LocalArtifact<'file'> {
  const target = typeof path === 'string' ? path : bindingOf(path);
  if (typeof target !== 'string' && target.kind !== 'param') throw new OrchardError('INVALID_ARGUMENT', `p.${type}() takes a path or a pipeline parameter, got a step output; feed the output to the input directly.`);
  return { [REF]: { kind: 'local', type, path: target as string | { kind: 'param'; param: string } } } as LocalArtifact<'file'>;
}

function makeRef(binding: Binding): Ref {
  const cond = (op: ConditionOp, value?: JsonValue): Condition => Object.freeze({ kind: 'orchard.condition' as const, ref: binding, op, ...(value === undefined ? {} : { value }) });
  return Object.freeze({
    [REF]: binding,
    eq: (v: JsonValue) => cond('eq', v),
    ne: (v: JsonValue) => cond('ne', v),
    gt: (v: number) => cond('gt', v),
    gte: (v: number) => cond('gte', v),
    lt: (v: number) => cond('lt', v),
    lte: (v: number) => cond('lte', v),
    truthy: () => cond('truthy'),
    falsy: () => cond('falsy'),
  }) as Ref;
}

/** A reference's binding, or a literal value's. */
export function bindingOf(source: unknown): Binding {
  if (typeof source === 'object' && source !== null && REF in source) return (source as { [REF]: Binding })[REF];
  return { kind: 'value', value: source as JsonValue };
}

export function isPipeline(value: unknown): value is Pipeline {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'orchard.pipeline';
}

/** `train.model`, `params.rows`, `3`: how messages name a binding. */
export function describeBinding(b: Binding): string {
  switch (b.kind) {
    case 'output':
      return `${b.node}.${b.output}`;
    case 'param':
      return `params.${b.param}`;
    case 'value':
      return JSON.stringify(b.value);
    case 'local':
      return `${b.type} ${typeof b.path === 'string' ? b.path : `params.${b.path.param}`}`;
  }
}

const OP_TEXT: Record<ConditionOp, string> = { eq: '==', ne: '!=', gt: '>', gte: '>=', lt: '<', lte: '<=', truthy: 'is true', falsy: 'is false' };

export function describeCondition(c: Condition): string {
  return c.op === 'truthy' || c.op === 'falsy' ? `${describeBinding(c.ref)} ${OP_TEXT[c.op]}` : `${describeBinding(c.ref)} ${OP_TEXT[c.op]} ${JSON.stringify(c.value)}`;
}

/** Evaluates a condition on a value (pure). */
export function holds(c: Condition, value: JsonValue): boolean {
  switch (c.op) {
    case 'eq':
      return JSON.stringify(value) === JSON.stringify(c.value);
    case 'ne':
      return JSON.stringify(value) !== JSON.stringify(c.value);
    case 'gt':
      return typeof value === 'number' && value > (c.value as number);
    case 'gte':
      return typeof value === 'number' && value >= (c.value as number);
    case 'lt':
      return typeof value === 'number' && value < (c.value as number);
    case 'lte':
      return typeof value === 'number' && value <= (c.value as number);
    case 'truthy':
      return Boolean(value) && !(Array.isArray(value) && value.length === 0);
    case 'falsy':
      return !value || (Array.isArray(value) && value.length === 0);
  }
}

/** The nodes a node waits for: data inputs, conditions, fan-out list and `after`. */
export function dependenciesOf(node: PipelineNode): string[] {
  const deps = new Set<string>();
  const visit = (b: Binding) => {
    if (b.kind === 'output') deps.add(b.node);
  };
  Object.values(node.inputs).forEach(visit);
  Object.values(node.params).forEach(visit);
  node.when.forEach((c) => visit(c.ref));
  if (node.map) visit(node.map.over);
  node.after.forEach((a) => deps.add(a));
  return [...deps];
}

/** The type a node's output has in the graph: a map node's outputs are lists. */
export function outputType(node: PipelineNode, output: string): PortType | undefined {
  const t = node.step.outputs[output];
  if (t === undefined) return undefined;
  return node.map ? types.list(t) : t;
}

/** The type of a binding, given the graph; undefined when it names nothing. */
export function bindingType(b: Binding, pipeline: Pipeline, nodesByName: ReadonlyMap<string, PipelineNode>): PortType | undefined {
  switch (b.kind) {
    case 'output': {
      const node = nodesByName.get(b.node);
      return node ? outputType(node, b.output) : undefined;
    }
    case 'param':
      return b.param in pipeline.params ? typeOfValue(pipeline.params[b.param]!) : undefined;
    case 'value':
      return typeOfValue(b.value);
    case 'local':
      return b.type === 'file' ? types.file() : types.folder();
  }
}
