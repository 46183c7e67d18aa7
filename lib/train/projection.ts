/**
 * Projection networks in TensorFlow.js, written out with plain ops so that every matmul uses the
 * fast-path gradients of `ops.ts`:
 *
 * - `linear` (the probing section): one Linear layer, in -> out;
 * - `mlp` (Section 5): `layers - 1` blocks of Linear -> BatchNorm1d -> ReLU -> Dropout(0.2), then a final
 *   Linear (the paper: 4 layers, hidden 4096).
 *
 * Outputs are L2-normalised. Initialisation follows PyTorch's `nn.Linear` (uniform +-1/sqrt(fan_in) for
 * weights and biases) from a seeded stream; BatchNorm uses batch statistics in training (running
 * statistics with momentum 0.1 and unbiased variance, as PyTorch) and running statistics in evaluation.
 *
 * @example
 * ```ts
 * import type { Matrix } from "../core/matrix.ts";
 * declare const textMatrix: Matrix;
 * const p = createProjection({ kind: "mlp", inDim: 512, outDim: 1792, hidden: 1024, layers: 3 }, 42);
 * const z = p.project(textMatrix);  // Matrix of unit rows, evaluation mode
 * ```
 */
import * as tf from "@tensorflow/tfjs";
import { type Rng, seededRandom } from "../runtime/random.ts";
import type { Matrix } from "../core/matrix.ts";
import { l2Normalize, linear } from "./ops.ts";

/** Architecture of a projection. */
export interface ProjectionConfig {
  kind: "linear" | "mlp";
  inDim: number;
  outDim: number;
  /** MLP hidden width (paper: 4096). */
  hidden?: number;
  /** MLP number of Linear layers (paper: 4). */
  layers?: number;
  /** MLP dropout after each ReLU (paper: 0.2). */
  dropout?: number;
  /** MLP BatchNorm after each hidden Linear (paper: true). */
  batchNorm?: boolean;
}

/** Named weights, PyTorch layout (`weight` is [out, in]). */
export type Weights = Record<string, { shape: number[]; data: Float32Array }>;

/** A projection with its variables. */
export interface Projection {
  readonly config: Required<ProjectionConfig>;
  /** Trainable variables, in a fixed order. */
  readonly trainable: tf.Variable[];
  /** Forward pass (normalised output). `rng` drives dropout in training (default: the projection's own seeded stream). */
  forward(x: tf.Tensor2D, training: boolean, rng?: Rng): tf.Tensor2D;
  /** Project a whole matrix in evaluation mode, in chunks; rows come back unit-normalised. */
  project(m: Matrix, chunk?: number): Matrix;
  /** Copy of all weights and BatchNorm statistics (PyTorch layout). */
  snapshot(): Weights;
  /** Set all weights from a snapshot. */
  restore(w: Weights): void;
  /** Parameter count. */
  readonly parameters: number;
  dispose(): void;
}

/** Transpose a row-major [rows x cols] matrix (PyTorch [out, in] <-> graph [in, out]). Pure. */
export function transposeMatrix(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c];
  return out;
}

/**
 * An inverted-dropout mask (kept units scaled by 1/keep) drawn from `rng`. Both training engines draw
 * their masks here, in layer order, so that they see the same masks for the same seed.
 */
export function dropoutMask(rng: Rng, size: number, rate: number): Float32Array {
  const keep = 1 - rate, kept = 1 / keep, mask = new Float32Array(size);
  for (let i = 0; i < size; i++) mask[i] = rng.next() < keep ? kept : 0;
  return mask;
}

/** Fill in the paper's defaults. Pure. */
export function projectionDefaults(c: ProjectionConfig): Required<ProjectionConfig> {
  return { hidden: 4096, layers: 4, dropout: 0.2, batchNorm: true, ...c };
}

interface Layer {
  w: tf.Variable;
  b: tf.Variable;
  gamma?: tf.Variable;
  beta?: tf.Variable;
  mean?: tf.Variable;
  variance?: tf.Variable;
}

