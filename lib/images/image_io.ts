/**
 * Image decoding and preprocessing with sharp (libvips): decode PNG / JPEG / WebP / SVG, composite
 * transparency on white, resize and lay out as Float32 pixels.
 *
 * Two geometries:
 * - `pad`: keep the aspect ratio, pad to a square on white, resize to `size` (icons and clip art);
 * - `crop`: resize the shorter side to `resize` (256), centre-crop `size` (224): the paper's DINOv2 setting.
 * Values: `x / 255`, then `(x - mean) / std` per channel when mean/std are given (ImageNet statistics).
 *
 * @example
 * ```ts
 * const spec: PreprocessSpec = { size: 224, mode: "crop", resize: 256, mean: IMAGENET_MEAN, std: IMAGENET_STD, layout: "chw" };
 * const pixels = await preprocessImage("cat.jpg", spec);   // Float32Array(3 * 224 * 224)
 * ```
 */
import sharp from "sharp";
import { setImmediate } from "node:timers";
import { type ImageInput, readImageBytes } from "../data/image_ref.ts";
import { containUpscale, pngSize, upscaleCovered } from "./vips_upscale.ts";
import { decodePngOnWhite } from "./png_pixels.ts";

/** ImageNet channel means and standard deviations (RGB). */
export const IMAGENET_MEAN = [0.485, 0.456, 0.406] as const;
export const IMAGENET_STD = [0.229, 0.224, 0.225] as const;

/** How to turn an image into model input. */
export interface PreprocessSpec {
  size: number;
  mode: "pad" | "crop";
  /** Shorter side before the centre crop (mode "crop"); default `size * 256 / 224`. */
  resize?: number;
  mean?: readonly number[];
  std?: readonly number[];
  /** `hwc` for TF.js models, `chw` for PyTorch-exported ONNX models. */
  layout: "hwc" | "chw";
}

/** The spec in words, for encoder identities. Pure. */
export function describeSpec(s: PreprocessSpec): string {
  const geo = s.mode === "pad" ? `pad-to-square on white, resize ${s.size}` : `resize ${s.resize ?? Math.round(s.size * 256 / 224)}, centre-crop ${s.size}`;
  const norm = s.mean ? `, /255, mean [${s.mean}] std [${s.std}]` : ", /255";
  return `${geo}, alpha on white, bilinear (libvips)${norm}, ${s.layout}`;
}

/** Image bytes are read by the data layer (`data/image_ref.ts`); re-exported for existing callers. */
export { readImageBytes };

/**
 * Decode, composite on white, resize and normalise one image. Errors name the image. `into` (length
 * 3 * size * size, e.g. a batch's slot) receives the pixels instead of a new array.
 */
export async function preprocessImage(ref: ImageInput, spec: PreprocessSpec, into?: Float32Array): Promise<Float32Array> {
  return toFloatPixels(await decodeImage(ref, spec), spec, into, `image ${imageRefLabel(ref)}`);
}

/** How an image is named in errors: its path, or its size in bytes. Pure. */
export function imageRefLabel(ref: ImageInput): string {
  return typeof ref === "string" ? ref : `<${ref.length} bytes>`;
}

/**
 * The first half of {@link preprocessImage}: decode, composite on white and resize one image to the
 * spec's geometry, as 8-bit pixels (RGB, or one grey band, row-major); {@link toFloatPixels} is the
 * second half. Errors name the image.
 */
export async function decodeImage(ref: ImageInput, spec: PreprocessSpec): Promise<Uint8Array> {
  const label = imageRefLabel(ref);
  const bytes = await readImageBytes(ref);
  let rgb: Uint8Array | undefined;
  try {
    if (spec.mode === "pad") rgb = await decodeSmallContained(bytes, spec.size);
  } catch (err) {
    throw new Error(`cannot decode image ${label}: ${(err as Error).message}`);
  }
  return rgb ?? await sharpPixels(bytes, spec, label);
}

/**
 * A PNG smaller than the target in `pad` mode, without sharp's per-call cost (about 1.2 ms of CPU for an
 * emoji, mostly pipeline set-up): decoded and flattened on white in TypeScript (`png_pixels.ts`; sharp
 * when the PNG is of a kind it does not cover), enlarged and embedded in TypeScript (`vips_upscale.ts`).
 * The same bytes as sharp's pipeline (tests/vips_upscale_test.ts). Undefined when the image is not such a
 * PNG, or when this libvips does not give the same bytes (checked once per process): sharp does all of it.
 */
