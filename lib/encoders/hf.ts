/**
 * Hugging Face encoders through `@huggingface/transformers` (ONNX models on onnxruntime-node): any model
 * id or local folder with `config.json`, tokenizer files (text) and `onnx/model.onnx`.
 *
 * Pooling is done here, from `last_hidden_state` and the attention mask, not by transformers.js:
 * - `last-token` (decoders, the paper's default for LLMs): LEFT padding, pad = eos when the tokenizer has
 *   no pad token, feature = the hidden state of each row's last attended token;
 * - `mean` (encoders): mean over attended tokens;
 * - `cls`: the first attended token (BERT-style, trained for it);
 * - vision: `cls` = `last_hidden_state[:, 0]` (DINOv2's layer-normed CLS token, the paper's default),
 *   `pooled` = `pooler_output`, `mean` = mean of the patch tokens.
 *
 * Offline: models are looked up first in a local folder: `localModelPath` in the options, else
 * `SHARELOCK_MODELS_DIR`, else `../shared/models` beside the repository when it exists, else
 * `<cache>/models`; the hub is asked only when `allowRemote` is true (default: unless
 * `HF_HUB_OFFLINE=1`). A model that is in neither place is a clear error naming both.
 *
 * @example
 * ```ts
 * const llm = await hfTextEncoder({ model: "onnx-community/Qwen2.5-0.5B", pooling: "last-token" });
 * const [v] = await llm.embed(["a photo of a tabby cat."]);
 * const dino = await hfVisionEncoder({ model: "onnx-community/dinov2-large" });
 * ```
 */
import { AutoModel, AutoTokenizer, env, type PreTrainedModel, type PreTrainedTokenizer, Tensor } from "@huggingface/transformers";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { projectPaths, REPO_ROOT } from "../runtime/paths.ts";
import { type DeviceRequest, type OnnxDevice, resolveDevice } from "../runtime/onnx_device.ts";
import { describeSpec, IMAGENET_MEAN, IMAGENET_STD, preprocessImage, type PreprocessSpec } from "./image_io.ts";
import { checkEmbeddings, type EncoderIdentity, type ImageInput, type LanguageEncoder, type VisionEncoder } from "./types.ts";

/** Options shared by both Hugging Face encoders. */
export interface HfOptions {
  /** Hub id (`org/name`) or a folder path. */
  model: string;
  /** Local mirror searched before the hub. */
  localModelPath?: string;
  /** Ask the hub when the model is not local (default: unless HF_HUB_OFFLINE=1). */
  allowRemote?: boolean;
  /** Where onnxruntime runs (default `SHARELOCK_DEVICE`, else `auto`): see `resolveDevice`. */
  device?: DeviceRequest;
  /** Weights variant: `fp32` (model.onnx), `fp16`, `q8` (model_quantized.onnx), ... */
  dtype?: "fp32" | "fp16" | "q8" | "int8" | "uint8" | "q4";
  revision?: string;
  /** Items per forward pass (default 32 texts, the paper's, or 16 images). */
  batchSize?: number;
}

/** Options of {@link hfTextEncoder}. */
export interface HfTextOptions extends HfOptions {
  pooling: "last-token" | "mean" | "cls";
  /** Truncate longer texts (default 128 tokens). */
  maxLength?: number;
  /** Short name for tables (default: the model id's last part). */
  name?: string;
}

/** Options of {@link hfVisionEncoder}. */
export interface HfVisionOptions extends HfOptions {
  pooling?: "cls" | "pooled" | "mean";
  /** Default: resize 256, centre-crop 224, ImageNet mean/std (the paper's DINOv2 setting). */
  preprocess?: PreprocessSpec;
  name?: string;
}

/** The local folder searched for models, by the documented order. */
export function localModelDir(explicit?: string): string {
  if (explicit) return resolve(explicit);
  const fromEnv = Deno.env.get("SHARELOCK_MODELS_DIR");
  if (fromEnv) return resolve(fromEnv);
  const shared = resolve(REPO_ROOT, "..", "shared", "models");
  if (existsSync(shared)) return shared;
  return join(projectPaths().cache, "models");
}

interface Loaded {
  id: string;
  localDir: string;
  device: OnnxDevice;
  revision: string;
}

