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
import { type Matrix, selectRows } from "../core/matrix.ts";
import { cosineSimilarityOnDevice } from "./similarity_on_device.ts";

/**
 * Texts through the encoder (feature store, or directly for ephemeral encoders) and the projection; cosine
 * scores. The projection runs as the exported evaluation-mode ONNX graph (`projectOnDevice`, equal to the
 * TF.js forward pass to 1e-4, tested) where `device` (default `SHARELOCK_DEVICE`, else `auto`) resolves
 * to: on the CPU on every core (3-4x faster than TF.js wasm for the embedded shapes), or on a GPU.
 * `features` replaces the encoder's features (e.g. {@link featureRows} of texts embedded once for several tasks).
 */
export function projectionMethod(
  name: string,
  encoder: LanguageEncoder,
  projection: Projection,
  opts: { device?: DeviceRequest; features?: (texts: string[]) => Promise<Matrix> } = {},
): Method {
  const featuresOf = opts.features ?? ((texts: string[]) => textFeatures(texts, encoder, { progress: false }));
  return {
    name,
    embedTexts: async (texts) => {
      const features = await featuresOf(texts);
      return await projectOnDevice(projection, features, { device: await resolveDevice(opts.device) });
    },
    similarity: async (images, texts) => await cosineSimilarityOnDevice(images, texts, { device: await resolveDevice(opts.device) }),
  };
}

/**
 * The rows of `features` (row i: `texts[i]`'s features) for any texts among `texts`, in the order asked:
 * texts embedded once, read by several tasks. Throws naming a text that is not there.
 */
export function featureRows(texts: readonly string[], features: Matrix): (asked: string[]) => Promise<Matrix> {
  if (texts.length !== features.rows) throw new Error(`featureRows: ${texts.length} texts but ${features.rows} feature rows`);
  const rowOf = new Map<string, number>();
  texts.forEach((t, i) => rowOf.has(t) || rowOf.set(t, i));
  return (asked) => {
    const idx = asked.map((t) => {
      const r = rowOf.get(t);
      if (r === undefined) throw new Error(`featureRows: no features for the text "${t}"`);
      return r;
    });
    return Promise.resolve(selectRows(features, idx));
  };
}
