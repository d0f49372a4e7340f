import { readFile } from 'node:fs/promises';
import type * as Ort from 'onnxruntime-node';
import { OrchardError, invalidArgument, notFound } from '../../core/errors.js';
import { transformRows, type FittedTransform } from '../../data/transform.js';
import type { PredictionKind, Predictor } from '../predictor.js';
import { ONNX_METADATA } from './export-onnx.js';
import { readOnnxMetadata } from './onnx-graph.js';
import { rowsToColumns, toTensorData, type FeedColumn, type TensorType } from './onnx-feeds.js';

/** An input or output of an ONNX model as ONNX Runtime reports it. */
export interface OnnxValueInfo {
  readonly name: string;
  /** ONNX Runtime's tensor type (`float32`, `float64`, `int64`, …), or `non-tensor` (sequences, maps). */
  readonly type: string;
  /** Dimensions: sizes, or symbolic names such as `N`; empty when unknown. */
  readonly shape: readonly (number | string)[];
}

/** A `Predictor` over an ONNX Runtime session, with what the model declares. */
export interface OnnxPredictor extends Predictor {
  readonly format: 'onnx';
  readonly inputs: readonly OnnxValueInfo[];
  readonly outputs: readonly OnnxValueInfo[];
  /** The output predictions are read from. */
  readonly outputName: string;
  /** How rows reach the model: one [N, F] `matrix` input, or one [N] / [N, 1] input per column. */
  readonly layout: 'matrix' | 'columns';
  /** The model's `metadata_props`. */
  readonly metadata: Readonly<Record<string, string>>;
}

export interface OnnxPredictorOptions {
  /** Names of the columns of a single [N, F] input, when the model's metadata does not say them. */
  readonly featureNames?: readonly string[];
  /** The output to read; default: the first tensor output whose name mentions `prob`, else the first tensor output. */
  readonly output?: string;
  /** Threads ONNX Runtime may use within one prediction; its default when absent. */
  readonly threads?: number;
}

// onnxruntime-node is a native library of a few hundred megabytes; an install
// that never serves an ONNX model never loads it.
let runtime: Promise<typeof Ort> | undefined;
const onnxRuntime = (): Promise<typeof Ort> => (runtime ??= import('onnxruntime-node'));

const FEEDABLE = new Set(['float32', 'float64', 'int32', 'int64', 'bool', 'string']);
const PROBABILITY = /prob/i;

function info(m: Ort.InferenceSession.ValueMetadata): OnnxValueInfo {
  return m.isTensor ? { name: m.name, type: m.type, shape: [...m.shape] } : { name: m.name, type: 'non-tensor', shape: [] };
}

const describe = (v: OnnxValueInfo) => `${v.name} (${v.type} [${v.shape.join(', ')}])`;
const fixed = (d: number | string | undefined): number | null => (typeof d === 'number' && d > 0 ? d : null);

/**
 * Loads any ONNX model (a file path or its bytes) and predicts tabular rows with
 * ONNX Runtime, loaded on first use. Rows map to one [N, F] input (column names
 * from `featureNames`, the model's `orchard.feature_names` metadata, or, for
 * Orchard's exports, its fitted transform applied to raw rows) or to one [N] /
 * [N, 1] input per column, named after the column. A model whose batch
 * dimension is fixed (say 1) is run in batches of that size.
 * @throws OrchardError `NOT_FOUND` for a missing file, `INVALID_ARGUMENT` for bytes ONNX Runtime refuses or inputs that are not tabular.
 */
export async function loadOnnxPredictor(source: Uint8Array | string, options: OnnxPredictorOptions = {}): Promise<OnnxPredictor> {
  const where = typeof source === 'string' ? source : 'the ONNX model';
  let bytes: Uint8Array;
  if (typeof source === 'string') {
    try {
      bytes = await readFile(source);
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code === 'ENOENT') throw notFound(`No ONNX model file at ${source}.`, { path: source });
      throw new OrchardError('INVALID_ARGUMENT', `Cannot read the ONNX model ${source}: ${(cause as Error).message}.`, { cause });
    }
  } else bytes = source;
  const metadata = readOnnxMetadata(bytes, where);
  const ort = await onnxRuntime();
  let session: Ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'all', ...(options.threads ? { intraOpNumThreads: options.threads } : {}) });
  } catch (cause) {
    throw new OrchardError('INVALID_ARGUMENT', `ONNX Runtime cannot load ${where}: ${(cause as Error).message}`, { cause });
  }
  try {
    return plan(ort, session, metadata, options, where);
  } catch (error) {
    await session.release();
    throw error;
  }
}

