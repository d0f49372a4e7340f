/**
 * A multilayer perceptron learner on TensorFlow.js, as an Orchard plugin:
 *
 *   orchard train --plugin examples/tfjs-learner/learner.ts --learner tfjs-mlp --data d@1 --target y
 *
 * It runs on tfjs-core with the WebAssembly backend, whose .wasm binaries ship inside the
 * npm package and load from node_modules (nothing is downloaded). Inputs are standardised
 * (a missing value becomes the column mean, i.e. 0 after standardising); weights start from
 * a seeded Glorot-uniform draw and minibatches are shuffled with the same seed, so a run
 * repeats exactly. The saved state is JSON with weights as base64 float32, and reloads to
 * bit-identical predictions.
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { registerLearner, type Learner, type Task, type TrainingData } from 'orchard';

// The wasm files sit beside the backend's own script in node_modules; point the loader there
// instead of letting it guess (or fetch) a location.
const require = createRequire(import.meta.url);
setWasmPaths(`${dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'))}/`);
if (!(await tf.setBackend('wasm'))) throw new Error('the TensorFlow.js wasm backend did not start');

/** A gradient by variable name, as optimizers take them. */
type NamedTensor = { name: string; tensor: tf.Tensor };

interface Layer {
  readonly inputs: number;
  readonly outputs: number;
  /** inputs × outputs, row-major. */
  readonly weights: Float32Array;
  readonly bias: Float32Array;
}

export interface MlpState {
  readonly task: Task;
  /** Output units: 1 (binary, regression) or K (multiclass). */
  readonly outputs: number;
  readonly activation: 'relu' | 'tanh';
  /** Per feature: training mean (what a missing value becomes) and standard deviation (1 when constant). */
  readonly mean: readonly number[];
  readonly scale: readonly number[];
  /** Regression only: the network predicts (y − targetMean) / targetScale. */
  readonly targetMean: number;
  readonly targetScale: number;
  readonly layers: readonly Layer[];
}

interface SavedMlp {
  readonly format: 'tfjs-mlp/1';
  readonly task: Task;
  readonly outputs: number;
  readonly activation: 'relu' | 'tanh';
  readonly mean: readonly number[];
  readonly scale: readonly number[];
  readonly targetMean: number;
  readonly targetScale: number;
  /** Weights and biases as base64 of little-endian float32 bytes. */
  readonly layers: readonly { readonly inputs: number; readonly outputs: number; readonly weights: string; readonly bias: string }[];
}

const defaults = { hidden: '32,16', activation: 'relu', epochs: 60, batch_size: 64, learning_rate: 0.01, l2: 0.0001, seed: 0 };

/** mulberry32: small, seedable, and the same on every platform. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function parseHidden(text: string): number[] {
  const sizes = text.split(',').map((s) => s.trim()).filter((s) => s !== '').map(Number);
  if (sizes.length === 0 || sizes.some((n) => !Number.isInteger(n) || n < 1 || n > 4096)) {
    throw new Error(`tfjs-mlp: parameter hidden is '${text}'; expected layer sizes from 1 to 4096 separated by commas, e.g. hidden=32,16.`);
  }
  return sizes;
}

/** Mean and standard deviation of each column over its non-missing values. */
function standardisation(features: readonly ArrayLike<number>[]): { mean: number[]; scale: number[] } {
  const mean: number[] = [];
  const scale: number[] = [];
  for (const column of features) {
    let n = 0;
    let sum = 0;
    for (let i = 0; i < column.length; i++) if (!Number.isNaN(column[i]!)) (n++, (sum += column[i]!));
    const m = n === 0 ? 0 : sum / n;
    let ss = 0;
    for (let i = 0; i < column.length; i++) if (!Number.isNaN(column[i]!)) ss += (column[i]! - m) ** 2;
    const sd = n === 0 ? 0 : Math.sqrt(ss / n);
    mean.push(m);
    scale.push(sd > 0 ? sd : 1);
  }
  return { mean, scale };
}

