import { Worker } from 'node:worker_threads';
import { HIST_STRIDE, kernelSource } from './histogram.js';

/**
 * The row loops of one boosting round — histograms, the partition of a leaf's
 * rows, adding leaf values to scores, gradients — each run over a range of
 * rows. Large ranges are cut in two: the main thread takes the first half and
 * a helper thread the second, sharing memory (SharedArrayBuffer) and waking
 * each other with Atomics, so the boosting loop stays a plain synchronous loop.
 * The same generated kernel text runs on both threads.
 */
export interface BoostKernels {
  /** A fresh histogram of the rows `rows[start:end]`. */
  histogram(start: number, end: number): Float64Array;
  /**
   * Stable partition of `rows[start:end]`: rows whose bin of `feature` has
   * `side[bin] === 1` first, then the rest, each in their previous order. Returns how many went first.
   */
  partition(start: number, end: number, feature: number, side: Uint8Array): number;
  /** Adds `value` to `score[row]` for each row of each leaf: `segments` holds (start, end, value) triples. */
  addLeaves(segments: readonly number[], score: Float64Array): void;
  /** Gradients of binary log loss or squared error for the training rows, from `raw`; false when the loss has no fast path here. */
  gradients(loss: 'binary' | 'squared' | 'other'): boolean;
  /** Stops the helper thread. */
  close(): void;
}

/** The arrays the kernels read and write, shared with the helper when there is one. */
export interface KernelArrays {
  readonly matrix: Uint8Array;
  readonly features: number;
  readonly gh: Float32Array;
  /** Rows of the tree being grown; partitions reorder it. */
  readonly rows: Uint32Array;
  /** Training rows, ascending (gradients are computed for these). */
  readonly train: Uint32Array;
  /** Scores (K = 1) and target. */
  readonly raw: Float64Array;
  readonly target: Float64Array;
}

const HISTOGRAM = 0;
const PARTITION = 1;
const ADD_LEAVES = 2;
const GRAD_BINARY = 3;
const GRAD_SQUARED = 4;

/**
 * Kernel bodies as text, over `v` (the shared views) and `a` (numeric arguments).
 * Generated rather than written as functions so the histogram loop can be unrolled
 * for the number of features, and so the helper thread compiles exactly the same code.
 */
function kernelSources(features: number): string[] {
  return [
    // HISTOGRAM: a = [start, end]; into v.out
    `const matrix = v.matrix, gh = v.gh, rows = v.rows, hist = v.out, start = a[0], end = a[1];
     ${kernelSource(features)}
     return 0;`,
    // PARTITION: a = [start, end, feature]; lefts compacted in place, the rest to scratch[start…]
    `const rows = v.rows, scratch = v.scratch, matrix = v.matrix, side = v.side, start = a[0], end = a[1], f = a[2];
     let w = start, s = start;
     for (let k = start; k < end; k++) {
       const r = rows[k];
       const l = side[matrix[r * ${features} + f]];
       rows[w] = r;
       scratch[s] = r;
       w += l;
       s += 1 - l;
     }
     return w - start;`,
    // ADD_LEAVES: a = [firstSegment, lastSegment]; segments in v.segments
    `const rows = v.rows, raw = v.raw, seg = v.segments;
     for (let t = a[0]; t < a[1]; t++) {
       const end = seg[3 * t + 1], value = seg[3 * t + 2];
       for (let j = seg[3 * t]; j < end; j++) raw[rows[j]] += value;
     }
     return 0;`,
    // GRAD_BINARY: a = [from, to] positions in v.train
    `const train = v.train, raw = v.raw, y = v.target, gh = v.gh;
     for (let k = a[0]; k < a[1]; k++) {
       const i = train[k];
       const q = 1 / (1 + Math.exp(-raw[i]));
       gh[2 * i] = q - y[i];
       gh[2 * i + 1] = Math.max(q * (1 - q), 1e-16);
     }
     return 0;`,
    // GRAD_SQUARED
    `const train = v.train, raw = v.raw, y = v.target, gh = v.gh;
     for (let k = a[0]; k < a[1]; k++) {
       const i = train[k];
       gh[2 * i] = raw[i] - y[i];
       gh[2 * i + 1] = 1;
     }
     return 0;`,
  ];
}

type Kernel = (v: Views, a: Float64Array) => number;
interface Views {
  matrix: Uint8Array;
  gh: Float32Array;
  rows: Uint32Array;
  scratch: Uint32Array;
  train: Uint32Array;
  raw: Float64Array;
  target: Float64Array;
  side: Uint8Array;
  segments: Float64Array;
  out: Float64Array;
}

