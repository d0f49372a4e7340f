import onnxProto from 'onnx-proto';
import protobuf from 'protobufjs/minimal.js';
import { OrchardError, invalidArgument } from '../../core/errors.js';

const { onnx } = onnxProto;

/** Element types Orchard writes and reads, by their ONNX names. */
export type ElemType = 'float' | 'double' | 'int64' | 'int32' | 'uint8' | 'bool' | 'string';

/** ONNX `TensorProto.DataType` codes. */
export const ELEM_TYPE_CODES: Readonly<Record<ElemType, number>> = Object.freeze({
  float: onnx.TensorProto.DataType.FLOAT,
  double: onnx.TensorProto.DataType.DOUBLE,
  int64: onnx.TensorProto.DataType.INT64,
  int32: onnx.TensorProto.DataType.INT32,
  uint8: onnx.TensorProto.DataType.UINT8,
  bool: onnx.TensorProto.DataType.BOOL,
  string: onnx.TensorProto.DataType.STRING,
});

/** A constant tensor: numbers in a typed array of its element type, row-major. */
export type Tensor =
  | { readonly type: 'double'; readonly dims: readonly number[]; readonly data: Float64Array }
  | { readonly type: 'float'; readonly dims: readonly number[]; readonly data: Float32Array }
  | { readonly type: 'int64'; readonly dims: readonly number[]; readonly data: BigInt64Array }
  | { readonly type: 'int32'; readonly dims: readonly number[]; readonly data: Int32Array }
  | { readonly type: 'uint8'; readonly dims: readonly number[]; readonly data: Uint8Array };

/** A node attribute, tagged with its ONNX kind. */
export type Attribute =
  | { readonly int: number }
  | { readonly ints: readonly number[] }
  | { readonly float: number }
  | { readonly floats: readonly number[] }
  | { readonly string: string }
  | { readonly strings: readonly string[] }
  | { readonly tensor: Tensor };

/** A dimension: a fixed size, or a symbolic name such as `N` for the batch. */
export type Dim = number | string;

export interface ModelOptions {
  /** Operator sets by domain (`''` is the default ONNX domain). */
  readonly opsets: Readonly<Record<string, number>>;
  readonly irVersion: number;
  readonly producerVersion: string;
  readonly docString?: string;
  /** Written to the model's `metadata_props`, in key order. */
  readonly metadata?: Readonly<Record<string, string>>;
}

const utf8 = new TextEncoder();

/** Little-endian bytes of a tensor, as ONNX's `raw_data` requires on every platform. */
function rawData(t: Tensor): Uint8Array {
  const n = t.data.length;
  const width = t.type === 'double' || t.type === 'int64' ? 8 : t.type === 'uint8' ? 1 : 4;
  const out = new Uint8Array(n * width);
  const view = new DataView(out.buffer);
  for (let i = 0; i < n; i++) {
    switch (t.type) {
      case 'double': view.setFloat64(i * 8, t.data[i]!, true); break;
      case 'float': view.setFloat32(i * 4, t.data[i]!, true); break;
      case 'int64': view.setBigInt64(i * 8, t.data[i]!, true); break;
      case 'int32': view.setInt32(i * 4, t.data[i]!, true); break;
      case 'uint8': out[i] = t.data[i]!; break;
    }
  }
  return out;
}

function tensorProto(name: string, t: Tensor): InstanceType<typeof onnx.TensorProto> {
  const size = t.dims.reduce((a, b) => a * b, 1);
  if (size !== t.data.length) throw invalidArgument(`Tensor ${name} has dims [${t.dims.join(', ')}] (${size} values) but ${t.data.length} values.`);
  return onnx.TensorProto.create({ name, dims: [...t.dims], dataType: ELEM_TYPE_CODES[t.type], rawData: rawData(t) });
}

function attributeProto(name: string, a: Attribute): InstanceType<typeof onnx.AttributeProto> {
  const T = onnx.AttributeProto.AttributeType;
  if ('int' in a) return onnx.AttributeProto.create({ name, type: T.INT, i: a.int });
  if ('ints' in a) return onnx.AttributeProto.create({ name, type: T.INTS, ints: [...a.ints] });
  if ('float' in a) return onnx.AttributeProto.create({ name, type: T.FLOAT, f: a.float });
  if ('floats' in a) return onnx.AttributeProto.create({ name, type: T.FLOATS, floats: [...a.floats] });
  if ('string' in a) return onnx.AttributeProto.create({ name, type: T.STRING, s: utf8.encode(a.string) });
  if ('strings' in a) return onnx.AttributeProto.create({ name, type: T.STRINGS, strings: a.strings.map((x) => utf8.encode(x)) });
  return onnx.AttributeProto.create({ name, type: T.TENSOR, t: tensorProto(name, a.tensor) });
}

