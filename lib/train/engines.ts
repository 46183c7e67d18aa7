/**
 * Training engines: what runs one training step. The trainer (batching, caption draws, schedule, early
 * stopping) is the same for both; the engines compute loss and gradients and apply the optimiser.
 *
 * - `tfjs`: TensorFlow.js autograd with fast-path matmuls; any backend (tfjs-node-gpu on CUDA machines),
 *   and the only engine that trains a vision-side projection;
 * - `onnx`: the hand-written step graph (`step_graph.ts`) on onnxruntime-node, on the device that
 *   `resolveDevice` picks (multi-threaded CPU, WebGPU or CUDA), with Adam, clipping and accumulation
 *   over Float32Arrays in TypeScript.
 *
 * `auto` picks `onnx` on a GPU device, else `tfjs` on the native TensorFlow backend or when a vision
 * projection is trained, else `onnx`. Both engines, and the onnx engine on every device, give the same
 * loss curve on the same seed (tested to 1e-4 relative).
 *
 * @example
 * ```ts
 * import { createProjection } from "./projection.ts";
 * import { PAPER_LOGIT_SCALE } from "./losses.ts";
 * import { seededRandom } from "../runtime/random.ts";
 * const projection = createProjection({ kind: "linear", inDim: 8, outDim: 4 }, 0);
 * const engine = await createEngine("auto", projection, undefined, { loss: "clip", scale: PAPER_LOGIT_SCALE }, { lr: 1e-3 }, "cpu");
 * await engine.accumulate(new Float32Array(2 * 4).fill(1), new Float32Array(2 * 8).fill(1), 2, seededRandom(0), 1);
 * engine.update(1e-3, 1.0);
 * ```
 */
import * as tf from "@tensorflow/tfjs";
import * as ort from "onnxruntime-node";
import type { Rng } from "../runtime/random.ts";
import { dropoutMask, type Projection, transposeMatrix, type Weights } from "./projection.ts";
import { clipLoss, SIGLIP_BIAS, sigLipLoss } from "./losses.ts";
import { adam, type AdamConfig, adamState, adamStep } from "./optim.ts";
import { l2Normalize } from "./ops.ts";
import { type GraphLoss, layerDims, stepGraph } from "./step_graph.ts";
import { type DeviceRequest, type OnnxDevice, ortSessionOptions, resolveDevice } from "../runtime/onnx_device.ts";

/** What a training step needs from an engine. */
export interface StepEngine {
  readonly name: "tfjs" | "onnx";
  /** Where the onnx engine runs (absent for TF.js, which runs on its own backend). */
  readonly device?: OnnxDevice;
  /** Add the gradients of one micro-batch (loss times `scale`) to the accumulator; returns that loss. */
  accumulate(img: Float32Array, txt: Float32Array, rows: number, dropRng: Rng, scale: number): Promise<number>;
  /** Clip the accumulated gradients to `clipNorm`, take an optimiser step at `lr`, clear; returns the norm before clipping. */
  update(lr: number, clipNorm: number): number;
  /** Loss in evaluation mode (no dropout, BatchNorm running statistics). */
  evalLoss(img: Float32Array, txt: Float32Array, rows: number): Promise<number>;
  /** Opaque copy of the state that matters for the best checkpoint. */
  snapshot(): unknown;
  restore(state: unknown): void;
  /** The trained text projection (and vision projection) as TF.js modules, for evaluation and saving. */
  finish(): { text: Projection; vision?: Projection };
  dispose(): void;
}

/** Which engine trains. */
export type EngineName = "auto" | "tfjs" | "onnx";

/** Resolve `auto`. Pure. `device` is where onnxruntime runs; only the onnx engine runs on a GPU device. */
export function chooseEngine(name: EngineName, opts: { tfBackend: string; visionProjection: boolean; device?: OnnxDevice }): "tfjs" | "onnx" {
  const gpu = opts.device !== undefined && opts.device !== "cpu";
  if (name !== "auto") {
    if (name === "onnx" && opts.visionProjection) throw new Error("the onnx engine trains the text projection only; use engine: \"tfjs\" with a vision projection");
    if (name === "tfjs" && gpu && opts.tfBackend !== "tensorflow") {
      throw new Error(`engine "tfjs" runs on TensorFlow.js (${opts.tfBackend}), not on the ${opts.device} device: use engine "onnx" or "auto"`);
    }
    return name;
  }
  if (opts.visionProjection) return "tfjs";
  if (gpu) return "onnx";
  return opts.tfBackend === "tensorflow" ? "tfjs" : "onnx";
}

