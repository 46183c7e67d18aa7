/**
 * Hugging Face encoders: hub ONNX exports AS PUBLISHED (transformers.js / Optimum layouts) run on
 * onnxruntime-node, with tokenizers from `@huggingface/transformers`. Any model id or local folder with
 * `config.json`, tokenizer files (text) and `onnx/model*.onnx` (see `hf_layout.ts`):
 * - text-generation decoder exports (Llama, Qwen2, Gemma-2, Mistral: `logits` + `present.*` only) get
 *   their final hidden state through a once-edited copy of the graph (`onnx/hidden_state.ts`), with
 *   `position_ids` from the mask and zero-length past key/values (`onnx_run.ts`); logits are never
 *   used as features;
 * - encoders (BERT, RoBERTa, ModernBERT, the `encoder_model.onnx` of T5) give `last_hidden_state`;
 * - dtype variants (`model_fp16.onnx`, `model_q4.onnx`, ...) by the `dtype` setting; external data
 *   (`model.onnx_data`, chunks) is read from the model's own folder.
 *
 * Pooling is done here, from `last_hidden_state` and the attention mask:
 * - `last-token` (decoders, the paper's default for LLMs): LEFT padding, pad = eos when the tokenizer has
 *   no pad token, feature = the hidden state of each row's last attended token;
 * - `mean` (encoders): mean over attended tokens;
 * - `cls`: the first attended token (BERT-style, trained for it);
 * - vision: `cls` = `last_hidden_state[:, 0]` (DINOv2's layer-normed CLS token, the paper's default),
 *   `pooled` = `pooler_output`, `mean` = mean of the patch tokens (registers left out).
 *
 * Offline: models are looked up first in a local folder: `localModelPath` in the options, else
 * `SHARELOCK_MODELS_DIR`, else `../shared/models` beside the repository when it exists, else
 * `<cache>/models`; the hub is asked only when `allowRemote` is true (default: unless
 * `HF_HUB_OFFLINE=1`), and its files are then saved in that local folder. A model that is in neither
 * place is a clear error naming both.
 *
 * @example
 * ```ts
 * const llm = await hfTextEncoder({ model: "onnx-community/Qwen2.5-0.5B", pooling: "last-token" });
 * const [v] = await llm.embed(["a photo of a tabby cat."]);
 * const dino = await hfVisionEncoder({ model: "onnx-community/dinov2-large" });
 * ```
 */
import { AutoTokenizer, env, type PreTrainedTokenizer, type Tensor } from "@huggingface/transformers";
import { basename, dirname, join } from "node:path";
import { projectPaths } from "../../runtime/paths.ts";
import { describeSpec, IMAGENET_MEAN, IMAGENET_STD, type PreprocessSpec } from "../../images/image_io.ts";
import { type BatchPlan, embedInBatches } from "../../images/image_batches.ts";
import { decodePlanFor, decodePool } from "../../images/decode_pool.ts";
import { checkEmbeddings, type EncoderIdentity, type ImageInput, type LanguageEncoder, type VisionEncoder } from "../types.ts";
import { decoderDims, type ModelLayout, modelLayout, pickModelFile } from "./hf_layout.ts";
import { readOnnxModel } from "../../onnx/reader.ts";
import { HIDDEN_OUTPUT, hiddenStateModel } from "../../onnx/hidden_state.ts";
import { hfDtype, type HfOptions, layoutProblems, resolveModelDir } from "./hf_hub.ts";
import { openOnnxSession, type OnnxSession, pixelFeeds, runGraph, textFeeds } from "./onnx_run.ts";

export { hfDtype, type HfOptions, layoutProblems, localModelDir, resolveModelDir } from "./hf_hub.ts";

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

/** An opened model: the session, its layout and what was done to it. */
export interface OpenedModel {
  dir: string;
  layout: ModelLayout;
  file: string;
  session: OnnxSession;
  /** `last_hidden_state` is the LM head's input of an edited copy (text-generation exports). */
  edited: { tensor: string; path: string } | null;
}