/** Standardised rows, row-major float32: the network's input. Missing → mean → 0. */
function inputMatrix(features: readonly ArrayLike<number>[], mean: readonly number[], scale: readonly number[], from: number, to: number): Float32Array {
  const p = features.length;
  const out = new Float32Array((to - from) * p);
  for (let j = 0; j < p; j++) {
    const column = features[j]!;
    for (let i = from; i < to; i++) {
      const v = column[i]!;
      out[(i - from) * p + j] = Number.isNaN(v) ? 0 : (v - mean[j]!) / scale[j]!;
    }
  }
  return out;
}

function forward(x: tf.Tensor2D, layers: readonly { w: tf.Tensor2D; b: tf.Tensor1D }[], activation: 'relu' | 'tanh'): tf.Tensor2D {
  let h = x;
  layers.forEach(({ w, b }, i) => {
    const z = tf.add(tf.matMul(h, w), b) as tf.Tensor2D;
    h = i === layers.length - 1 ? z : activation === 'relu' ? tf.relu(z) : tf.tanh(z);
  });
  return h;
}

/** Turns the last layer's outputs into Orchard's prediction shape. */
function outputs(task: Task, logits: tf.Tensor2D): tf.Tensor {
  if (task === 'binary') return tf.sigmoid(logits);
  if (task === 'multiclass') return tf.softmax(logits);
  return logits;
}

function predict(state: MlpState, features: readonly ArrayLike<number>[]): Float64Array {
  const n = features[0]?.length ?? 0;
  const p = state.mean.length;
  if (features.length !== p) throw new Error(`tfjs-mlp: the model takes ${p} feature columns; got ${features.length}.`);
  const out = new Float64Array(n * state.outputs);
  const chunk = 65_536;
  for (let from = 0; from < n; from += chunk) {
    const to = Math.min(n, from + chunk);
    const values = tf.tidy(() => {
      const layers = state.layers.map((l) => ({ w: tf.tensor2d(l.weights, [l.inputs, l.outputs]), b: tf.tensor1d(l.bias) }));
      const x = tf.tensor2d(inputMatrix(features, state.mean, state.scale, from, to), [to - from, p]);
      return outputs(state.task, forward(x, layers, state.activation)).dataSync();
    });
    for (let i = 0; i < values.length; i++) {
      out[from * state.outputs + i] = state.task === 'regression' ? values[i]! * state.targetScale + state.targetMean : values[i]!;
    }
  }
  return out;
}

