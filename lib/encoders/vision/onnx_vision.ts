/**
 * The nsfwjs vision encoders (MobileNetV2 1.4, InceptionV3) on onnxruntime: the TF.js models converted
 * to ONNX once (`onnx/convert/tfjs_to_onnx.ts`, cached under `<cache>/models/onnx/`, keyed by the package version and
 * the converter version), run with intra-op threads on the CPU or on a GPU execution provider. Same
 * preprocessing and batch loop as the TF.js engine (`images/image_batches.ts`); the features equal TF.js's to
 * about 1e-6 relative (tests/onnx_vision_test.ts). The identity adds `engine` and `converter`, so the
 * feature store keeps the two engines' features apart.
 *
 * @example
 * ```ts
 * const enc = await onnxVisionEncoder("mobilenet-v2", { threads: 2 });
 * const [f] = await enc.embed(["cat.png"]);   // Float32Array(1792)
 * enc.dispose();
 * ```
 */
import * as ort from "onnxruntime-node";
import * as tf from "@tensorflow/tfjs";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { ensureNpmAsset, NPM_ASSETS } from "../../data/assets.ts";
import { projectPaths } from "../../runtime/paths.ts";
import { type EnvSource, readSetting } from "../../runtime/env.ts";
import { writeFileAtomic } from "../../runtime/atomic.ts";
import { type DeviceRequest, type OnnxDevice, ortSessionOptions, resolveDevice } from "../../runtime/onnx_device.ts";
import { nsfwjsArtifacts, NSFWJS_VISION, type NsfwjsVisionName } from "./tfjs_models.ts";
import { CONVERTER_VERSION, graphModelToOnnx, layersModelToOnnx } from "../../onnx/convert/tfjs_to_onnx.ts";
import { type BatchPlan, embedInBatches } from "../../images/image_batches.ts";
import { decodePlanFor, type DecodePlan, decodePool } from "../../images/decode_pool.ts";
import { checkEmbeddings, type EncoderIdentity, type ImageInput, type VisionEncoder } from "../types.ts";

/** Which runtime computes the nsfwjs vision encoders. */
export type VisionEngine = "onnx" | "tfjs";

/** The engine named by `SHARELOCK_VISION_ENGINE` (`onnx` or `tfjs`), default `onnx`. */
export function visionEngineFromEnv(env: EnvSource = Deno.env): VisionEngine {
  return readSetting("visionEngine", env);
}

/** Options of {@link onnxVisionEncoder}. */
export interface OnnxVisionOptions {
  /** Unpacked nsfwjs package (default: fetched into the cache). */
  packageDir?: string;
  /** Cache root for the converted model (default: the project cache). */
  cacheDir?: string;
  /** Images per forward pass (default: the model's CPU batch; 64 on a GPU). */
  batchSize?: number;
  /** onnxruntime device (default: `SHARELOCK_DEVICE`, else auto). */
  device?: DeviceRequest;
  /** Intra-op threads (default: `SHARELOCK_ORT_THREADS`, else every core). */
  threads?: number;
  /**
   * How images are decoded around the forward pass (default {@link decodePlanFor}: on the CPU, phased
   * on the session's `threads` cores; on a GPU, overlapped on the other cores).
   */
  decode?: DecodePlan;
}

/**
 * The converted model of `name` in the cache, converting it first when missing (atomic write; two
 * processes converting at once both end with the same file). Returns its path.
 */
export async function convertedVisionModel(name: NsfwjsVisionName, opts: { packageDir?: string; cacheDir?: string } = {}): Promise<string> {
  const m = NSFWJS_VISION[name];
  const file = join(opts.cacheDir ?? projectPaths().cache, "models", "onnx", `${name}-${NPM_ASSETS.nsfwjs.name}@${NPM_ASSETS.nsfwjs.version}-converter${CONVERTER_VERSION}.onnx`);
  if (existsSync(file)) return file;
  await tf.ready(); // decoding the weights uses TF.js tensors
  const pkg = opts.packageDir ?? await ensureNpmAsset(NPM_ASSETS.nsfwjs);
  const artifacts = await nsfwjsArtifacts(name, pkg);
  const what = `${name} (nsfwjs ${m.dir})`;
  const bytes = m.format === "graph"
    ? graphModelToOnnx(artifacts, (n) => n.endsWith(m.output), what)
    : layersModelToOnnx(artifacts, m.output, what);
  await writeFileAtomic(file, bytes);
  return file;
}

/** Session options for a device and thread count: the project's, with idle threads sleeping. */
function sessionOptions(device: OnnxDevice, threads: number): ort.InferenceSession.SessionOptions {
  // idle intra-op threads sleep instead of spinning, leaving the cores to the decoding of the next batch
  return { ...ortSessionOptions(device, { threads }), extra: { session: { intra_op: { allow_spinning: "0" } } } };
}

/** The identity of a nsfwjs vision encoder's features on onnxruntime. Pure. */
export function onnxVisionIdentity(name: NsfwjsVisionName): EncoderIdentity {
  const base = NSFWJS_VISION[name].identity;
  return { ...base, extra: { ...base.extra, engine: "onnxruntime", converter: CONVERTER_VERSION } };
}

/** A loaded converted model: the forward pass alone, without decoding (for benchmarks and the encoder). */
export interface OnnxVisionModel {
  identity: EncoderIdentity;
  plan: BatchPlan;
  device: OnnxDevice;
  threads: number;
  /** Features of `n` preprocessed images (NHWC pixels), `n * dim` values. */
  run(pixels: Float32Array, n: number): Promise<Float32Array>;
  release(): Promise<void>;
}

/** Load the converted model of `name` into an onnxruntime session. */
export async function onnxVisionModel(name: NsfwjsVisionName, opts: OnnxVisionOptions = {}): Promise<OnnxVisionModel> {
  const m = NSFWJS_VISION[name];
  const path = await convertedVisionModel(name, opts);
  const device = await resolveDevice(opts.device);
  const threads = opts.threads ?? readSetting("ortThreads") ?? navigator.hardwareConcurrency;
  const session = await ort.InferenceSession.create(path, sessionOptions(device, threads));
  const identity = onnxVisionIdentity(name), size = m.spec.size;
  return {
    identity,
    device,
    threads,
    plan: { spec: m.spec, batchSize: opts.batchSize ?? (device === "cpu" ? m.batchSize : 64), dim: identity.dim },
    async run(pixels, n) {
      const r = await session.run({ input: new ort.Tensor("float32", pixels, [n, size, size, 3]) });
      return r.features.data as Float32Array;
    },
    release: () => session.release(),
  };
}

/**
 * A nsfwjs vision encoder on onnxruntime. Images are decoded by a pool of threads: on the CPU between
 * forward passes on the session's cores, on a GPU while the device runs the previous batch
 * (`images/decode_pool.ts`). `dispose()` ends the pool's threads.
 */
export async function onnxVisionEncoder(name: NsfwjsVisionName, opts: OnnxVisionOptions = {}): Promise<VisionEncoder> {
  const model = await onnxVisionModel(name, opts);
  const identity = model.identity;
  const decode = opts.decode ?? decodePlanFor(model.device, model.device === "cpu" ? model.threads : navigator.hardwareConcurrency);
  const pool = decodePool(decode);
  const plan: BatchPlan = { ...model.plan, prepare: pool.prepare, schedule: decode.schedule };
  return {
    identity,
    async embed(images: ImageInput[]) {
      const out = await embedInBatches(images, plan, (pixels, n) => model.run(pixels, n));
      checkEmbeddings(identity, images, out);
      return out;
    },
    dispose: () => {
      pool.close();
      void model.release();
    },
  };
}
