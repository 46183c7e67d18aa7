/**
 * Cosine similarities on an onnxruntime device: both sides' rows normalised and multiplied in one graph
 * (cpu with every thread onnxruntime is given, webgpu or cuda), over the first side in chunks. Equal to
 * `cosineSimilarity` (TF.js, `similarity.ts`) to float32 rounding; zero rows give zero similarities.
 * Evaluation of trained projections (`projectionMethod`) compares images and class texts with it.
 *
 * @example
 * ```ts
 * const images = { rows: 2, dim: 2, data: Float32Array.of(1, 0, 0, 3) };
 * const texts = { rows: 1, dim: 2, data: Float32Array.of(2, 2) };
 * const s = await cosineSimilarityOnDevice(images, texts, { device: "cpu" });   // [0.7071, 0.7071]
 * ```
 */
import * as ort from "onnxruntime-node";
import type { Matrix } from "../core/matrix.ts";
import { GraphBuilder } from "../onnx/proto.ts";
import { type DeviceRequest, ortSessionOptions, resolveDevice } from "../runtime/onnx_device.ts";

/** The graph: `s = unit(a) @ unit(b)^T`, rows of `a` [n, d] and `b` [m, d] scaled to unit L2 norm. */
function cosineGraph(): Uint8Array {
  const g = new GraphBuilder();
  const a = g.input("a", "float32", ["n", "d"]), b = g.input("b", "float32", ["m", "d"]);
  const axis = g.const([1], "int64"), tiny = g.const([1e-30]);
  const unit = (x: string) => g.op("Mul", [x, g.op("Reciprocal", [g.op("Sqrt", [g.op("Max", [g.op("ReduceSum", [g.op("Mul", [x, x]), axis], { keepdims: 1 }), tiny])])])]);
  g.output(g.op("MatMul", [unit(a), g.op("Transpose", [unit(b)], { perm: [1, 0] })]), "s");
  return g.model("sharelock_cosine_similarity");
}

/** Cosine similarities [a.rows x b.rows] on a device (default `SHARELOCK_DEVICE`, else `auto`), `chunk` rows of `a` at a time. */
export async function cosineSimilarityOnDevice(a: Matrix, b: Matrix, opts: { device?: DeviceRequest; chunk?: number } = {}): Promise<Float32Array> {
  if (a.dim !== b.dim) throw new Error(`cosineSimilarityOnDevice: ${a.dim}-d rows against ${b.dim}-d rows`);
  if (!a.rows || !b.rows) return new Float32Array(a.rows * b.rows);
  const session = await ort.InferenceSession.create(cosineGraph(), ortSessionOptions(await resolveDevice(opts.device), { oneCall: true }));
  try {
    const bt = new ort.Tensor("float32", b.data.subarray(0, b.rows * b.dim), [b.rows, b.dim]);
    const chunk = opts.chunk ?? 8192;
    const run = async (s: number, n: number) =>
      (await session.run({ a: new ort.Tensor("float32", a.data.subarray(s * a.dim, (s + n) * a.dim), [n, a.dim]), b: bt })).s.data as Float32Array;
    if (a.rows <= chunk) return await run(0, a.rows); // one chunk: onnxruntime's output is the result, no copy
    const out = new Float32Array(a.rows * b.rows);
    for (let s = 0; s < a.rows; s += chunk) out.set(await run(s, Math.min(chunk, a.rows - s)), s * b.rows);
    return out;
  } finally {
    await session.release();
  }
}
