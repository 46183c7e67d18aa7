/**
 * DINOv2 stand-ins in the hub's layout (`onnx/model.onnx`, `config.json`, `preprocessor_config.json`):
 * patch Conv, CLS (+ 4 registers for `dinov2_with_registers`), one attention layer, layer norm;
 * `last_hidden_state` and `pooler_output`, as onnx-community's exports give them; fp16 variant.
 *
 * @example
 * ```ts
 * const dir = await writeTinyDinov2("/tmp/models/onnx-community", 0, "dinov2-large");
 * ```
 */
import { join } from "node:path";
import { attention, type AttentionWeights, attentionWeights, Graph, layerNorm, mat, seeded, type W, writeJson, writeModelFiles } from "./graph.ts";

/** Vision shapes: 224 px, 56 px patches (16 patches), hidden 6, 2 heads. */
export const VISION_SPEC = { size: 224, patch: 56, hidden: 6, heads: 2, headDim: 3, eps: 1e-6 };

/** The weights of a vision stand-in. */
export interface VisionWeights extends AttentionWeights {
  conv: W;
  convB: W;
  cls: W;
  registers: W | null;
  P: W;
}

/** Vision weights from a seed (`registers`: DINOv2 with registers, 4 tokens). */
export function visionWeights(registers: number, seed = 5): VisionWeights {
  const rnd = seeded(seed), H = VISION_SPEC.hidden, p = VISION_SPEC.patch, n = (VISION_SPEC.size / p) ** 2, d = VISION_SPEC.heads * VISION_SPEC.headDim;
  return {
    conv: mat(rnd, [H, 3, p, p], 0.05),
    convB: mat(rnd, [H]),
    cls: mat(rnd, [1, 1, H], 2),
    registers: registers ? mat(rnd, [1, registers, H], 2) : null,
    P: mat(rnd, [1, 1 + n, H]),
    ...attentionWeights(rnd, H, d),
  };
}

/** Write a DINOv2 (or DINOv2-with-registers) folder with `preprocessor_config.json`. */
export async function writeTinyDinov2(
  dir: string,
  registers = 0,
  name = registers ? "dinov2_with_registers" : "dinov2",
  opts: { fp16?: boolean } = {},
): Promise<string> {
  const root = join(dir, name);
  const w = visionWeights(registers), H = VISION_SPEC.hidden, fp16 = !!opts.fp16;
  const g = new Graph();
  // fp16 exports take float16 pixels and give float16 outputs (their weights are float16 too)
  g.input("pixel_values", fp16 ? "float16" : "float32", ["batch_size", 3, VISION_SPEC.size, VISION_SPEC.size]);
  const pixels = fp16 ? g.op("Cast", ["pixel_values"], { to: 1 }) : "pixel_values";
  const patches = g.op("Conv", [pixels, g.w("patch.weight", w.conv), g.w("patch.bias", w.convB)], { strides: [VISION_SPEC.patch, VISION_SPEC.patch], kernel_shape: [VISION_SPEC.patch, VISION_SPEC.patch] });
  const tokens = g.op("Transpose", [g.op("Reshape", [patches, g.i([0, H, -1])])], { perm: [0, 2, 1] });
  const batch = g.op("Slice", [g.op("Shape", ["pixel_values"]), g.i([0]), g.i([1]), g.i([0])]);
  const expand = (t: string, rows: number) => g.op("Expand", [t, g.op("Concat", [batch, g.i([rows, H])], { axis: 0 })]);
  const cls = g.op("Add", [expand(g.w("cls_token", w.cls), 1), g.op("Slice", [g.w("position_embeddings", w.P), g.i([0]), g.i([1]), g.i([1])])]);
  const patchPos = g.op("Add", [tokens, g.op("Slice", [g.w("position_embeddings", w.P), g.i([1]), g.i([1 << 20]), g.i([1])])]);
  const parts = w.registers ? [cls, expand(g.w("register_tokens", w.registers), registers), patchPos] : [cls, patchPos];
  let x = g.op("Concat", parts, { axis: 1 });
  x = attention(g, x, { wq: g.w("q", w.wq), wk: g.w("k", w.wk), wv: g.w("v", w.wv), wo: g.w("o", w.wo), heads: VISION_SPEC.heads, kvHeads: VISION_SPEC.heads, headDim: VISION_SPEC.headDim }, { causal: false, keyMask: null, seqOf: "" });
  const normed = layerNorm(g, x, g.w("layernorm.weight", w.lnW), g.w("layernorm.bias", w.lnB), VISION_SPEC.eps);
  const out = fp16 ? g.op("Cast", [normed], { to: 10 }, "last_hidden_state") : g.op("Identity", [normed], {}, "last_hidden_state");
  g.op("Squeeze", [g.op("Slice", [out, g.i([0]), g.i([1]), g.i([1])]), g.i([1])], {}, "pooler_output");
  g.output("last_hidden_state", fp16 ? "float16" : "float32", ["batch_size", "sequence_length", H]);
  g.output("pooler_output", fp16 ? "float16" : "float32", ["batch_size", H]);
  await writeModelFiles(root, fp16 ? "model_fp16.onnx" : "model.onnx", g.build({ fp16 }));
  await writeJson(join(root, "config.json"), {
    architectures: [registers ? "Dinov2WithRegistersModel" : "Dinov2Model"],
    model_type: registers ? "dinov2_with_registers" : "dinov2",
    hidden_size: H,
    num_attention_heads: VISION_SPEC.heads,
    num_hidden_layers: 1,
    patch_size: VISION_SPEC.patch,
    image_size: VISION_SPEC.size,
    layer_norm_eps: VISION_SPEC.eps,
    ...(registers ? { num_register_tokens: registers } : {}),
  });
  await writeJson(join(root, "preprocessor_config.json"), {
    crop_size: { height: 224, width: 224 },
    do_center_crop: true,
    do_normalize: true,
    do_resize: true,
    image_mean: [0.485, 0.456, 0.406],
    image_std: [0.229, 0.224, 0.225],
    image_processor_type: "BitImageProcessor",
    resample: 3,
    size: { shortest_edge: 256 },
  });
  return root;
}
