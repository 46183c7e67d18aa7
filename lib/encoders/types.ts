/**
 * The two frozen-encoder interfaces. Every implementation (TF.js graph models, Hugging Face ONNX models,
 * word vectors, the random control) reports an identity: everything that changes its output. The feature
 * store hashes it into the cache key, so changing a model, pooling, dtype or preprocessing never reuses
 * stale features.
 *
 * @example
 * ```ts
 * import { useLiteEncoder } from "./vision/tfjs_models.ts";
 * const enc: LanguageEncoder = await useLiteEncoder();
 * const [v] = await enc.embed(["a photo of a cat."]);   // Float32Array(512)
 * enc.identity;  // { kind: "text", name: "use-lite", model: "...", pooling: "model", ... }
 * ```
 */
import type { ImageInput } from "../data/image_ref.ts";

/** What makes an encoder's outputs what they are. Stable JSON; hashed into cache keys. */
export interface EncoderIdentity {
  kind: "image" | "text";
  /** Short name used in tables ("mobilenet-v2", "use-lite", "word2vec-100d"). */
  name: string;
  /** Model id, package or file it comes from. */
  model: string;
  /** Package version, model revision or file hash. */
  version: string;
  /** How token or patch features become one vector (cls, mean, last-token, pooled, model). */
  pooling: string;
  /** Numeric type of the weights as run (fp32, q8, ...). */
  dtype: string;
  /** Image preprocessing or text normalisation, in words. */
  preprocessing: string;
  /** Output dimension. */
  dim: number;
  /** Anything else that changes the outputs. */
  extra?: Record<string, string | number | boolean>;
}

/** An image reference (a file path, `archive.tar::member`) or encoded image bytes; defined with the references. */
export type { ImageInput };

/** A frozen vision encoder. */
export interface VisionEncoder {
  readonly identity: EncoderIdentity;
  /** One Float32Array of length `identity.dim` per image, in input order. */
  embed(images: ImageInput[]): Promise<Float32Array[]>;
  /** Free model memory. */
  dispose(): void;
}

/** A frozen language encoder. */
export interface LanguageEncoder {
  readonly identity: EncoderIdentity;
  /** One Float32Array of length `identity.dim` per text, in input order. */
  embed(texts: string[]): Promise<Float32Array[]>;
  dispose(): void;
  /** Share of words not in the vocabulary over all texts embedded so far (word-vector encoders). */
  oovRate?(): number;
  /** Cheap to recompute and specific to one corpus (a bag of words): embed directly, never store. */
  readonly ephemeral?: boolean;
}

/** Either kind. */
export type Encoder = VisionEncoder | LanguageEncoder;

/** Throw unless every vector has the encoder's dimension and only finite values; names the bad input. */
export function checkEmbeddings(identity: EncoderIdentity, inputs: readonly unknown[], out: Float32Array[]): void {
  if (out.length !== inputs.length) {
    throw new Error(`${identity.name} returned ${out.length} vectors for ${inputs.length} inputs`);
  }
  out.forEach((v, i) => {
    if (v.length !== identity.dim) {
      throw new Error(`${identity.name} returned a ${v.length}-d vector for input ${i}, expected ${identity.dim}`);
    }
    for (let k = 0; k < v.length; k++) {
      if (!Number.isFinite(v[k])) {
        const what = typeof inputs[i] === "string" ? `"${String(inputs[i]).slice(0, 80)}"` : `input ${i}`;
        throw new Error(`${identity.name} produced a non-finite value (${v[k]}) for ${what}`);
      }
    }
  });
}
