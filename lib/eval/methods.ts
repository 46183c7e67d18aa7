/**
 * Methods behind the evaluation interface that project texts: ShareLock (a frozen language encoder and a
 * trained projection) and the LiT-style tower (a bag-of-words encoder and a projection trained from
 * scratch) are the same kind of method; ASIF is in `baselines/asif.ts`.
 *
 * @example
 * ```ts
 * import { projectionMethod } from "./methods.ts";
 * import type { LanguageEncoder } from "../encoders/types.ts";
 * import type { Projection } from "../train/projection.ts";
 * declare const encoder: LanguageEncoder, projection: Projection;
 * const method = projectionMethod("ShareLock", encoder, projection);
 * const texts = await method.embedTexts(["a cat."]);   // projected unit rows
 * ```
 */
import type { LanguageEncoder } from "../encoders/types.ts";
import { textFeatures } from "../features.ts";
import type { Projection } from "../train/projection.ts";
import { projectOnDevice } from "../train/project_on_device.ts";
import { type DeviceRequest, resolveDevice } from "../runtime/onnx_device.ts";
import type { Method } from "./evaluate.ts";
import { cosineSimilarity } from "./similarity.ts";

/**
 * Texts through the encoder (feature store, or directly for ephemeral encoders) and the projection; cosine
 * scores. The projection runs as the exported evaluation-mode ONNX graph (`projectOnDevice`, equal to the
 * TF.js forward pass to 1e-4, tested) where `device` (default `SHARELOCK_DEVICE`, else `auto`) resolves
 * to: on the CPU on every core (3-4x faster than TF.js wasm for the embedded shapes), or on a GPU.
 */
export function projectionMethod(name: string, encoder: LanguageEncoder, projection: Projection, opts: { device?: DeviceRequest } = {}): Method {
  return {
    name,
    embedTexts: async (texts) => {
      const features = await textFeatures(texts, encoder, { progress: false });
      return await projectOnDevice(projection, features, { device: await resolveDevice(opts.device) });
    },
    similarity: cosineSimilarity,
  };
}