async function fit(data: TrainingData, task: Task, params: Readonly<Record<string, unknown>>, hooks: { onIteration?(iteration: number, loss: number): void }): Promise<MlpState> {
  const hidden = parseHidden(String(params.hidden));
  const activation = params.activation === 'tanh' ? 'tanh' : params.activation === 'relu' ? 'relu' : undefined;
  if (!activation) throw new Error(`tfjs-mlp: parameter activation is '${String(params.activation)}'; expected relu or tanh.`);
  const epochs = Number(params.epochs);
  const batchSize = Number(params.batch_size);
  if (!Number.isInteger(epochs) || epochs < 1) throw new Error(`tfjs-mlp: parameter epochs is ${epochs}; expected a whole number ≥ 1.`);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`tfjs-mlp: parameter batch_size is ${batchSize}; expected a whole number ≥ 1.`);
  const classes = task === 'multiclass' ? data.classes : undefined;
  if (task === 'multiclass' && (!classes || classes < 2)) throw new Error('tfjs-mlp: a multiclass task needs TrainingData.classes (the number of classes, at least 2).');
  const n = data.target.length;
  const p = data.features.length;
  const outputsCount = classes ?? 1;
  const random = seeded(Number(params.seed));

  const { mean, scale } = standardisation(data.features);
  let targetMean = 0;
  let targetScale = 1;
  if (task === 'regression') ({ mean: [targetMean], scale: [targetScale] } = standardisation([data.target]) as { mean: [number]; scale: [number] });
  const x = inputMatrix(data.features, mean, scale, 0, n);
  // Targets as the loss wants them: 0/1, one-hot rows, or standardised values.
  const y = new Float32Array(n * outputsCount);
  for (let i = 0; i < n; i++) {
    if (task === 'multiclass') y[i * outputsCount + data.target[i]!] = 1;
    else y[i] = task === 'regression' ? (data.target[i]! - targetMean) / targetScale : data.target[i]!;
  }

  // Glorot-uniform weights from the seeded generator, zero biases. Gradients are written out
  // (dense layers, relu/tanh, the three losses), so only forward kernels are needed: tfjs-core
  // registers its automatic gradients only through the full @tensorflow/tfjs bundle.
  const sizes = [p, ...hidden, outputsCount];
  const fitId = `tfjs-mlp-${++fits}`;
  const variables = sizes.slice(1).map((outputs, i) => {
    const inputs = sizes[i]!;
    const limit = Math.sqrt(6 / (inputs + outputs));
    const w = Float32Array.from({ length: inputs * outputs }, () => (2 * random() - 1) * limit);
    return {
      w: tf.variable(tf.tensor2d(w, [inputs, outputs]), true, `${fitId}/w${i}`),
      b: tf.variable(tf.zeros([outputs]), true, `${fitId}/b${i}`) as tf.Variable<tf.Rank.R1>,
    };
  });
  const optimizer = tf.train.adam(Number(params.learning_rate));
  const l2 = Number(params.l2);
  const order = Uint32Array.from({ length: n }, (_, i) => i);
  try {
    for (let epoch = 0; epoch < epochs; epoch++) {
      for (let i = n - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
      let lossSum = 0;
      for (let from = 0; from < n; from += batchSize) {
        const rows = order.subarray(from, Math.min(n, from + batchSize));
        const bx = new Float32Array(rows.length * p);
        const by = new Float32Array(rows.length * outputsCount);
        rows.forEach((r, k) => {
          bx.set(x.subarray(r * p, (r + 1) * p), k * p);
          by.set(y.subarray(r * outputsCount, (r + 1) * outputsCount), k * outputsCount);
        });
        const { loss, gradients } = tf.tidy(() => step(tf.tensor2d(bx, [rows.length, p]), tf.tensor2d(by, [rows.length, outputsCount]), variables, task, activation, l2));
        optimizer.applyGradients(gradients);
        lossSum += loss.dataSync()[0]! * rows.length;
        tf.dispose([loss, ...gradients.map((g) => g.tensor)]);
      }
      hooks.onIteration?.(epoch, lossSum / n);
    }
    return {
      task,
      outputs: outputsCount,
      activation,
      mean,
      scale,
      targetMean,
      targetScale,
      layers: variables.map(({ w, b }) => ({ inputs: w.shape[0], outputs: w.shape[1], weights: w.dataSync() as Float32Array, bias: b.dataSync() as Float32Array })),
    };
  } finally {
    tf.dispose(variables.flatMap((v) => [v.w, v.b]));
    optimizer.dispose();
  }
}

let fits = 0;

/**
 * One minibatch: the mean loss (plus the L2 penalty on weights) and its gradient for every
 * variable, by name. With logits z, the loss's gradient is (σ(z) − y) / B for binary
 * cross-entropy, (softmax(z) − y) / B for categorical cross-entropy, 2(z − y) / B for squared error.
 */
