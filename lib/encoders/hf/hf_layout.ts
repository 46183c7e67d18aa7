/**
 * The file layout of a Hugging Face ONNX model folder, as the hub publishes them (transformers.js /
 * Optimum layouts): `config.json`, tokenizer files, and under `onnx/` (or the folder itself, as
 * `optimum-cli export onnx` writes) one file per dtype variant: `model.onnx`, `model_fp16.onnx`,
 * `model_q4.onnx`, `model_q4f16.onnx`, `model_quantized.onnx`, ... with external data beside them
 * (`model.onnx_data`, chunks `model.onnx_data_1`, ...). T5-style models split into `encoder_model*.onnx`
 * and decoder files; onnxruntime-genai folders (`genai_config.json`) are recognised and refused by name.
 *
 * @example
 * ```ts
 * const layout = await modelLayout("models/onnx-community/Qwen2.5-0.5B");
 * const file = pickModelFile(layout, "fp16"); // .../onnx/model_fp16.onnx
 * ```
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { ModelDtype } from "../../runtime/env.ts";

/** Weight variants, by the file-name suffix transformers.js uses. */
export const DTYPE_SUFFIX = {
  fp32: "",
  fp16: "_fp16",
  q8: "_quantized",
  int8: "_int8",
  uint8: "_uint8",
  q4: "_q4",
  q4f16: "_q4f16",
  bnb4: "_bnb4",
} as const satisfies Record<ModelDtype, string>;
/** A weights variant (`MODEL_DTYPES` in `runtime/env.ts`). */
export type { ModelDtype };

/** Model types whose hub exports split into an encoder file and decoder files. */
const ENCODER_DECODER = new Set(["t5", "mt5", "umt5", "bart", "mbart", "marian", "pegasus", "longt5", "flan-t5"]);
/** Vision families this project reads `pixel_values` -> `last_hidden_state` from. */
const VISION = new Set(["dinov2", "dinov2_with_registers", "vit", "deit", "beit", "dinov3_vit", "siglip_vision_model", "clip_vision_model"]);

/** One ONNX file of the folder. */
export interface ModelFile {
  /** `model`, `encoder_model`, `decoder_model_merged`, ... */
  role: string;
  dtype: ModelDtype | "other";
  path: string;
  bytes: number;
}

/** What a model folder holds. */
export interface ModelLayout {
  dir: string;
  config: Record<string, unknown> | null;
  modelType: string | null;
  /** `decoder` (causal LM), `encoder` (BERT-like or the encoder of an encoder-decoder), `vision`, `unknown`. */
  kind: "decoder" | "encoder" | "vision" | "unknown";
  files: ModelFile[];
  /** Files beside the ONNX files that look like external data (`*.onnx_data*`, `*.data`). */
  dataFiles: string[];
  hasTokenizer: boolean;
  /** onnxruntime-genai layout (`genai_config.json`): not a transformers.js layout. */
  genai: boolean;
}

const ROLE_RE = /^(model|encoder_model|decoder_model|decoder_model_merged|decoder_with_past_model|vision_encoder|text_model|vision_model)(_fp16|_quantized|_int8|_uint8|_q4f16|_q4|_bnb4)?\.onnx$/;