function plan(ort: typeof Ort, session: Ort.InferenceSession, metadata: Record<string, string>, options: OnnxPredictorOptions, where: string): OnnxPredictor {
  const inputs = session.inputMetadata.map(info);
  const outputs = session.outputMetadata.map(info);
  const tabular = `Orchard feeds tabular rows: one [N, F] input, or one [N] or [N, 1] input per column`;
  for (const i of inputs) if (!FEEDABLE.has(i.type)) throw invalidArgument(`${where} has input ${describe(i)}, a type Orchard cannot feed; ${tabular} of float, double, int32, int64, bool or string.`);
  const rank2 = inputs.length === 1 && inputs[0]!.shape.length === 2 && inputs[0]!.shape[1] !== 1;
  const layout = rank2 ? 'matrix' : 'columns';
  if (layout === 'columns') {
    const bad = inputs.filter((i) => !(i.shape.length === 1 || (i.shape.length === 2 && i.shape[1] === 1)));
    if (bad.length > 0) throw invalidArgument(`${where} has input(s) ${bad.map(describe).join(', ')}; ${tabular}.`);
  } else if (inputs[0]!.type === 'string' || inputs[0]!.type === 'bool') throw invalidArgument(`${where} takes a ${inputs[0]!.type} matrix ${describe(inputs[0]!)}; a [N, F] input must be numeric.`);

  const transform = metadataJson<FittedTransform>(metadata, ONNX_METADATA.transform, where);
  const metaNames = metadataJson<string[]>(metadata, ONNX_METADATA.featureNames, where);
  const featureCount = layout === 'matrix' ? fixed(inputs[0]!.shape[1]) : inputs.length;
  const featureNames = layout === 'columns' ? inputs.map((i) => i.name) : (options.featureNames ?? metaNames ?? null);
  if (layout === 'matrix' && featureNames && featureCount !== null && featureNames.length !== featureCount) {
    throw invalidArgument(`${where} takes ${featureCount} features in ${describe(inputs[0]!)}, but ${featureNames.length} feature names were given (${featureNames.join(', ')}).`);
  }

  const tensors = outputs.filter((o) => o.type !== 'non-tensor');
  if (options.output !== undefined && !tensors.some((o) => o.name === options.output)) {
    throw invalidArgument(`${where} has no tensor output named ${options.output}; its outputs are ${outputs.map(describe).join(', ')}.`);
  }
  const zipped = outputs.find((o) => o.type === 'non-tensor' && PROBABILITY.test(o.name));
  if (options.output === undefined && zipped && !tensors.some((o) => PROBABILITY.test(o.name))) {
    // A classifier whose probabilities are a sequence of maps (ZipMap): reading its label instead would be silently different.
    throw invalidArgument(`${where} gives its probabilities as ${zipped.name}, a sequence of maps (ZipMap), which Orchard cannot read; export it with tensor probabilities (skl2onnx: options={'zipmap': False}), or pass output: '${tensors[0]?.name ?? 'label'}' to read another output.`);
  }
  const chosen = tensors.find((o) => o.name === options.output) ?? tensors.find((o) => PROBABILITY.test(o.name)) ?? tensors[0];
  if (!chosen) throw invalidArgument(`${where} has no tensor output (its outputs are ${outputs.map(describe).join(', ')}); export it with tensor outputs, e.g. without ZipMap.`);
  const declared = metadata[ONNX_METADATA.output] as PredictionKind | undefined;
  const probabilityLike = PROBABILITY.test(chosen.name);
  let width = fixed(chosen.shape[1]) ?? 1;
  // A two-column probability output of a binary classifier becomes Orchard's probability of class 1.
  const binaryPair = probabilityLike && declared !== 'probabilities' && width === 2;
  if (binaryPair) width = 1;
  const output: PredictionKind = declared ?? (probabilityLike ? (width > 1 ? 'probabilities' : 'probability') : 'value');
  const input = inputs[0]!;
  const batch = fixed(input.shape[0]);

  const run = async (columns: readonly FeedColumn[], n: number): Promise<Float64Array> => {
    const parts: Float64Array[] = [];
    const step = batch ?? Math.max(n, 1);
    if (batch !== null && n % batch !== 0) throw invalidArgument(`${where} takes batches of exactly ${batch} rows (${describe(input)}); ${n} rows do not divide into them.`);
    for (let start = 0; start < n; start += step) {
      const rows = Math.min(step, n - start);
      const feeds: Record<string, Ort.Tensor> = {};
      if (layout === 'matrix') {
        const data = toTensorData(input.type as TensorType, columns, start, rows, where, input.name);
        feeds[input.name] = new ort.Tensor(input.type as TensorType, data, [rows, columns.length]);
      } else {
        inputs.forEach((inp, j) => {
          const data = toTensorData(inp.type as TensorType, [columns[j]!], start, rows, where, inp.name);
          feeds[inp.name] = new ort.Tensor(inp.type as TensorType, data, inp.shape.length === 2 ? [rows, 1] : [rows]);
        });
      }
      const result = (await session.run(feeds, [chosen.name]))[chosen.name]!;
      parts.push(shapeOutput(result, rows, binaryPair, where, chosen.name, (k) => (width = k)));
    }
    if (parts.length === 1) return parts[0]!;
    const out = new Float64Array(parts.reduce((s, p) => s + p.length, 0));
    let o = 0;
    for (const p of parts) out.set(p, o), (o += p.length);
    return out;
  };

  const predictFeatures = async (features: readonly ArrayLike<number>[]): Promise<Float64Array> => {
    const expected = layout === 'matrix' ? featureCount : inputs.length;
    if (expected !== null && features.length !== expected) {
      throw invalidArgument(`${where} takes ${expected} feature columns${featureNames ? ` (${featureNames.join(', ')})` : ''}; got ${features.length}.`);
    }
    const n = features[0]?.length ?? 0;
    const uneven = features.findIndex((f) => f.length !== n);
    if (uneven >= 0) throw invalidArgument(`Feature column ${uneven} has ${features[uneven]!.length} values; column 0 has ${n}. Columns must have equal lengths.`);
    if (n === 0) return new Float64Array(0);
    return run(features, n);
  };

  return {
    format: 'onnx',
    output,
    get width() {
      return width;
    },
    featureNames,
    inputs,
    outputs,
    outputName: chosen.name,
    layout,
    metadata,
    predictFeatures,
    async predict(rows) {
      if (rows.length === 0) return new Float64Array(0);
      if (layout === 'matrix' && transform) return predictFeatures(transformRows(transform, rows));
      if (!featureNames) {
        throw invalidArgument(`${where} takes a [N, F] matrix ${describe(input)} whose columns are not named; pass featureNames when loading it, or call predictFeatures with feature columns.`);
      }
      const columns = rowsToColumns(rows, featureNames, layout === 'matrix' ? 'float64' : inputs.map((i) => i.type as TensorType), where);
      return run(columns, rows.length);
    },
    close: () => session.release(),
  };
}