async function decodeSmallContained(bytes: Uint8Array, size: number): Promise<Uint8Array | undefined> {
  const dims = pngSize(bytes);
  if (!dims || !upscaleCovered(dims.width, dims.height, size) || !(await upscaleMatchesSharp())) return undefined;
  // this work runs on the main thread: one image per event-loop turn, so that the end of a forward pass
  // (and the start of the next) never waits for a whole batch's decoding
  await new Promise<void>((resolve) => setImmediate(resolve));
  let rgb = decodePngOnWhite(bytes, 255)?.rgb;
  if (!rgb) {
    const { data, info } = await sharp(bytes, { failOn: "error" }).flatten({ background: "#ffffff" }).toColourspace("srgb").raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3 || info.width !== dims.width || info.height !== dims.height) return undefined;
    rgb = new Uint8Array(data.buffer, data.byteOffset, data.length);
  }
  if (rgb.length !== dims.width * dims.height * 3) return undefined;
  return containUpscale(rgb, dims.width, dims.height, size, 255);
}

let upscaleCheck: Promise<boolean> | undefined;

/**
 * Whether {@link containUpscale} gives sharp's bytes with the libvips loaded here, on a synthetic
 * non-square gradient at a non-integer scale (memoised: one check per process).
 */
export function upscaleMatchesSharp(): Promise<boolean> {
  upscaleCheck ??= (async () => {
    const w = 13, h = 7, size = 40;
    const rgb = Uint8Array.from({ length: w * h * 3 }, (_, i) => (i * 37 + Math.floor(i / (w * 3)) * 91) % 256);
    const ref = await sharp(rgb, { raw: { width: w, height: h, channels: 3 } })
      .resize(size, size, { fit: "contain", background: "#ffffff", kernel: "linear" }).raw().toBuffer();
    const mine = containUpscale(rgb, w, h, size, 255);
    return ref.length === mine.length && ref.every((v, i) => v === mine[i]);
  })();
  return upscaleCheck;
}

/**
 * Decode, flatten, resize (and crop) with sharp alone: 8-bit pixels at the spec's size (RGB; one band for
 * some grey images). The reference that the TypeScript path for small PNGs reproduces.
 */
export async function sharpPixels(bytes: Uint8Array, spec: PreprocessSpec, label = `<${bytes.length} bytes>`): Promise<Uint8Array> {
  try {
    let img = sharp(bytes, { failOn: "error" }).flatten({ background: "#ffffff" });
    if (spec.mode === "pad") {
      img = img.resize(spec.size, spec.size, { fit: "contain", background: "#ffffff", kernel: "linear" });
    } else {
      const meta = await sharp(bytes).metadata();
      const short = spec.resize ?? Math.round((spec.size * 256) / 224);
      const w = meta.width ?? short, h = meta.height ?? short;
      const scale = short / Math.min(w, h);
      const rw = Math.max(spec.size, Math.round(w * scale)), rh = Math.max(spec.size, Math.round(h * scale));
      img = img.resize(rw, rh, { fit: "fill", kernel: "linear" }).extract({
        left: Math.floor((rw - spec.size) / 2),
        top: Math.floor((rh - spec.size) / 2),
        width: spec.size,
        height: spec.size,
      });
    }
    return await img.removeAlpha().toColourspace("srgb").raw().toBuffer();
  } catch (err) {
    throw new Error(`cannot decode image ${label}: ${(err as Error).message}`);
  }
}

/**
 * 8-bit pixels at the spec's size (RGB, or one grey band) as normalised Float32 in the spec's layout,
 * written into `out` (or a new array). `label` names the image in errors.
 */
export function toFloatPixels(
  pixels: Uint8Array,
  spec: PreprocessSpec,
  out: Float32Array = new Float32Array(spec.size * spec.size * 3),
  label = "an image",
): Float32Array {
  const n = spec.size * spec.size;
  if (out.length !== n * 3) throw new Error(`preprocessImage: output of ${out.length} values for ${n * 3}`);
  let rgb = pixels;
  if (rgb.length !== n * 3) {
    // grey images come back from sharp with one channel: expand to RGB
    if (pixels.length === n) rgb = Uint8Array.from({ length: n * 3 }, (_, i) => pixels[Math.floor(i / 3)]);
    else throw new Error(`${label}: unexpected pixel buffer of ${pixels.length} bytes`);
  }
  const mean = spec.mean ?? [0, 0, 0], std = spec.std ?? [1, 1, 1];
  // one table per channel: the same (x / 255 - mean) / std for each of the 256 byte values, looked up
  const lut = [0, 1, 2].map((c) => Float32Array.from({ length: 256 }, (_, x) => (x / 255 - mean[c]) / std[c]));
  const [r, g, b] = lut;
  if (spec.layout === "hwc") {
    for (let i = 0; i < n * 3; i += 3) {
      out[i] = r[rgb[i]];
      out[i + 1] = g[rgb[i + 1]];
      out[i + 2] = b[rgb[i + 2]];
    }
  } else {
    for (let p = 0; p < n; p++) {
      out[p] = r[rgb[p * 3]];
      out[n + p] = g[rgb[p * 3 + 1]];
      out[2 * n + p] = b[rgb[p * 3 + 2]];
    }
  }
  return out;
}
