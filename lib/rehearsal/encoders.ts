/**
 * Text-encoder stand-ins in the hub's feature-extraction layout: `bert` (with `token_type_ids`),
 * `roberta`, `modernbert` give `last_hidden_state` from `onnx/model.onnx`; `t5` is the
 * `encoder_model.onnx` of an encoder-decoder folder (a logits-only `decoder_model_merged.onnx` beside it).
 *
 * @example
 * ```ts
 * const dir = await writeTinyEncoder("/tmp/models/Xenova", "bert", "bert-base-uncased", { fullVocab: true, maxPos: 256 });
 * ```
 */
import { join } from "node:path";
import { attention, type AttentionWeights, attentionWeights, Graph, layerNorm, mat, seeded, type W, writeJson, writeModelFiles } from "./graph.ts";
import { bertVocab, familyVocab, writeBertTokenizer, writeByteLevelTokenizer } from "./tokenizers.ts";

/** Encoder shapes (bidirectional attention, one layer, layer norm; `maxPos` positions unless told). */
export const ENCODER_SPEC = { hidden: 8, heads: 2, headDim: 4, maxPos: 64, eps: 1e-5 };

/** The weights of an encoder stand-in. */
export interface EncoderWeights extends AttentionWeights {
  E: W;
  P: W;
  T: W | null;
}

/** Encoder weights from a seed; `T` (token types) only for BERT. */
export function encoderWeights(vocab: number, withTypes: boolean, seed = 11, maxPos = ENCODER_SPEC.maxPos): EncoderWeights {
  const rnd = seeded(seed), H = ENCODER_SPEC.hidden, d = ENCODER_SPEC.heads * ENCODER_SPEC.headDim;
  return {
    E: mat(rnd, [vocab, H], 2),
    P: mat(rnd, [maxPos, H], 2),
    T: withTypes ? mat(rnd, [2, H], 2) : null,
    ...attentionWeights(rnd, H, d),
  };
}

/** The encoder graph: embeddings (+ token types), one attention block, layer norm; `last_hidden_state`. */
export function encoderGraph(w: EncoderWeights, withTypes: boolean): Graph {
  const g = new Graph();
  g.input("input_ids", "int64", ["batch_size", "sequence_length"]);
  g.input("attention_mask", "int64", ["batch_size", "sequence_length"]);
  if (withTypes) g.input("token_type_ids", "int64", ["batch_size", "sequence_length"]);
  const seq = g.op("Slice", [g.op("Shape", ["input_ids"]), g.i([1]), g.i([2]), g.i([0])]);
  const positions = g.op("Range", [g.i([0], []), g.op("Squeeze", [seq, g.i([0])]), g.i([1], [])]);
  let x = g.op("Add", [g.op("Gather", [g.w("embeddings.word_embeddings.weight", w.E), "input_ids"], { axis: 0 }), g.op("Gather", [g.w("embeddings.position_embeddings.weight", w.P), positions], { axis: 0 })]);
  if (withTypes) x = g.op("Add", [x, g.op("Gather", [g.w("embeddings.token_type_embeddings.weight", w.T!), "token_type_ids"], { axis: 0 })]);
  x = attention(g, x, { wq: g.w("q", w.wq), wk: g.w("k", w.wk), wv: g.w("v", w.wv), wo: g.w("o", w.wo), heads: ENCODER_SPEC.heads, kvHeads: ENCODER_SPEC.heads, headDim: ENCODER_SPEC.headDim }, {
    causal: false,
    keyMask: "attention_mask",
    seqOf: seq,
  });
  g.op("Identity", [layerNorm(g, x, g.w("ln.weight", w.lnW), g.w("ln.bias", w.lnB), ENCODER_SPEC.eps)], {}, "last_hidden_state");
  g.output("last_hidden_state", "float32", ["batch_size", "sequence_length", ENCODER_SPEC.hidden]);
  return g;
}

/** Encoder families of the stand-ins. */
export type EncoderFamily = "bert" | "roberta" | "modernbert" | "t5";

/** The vocabulary of an encoder family (BERT: WordPiece words; others: byte-level characters); `full`: any text. */
export function encoderVocab(family: EncoderFamily, full = false): string[] {
  return family === "bert" ? bertVocab(full) : familyVocab(family, full);
}

/** Options of {@link writeTinyEncoder}. */
export interface EncoderOptions {
  /** A vocabulary that covers any text (see `familyVocab`, `bertVocab`) instead of the tiny one. */
  fullVocab?: boolean;
  /** Positions the model embeds (default 64); texts are truncated to 128 tokens. */
  maxPos?: number;
}

/** Write an encoder family's folder; T5 gets `encoder_model.onnx` plus a logits-only decoder file. */
export async function writeTinyEncoder(dir: string, family: EncoderFamily, name: string = family, opts: EncoderOptions = {}): Promise<string> {
  const root = join(dir, name);
  const withTypes = family === "bert";
  const vocab = encoderVocab(family, !!opts.fullVocab);
  const w = encoderWeights(vocab.length, withTypes, 11, opts.maxPos);
  await writeModelFiles(root, family === "t5" ? "encoder_model.onnx" : "model.onnx", encoderGraph(w, withTypes).build());
  if (family === "t5") {
    const d = new Graph();
    d.input("input_ids", "int64", ["batch_size", "decoder_sequence_length"]);
    d.input("encoder_hidden_states", "float32", ["batch_size", "encoder_sequence_length", ENCODER_SPEC.hidden]);
    d.op("Gather", [d.w("lm", mat(seeded(3), [vocab.length, vocab.length])), "input_ids"], { axis: 0 }, "logits");
    d.output("logits", "float32", ["batch_size", "decoder_sequence_length", vocab.length]);
    await writeModelFiles(root, "decoder_model_merged.onnx", d.build());
  }
  const arch = { bert: "BertModel", roberta: "RobertaModel", modernbert: "ModernBertModel", t5: "T5ForConditionalGeneration" }[family];
  await writeJson(join(root, "config.json"), {
    architectures: [arch],
    model_type: family,
    ...(family === "t5" ? { d_model: ENCODER_SPEC.hidden, num_heads: ENCODER_SPEC.heads, d_kv: ENCODER_SPEC.headDim, num_layers: 1, is_encoder_decoder: true } : { hidden_size: ENCODER_SPEC.hidden, num_attention_heads: ENCODER_SPEC.heads, num_hidden_layers: 1, max_position_embeddings: w.P.dims[0] }),
    vocab_size: vocab.length,
    ...(family === "bert" ? { type_vocab_size: 2 } : {}),
  });
  if (family !== "bert") await writeByteLevelTokenizer(root, family, !!opts.fullVocab);
  else await writeBertTokenizer(root, vocab);
  return root;
}