const compile = (sources: string[]): Kernel[] => sources.map((s) => new Function('v', 'a', s) as Kernel);

// Control words shared with the helper.
const JOB = 0;
const KERNEL = 1;
const DONE = 2;
const QUIT = 3;
const RESULT = 4;

/** Below this many rows a range is worked by the main thread alone: the hand-off costs more. */
const SPLIT_MIN_ROWS = 20_000;
/** How long the main thread waits for the helper before giving up on it and working alone. */
const HELPER_TIMEOUT_MS = 10_000;
const MAX_SEGMENTS = 65_536;

function helperSource(): string {
  return `
const { workerData } = require('node:worker_threads');
const { control, args, sources, buffers } = workerData;
const c = new Int32Array(control);
const a = new Float64Array(args);
const v = {
  matrix: new Uint8Array(buffers.matrix), gh: new Float32Array(buffers.gh), rows: new Uint32Array(buffers.rows),
  scratch: new Uint32Array(buffers.scratch), train: new Uint32Array(buffers.train), raw: new Float64Array(buffers.raw),
  target: new Float64Array(buffers.target), side: new Uint8Array(buffers.side), segments: new Float64Array(buffers.segments),
  out: new Float64Array(buffers.out),
};
const kernels = sources.map((s) => new Function('v', 'a', s));
let seen = 0;
for (;;) {
  Atomics.wait(c, ${JOB}, seen);
  seen = Atomics.load(c, ${JOB});
  if (Atomics.load(c, ${QUIT}) === 1) break;
  c[${RESULT}] = kernels[c[${KERNEL}]](v, a);
  Atomics.store(c, ${DONE}, seen);
  Atomics.notify(c, ${DONE});
}
`;
}

const shared = (bytes: number) => new SharedArrayBuffer(Math.max(8, bytes));

/** Allocates an array in shared memory, for arrays the helper thread will read. */
export function sharedArray<T extends Uint8Array | Uint16Array | Uint32Array | Float32Array | Float64Array>(kind: { new (b: SharedArrayBuffer): T; BYTES_PER_ELEMENT: number }, length: number): T {
  return new kind(shared(length * kind.BYTES_PER_ELEMENT));
}

/**
 * Kernels over `arrays`; with `threads` 2 a helper thread takes half of every
 * large range (then every array must be in shared memory: see `sharedArray`).
 */
