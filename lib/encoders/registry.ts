/**
 * Encoders by name, so that configs and notebooks can list them as strings:
 * vision `mobilenet-v2`, `inception-v3`, `hf:<model id>` (DINOv2-style CLS);
 * language `use-lite`, `word2vec-100d`, `random-word`, `random-text`, `skipgram-gcide-<slice%>-d<dim>` (the ladder),
 * `hf:<model id>:<pooling>` with pooling `last-token` (decoders), `mean` or `cls` (encoders).
 *
 * @example
 * ```ts
 * const v = await visionEncoder("mobilenet-v2");
 * const t = await languageEncoder("hf:onnx-community/Qwen2.5-0.5B:last-token");
 * ```
 */
import { inceptionV3Encoder, mobileNetV2Encoder, useLiteEncoder } from "./vision/tfjs_models.ts";
import { pcaWordVectorEncoder, wordVectorEncoder } from "./text/word_vectors.ts";
import { randomTextEncoder } from "./text/random_text.ts";
import { parseLadderName, skipGramEncoder } from "./text/skipgram_ladder.ts";
import { hfTextEncoder, hfVisionEncoder } from "./hf/hf.ts";
import type { LanguageEncoder, VisionEncoder } from "./types.ts";
import { onnxVisionEncoder, type VisionEngine, visionEngineFromEnv } from "./vision/onnx_vision.ts";
import type { DeviceRequest } from "../runtime/onnx_device.ts";

/** Vision encoders of the embedded default. */
export const EMBEDDED_VISION = ["mobilenet-v2", "inception-v3"] as const;
/** Language encoders of the embedded default, strongest first. */
export const EMBEDDED_LANGUAGE = ["use-lite", "word2vec-100d", "random-word"] as const;

/**
 * Which languages a language encoder was trained on, in words (for multilingual tables: say plainly
 * when an encoder is English-only).
 */
export function encoderLanguages(name: string): string {
  if (name === "use-lite") return "English only (USE lite's SentencePiece vocabulary and training data are English)";
  if (name.startsWith("word2vec")) return "English only (English word vectors; other scripts are out of vocabulary)";
  if (name.startsWith("skipgram-gcide")) return "English only (skip-gram vectors trained here on the GCIDE English dictionary)";
  if (name === "lit-bag-of-words") return "the words of its training captions only (English here)";
  if (name.startsWith("random")) return "none (random vectors: any script, no meaning)";
  if (name.startsWith("hf:")) return "depends on the model (see its model card)";
  return "unknown";
}

/** Options of {@link visionEncoder}. */
export interface VisionEncoderOptions {
  /** Engine of the nsfwjs encoders (default: `SHARELOCK_VISION_ENGINE`, else `onnx`). */
  engine?: VisionEngine;
  /** onnxruntime device (default: `SHARELOCK_DEVICE`, else auto). */
  device?: DeviceRequest;
}

/**
 * Open a vision encoder by name. `mobilenet-v2` and `inception-v3` run on onnxruntime (the converted
 * TF.js models) unless `engine` (or `SHARELOCK_VISION_ENGINE`) says `tfjs`; the two engines' features
 * carry different identities, so the feature store keeps them apart.
 */
export function visionEncoder(name: string, opts: VisionEncoderOptions = {}): Promise<VisionEncoder> {
  if (name === "mobilenet-v2" || name === "inception-v3") {
    const engine = opts.engine ?? visionEngineFromEnv();
    if (engine === "onnx") return onnxVisionEncoder(name, { device: opts.device });
    return name === "mobilenet-v2" ? mobileNetV2Encoder() : inceptionV3Encoder();
  }
  if (name.startsWith("hf:")) return hfVisionEncoder({ model: name.slice(3) });
  throw new Error(`unknown vision encoder "${name}" (known: ${EMBEDDED_VISION.join(", ")}, hf:<model id>)`);
}

/** Open a language encoder by name. */
export function languageEncoder(name: string): Promise<LanguageEncoder> {
  if (name === "use-lite") return useLiteEncoder();
  if (name === "word2vec-100d") return wordVectorEncoder();
  const pca = name.match(/^word2vec-pca-(\d+)$/);
  if (pca) return pcaWordVectorEncoder(Number(pca[1]));
  const rung = parseLadderName(name);
  if (rung) return skipGramEncoder(rung);
  if (name === "random-word") return Promise.resolve(randomTextEncoder({ unit: "word", dim: 512 }));
  if (name === "random-text") return Promise.resolve(randomTextEncoder({ unit: "text", dim: 512 }));
  if (name.startsWith("hf:")) {
    const rest = name.slice(3);
    const m = rest.match(/^(.*):(last-token|mean|cls)$/);
    if (!m) throw new Error(`language encoder "${name}": give the pooling, e.g. hf:${rest}:last-token (decoders) or :mean (encoders)`);
    // named by its registry name, as the notebooks' rows name it (caption models take their `text` from it)
    return hfTextEncoder({ model: m[1], pooling: m[2] as "last-token" | "mean" | "cls", name });
  }
  throw new Error(`unknown language encoder "${name}" (known: ${EMBEDDED_LANGUAGE.join(", ")}, word2vec-pca-<k>, skipgram-gcide-<slice%>-d<dim>, random-text, hf:<model id>:<pooling>)`);
}

/** The encoder names the registry opens, as patterns (for messages listing the valid names). */
export const ENCODER_NAME_FORMS: readonly string[] = [
  ...EMBEDDED_VISION,
  ...EMBEDDED_LANGUAGE,
  "random-text",
  "word2vec-pca-<k>",
  "skipgram-gcide-<slice%>-d<dim>",
  "hf:<model id> (vision or text, by its files)",
  "hf:<model id>:<last-token|mean|cls> (text)",
];

/**
 * What a name opens, from the name alone (no model is loaded): `image` ({@link visionEncoder}), `text`
 * ({@link languageEncoder}), `hf` (an `hf:<model id>` whose files say vision or text), or null for a name
 * neither opens. Pure.
 *
 * @example
 * ```ts
 * encoderNameKind("mobilenet-v2");         // "image"
 * encoderNameKind("hf:org/model:mean");    // "text"
 * encoderNameKind("inceptoin-v3");         // null
 * ```
 */
export function encoderNameKind(name: string): "image" | "text" | "hf" | null {
  if ((EMBEDDED_VISION as readonly string[]).includes(name)) return "image";
  if ((EMBEDDED_LANGUAGE as readonly string[]).includes(name) || name === "random-text") return "text";
  if (/^word2vec-pca-\d+$/.test(name) || parseLadderName(name)) return "text";
  if (name.startsWith("hf:")) {
    const rest = name.slice(3);
    if (!rest || rest.startsWith(":")) return null;
    if (/:(last-token|mean|cls)$/.test(rest)) return "text";
    return /:[^/]*$/.test(rest) ? null : "hf"; // a pooling the text encoders do not have
  }
  return null;
}