/** Open a model folder's ONNX file for features (decoders through the hidden-state edit). */
export async function openHfModel(opts: HfOptions, kind: "text" | "vision"): Promise<OpenedModel> {
  const dir = await resolveModelDir(opts);
  const layout = await modelLayout(dir);
  const problems = layoutProblems(layout, kind === "text");
  if (problems.length) throw new Error(`cannot load "${opts.model}": ${problems.map((p) => `${p.reason} (fix: ${p.fix})`).join("; ")}`);
  const file = pickModelFile(layout, hfDtype(opts));
  const info = await readOnnxModel(file.path);
  let opened = { path: file.path, externalDataDir: dirname(file.path), info };
  let edited: OpenedModel["edited"] = null;
  if (kind === "text" && !info.outputs.some((o) => o.name === HIDDEN_OUTPUT)) {
    const h = await hiddenStateModel(file.path, join(projectPaths().cache, "onnx-hidden-state"), info);
    opened = { path: h.path, externalDataDir: h.externalDataDir, info: await readOnnxModel(h.path) };
    edited = { tensor: h.tensor, path: h.path };
  }
  const session = await openOnnxSession(opened, opts.device);
  return { dir, layout, file: file.path, session, edited };
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

/** Load a model folder's tokenizer through transformers.js (offline: from the folder itself). */
async function loadTokenizer(dir: string, model: string): Promise<PreTrainedTokenizer> {
  // transformers.js keeps its settings in a module-level `env`, and takes a one-segment id best
  env.allowLocalModels = true;
  env.localModelPath = dirname(dir) + "/";
  try {
    return await AutoTokenizer.from_pretrained(basename(dir), { local_files_only: true });
  } catch (err) {
    throw new Error(`cannot load the tokenizer of "${model}" from ${dir}: ${(err as Error).message.split("\n")[0]}`);
  }
}

function identityVersion(opts: HfOptions, m: OpenedModel): string {
  const edit = m.edited ? `; ${HIDDEN_OUTPUT} = LM-head input ${m.edited.tensor}` : "";
  return `${opts.revision ?? "main"}; ${m.layout.modelType ?? "?"}; ${basename(m.file)}${edit}; onnxruntime ${m.session.device}`;
}

/** A Hugging Face text model as a frozen language encoder. */
export async function hfTextEncoder(opts: HfTextOptions): Promise<LanguageEncoder> {
  const m = await openHfModel(opts, "text");
  const tokenizer = await loadTokenizer(m.dir, opts.model);
  const hasPast = m.session.info.inputs.some((i) => i.name.startsWith("past_key_values."));
  const dims = hasPast ? decoderDims(m.layout.config, m.dir) : null;
  const padSide = opts.pooling === "last-token" ? "left" : "right";
  const tok = tokenizer as unknown as { padding_side: string; pad_token: string | null; pad_token_id: number | null; eos_token: string | null; eos_token_id: number | null };
  tok.padding_side = padSide;
  if (tok.pad_token === null || tok.pad_token === undefined) {
    if (tok.eos_token === null || tok.eos_token === undefined) throw new Error(`tokenizer of "${opts.model}" has neither a pad nor an eos token`);
    tok.pad_token = tok.eos_token;
    tok.pad_token_id = tok.eos_token_id;
  }
  const maxLength = opts.maxLength ?? 128, batchSize = opts.batchSize ?? 32;
  // A decoder graph without a position_ids input numbers positions itself (0, 1, ... over the padded
  // row), so left padding would shift each text's positions: such batches are split by token length.
  const noPadding = m.layout.kind === "decoder" && !m.session.info.inputs.some((i) => i.name === "position_ids");
  const identity: EncoderIdentity = {
    kind: "text",
    name: opts.name ?? opts.model.split("/").at(-1)!,
    model: opts.model,
    version: identityVersion(opts, m),
    pooling: `${opts.pooling} (padding ${padSide}, pad=${tok.pad_token})${noPadding ? "; no position_ids input: batches split by length, never padded" : ""}`,
    dtype: hfDtype(opts),
    preprocessing: `tokenizer of ${opts.model}, truncation ${maxLength}`,
    dim: 0,
  };
  const embedBatch = async (texts: string[]): Promise<Float32Array[]> => {
    if (noPadding && texts.length > 1) {
      const lengths = texts.map((t) => (tokenizer(t, { truncation: true, max_length: maxLength }) as unknown as { input_ids: Tensor }).input_ids.dims.at(-1)!);
      if (new Set(lengths).size > 1) {
        const out = new Array<Float32Array>(texts.length);
        for (const len of new Set(lengths)) {
          const idx = texts.map((_, i) => i).filter((i) => lengths[i] === len);
          (await embedBatch(idx.map((i) => texts[i]))).forEach((v, k) => (out[idx[k]] = v));
        }
        return out;
      }
    }
    const enc = tokenizer(texts, { padding: true, truncation: true, max_length: maxLength }) as unknown as {
      input_ids: Tensor;
      attention_mask: Tensor;
    };
    const [batch, seq] = enc.input_ids.dims as [number, number];
    const tb = { ids: Array.from(enc.input_ids.data as BigInt64Array, Number), mask: Array.from(enc.attention_mask.data as BigInt64Array, Number), batch, seq };
    const out = (await runGraph(m.session, textFeeds(m.session.info, dims, tb), [HIDDEN_OUTPUT]))[HIDDEN_OUTPUT];
    if (out.dims.length !== 3 || out.dims[0] !== batch || out.dims[1] !== seq) {
      throw new Error(`${opts.model}: ${HIDDEN_OUTPUT} has dims [${out.dims}], expected [${batch}, ${seq}, hidden]`);
    }
    return poolTokens(out.data, tb.mask, out.dims as [number, number, number], opts.pooling);
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
    dispose: () => void m.session.session.release(),
  };
}

/** A Hugging Face vision model (DINOv2 by default settings) as a frozen vision encoder. */
export async function hfVisionEncoder(opts: HfVisionOptions): Promise<VisionEncoder> {
  const m = await openHfModel(opts, "vision");
  const spec: PreprocessSpec = opts.preprocess ??
    { size: 224, mode: "crop", resize: 256, mean: IMAGENET_MEAN, std: IMAGENET_STD, layout: "chw" };
  const pooling = opts.pooling ?? "cls", batchSize = opts.batchSize ?? 16;
  const registers = Number(m.layout.config?.num_register_tokens ?? 0);
  const identity: EncoderIdentity = {
    kind: "image",
    name: opts.name ?? opts.model.split("/").at(-1)!,
    model: opts.model,
    version: identityVersion(opts, m),
    pooling: pooling === "cls" ? "CLS token of last_hidden_state" : pooling === "pooled" ? "pooler_output" : `mean of patch tokens${registers ? ` (${registers} registers left out)` : ""}`,
    dtype: hfDtype(opts),
    preprocessing: describeSpec(spec),
    dim: 0,
  };
  // n preprocessed images laid out one after the other -> one vector per image
  const embedBatch = async (flat: Float32Array, n: number) => {
    const feeds = pixelFeeds(m.session.info, flat, [n, 3, spec.size, spec.size]);
    if (pooling === "pooled") {
      const p = (await runGraph(m.session, feeds, ["pooler_output"])).pooler_output;
      const [b, h] = p.dims;
      return Array.from({ length: b }, (_, i) => p.data.slice(i * h, (i + 1) * h));
    }
    const hs = (await runGraph(m.session, feeds, [HIDDEN_OUTPUT]))[HIDDEN_OUTPUT];
    const [b, t, h] = hs.dims;
    if (pooling === "cls") return Array.from({ length: b }, (_, i) => hs.data.slice(i * t * h, i * t * h + h));
    const mask = Array.from({ length: b * t }, (_, k) => (k % t <= registers ? 0 : 1)); // patch tokens only
    return poolTokens(hs.data, mask, [b, t, h], "mean");
  };
  const per = 3 * spec.size * spec.size;
  identity.dim = (await embedBatch(new Float32Array(per), 1))[0].length;
  // the shared batch loop: decoding on threads of its own, overlapped with the forward pass on a GPU,
  // between forward passes on the CPU (images/decode_pool.ts)
  const decode = decodePlanFor(m.session.device, navigator.hardwareConcurrency);
  const pool = decodePool(decode);
  const plan: BatchPlan = { spec, batchSize, dim: identity.dim, prepare: pool.prepare, schedule: decode.schedule };
  const model = async (pixels: Float32Array, n: number) => {
    const vecs = await embedBatch(pixels, n);
    const flat = new Float32Array(n * identity.dim);
    vecs.forEach((v, i) => flat.set(v, i * identity.dim));
    return flat;
  };
  return {
    identity,
    async embed(images: ImageInput[]) {
      const out = await embedInBatches(images, plan, model);
      checkEmbeddings(identity, images, out);
      return out;
    },
    dispose: () => {
      pool.close();
      void m.session.session.release();
    },
  };
}
