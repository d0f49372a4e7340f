/**
 * Port types: what a step's inputs and outputs carry. Artifacts (`file`, `folder`)
 * are content-addressed blobs a step reads from or writes to a path; values
 * (`string`, `number`, `boolean`, `json`, `list`) are plain JSON. The same type
 * objects drive TypeScript checking at build time and lint at run time.
 */

/** A JSON value. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** A parameter value: any JSON value; `--param` text is parsed to the default's type. */
export type ParamValue = JsonValue;

export interface FileType<L extends string | undefined = string | undefined> {
  readonly kind: 'file';
  /** What the file holds (`dataset`, `model`, …); a labelled input accepts only files with the same label. */
  readonly label?: L;
}
export interface FolderType<L extends string | undefined = string | undefined> {
  readonly kind: 'folder';
  readonly label?: L;
}
export interface StringType {
  readonly kind: 'string';
}
export interface NumberType {
  readonly kind: 'number';
}
export interface BooleanType {
  readonly kind: 'boolean';
}
/** Any JSON value; `T` only types the step's code. */
export interface JsonType<T = JsonValue> {
  readonly kind: 'json';
  /** Never set: carries `T` for TypeScript. */
  readonly __json?: T;
}
export interface ListType<T extends PortType = PortType> {
  readonly kind: 'list';
  readonly of: T;
}

export type PortType = FileType | FolderType | StringType | NumberType | BooleanType | JsonType<unknown> | ListType<PortType>;
export type ArtifactType = FileType | FolderType;
export type Ports = Readonly<Record<string, PortType>>;

/** Builders of port types, for step declarations. */
export const types = Object.freeze({
  /**
   * A file artifact; inside a step its value is the file's local path.
   * @example step({ name: 'train', inputs: { data: types.file('dataset') }, outputs: { model: types.file('model') }, … })
   */
  file: <L extends string | undefined = undefined>(label?: L): FileType<L> => (label === undefined ? { kind: 'file' } : { kind: 'file', label }) as FileType<L>,
  /** A folder artifact (a tree of files); inside a step its value is the folder's local path. */
  folder: <L extends string | undefined = undefined>(label?: L): FolderType<L> => (label === undefined ? { kind: 'folder' } : { kind: 'folder', label }) as FolderType<L>,
  string: Object.freeze({ kind: 'string' }) as StringType,
  number: Object.freeze({ kind: 'number' }) as NumberType,
  boolean: Object.freeze({ kind: 'boolean' }) as BooleanType,
  /** Any JSON value, typed as `T` in the step's code. */
  json: <T = JsonValue>(): JsonType<T> => ({ kind: 'json' }) as JsonType<T>,
  /** A list; a `map` step's outputs are lists of its item outputs. */
  list: <T extends PortType>(of: T): ListType<T> => ({ kind: 'list', of }),
});

/** The value a step's code sees for a port: a local path for artifacts, the value otherwise. */
export type RuntimeValue<T> = T extends { kind: 'file' | 'folder' }
  ? string
  : T extends { kind: 'string' }
    ? string
    : T extends { kind: 'number' }
      ? number
      : T extends { kind: 'boolean' }
        ? boolean
        : T extends JsonType<infer V>
          ? V
          : T extends ListType<infer X>
            ? RuntimeValue<X>[]
            : never;

/** A TypeScript-only shape of a port type, so references are checked structurally. */
export type Shape<T> = T extends ListType<infer X> ? { readonly list: Shape<X> } : T extends { kind: infer K } ? K : never;

export const isArtifactType = (t: PortType): t is ArtifactType => t.kind === 'file' || t.kind === 'folder';

/** True when the type holds no artifact anywhere (it can travel as JSON). */
export function isValueType(t: PortType): boolean {
  return t.kind === 'list' ? isValueType(t.of) : !isArtifactType(t);
}