/** The TF.js engine. */
export function tfjsEngine(text: Projection, vision: Projection | undefined, loss: GraphLoss, opt: AdamConfig): StepEngine {
  const params = [...text.trainable, ...(vision?.trainable ?? [])];
  const optimizer = adam(params, opt);
  let acc: tf.Tensor[] | null = null;
  const lossOf = (img: tf.Tensor2D, txt: tf.Tensor2D, training: boolean, rng?: Rng) => {
    const zi = vision ? vision.forward(img, training, rng) : l2Normalize(img);
    const zt = text.forward(txt, training, rng);
    return loss.loss === "clip" ? clipLoss(zi, zt, loss.scale) : sigLipLoss(zi, zt, loss.scale, loss.bias ?? SIGLIP_BIAS);
  };
  return {
    name: "tfjs",
    accumulate(img, txt, rows, dropRng, scale) {
      const { value, grads } = tf.tidy(() => {
        const i = tf.tensor2d(img, [rows, img.length / rows]), t = tf.tensor2d(txt, [rows, txt.length / rows]);
        return tf.variableGrads(() => tf.mul(lossOf(i, t, true, dropRng), scale) as tf.Scalar, params);
      });
      const l = value.dataSync()[0];
      value.dispose();
      const g = params.map((p) => grads[p.name]);
      if (!acc) acc = g;
      else {
        const next = acc.map((x, k) => tf.add(x, g[k]));
        tf.dispose([...acc, ...g]);
        acc = next;
      }
      return Promise.resolve(l);
    },
    update(lr, clipNorm) {
      const norm = optimizer.step(acc!, lr, clipNorm);
      tf.dispose(acc!);
      acc = null;
      return norm;
    },
    evalLoss(img, txt, rows) {
      return Promise.resolve(tf.tidy(() => lossOf(tf.tensor2d(img, [rows, img.length / rows]), tf.tensor2d(txt, [rows, txt.length / rows]), false).dataSync()[0]));
    },
    snapshot: () => ({ text: text.snapshot(), vision: vision?.snapshot() }),
    restore(s) {
      const st = s as { text: Weights; vision?: Weights };
      text.restore(st.text);
      if (vision && st.vision) vision.restore(st.vision);
    },
    finish: () => ({ text, vision }),
    dispose: () => optimizer.dispose(),
  };
}

interface Param {
  name: string;
  data: Float32Array;
  grad: Float32Array;
}

/** Where the onnx engine runs. */
export interface OnnxEngineOptions {
  /** onnxruntime device (default: `resolveDevice()`, i.e. `SHARELOCK_DEVICE` or `auto`). */
  device?: DeviceRequest;
  /** CPU intra-op threads (default: every core). */
  threads?: number;
}

