/**
 * Decoder stand-ins in onnx-community's text-generation-with-past layout (Llama, Qwen2, Gemma-2,
 * Mistral): inputs `input_ids`, `attention_mask`, `position_ids`, `past_key_values.{i}.key/value`;
 * outputs `logits` and `present.{i}.key/value` only; grouped-query attention, RMS norm, an LM head
 * MatMul (Gemma-2: embeddings scaled by sqrt(hidden), head_dim != hidden/heads, logit soft-capping).
 * Positions are learned embeddings (`P[position_ids]`) rather than RoPE, so that the answer depends on
 * the position ids fed. Variants: external data, fp16, no `position_ids`, a hub-sized LM head.
 *
 * @example
 * ```ts
 * const dir = await writeTinyDecoder("/tmp/models/onnx-community", "qwen2", "Qwen2.5-0.5B", { external: ["model.onnx_data"], fullVocab: true });
 * ```
 */
import { join } from "node:path";
import type { OnnxType } from "../onnx/proto.ts";
import { attention, Graph, mat, rmsNorm, seeded, type W, writeJson, writeModelFiles } from "./graph.ts";
import { FAMILY_TOKENS, familyVocab, writeByteLevelTokenizer } from "./tokenizers.ts";

/** Decoder shapes of the stand-in families. */
export interface DecoderSpec {
  family: "llama" | "qwen2" | "gemma2" | "mistral";
  hidden: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  layers: number;
  maxPos: number;
  eps: number;
  /** Gemma-2: embeddings times sqrt(hidden), logits soft-capped. */
  embedScale: number;
  softcap: number | null;
}

/** The tiny shapes of each decoder family (grouped-query attention: 4 heads, 2 KV heads; 2 layers). */
export const DECODER_SPECS: Record<DecoderSpec["family"], DecoderSpec> = {
  llama: { family: "llama", hidden: 8, heads: 4, kvHeads: 2, headDim: 2, layers: 2, maxPos: 64, eps: 1e-5, embedScale: 1, softcap: null },
  qwen2: { family: "qwen2", hidden: 8, heads: 4, kvHeads: 2, headDim: 2, layers: 2, maxPos: 64, eps: 1e-6, embedScale: 1, softcap: null },
  gemma2: { family: "gemma2", hidden: 8, heads: 4, kvHeads: 2, headDim: 4, layers: 2, maxPos: 64, eps: 1e-6, embedScale: Math.sqrt(8), softcap: 30 },
  mistral: { family: "mistral", hidden: 8, heads: 4, kvHeads: 2, headDim: 2, layers: 2, maxPos: 64, eps: 1e-5, embedScale: 1, softcap: null },
};

/** The weights of a decoder stand-in (the tests' reference forward shares them). */
export interface DecoderWeights {
  E: W;
  P: W;
  layers: { wq: W; wk: W; wv: W; wo: W }[];
  norm: W;
  lmHead: W;
}


/** Decoder weights from a seed (`full`: for the full byte-level vocabulary). */
export function decoderWeights(spec: DecoderSpec, seed = 7, extraVocab = 0, full = false): DecoderWeights {
  const rnd = seeded(seed), V = familyVocab(spec.family, full).length + extraVocab, H = spec.hidden, qd = spec.heads * spec.headDim, kd = spec.kvHeads * spec.headDim;
  return {
    E: mat(rnd, [V, H], 2),
    P: mat(rnd, [spec.maxPos, H], 2),
    layers: Array.from({ length: spec.layers }, () => ({ wq: mat(rnd, [H, qd], 2), wk: mat(rnd, [H, kd], 2), wv: mat(rnd, [H, kd], 2), wo: mat(rnd, [qd, H]) })),
    norm: { dims: [H], data: Float32Array.from({ length: H }, () => 1 + rnd()) },
    lmHead: mat(rnd, [H, V]),
  };
}

/** Variants of a written model file. */
export interface VariantOptions {
  /** Weights in external data files (e.g. ["model.onnx_data"] or ["model.onnx_data", "model.onnx_data_1"]). */
  external?: string[];
  /** Write `model_fp16.onnx` (float16 weights, past/present and logits) instead of `model.onnx`. */
  fp16?: boolean;
  /** No `position_ids` input: the graph numbers positions 0, 1, ... itself (older decoder exports). */
  noPositionIds?: boolean;
  /** Unused extra vocabulary entries (a hub-sized LM head for benchmarks; no token maps to them). */
  extraVocab?: number;
  /** The full byte-level vocabulary (any text encodes; see `familyVocab`) instead of the tiny one. */
  fullVocab?: boolean;
  /** Positions the model embeds (default the family spec's 64); texts are truncated to 128 tokens. */
  maxPos?: number;
}