function metadataJson<T>(metadata: Record<string, string>, key: string, where: string): T | null {
  const text = metadata[key];
  if (text === undefined) return null;
  try {
    return JSON.parse(text) as T;
  } catch (cause) {
    throw new OrchardError('INVALID_ARGUMENT', `${where} has metadata ${key} that is not JSON (${(cause as Error).message}); remove it or write it as Orchard's export does.`, { cause });
  }
}

/** An output tensor → Orchard's shape: n numbers, or n × K row-major; column 1 of a binary [n, 2] probability pair. */
function shapeOutput(tensor: Ort.Tensor, n: number, binaryPair: boolean, where: string, name: string, setWidth: (k: number) => void): Float64Array {
  const dims = tensor.dims;
  const k = dims.length === 1 ? 1 : dims.length === 2 ? dims[1]! : -1;
  if (dims[0] !== n || k < 1) throw new OrchardError('INVALID_ARGUMENT', `${where} returned output ${name} with shape [${dims.join(', ')}] for ${n} rows; Orchard reads [N] or [N, K] outputs.`);
  const data = tensor.data as ArrayLike<number | bigint | boolean>;
  const value = (i: number) => Number(data[i]!);
  if (binaryPair && k === 2) return Float64Array.from({ length: n }, (_, i) => value(i * 2 + 1));
  setWidth(k);
  return Float64Array.from({ length: n * k }, (_, i) => value(i));
}