function step(xs: tf.Tensor2D, ys: tf.Tensor2D, variables: readonly { w: tf.Variable<tf.Rank.R2>; b: tf.Variable<tf.Rank.R1> }[], task: Task, activation: 'relu' | 'tanh', l2: number): { loss: tf.Scalar; gradients: NamedTensor[] } {
  const batch = xs.shape[0];
  const inputs: tf.Tensor2D[] = [xs];
  const hidden: tf.Tensor2D[] = [];
  variables.forEach(({ w, b }, i) => {
    const z = tf.add(tf.matMul(inputs[i]!, w), b) as tf.Tensor2D;
    if (i === variables.length - 1) hidden.push(z);
    else inputs.push(activation === 'relu' ? tf.relu(z) : tf.tanh(z));
  });
  const logits = hidden[0]!;
  const penalty = variables.reduce<tf.Scalar>((sum, v) => tf.add(sum, tf.sum(tf.square(v.w))), tf.scalar(0));
  let loss: tf.Scalar;
  let delta: tf.Tensor2D;
  if (task === 'binary') {
    // log(1 + e^z) − y·z, the cross-entropy of sigmoid(z) written stably.
    loss = tf.mean(tf.sub(tf.softplus(logits), tf.mul(ys, logits)));
    delta = tf.div(tf.sub(tf.sigmoid(logits), ys), batch);
  } else if (task === 'multiclass') {
    loss = tf.neg(tf.mean(tf.sum(tf.mul(ys, tf.logSoftmax(logits)), 1))) as tf.Scalar;
    delta = tf.div(tf.sub(tf.softmax(logits), ys), batch);
  } else {
    loss = tf.mean(tf.square(tf.sub(logits, ys)));
    delta = tf.div(tf.mul(2, tf.sub(logits, ys)), batch);
  }
  const gradients: NamedTensor[] = [];
  for (let i = variables.length - 1; i >= 0; i--) {
    const { w, b } = variables[i]!;
    gradients.push({ name: w.name, tensor: tf.add(tf.matMul(inputs[i]!, delta, true, false), tf.mul(2 * l2, w)) });
    gradients.push({ name: b.name, tensor: tf.sum(delta, 0) });
    if (i > 0) {
      const back = tf.matMul(delta, w, false, true);
      const h = inputs[i]!;
      // relu′ is 1 where the unit was active; tanh′ = 1 − tanh².
      delta = activation === 'relu' ? tf.mul(back, tf.step(h)) : tf.mul(back, tf.sub(1, tf.square(h)));
    }
  }
  return { loss: tf.add(loss, tf.mul(l2, penalty)) as tf.Scalar, gradients };
}

const toBase64 = (a: Float32Array): string => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
function fromBase64(text: string, length: number, what: string): Float32Array {
  const bytes = Buffer.from(text, 'base64');
  if (bytes.byteLength !== length * 4) throw new Error(`tfjs-mlp: saved ${what} has ${bytes.byteLength} bytes; expected ${length * 4} (${length} float32 values).`);
  // Copied into a fresh, aligned buffer: a Buffer may sit at any offset of a shared pool.
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

export const tfjsMlp: Learner<MlpState> = {
  name: 'tfjs-mlp',
  tasks: ['binary', 'multiclass', 'regression'],
  defaults,
  fit,
  predict,
  save: (s): SavedMlp => ({
    format: 'tfjs-mlp/1',
    task: s.task,
    outputs: s.outputs,
    activation: s.activation,
    mean: s.mean,
    scale: s.scale,
    targetMean: s.targetMean,
    targetScale: s.targetScale,
    layers: s.layers.map((l) => ({ inputs: l.inputs, outputs: l.outputs, weights: toBase64(l.weights), bias: toBase64(l.bias) })),
  }),
  load: (saved): MlpState => {
    const s = saved as SavedMlp;
    if (s?.format !== 'tfjs-mlp/1') throw new Error(`tfjs-mlp: the saved state has format ${JSON.stringify(s?.format)}; this learner reads tfjs-mlp/1.`);
    return {
      ...s,
      layers: s.layers.map((l, i) => ({ inputs: l.inputs, outputs: l.outputs, weights: fromBase64(l.weights, l.inputs * l.outputs, `layer ${i} weights`), bias: fromBase64(l.bias, l.outputs, `layer ${i} bias`) })),
    };
  },
};

registerLearner(tfjsMlp);