async function prepare(opts: HfOptions): Promise<Loaded> {
  const localDir = localModelDir(opts.localModelPath);
  const isPath = opts.model.startsWith("/") || opts.model.startsWith(".");
  // transformers.js keeps its settings in a module-level `env`: set them for this load.
  env.allowLocalModels = true;
  env.localModelPath = isPath ? "/" : localDir + "/";
  env.allowRemoteModels = opts.allowRemote ?? Deno.env.get("HF_HUB_OFFLINE") !== "1";
  const id = isPath ? resolve(opts.model).replace(/^\//, "") : opts.model;
  return { id, localDir, device: await resolveDevice(opts.device), revision: opts.revision ?? "main" };
}

async function load<T>(what: string, opts: HfOptions, l: Loaded, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    const local = opts.model.startsWith("/") || opts.model.startsWith(".") ? resolve(opts.model) : join(l.localDir, opts.model);
    throw new Error(
      `cannot load the ${what} of "${opts.model}": ${(err as Error).message.split("\n")[0]}\n` +
        `Looked in ${local} (config.json, tokenizer files, onnx/model${opts.dtype && opts.dtype !== "fp32" ? "_*" : ""}.onnx)` +
        (env.allowRemoteModels ? " and on the Hugging Face hub." : "; the hub was not asked (offline).") +
        ` Place an ONNX export there (optimum-cli export onnx --task feature-extraction) or set SHARELOCK_MODELS_DIR.`,
    );
  }
}

function identityVersion(model: PreTrainedModel, l: Loaded): string {
  const cfg = model.config as unknown as Record<string, unknown>;
  return `${l.revision}; ${cfg.model_type ?? "?"}; transformers.js`;
}

function outputOf(out: Record<string, Tensor>, name: string, model: string): Tensor {
  const t = out[name];
  if (!t) {
    throw new Error(
      `model "${model}" has no "${name}" output (outputs: ${Object.keys(out).join(", ")}). ` +
        `Export it for feature extraction (optimum-cli export onnx --task feature-extraction).`,
    );
  }
  return t;
}

/**
 * Pool token states `[batch, tokens, hidden]` with an attention mask `[batch, tokens]`. Pure.
 * `last-token` takes each row's LAST attended position (correct for left and right padding alike);
 * `cls` the FIRST attended position; `mean` the masked mean.
 */
export function poolTokens(
  hidden: Float32Array,
  mask: ArrayLike<number | bigint>,
  dims: [number, number, number],
  pooling: "last-token" | "mean" | "cls",
): Float32Array[] {
  const [b, t, h] = dims;
  const out: Float32Array[] = [];
  for (let i = 0; i < b; i++) {
    const on = (j: number) => Number(mask[i * t + j]) !== 0;
    const v = new Float32Array(h);
    if (pooling === "mean") {
      let n = 0;
      for (let j = 0; j < t; j++) {
        if (!on(j)) continue;
        n++;
        for (let k = 0; k < h; k++) v[k] += hidden[(i * t + j) * h + k];
      }
      if (!n) throw new Error(`row ${i} has no attended token`);
      for (let k = 0; k < h; k++) v[k] /= n;
    } else {
      let pos = -1;
      if (pooling === "last-token") for (let j = t - 1; j >= 0 && pos < 0; j--) if (on(j)) pos = j;
      if (pooling === "cls") for (let j = 0; j < t && pos < 0; j++) if (on(j)) pos = j;
      if (pos < 0) throw new Error(`row ${i} has no attended token`);
      v.set(hidden.subarray((i * t + pos) * h, (i * t + pos + 1) * h));
    }
    out.push(v);
  }
  return out;
}