/** `file (model)`, `list of number`: how messages name a type. */
export function describeType(t: PortType | undefined): string {
  if (t === undefined) return 'unknown';
  if (t.kind === 'list') return `list of ${describeType(t.of)}`;
  if ((t.kind === 'file' || t.kind === 'folder') && t.label !== undefined) return `${t.kind} (${t.label})`;
  return t.kind;
}

/**
 * Whether a value of type `from` may feed an input of type `to`. `json` inputs take
 * any value; a labelled artifact input takes an artifact of the same kind and label
 * (or an unlabelled one); lists fit element by element.
 */
export function fits(from: PortType, to: PortType): boolean {
  if (to.kind === 'json') return isValueType(from);
  if (to.kind === 'list') return from.kind === 'list' && fits(from.of, to.of);
  if (to.kind === 'file' || to.kind === 'folder') {
    if (from.kind !== to.kind) return false;
    return to.label === undefined || from.label === undefined || from.label === to.label;
  }
  return from.kind === to.kind;
}

/** The type of a literal or parameter value, for lint. */
export function typeOfValue(value: JsonValue): PortType {
  if (typeof value === 'string') return types.string;
  if (typeof value === 'number') return types.number;
  if (typeof value === 'boolean') return types.boolean;
  if (Array.isArray(value)) {
    const elements = value.map(typeOfValue);
    const first = elements[0];
    const same = first !== undefined && elements.every((e) => e.kind === first.kind && first.kind !== 'list' && first.kind !== 'json');
    return types.list(same ? first : types.json());
  }
  return types.json();
}

/** Whether a JSON value fits a value type; returns a description of the problem, or undefined. */
export function valueProblem(value: unknown, t: PortType): string | undefined {
  switch (t.kind) {
    case 'string':
      return typeof value === 'string' ? undefined : `expected a string, got ${preview(value)}`;
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) ? undefined : `expected a finite number, got ${preview(value)}`;
    case 'boolean':
      return typeof value === 'boolean' ? undefined : `expected true or false, got ${preview(value)}`;
    case 'json':
      return isJson(value) ? undefined : `expected a JSON value, got ${preview(value)}`;
    case 'list': {
      if (!Array.isArray(value)) return `expected a list, got ${preview(value)}`;
      for (let i = 0; i < value.length; i++) {
        const p = valueProblem(value[i], t.of);
        if (p !== undefined) return `item ${i}: ${p}`;
      }
      return undefined;
    }
    default:
      return `a ${t.kind} is an artifact, not a value`;
  }
}

function isJson(value: unknown): boolean {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (Array.isArray(value)) return value.every(isJson);
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) return Object.values(value as object).every(isJson);
  return false;
}

export function preview(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'function') return 'a function';
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}

/**
 * A value as a run stores it: artifacts by digest (a folder's digest is that of its
 * manifest), values as JSON, and lists (a map step's outputs) item by item.
 */
export type StoredValue =
  /** `name` is the file's name when it is materialised (a local file's own name, else the output's). */
  | { readonly kind: 'file'; readonly digest: string; readonly size: number; readonly name?: string }
  | { readonly kind: 'folder'; readonly digest: string; readonly size: number }
  | { readonly kind: 'value'; readonly value: JsonValue }
  | { readonly kind: 'list'; readonly items: readonly StoredValue[] };

/** A list of stored values as one value when every item is a plain value, so values stay JSON. */
export function storedList(items: readonly StoredValue[]): StoredValue {
  return items.every((i) => i.kind === 'value') ? { kind: 'value', value: items.map((i) => (i as { value: JsonValue }).value) } : { kind: 'list', items };
}

/** The items of a stored list (a JSON array or a list of stored values), or undefined when it is not a list. */
export function storedItems(v: StoredValue): StoredValue[] | undefined {
  if (v.kind === 'list') return [...v.items];
  if (v.kind === 'value' && Array.isArray(v.value)) return v.value.map((value) => ({ kind: 'value', value }));
  return undefined;
}