export function boostKernels(arrays: KernelArrays, threads: number): BoostKernels {
  const F = arrays.features;
  const sources = kernelSources(F);
  const kernels = compile(sources);
  const parallel = threads > 1;
  const v: Views = {
    matrix: arrays.matrix,
    gh: arrays.gh,
    rows: arrays.rows,
    scratch: parallel ? sharedArray(Uint32Array, arrays.rows.length) : new Uint32Array(arrays.rows.length),
    train: arrays.train,
    raw: arrays.raw,
    target: arrays.target,
    side: parallel ? sharedArray(Uint8Array, 256) : new Uint8Array(256),
    segments: parallel ? sharedArray(Float64Array, MAX_SEGMENTS * 3) : new Float64Array(MAX_SEGMENTS * 3),
    out: new Float64Array(0),
  };
  const a = new Float64Array(8);
  const helperArgs = parallel ? sharedArray(Float64Array, 8) : new Float64Array(0);
  const control = new Int32Array(parallel ? shared(8 * 4) : new ArrayBuffer(32));
  const helperOut = parallel ? sharedArray(Float64Array, F * HIST_STRIDE) : new Float64Array(0);
  let helper: Worker | null = null;
  if (parallel) {
    helper = new Worker(helperSource(), {
          eval: true,
          workerData: {
            control: control.buffer,
            args: helperArgs.buffer,
            sources,
            buffers: {
              matrix: v.matrix.buffer,
              gh: v.gh.buffer,
              rows: v.rows.buffer,
              scratch: v.scratch.buffer,
              train: v.train.buffer,
              raw: v.raw.buffer,
              target: v.target.buffer,
              side: v.side.buffer,
              segments: v.segments.buffer,
              out: helperOut.buffer,
            },
          },
        });
    helper.unref();
    helper.on('error', () => (helper = null));
  }
  let job = 0;

  /**
   * Runs kernel k on [from, to) here when the work is small, else [from, mid) here and
   * [mid, to) on the helper (mid halves the range unless given); returns both results and mid.
   */
  const run = (k: number, from: number, to: number, extra: number[], main: (x: number, y: number) => number, work = to - from, split?: number): [number, number, number] => {
    if (helper === null || work < SPLIT_MIN_ROWS) return [main(from, to), 0, to];
    const mid = split ?? from + ((to - from) >> 1);
    if (k === HISTOGRAM) helperOut.fill(0);
    helperArgs[0] = mid;
    helperArgs[1] = to;
    for (let j = 0; j < extra.length; j++) helperArgs[2 + j] = extra[j]!;
    Atomics.store(control, KERNEL, k);
    job = Atomics.add(control, JOB, 1) + 1;
    Atomics.notify(control, JOB);
    const mine = main(from, mid);
    for (;;) {
      // Wait on the value just read, not a fresh one: if the helper finishes between the
      // read and the wait, the wait sees the change and returns at once (no lost wake-up).
      const seen = Atomics.load(control, DONE);
      if (seen === job) break;
      if (Atomics.wait(control, DONE, seen, HELPER_TIMEOUT_MS) === 'timed-out' && Atomics.load(control, DONE) !== job) {
        // The helper never answered (it could not start): work alone from now on.
        self.close();
        return [mine, main(mid, to), mid];
      }
    }
    return [mine, Atomics.load(control, RESULT), mid];
  };

  const self: BoostKernels = {
    histogram(start, end) {
      const hist = new Float64Array(F * HIST_STRIDE);
      const [, , mid] = run(HISTOGRAM, start, end, [], (x, y) => {
        a[0] = x;
        a[1] = y;
        v.out = hist;
        return kernels[HISTOGRAM]!(v, a);
      });
      // (When the helper failed mid-job, main() also did the second half, into `hist`.)
      if (mid < end && helper !== null) for (let k = 0; k < hist.length; k++) hist[k]! += helperOut[k]!;
      return hist;
    },
    partition(start, end, feature, side) {
      v.side.set(side);
      const [leftA, leftB, mid] = run(PARTITION, start, end, [feature], (x, y) => {
        a[0] = x;
        a[1] = y;
        a[2] = feature;
        return kernels[PARTITION]!(v, a);
      });
      const rows = v.rows;
      const scratch = v.scratch;
      // Lefts of the first half sit at start…; of the second at mid…; the rest in scratch at the same offsets.
      const rightA = mid - start - leftA;
      const rightB = end - mid - leftB;
      if (mid < end) rows.copyWithin(start + leftA, mid, mid + leftB);
      rows.set(scratch.subarray(start, start + rightA), start + leftA + leftB);
      if (mid < end) rows.set(scratch.subarray(mid, mid + rightB), start + leftA + leftB + rightA);
      return leftA + leftB;
    },
    addLeaves(segments, score) {
      const count = segments.length / 3;
      if (score !== v.raw || count > MAX_SEGMENTS || helper === null) {
        for (let t = 0; t < segments.length; t += 3) {
          const end = segments[t + 1]!;
          const value = segments[t + 2]!;
          for (let j = segments[t]!; j < end; j++) score[v.rows[j]!]! += value;
        }
        return;
      }
      v.segments.set(segments);
      // Split the segments so each thread adds about half of the rows.
      let total = 0;
      for (let t = 0; t < count; t++) total += segments[3 * t + 1]! - segments[3 * t]!;
      let half = 0;
      let cut = 0;
      while (cut < count - 1 && half < total / 2) {
        half += segments[3 * cut + 1]! - segments[3 * cut]!;
        cut++;
      }
      run(
        ADD_LEAVES,
        0,
        count,
        [],
        (x, y) => {
          a[0] = x;
          a[1] = y;
          return kernels[ADD_LEAVES]!(v, a);
        },
        cut === 0 ? 0 : total,
        cut,
      );
    },
    gradients(loss) {
      if (loss === 'other') return false;
      const k = loss === 'binary' ? GRAD_BINARY : GRAD_SQUARED;
      run(k, 0, v.train.length, [], (x, y) => {
        a[0] = x;
        a[1] = y;
        return kernels[k]!(v, a);
      });
      return true;
    },
    close() {
      if (helper === null) return;
      Atomics.store(control, QUIT, 1);
      Atomics.add(control, JOB, 1);
      Atomics.notify(control, JOB);
      void helper.terminate();
      helper = null;
    },
  };
  return self;
}
