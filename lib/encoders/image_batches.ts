/**
 * The image-encoder batch loop shared by every engine: decode and resize the next batch while the model
 * runs on the current one (sharp works on libuv's thread pool, onnxruntime on its own threads), so
 * preprocessing stays off the critical path. One implementation of preprocessing (`preprocessImage`).
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
import type { ImageInput } from "./types.ts";

/** How images become model input batches. */
export interface BatchPlan {
  spec: PreprocessSpec;
  batchSize: number;
  /** Output dimension per image. */
  dim: number;
  /** How a batch becomes pixels (default {@link preprocessBatch}; tests observe the overlap with it). */
  prepare?: (images: ImageInput[], spec: PreprocessSpec) => Promise<Float32Array>;
}

/** Decode and lay out one batch as one contiguous Float32Array. */
export async function preprocessBatch(images: ImageInput[], spec: PreprocessSpec): Promise<Float32Array> {
  const per = spec.size * spec.size * 3;
  const flat = new Float32Array(images.length * per);
  await Promise.all(images.map((im, i) => preprocessImage(im, spec, flat.subarray(i * per, (i + 1) * per))));
  return flat;
}

/**
 * Run `model` over `images` in batches, preprocessing batch k+1 while batch k runs. `model` gets the
 * pixels of `n` images and returns `n * dim` features. Vectors come back in input order.
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
  const prep = (s: number) => prepare(images.slice(s, s + plan.batchSize), plan.spec);
  let next = starts.length ? prep(starts[0]) : undefined;
  // a rejected look-ahead batch is awaited (and reported) in its turn; never left unhandled
  next?.catch(() => {});
  for (let k = 0; k < starts.length; k++) {
    const pixels = await next!;
    next = k + 1 < starts.length ? prep(starts[k + 1]) : undefined;
    next?.catch(() => {});
    const n = Math.min(plan.batchSize, images.length - starts[k]);
    const feats = await model(pixels, n);
    if (feats.length !== n * plan.dim) throw new Error(`model returned ${feats.length} values for ${n} images of dimension ${plan.dim}`);
    for (let i = 0; i < n; i++) out.push(feats.slice(i * plan.dim, (i + 1) * plan.dim));
  }
  return out;
}