function valueInfo(name: string, type: ElemType, shape: readonly Dim[]): InstanceType<typeof onnx.ValueInfoProto> {
  return onnx.ValueInfoProto.create({
    name,
    type: { tensorType: { elemType: ELEM_TYPE_CODES[type], shape: { dim: shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  });
}

/**
 * Builds one ONNX graph — inputs, constant initializers, nodes, outputs — and
 * encodes it as a model with onnx-proto's generated protobuf code. Node and
 * value names are made unique by the builder, so converters can compose.
 */
export class OnnxGraph {
  readonly #name: string;
  readonly #inputs: InstanceType<typeof onnx.ValueInfoProto>[] = [];
  readonly #outputs: InstanceType<typeof onnx.ValueInfoProto>[] = [];
  readonly #initializers: InstanceType<typeof onnx.TensorProto>[] = [];
  readonly #nodes: InstanceType<typeof onnx.NodeProto>[] = [];
  readonly #names = new Set<string>();

  constructor(name: string) {
    this.#name = name;
  }

  /** A fresh value name starting with `base`. */
  name(base: string): string {
    let name = base;
    for (let i = 1; this.#names.has(name); i++) name = `${base}_${i}`;
    this.#names.add(name);
    return name;
  }

  input(name: string, type: ElemType, shape: readonly Dim[]): string {
    if (this.#names.has(name)) throw invalidArgument(`The ONNX graph already has a value named ${name}.`);
    this.#names.add(name);
    this.#inputs.push(valueInfo(name, type, shape));
    return name;
  }

  /**
   * Declares `name` a graph output (a node must produce it under that exact name);
   * without a type, ONNX Runtime infers it (sequences and maps, say).
   */
  output(name: string, type?: ElemType, shape: readonly Dim[] = []): string {
    this.#outputs.push(type === undefined ? onnx.ValueInfoProto.create({ name }) : valueInfo(name, type, shape));
    return name;
  }

  constant(base: string, tensor: Tensor): string {
    const name = this.name(base);
    this.#initializers.push(tensorProto(name, tensor));
    return name;
  }

  /** Adds a node; returns its output names (fresh ones from `outputs`, or exact names prefixed with `=`). */
  node(opType: string, inputs: readonly string[], outputs: readonly string[], attributes: Readonly<Record<string, Attribute>> = {}, domain = ''): string[] {
    const outs = outputs.map((o) => (o.startsWith('=') ? this.#exact(o.slice(1)) : this.name(o)));
    this.#nodes.push(
      onnx.NodeProto.create({
        opType,
        domain,
        name: this.name(`${opType}_node`),
        input: [...inputs],
        output: outs,
        attribute: Object.entries(attributes).map(([k, a]) => attributeProto(k, a)),
      }),
    );
    return outs;
  }

  #exact(name: string): string {
    if (this.#names.has(name)) throw invalidArgument(`The ONNX graph already has a value named ${name}.`);
    this.#names.add(name);
    return name;
  }

  /** Encodes the graph as an ONNX model (`ModelProto` bytes). */
  toModel(options: ModelOptions): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: options.irVersion,
      producerName: 'orchard',
      producerVersion: options.producerVersion,
      docString: options.docString ?? '',
      opsetImport: Object.entries(options.opsets).map(([domain, version]) => ({ domain, version })),
      metadataProps: Object.entries(options.metadata ?? {}).map(([key, value]) => ({ key, value })),
      graph: { name: this.#name, input: this.#inputs, output: this.#outputs, initializer: this.#initializers, node: this.#nodes },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}

const METADATA_PROPS_FIELD = 14;

/**
 * The `metadata_props` of an ONNX model, read without decoding its graph: other
 * top-level fields (the graph with its weights) are skipped by length.
 * @throws OrchardError `INVALID_ARGUMENT` when the bytes are not protobuf.
 */
export function readOnnxMetadata(bytes: Uint8Array, where: string): Record<string, string> {
  const out: Record<string, string> = {};
  try {
    const reader = protobuf.Reader.create(bytes);
    while (reader.pos < reader.len) {
      const tag = reader.uint32();
      if (tag >>> 3 === METADATA_PROPS_FIELD && (tag & 7) === 2) {
        const entry = onnx.StringStringEntryProto.decode(reader, reader.uint32());
        out[entry.key] = entry.value;
      } else reader.skipType(tag & 7);
    }
  } catch (cause) {
    throw new OrchardError('INVALID_ARGUMENT', `${where} is not an ONNX model: its bytes do not decode as protobuf (${(cause as Error).message}).`, { cause });
  }
  return out;
}