/** The text-generation-with-past graph of a decoder (its IO as Optimum exports it). */
export function decoderGraph(spec: DecoderSpec, w: DecoderWeights, fp16: boolean, noPositionIds = false): Graph {
  const g = new Graph();
  const kvType: OnnxType = fp16 ? "float16" : "float32";
  g.input("input_ids", "int64", ["batch_size", "sequence_length"]);
  g.input("attention_mask", "int64", ["batch_size", "total_sequence_length"]);
  if (!noPositionIds) g.input("position_ids", "int64", ["batch_size", "sequence_length"]);
  for (let l = 0; l < spec.layers; l++) {
    for (const kv of ["key", "value"]) g.input(`past_key_values.${l}.${kv}`, kvType, ["batch_size", spec.kvHeads, "past_sequence_length", spec.headDim]);
  }
  const seq = g.op("Slice", [g.op("Shape", ["input_ids"]), g.i([1]), g.i([2]), g.i([0])]);
  const positions = noPositionIds ? g.op("Range", [g.i([0], []), g.op("Squeeze", [seq, g.i([0])]), g.i([1], [])]) : "position_ids";
  let x = g.op("Add", [g.op("Gather", [g.w("model.embed_tokens.weight", w.E), "input_ids"], { axis: 0 }), g.op("Gather", [g.w("model.embed_positions.weight", w.P), positions], { axis: 0 })]);
  if (spec.embedScale !== 1) x = g.op("Mul", [x, g.f([spec.embedScale])]);
  w.layers.forEach((lw, l) => {
    x = attention(g, x, {
      wq: g.w(`model.layers.${l}.self_attn.q_proj.weight`, lw.wq),
      wk: g.w(`model.layers.${l}.self_attn.k_proj.weight`, lw.wk),
      wv: g.w(`model.layers.${l}.self_attn.v_proj.weight`, lw.wv),
      wo: g.w(`model.layers.${l}.self_attn.o_proj.weight`, lw.wo),
      heads: spec.heads,
      kvHeads: spec.kvHeads,
      headDim: spec.headDim,
    }, {
      causal: true,
      keyMask: "attention_mask",
      seqOf: seq,
      past: { key: `past_key_values.${l}.key`, value: `past_key_values.${l}.value`, presentKey: `present.${l}.key`, presentValue: `present.${l}.value`, fp16 },
    });
  });
  const normed = rmsNorm(g, x, g.w("model.norm.weight", w.norm), spec.eps, "/model/norm/Mul_1_output_0");
  let logits = g.op("MatMul", [normed, g.w("lm_head.weight", w.lmHead)], {}, spec.softcap || fp16 ? undefined : "logits");
  if (spec.softcap) logits = g.op("Mul", [g.op("Tanh", [g.op("Div", [logits, g.f([spec.softcap])])]), g.f([spec.softcap])], {}, fp16 ? undefined : "logits");
  if (fp16) g.op("Cast", [logits], { to: 10 }, "logits");
  g.output("logits", fp16 ? "float16" : "float32", ["batch_size", "sequence_length", w.lmHead.dims[1]]);
  for (let l = 0; l < spec.layers; l++) {
    for (const kv of ["key", "value"]) g.output(`present.${l}.${kv}`, kvType, ["batch_size", spec.kvHeads, "total_sequence_length", spec.headDim]);
  }
  return g;
}

/** Write a decoder family's folder (`config.json`, tokenizer files, `onnx/model[_fp16].onnx`); returns its path. */
export async function writeTinyDecoder(dir: string, family: DecoderSpec["family"], name: string = family, opts: VariantOptions = {}): Promise<string> {
  const spec = { ...DECODER_SPECS[family], ...(opts.maxPos ? { maxPos: opts.maxPos } : {}) };
  const w = decoderWeights(spec, 7, opts.extraVocab ?? 0, !!opts.fullVocab);
  const root = join(dir, name);
  const file = opts.fp16 ? "model_fp16.onnx" : "model.onnx";
  const external = opts.external?.map((f) => f.replace(/^model\.onnx/, file));
  await writeModelFiles(root, file, decoderGraph(spec, w, !!opts.fp16, opts.noPositionIds).build({ fp16: opts.fp16, external }));
  const t = FAMILY_TOKENS[family], v = familyVocab(family, !!opts.fullVocab);
  const arch = { llama: "LlamaForCausalLM", qwen2: "Qwen2ForCausalLM", gemma2: "Gemma2ForCausalLM", mistral: "MistralForCausalLM" }[family];
  await writeJson(join(root, "config.json"), {
    architectures: [arch],
    model_type: family,
    hidden_size: spec.hidden,
    intermediate_size: 4 * spec.hidden,
    num_attention_heads: spec.heads,
    num_key_value_heads: spec.kvHeads,
    num_hidden_layers: spec.layers,
    ...(family === "gemma2" ? { head_dim: spec.headDim, final_logit_softcapping: spec.softcap, query_pre_attn_scalar: spec.headDim } : {}),
    max_position_embeddings: spec.maxPos,
    rms_norm_eps: spec.eps,
    vocab_size: w.lmHead.dims[1],
    ...(t.bos ? { bos_token_id: v.indexOf(t.bos) } : {}),
    eos_token_id: v.indexOf(t.eos),
    torch_dtype: "float32",
    "transformers.js_config": { use_external_data_format: !!opts.external, kv_cache_dtype: { fp16: "float16", q4f16: "float16" } },
  });
  await writeByteLevelTokenizer(root, family, !!opts.fullVocab);
  return root;
}
