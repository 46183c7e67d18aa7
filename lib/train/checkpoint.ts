/**
 * Save and load trained projections as safetensors (weights in PyTorch layout, with the projection
 * config and the encoder identities in the metadata), and export one to ONNX so that it runs next to the
 * encoders with onnxruntime.
 *
 * @example
 * ```ts
 * import type { TrainResult } from "./trainer.ts";
 * import type { EncoderIdentity } from "../encoders/types.ts";
 * declare const run: TrainResult, textEnc: { identity: EncoderIdentity }, visEnc: { identity: EncoderIdentity };
 * await saveProjection("outputs/models/use-lite.safetensors", run.projection, { text: textEnc.identity, vision: visEnc.identity });
 * const { projection, metadata } = await loadProjection("outputs/models/use-lite.safetensors");
 * await Deno.writeFile("proj.onnx", projectionToOnnx(projection));
 * ```
 */
import { writeFileAtomic } from "../runtime/atomic.ts";
import { createProjection, type Projection, type ProjectionConfig, transposeMatrix, type Weights } from "./projection.ts";
import { node, onnxModel, tensorProto, valueInfo } from "../onnx/proto.ts";

/** Encode named float32 tensors as safetensors bytes. Pure. */
export function encodeSafetensors(weights: Weights, metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  const names = Object.keys(weights).sort();
  for (const name of names) {
    const bytes = weights[name].data.length * 4;
    header[name] = { dtype: "F32", shape: weights[name].shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  json += " ".repeat((8 - (json.length % 8)) % 8);
  const head = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + head.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(head.length), true);
  out.set(head, 8);
  let o = 8 + head.length;
  for (const name of names) {
    const d = weights[name].data;
    out.set(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), o);
    o += d.byteLength;
  }
  return out;
}

/** Decode safetensors bytes (F32 tensors only). Pure. */
export function decodeSafetensors(bytes: Uint8Array, source = "safetensors"): { weights: Weights; metadata: Record<string, string> } {
  if (bytes.length < 8) throw new Error(`${source}: too short to be a safetensors file`);
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  if (8 + n > bytes.length) throw new Error(`${source}: header length ${n} exceeds the file`);
  let header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  } catch {
    throw new Error(`${source}: header is not JSON`);
  }
  const { __metadata__: metadata = {}, ...tensors } = header as Record<string, unknown>;
  const weights: Weights = {};
  const base = 8 + n;
  for (const [name, t] of Object.entries(tensors) as [string, { dtype: string; shape: number[]; data_offsets: [number, number] }][]) {
    if (t.dtype !== "F32") throw new Error(`${source}: tensor ${name} is ${t.dtype}; only F32 is supported`);
    const [a, b] = t.data_offsets;
    const copy = bytes.slice(base + a, base + b);
    weights[name] = { shape: t.shape, data: new Float32Array(copy.buffer, 0, (b - a) / 4) };
  }
  return { weights, metadata: metadata as Record<string, string> };
}

/** Save a projection with its config and any identities (encoders, data, seed) as JSON metadata. */
export async function saveProjection(path: string, p: Projection, info: Record<string, unknown> = {}): Promise<void> {
  const metadata: Record<string, string> = { format: "sharelock-notebooks projection v1", config: JSON.stringify(p.config) };
  for (const [k, v] of Object.entries(info)) metadata[k] = typeof v === "string" ? v : JSON.stringify(v);
  await writeFileAtomic(path, encodeSafetensors(p.snapshot(), metadata));
}

/** Load a saved projection (recreated from its config, weights restored). */
export async function loadProjection(path: string): Promise<{ projection: Projection; metadata: Record<string, string> }> {
  const { weights, metadata } = decodeSafetensors(await Deno.readFile(path), path);
  if (!metadata.config) throw new Error(`${path}: no projection config in the metadata`);
  const projection = createProjection(JSON.parse(metadata.config) as ProjectionConfig, 0);
  projection.restore(weights);
  return { projection, metadata };
}

/** The projection in evaluation mode as an ONNX model: input `text_features`, output `embedding` (unit rows). */
export function projectionToOnnx(p: Projection): Uint8Array {
  const w = p.snapshot();
  const nodes: Uint8Array[] = [], inits: Uint8Array[] = [];
  let x = "text_features";
  const nLayers = Object.keys(w).filter((k) => k.endsWith(".linear.weight")).length;
  for (let i = 0; i < nLayers; i++) {
    const W = w[`layers.${i}.linear.weight`], b = w[`layers.${i}.linear.bias`];
    const [out, inn] = W.shape;
    const wt = transposeMatrix(W.data, out, inn); // back to [in, out] for MatMul
    inits.push(tensorProto(`W${i}`, "float32", [inn, out], wt), tensorProto(`b${i}`, "float32", [out], b.data));
    nodes.push(node("MatMul", [x, `W${i}`], [`mm${i}`]), node("Add", [`mm${i}`, `b${i}`], [`h${i}`]));
    x = `h${i}`;
    if (i === nLayers - 1) break;
    if (w[`layers.${i}.bn.weight`]) {
      for (const [k, n] of [["weight", "g"], ["bias", "be"], ["running_mean", "rm"], ["running_var", "rv"]]) {
        inits.push(tensorProto(`${n}${i}`, "float32", [out], w[`layers.${i}.bn.${k}`].data));
      }
      nodes.push(node("BatchNormalization", [x, `g${i}`, `be${i}`, `rm${i}`, `rv${i}`], [`bn${i}`], { epsilon: { float: 1e-5 } }));
      x = `bn${i}`;
    }
    nodes.push(node("Relu", [x], [`r${i}`]));
    x = `r${i}`;
  }
  inits.push(tensorProto("eps", "float32", [1], Float32Array.of(1e-12)));
  nodes.push(
    node("ReduceL2", [x], ["norm"], { axes: [1], keepdims: 1 }),
    node("Max", ["norm", "eps"], ["safe"]),
    node("Div", [x, "safe"], ["embedding"]),
  );
  return onnxModel({
    name: "sharelock_projection",
    inputs: [valueInfo("text_features", "float32", ["batch", p.config.inDim])],
    outputs: [valueInfo("embedding", "float32", ["batch", p.config.outDim])],
    initializers: inits,
    nodes,
  });
}