/** Read a model folder's layout (no ONNX file is parsed). */
export async function modelLayout(dir: string): Promise<ModelLayout> {
  let config: Record<string, unknown> | null = null;
  const cfgPath = join(dir, "config.json");
  if (existsSync(cfgPath)) {
    try {
      config = JSON.parse(await Deno.readTextFile(cfgPath));
    } catch (err) {
      throw new Error(`${cfgPath}: not valid JSON (${(err as Error).message})`);
    }
  }
  const files: ModelFile[] = [], dataFiles: string[] = [];
  for (const sub of ["onnx", "."]) {
    const d = join(dir, sub);
    if (!existsSync(d)) continue;
    for await (const e of Deno.readDir(d)) {
      if (!e.isFile && !e.isSymlink) continue;
      const path = join(d, e.name);
      if (/\.onnx_data(_\d+)?$|\.onnx\.data$/.test(e.name)) dataFiles.push(path);
      const m = e.name.match(ROLE_RE);
      if (!m && !e.name.endsWith(".onnx")) continue;
      const suffix = m?.[2] ?? "";
      const dtype = (Object.entries(DTYPE_SUFFIX).find(([, s]) => s === suffix)?.[0] ?? "other") as ModelDtype;
      files.push({ role: m?.[1] ?? e.name.replace(/\.onnx$/, ""), dtype: m ? dtype : "other", path, bytes: (await Deno.stat(path)).size });
    }
  }
  files.sort((a, b) => a.path.localeCompare(b.path));
  const modelType = typeof config?.model_type === "string" ? config.model_type : null;
  const archs = (config?.architectures as string[] | undefined) ?? [];
  const kind: ModelLayout["kind"] = !modelType ? "unknown"
    : VISION.has(modelType) ? "vision"
    : ENCODER_DECODER.has(modelType) ? "encoder"
    : config?.is_decoder === true || archs.some((a) => /CausalLM|LMHeadModel/.test(a)) || isDecoderType(modelType) ? "decoder"
    : "encoder";
  const hasTokenizer = existsSync(join(dir, "tokenizer.json"));
  return { dir, config, modelType, kind, files, dataFiles, hasTokenizer, genai: existsSync(join(dir, "genai_config.json")) };
}

const DECODER_TYPES = /^(llama|qwen2|qwen3|qwen2_moe|gemma|gemma2|gemma3_text|gemma3|mistral|mixtral|phi|phi3|gpt2|gpt_neox|gptj|falcon|olmo|olmo2|granite|smollm3|stablelm|opt|bloom|codegen|cohere|exaone|glm|helium|starcoder2)$/;
function isDecoderType(t: string) {
  return DECODER_TYPES.test(t);
}

/** The file roles that hold features, in order of preference: the encoder of encoder-decoder models, else the model. Pure. */
export function featureRoles(layout: Pick<ModelLayout, "kind" | "modelType">): string[] {
  return layout.kind === "encoder" && ENCODER_DECODER.has(layout.modelType ?? "") ? ["encoder_model"] : ["model", "decoder_model_merged", "decoder_model"];
}

/**
 * The ONNX file to run for a dtype: the encoder file of encoder-decoder models, else `model*.onnx`,
 * else a merged decoder. A missing variant is an error listing the variants that are there.
 */
export function pickModelFile(layout: ModelLayout, dtype: ModelDtype = "fp32"): ModelFile {
  const roles = featureRoles(layout);
  for (const role of roles) {
    const f = layout.files.find((x) => x.role === role && x.dtype === dtype);
    if (f) return f;
  }
  const have = layout.files.filter((f) => roles.includes(f.role)).map((f) => `${f.dtype} (${f.path.split("/").at(-1)})`);
  throw new Error(
    `${layout.dir}: no ${dtype} ${roles[0]} file (looked for ${roles.map((r) => `${r}${DTYPE_SUFFIX[dtype]}.onnx`).join(", ")} in onnx/ and the folder)` +
      (have.length ? `; variants here: ${have.join(", ")}; choose one with the dtype setting` : ""),
  );
}

/** Model config numbers the feeds need, with the names the hub's configs use. */
export interface DecoderDims {
  layers: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  hidden: number;
}

/** Read layer count, heads, KV heads (grouped-query attention) and head size from a decoder config. */
export function decoderDims(config: Record<string, unknown> | null, where: string): DecoderDims {
  const c = (config ?? {}) as Record<string, number | undefined>;
  const text = (config?.text_config ?? {}) as Record<string, number | undefined>;
  const get = (...keys: string[]) => keys.map((k) => c[k] ?? text[k]).find((v) => typeof v === "number");
  const hidden = get("hidden_size", "n_embd", "d_model");
  const heads = get("num_attention_heads", "n_head");
  const layers = get("num_hidden_layers", "n_layer", "num_layers");
  if (!hidden || !heads || !layers) {
    throw new Error(`${where}/config.json: a decoder needs hidden_size, num_attention_heads and num_hidden_layers (found ${JSON.stringify({ hidden, heads, layers })})`);
  }
  const kvHeads = get("num_key_value_heads", "multi_query_group_num") ?? heads;
  const headDim = get("head_dim") ?? hidden / heads;
  if (!Number.isInteger(headDim)) throw new Error(`${where}/config.json: head_dim is not given and hidden_size / num_attention_heads = ${headDim}`);
  return { layers, heads, kvHeads, headDim, hidden };
}
