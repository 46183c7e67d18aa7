/**
 * Training engines: what runs one training step. The trainer (batching, caption draws, schedule, early
 * stopping) is the same for both; the engines compute loss and gradients and apply the optimiser.
 *
 * - `tfjs`: TensorFlow.js autograd with fast-path matmuls; any backend (tfjs-node-gpu on CUDA machines),
 *   and the only engine that trains a vision-side projection;
 * - `onnx`: the hand-written step graph (`batched_graph.ts`, one run) on onnxruntime-node, on the
 *   device that `resolveDevice` picks (multi-threaded CPU, WebGPU or CUDA), with Adam, clipping and
 *   accumulation over Float32Arrays in TypeScript; `batched.ts` trains many runs in the same graph.
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
import type { Rng } from "../runtime/random.ts";
import type { Projection, Weights } from "./projection.ts";
import { clipLoss, SIGLIP_BIAS, sigLipLoss } from "./losses.ts";
import { adam, type AdamConfig } from "./optim.ts";
import { l2Normalize } from "./ops.ts";
import type { GraphLoss } from "./step_graph.ts";
import { batchedOnnxEngine } from "./batched_engine.ts";
import { type DeviceRequest, type OnnxDevice, resolveDevice } from "../runtime/onnx_device.ts";

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

/** Where the onnx engine runs. */
export interface OnnxEngineOptions {
  /** onnxruntime device (default: `resolveDevice()`, i.e. `SHARELOCK_DEVICE` or `auto`). */
  device?: DeviceRequest;
  /** CPU intra-op threads (default: every core). */
  threads?: number;
  /** The texts are sparse (bags of words): the first layer is computed from their non-zero entries (`sparse_input.ts`). */
  sparseInput?: boolean;
}

/**
 * The onnxruntime engine (text projection only): the batched engine (`batched_engine.ts`) with one run,
 * so that a run trained alone and the same run trained in a batch compute the same numbers.
 */
export async function onnxEngine(text: Projection, loss: GraphLoss, opt: AdamConfig, engineOpts: OnnxEngineOptions = {}): Promise<StepEngine> {
  const one = await batchedOnnxEngine([text], loss, [opt], engineOpts);
  return {
    name: "onnx",
    device: one.device,
    accumulate: async (img, txt, rows, dropRng, scale) => (await one.accumulate([{ img, txt, rows, dropRng }], scale))[0],
    update: (lr, clipNorm) => one.update([lr], [clipNorm])[0],
    evalLoss: async (img, txt, rows) => (await one.evalLoss([0], [{ img, txt }], rows))[0],
    snapshot: () => one.snapshot(0),
    restore: (state) => one.restore(0, state),
    finish: () => ({ text: one.finish(0) }),
    dispose: () => one.dispose(),
  };
}

/** Build the engine for a run; `device` and `sparseInput` as in {@link OnnxEngineOptions} (TF.js takes every input dense). */
export async function createEngine(
  name: EngineName,
  text: Projection,
  vision: Projection | undefined,
  loss: GraphLoss,
  opt: AdamConfig,
  device?: DeviceRequest,
  sparseInput = false,
): Promise<StepEngine> {
  const onDevice = name === "tfjs" && device === undefined ? undefined : await resolveDevice(device);
  const which = chooseEngine(name, { tfBackend: tf.getBackend(), visionProjection: !!vision, device: onDevice });
  return which === "tfjs" ? tfjsEngine(text, vision, loss, opt) : await onnxEngine(text, loss, opt, { device: onDevice, sparseInput });
}