/** Create a projection with seeded PyTorch-style initialisation. */
export function createProjection(config: ProjectionConfig, seed: number): Projection {
  const cfg = projectionDefaults(config);
  const rng = seededRandom(seed * 7919 + 1);
  const ownDropout = seededRandom(seed * 104729 + 3); // dropout masks when the caller passes no stream
  const dims = cfg.kind === "linear" ? [cfg.inDim, cfg.outDim] : [cfg.inDim, ...Array(cfg.layers - 1).fill(cfg.hidden), cfg.outDim];
  if (cfg.kind === "mlp" && cfg.layers < 2) throw new Error(`an MLP projection needs at least 2 layers, got ${cfg.layers}`);
  const layers: Layer[] = [];
  for (let i = 0; i + 1 < dims.length; i++) {
    const [fin, fout] = [dims[i], dims[i + 1]];
    const bound = 1 / Math.sqrt(fin);
    const u = (n: number) => Float32Array.from({ length: n }, () => (2 * rng.next() - 1) * bound);
    // variables made inside tidy: the initial tensors are freed, the variables kept
    const layer: Layer = tf.tidy(() => ({ w: tf.variable(tf.tensor2d(u(fin * fout), [fin, fout]), true), b: tf.variable(tf.tensor1d(u(fout)), true) }));
    const hiddenLayer = cfg.kind === "mlp" && i + 2 < dims.length;
    if (hiddenLayer && cfg.batchNorm) {
      tf.tidy(() => {
        layer.gamma = tf.variable(tf.ones([fout]), true);
        layer.beta = tf.variable(tf.zeros([fout]), true);
        layer.mean = tf.variable(tf.zeros([fout]), false);
        layer.variance = tf.variable(tf.ones([fout]), false);
      });
    }
    layers.push(layer);
  }
  const trainable = layers.flatMap((l) => [l.w, l.b, ...(l.gamma ? [l.gamma, l.beta!] : [])]);

  const forward = (x: tf.Tensor2D, training: boolean, dropRng?: Rng): tf.Tensor2D => {
    let h = x;
    layers.forEach((l, i) => {
      h = linear(h, l.w as tf.Tensor2D, l.b as tf.Tensor1D);
      if (i === layers.length - 1 || cfg.kind === "linear") return;
      if (l.gamma) {
        const eps = 1e-5;
        if (training) {
          const { mean, variance } = tf.moments(h, 0);
          const n = h.shape[0];
          tf.tidy(() => {
            l.mean!.assign(tf.add(tf.mul(l.mean!, 0.9), tf.mul(mean, 0.1)));
            l.variance!.assign(tf.add(tf.mul(l.variance!, 0.9), tf.mul(variance, (0.1 * n) / Math.max(1, n - 1))));
          });
          h = tf.add(tf.mul(tf.div(tf.sub(h, mean), tf.sqrt(tf.add(variance, eps))), l.gamma), l.beta!);
        } else {
          h = tf.add(tf.mul(tf.div(tf.sub(h, l.mean!), tf.sqrt(tf.add(l.variance!, eps))), l.gamma), l.beta!);
        }
      }
      h = tf.relu(h);
      if (training && cfg.dropout > 0) {
        h = tf.mul(h, tf.tensor2d(dropoutMask(dropRng ?? ownDropout, h.size, cfg.dropout), h.shape));
      }
    });
    return l2Normalize(h);
  };

  const names = (): [string, tf.Variable, boolean][] =>
    layers.flatMap((l, i) => [
      [`layers.${i}.linear.weight`, l.w, true],
      [`layers.${i}.linear.bias`, l.b, false],
      ...(l.gamma
        ? [[`layers.${i}.bn.weight`, l.gamma, false], [`layers.${i}.bn.bias`, l.beta!, false], [`layers.${i}.bn.running_mean`, l.mean!, false], [
          `layers.${i}.bn.running_var`,
          l.variance!,
          false,
        ]] as [string, tf.Variable, boolean][]
        : []),
    ]);

  return {
    config: cfg,
    trainable,
    forward,
    project(m: Matrix, chunk = 4096): Matrix {
      if (m.dim !== cfg.inDim) throw new Error(`projection expects ${cfg.inDim}-d inputs, got ${m.dim}-d`);
      const out = new Float32Array(m.rows * cfg.outDim);
      for (let s = 0; s < m.rows; s += chunk) {
        const n = Math.min(chunk, m.rows - s);
        const y = tf.tidy(() => forward(tf.tensor2d(m.data.subarray(s * m.dim, (s + n) * m.dim), [n, m.dim]), false));
        out.set(y.dataSync(), s * cfg.outDim);
        y.dispose();
      }
      return { data: out, rows: m.rows, dim: cfg.outDim };
    },
    snapshot(): Weights {
      const w: Weights = {};
      for (const [name, v, transpose] of names()) {
        const t = transpose ? tf.tidy(() => tf.transpose(v)) : v;
        w[name] = { shape: t.shape, data: Float32Array.from(t.dataSync() as Float32Array) };
        if (transpose) t.dispose();
      }
      return w;
    },
    restore(w: Weights) {
      for (const [name, v, transpose] of names()) {
        const src = w[name];
        if (!src) throw new Error(`weights have no "${name}"`);
        const t = tf.tensor(src.data, src.shape);
        const value = transpose ? tf.transpose(t) : t;
        if (value.shape.join() !== v.shape.join()) throw new Error(`"${name}": shape ${src.shape} does not fit ${v.shape}`);
        v.assign(value);
        t.dispose();
        if (transpose) value.dispose();
      }
    },
    parameters: trainable.reduce((a, v) => a + v.size, 0),
    dispose() {
      layers.forEach((l) => [l.w, l.b, l.gamma, l.beta, l.mean, l.variance].forEach((v) => v?.dispose()));
    },
  };
}
