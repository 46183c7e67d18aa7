/**
 * The image-encoder batch loop shared by every engine. Two schedules: "overlap" decodes and resizes
 * the next batch while the model runs on the current one (for a model on a GPU, with decoding on
 * threads of its own: `decode_pool.ts`), "phased" decodes a batch and then runs it (for a model whose
 * forward pass fills the CPU's cores: decoding then uses every core between forward passes instead of
 * stealing cores from the intra-op threads). One implementation of preprocessing (`preprocessImage`).
 *
 * @example
 * ```ts
 * import { IMAGENET_MEAN, IMAGENET_STD, type PreprocessSpec } from "./image_io.ts";
 * const spec: PreprocessSpec = { size: 224, mode: "crop", resize: 256, mean: IMAGENET_MEAN, std: IMAGENET_STD, layout: "chw" };
 * // the model gets n * 224 * 224 * 3 floats and returns n * dim features
 * const vectors = await embedInBatches(["a.png", "b.png"], { spec, batchSize: 16, dim: 2 },
 *   (pixels, n) => Promise.resolve(new Float32Array(n * 2).fill(pixels[0])));
 * ```
 */
import { preprocessImage, type PreprocessSpec } from "./image_io.ts";
import type { BatchSchedule } from "./decode_pool.ts";
import type { ImageInput } from "../data/image_ref.ts";

/** How images become model input batches. */
export interface BatchPlan {
  spec: PreprocessSpec;
  batchSize: number;
  /** Output dimension per image. */
  dim: number;
  /**
   * How a batch becomes pixels (default {@link preprocessBatch}; a `DecodePool`'s `prepare`; tests
   * observe the schedule with it). `into`, when given, is a reused buffer of the batch's length to
   * write into; the returned array is what the model gets.
   */
  prepare?: (images: ImageInput[], spec: PreprocessSpec, into?: Float32Array) => Promise<Float32Array>;
  /** "overlap" (default): batch k+1 is prepared while batch k runs; "phased": prepared, then run. */
  schedule?: BatchSchedule;
}

/**
 * Decode and lay out one batch as one contiguous Float32Array (written into `into` when given: length
 * `images.length * size * size * 3`).
 */
export async function preprocessBatch(images: ImageInput[], spec: PreprocessSpec, into?: Float32Array): Promise<Float32Array> {
  const per = spec.size * spec.size * 3;
  if (into && into.length !== images.length * per) throw new Error(`preprocessBatch: target holds ${into.length} values, ${images.length} images need ${images.length * per}`);
  const flat = into ?? new Float32Array(images.length * per);
  await Promise.all(images.map((im, i) => preprocessImage(im, spec, flat.subarray(i * per, (i + 1) * per))));
  return flat;
}

/**
 * Run `model` over `images` in batches, on the plan's schedule (default "overlap": batch k+1 is
 * preprocessed while batch k runs). `model` gets the pixels of `n` images and returns `n * dim`
 * features. Vectors come back in input order.
 */
export async function embedInBatches(
  images: ImageInput[],
  plan: BatchPlan,
  model: (pixels: Float32Array, n: number) => Promise<Float32Array>,
): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  const starts: number[] = [];
  for (let s = 0; s < images.length; s += plan.batchSize) starts.push(s);
  const prepare = plan.prepare ?? preprocessBatch;
  // two batch buffers, reused in turn: batch k+1 is written while batch k may still be running, and
  // batch k+2 only after batch k's forward pass returned (a fresh 10 MB buffer per batch costs page faults)
  const per = plan.spec.size * plan.spec.size * 3;
  const buffers: Float32Array[] = [];
  const prep = (s: number) => {
    const n = Math.min(plan.batchSize, images.length - s), slot = (s / plan.batchSize) % 2;
    buffers[slot] ??= new Float32Array(Math.min(plan.batchSize, images.length) * per);
    return prepare(images.slice(s, s + n), plan.spec, buffers[slot].subarray(0, n * per));
  };
  const count = (k: number) => Math.min(plan.batchSize, images.length - starts[k]);
  const take = (k: number, feats: Float32Array) => {
    const n = count(k);
    if (feats.length !== n * plan.dim) throw new Error(`model returned ${feats.length} values for ${n} images of dimension ${plan.dim}`);
    for (let i = 0; i < n; i++) out.push(feats.slice(i * plan.dim, (i + 1) * plan.dim));
  };
  if (plan.schedule === "phased") {
    for (let k = 0; k < starts.length; k++) take(k, await model(await prep(starts[k]), count(k)));
    return out;
  }
  let next = starts.length ? prep(starts[0]) : undefined;
  // a rejected look-ahead batch is awaited (and reported) in its turn; never left unhandled
  next?.catch(() => {});
  for (let k = 0; k < starts.length; k++) {
    const pixels = await next!;
    next = k + 1 < starts.length ? prep(starts[k + 1]) : undefined;
    next?.catch(() => {});
    take(k, await model(pixels, count(k)));
  }
  return out;
}