/** The onnxruntime engine (text projection only). */
export async function onnxEngine(text: Projection, loss: GraphLoss, opt: AdamConfig, engineOpts: OnnxEngineOptions = {}): Promise<StepEngine> {
  const device = await resolveDevice(engineOpts.device);
  const cfg = text.config;
  const dims = layerDims(cfg);
  const L = dims.length - 1;
  const hasBn = cfg.kind === "mlp" && cfg.batchNorm;
  const dropout = cfg.kind === "mlp" && cfg.dropout > 0;
  // weights in the graph's layout ([in, out]) from the projection's PyTorch layout ([out, in])
  const w0 = text.snapshot();
  const params: Param[] = [];
  const stats: { mean: Float32Array; variance: Float32Array }[] = [];
  const add = (name: string, data: Float32Array) =>
    params.push({ name, data, grad: new Float32Array(data.length) });
  for (let i = 0; i < L; i++) {
    const W = w0[`layers.${i}.linear.weight`];
    add(`W${i}`, transposeMatrix(W.data, W.shape[0], W.shape[1]));
    add(`b${i}`, w0[`layers.${i}.linear.bias`].data.slice());
    if (hasBn && i < L - 1) {
      add(`g${i}`, w0[`layers.${i}.bn.weight`].data.slice());
      add(`be${i}`, w0[`layers.${i}.bn.bias`].data.slice());
      stats[i] = { mean: w0[`layers.${i}.bn.running_mean`].data.slice(), variance: w0[`layers.${i}.bn.running_var`].data.slice() };
    }
  }
  const options = ortSessionOptions(device, { threads: engineOpts.threads });
  const train = await ort.InferenceSession.create(stepGraph(cfg, loss, "train"), options);
  const evaluate = await ort.InferenceSession.create(stepGraph(cfg, loss, "eval"), options);
  const gradName = (n: string) => `d${n}`;
  const adamBuffers = adamState(params.map((p) => p.data));
  const feedsFor = (img: Float32Array, txt: Float32Array, rows: number, scale: number) => {
    const feeds: Record<string, ort.Tensor> = {
      img: new ort.Tensor("float32", img, [rows, dims[L]]),
      txt: new ort.Tensor("float32", txt, [rows, dims[0]]),
      gscale: new ort.Tensor("float32", Float32Array.of(scale), [1]),
    };
    for (const p of params) {
      const shape = p.name.startsWith("W") ? [dims[+p.name.slice(1)], dims[+p.name.slice(1) + 1]] : [p.data.length];
      feeds[p.name] = new ort.Tensor("float32", p.data, shape);
    }
    return feeds;
  };
  return {
    name: "onnx",
    device,
    async accumulate(img, txt, rows, dropRng, scale) {
      const feeds = feedsFor(img, txt, rows, scale);
      if (dropout) {
        for (let i = 0; i < L - 1; i++) {
          // same draws, in the same order, as Projection.forward
          feeds[`mask${i}`] = new ort.Tensor("float32", dropoutMask(dropRng, rows * dims[i + 1], cfg.dropout), [rows, dims[i + 1]]);
        }
      }
      const out = await train.run(feeds);
      for (const p of params) {
        const gd = out[gradName(p.name)].data as Float32Array;
        for (let k = 0; k < gd.length; k++) p.grad[k] += gd[k];
      }
      if (hasBn) {
        for (let i = 0; i < L - 1; i++) {
          const mean = out[`mean${i}`].data as Float32Array, variance = out[`var${i}`].data as Float32Array;
          const s = stats[i], unbias = rows / Math.max(1, rows - 1);
          for (let k = 0; k < mean.length; k++) {
            s.mean[k] = 0.9 * s.mean[k] + 0.1 * mean[k];
            s.variance[k] = 0.9 * s.variance[k] + 0.1 * variance[k] * unbias;
          }
        }
      }
      return (out.loss.data as Float32Array)[0];
    },
    update(lr, clipNorm) {
      const norm = adamStep(params.map((p) => p.data), params.map((p) => p.grad), adamBuffers, { lr, clipNorm }, opt);
      for (const p of params) p.grad.fill(0);
      return norm;
    },
    async evalLoss(img, txt, rows) {
      const feeds = feedsFor(img, txt, rows, 1);
      stats.forEach((s, i) => {
        feeds[`rm${i}`] = new ort.Tensor("float32", s.mean, [s.mean.length]);
        feeds[`rv${i}`] = new ort.Tensor("float32", s.variance, [s.variance.length]);
      });
      return ((await evaluate.run(feeds)).loss.data as Float32Array)[0];
    },
    snapshot: () => ({ params: params.map((p) => p.data.slice()), stats: stats.map((s) => s && { mean: s.mean.slice(), variance: s.variance.slice() }) }),
    restore(state) {
      const st = state as { params: Float32Array[]; stats: { mean: Float32Array; variance: Float32Array }[] };
      params.forEach((p, i) => p.data.set(st.params[i]));
      st.stats.forEach((s, i) => s && (stats[i].mean.set(s.mean), stats[i].variance.set(s.variance)));
    },
    finish() {
      const w: Weights = {};
      const byName = new Map(params.map((p) => [p.name, p.data]));
      for (let i = 0; i < L; i++) {
        const [inn, out] = [dims[i], dims[i + 1]];
        w[`layers.${i}.linear.weight`] = { shape: [out, inn], data: transposeMatrix(byName.get(`W${i}`)!, inn, out) };
        w[`layers.${i}.linear.bias`] = { shape: [out], data: byName.get(`b${i}`)! };
        if (hasBn && i < L - 1) {
          w[`layers.${i}.bn.weight`] = { shape: [out], data: byName.get(`g${i}`)! };
          w[`layers.${i}.bn.bias`] = { shape: [out], data: byName.get(`be${i}`)! };
          w[`layers.${i}.bn.running_mean`] = { shape: [out], data: stats[i].mean };
          w[`layers.${i}.bn.running_var`] = { shape: [out], data: stats[i].variance };
        }
      }
      text.restore(w);
      return { text };
    },
    dispose() {
      void train.release();
      void evaluate.release();
    },
  };
}

/** Build the engine for a run; `device` as in {@link OnnxEngineOptions}. */
export async function createEngine(
  name: EngineName,
  text: Projection,
  vision: Projection | undefined,
  loss: GraphLoss,
  opt: AdamConfig,
  device?: DeviceRequest,
): Promise<StepEngine> {
  const onDevice = name === "tfjs" && device === undefined ? undefined : await resolveDevice(device);
  const which = chooseEngine(name, { tfBackend: tf.getBackend(), visionProjection: !!vision, device: onDevice });
  return which === "tfjs" ? tfjsEngine(text, vision, loss, opt) : await onnxEngine(text, loss, opt, { device: onDevice });
}