/** A Hugging Face text model as a frozen language encoder. */
export async function hfTextEncoder(opts: HfTextOptions): Promise<LanguageEncoder> {
  const l = await prepare(opts);
  const common = { local_files_only: !env.allowRemoteModels, revision: l.revision };
  const tokenizer: PreTrainedTokenizer = await load("tokenizer", opts, l, () => AutoTokenizer.from_pretrained(l.id, common));
  const model: PreTrainedModel = await load("model", opts, l, () =>
    AutoModel.from_pretrained(l.id, { ...common, device: l.device, dtype: opts.dtype ?? "fp32" }));
  const padSide = opts.pooling === "last-token" ? "left" : "right";
  const tok = tokenizer as unknown as { padding_side: string; pad_token: string | null; pad_token_id: number | null; eos_token: string | null; eos_token_id: number | null };
  tok.padding_side = padSide;
  if (tok.pad_token === null || tok.pad_token === undefined) {
    if (tok.eos_token === null || tok.eos_token === undefined) throw new Error(`tokenizer of "${opts.model}" has neither a pad nor an eos token`);
    tok.pad_token = tok.eos_token;
    tok.pad_token_id = tok.eos_token_id;
  }
  const maxLength = opts.maxLength ?? 128, batchSize = opts.batchSize ?? 32;
  const identity: EncoderIdentity = {
    kind: "text",
    name: opts.name ?? opts.model.split("/").at(-1)!,
    model: opts.model,
    version: identityVersion(model, l),
    pooling: `${opts.pooling} (padding ${padSide}, pad=${tok.pad_token})`,
    dtype: opts.dtype ?? "fp32",
    preprocessing: `tokenizer of ${opts.model}, truncation ${maxLength}`,
    dim: 0,
  };
  const embedBatch = async (texts: string[]) => {
    const enc = tokenizer(texts, { padding: true, truncation: true, max_length: maxLength }) as unknown as {
      input_ids: Tensor;
      attention_mask: Tensor;
    };
    const out = await model({ input_ids: enc.input_ids, attention_mask: enc.attention_mask }) as Record<string, Tensor>;
    const hidden = outputOf(out, "last_hidden_state", opts.model);
    return poolTokens(hidden.data as Float32Array, enc.attention_mask.data as BigInt64Array, hidden.dims as [number, number, number], opts.pooling);
  };
  identity.dim = (await embedBatch(["a"]))[0].length;
  return {
    identity,
    async embed(texts: string[]) {
      texts.forEach((t, i) => {
        if (!t.trim()) throw new Error(`${identity.name}: empty text at position ${i}`);
      });
      const out: Float32Array[] = [];
      for (let s = 0; s < texts.length; s += batchSize) out.push(...await embedBatch(texts.slice(s, s + batchSize)));
      checkEmbeddings(identity, texts, out);
      return out;
    },
    dispose: () => void model.dispose(),
  };
}

/** A Hugging Face vision model (DINOv2 by default settings) as a frozen vision encoder. */
export async function hfVisionEncoder(opts: HfVisionOptions): Promise<VisionEncoder> {
  const l = await prepare(opts);
  const model: PreTrainedModel = await load("model", opts, l, () =>
    AutoModel.from_pretrained(l.id, { local_files_only: !env.allowRemoteModels, revision: l.revision, device: l.device, dtype: opts.dtype ?? "fp32" }));
  const spec: PreprocessSpec = opts.preprocess ??
    { size: 224, mode: "crop", resize: 256, mean: IMAGENET_MEAN, std: IMAGENET_STD, layout: "chw" };
  const pooling = opts.pooling ?? "cls", batchSize = opts.batchSize ?? 16;
  const identity: EncoderIdentity = {
    kind: "image",
    name: opts.name ?? opts.model.split("/").at(-1)!,
    model: opts.model,
    version: identityVersion(model, l),
    pooling: pooling === "cls" ? "CLS token of last_hidden_state" : pooling === "pooled" ? "pooler_output" : "mean of patch tokens",
    dtype: opts.dtype ?? "fp32",
    preprocessing: describeSpec(spec),
    dim: 0,
  };
  const embedBatch = async (pixels: Float32Array[]) => {
    const flat = new Float32Array(pixels.length * pixels[0].length);
    pixels.forEach((p, i) => flat.set(p, i * p.length));
    const input = new Tensor("float32", flat, [pixels.length, 3, spec.size, spec.size]);
    const out = await model({ pixel_values: input }) as Record<string, Tensor>;
    if (pooling === "pooled") {
      const p = outputOf(out, "pooler_output", opts.model);
      const [b, h] = p.dims as [number, number];
      return Array.from({ length: b }, (_, i) => (p.data as Float32Array).slice(i * h, (i + 1) * h));
    }
    const hs = outputOf(out, "last_hidden_state", opts.model);
    const [b, t, h] = hs.dims as [number, number, number];
    const data = hs.data as Float32Array;
    if (pooling === "cls") return Array.from({ length: b }, (_, i) => data.slice(i * t * h, i * t * h + h));
    const mask = Array.from({ length: b * t }, (_, k) => (k % t === 0 ? 0 : 1)); // patch tokens only
    return poolTokens(data, mask, [b, t, h], "mean");
  };
  identity.dim = (await embedBatch([new Float32Array(3 * spec.size * spec.size)]))[0].length;
  return {
    identity,
    async embed(images: ImageInput[]) {
      const out: Float32Array[] = [];
      for (let s = 0; s < images.length; s += batchSize) {
        const pixels = await Promise.all(images.slice(s, s + batchSize).map((im) => preprocessImage(im, spec)));
        out.push(...await embedBatch(pixels));
      }
      checkEmbeddings(identity, images, out);
      return out;
    },
    dispose: () => void model.dispose(),
  };
}
