/**
 * A trained projection applied on an onnxruntime device: the evaluation-mode network
 * (`projectionToOnnx`) in one session on cpu, webgpu or cuda, over a matrix in chunks. Rows come back
 * unit-normalised, equal to `projection.project(m)` (TF.js) to 1e-4.
 *
 * @example
 * ```ts
 * import { createProjection } from "./projection.ts";
 * const p = createProjection({ kind: "linear", inDim: 3, outDim: 2 }, 0);
 * const z = await projectOnDevice(p, { rows: 2, dim: 3, data: Float32Array.of(1, 0, 0, 0, 1, 0) }, { device: "cpu" });
 * console.log(z.rows, z.dim); // 2 2
 * ```
 */
import * as ort from "onnxruntime-node";
import type { Matrix } from "../core/matrix.ts";
import { projectionToOnnx } from "./checkpoint.ts";
import type { Projection } from "./projection.ts";
import { type DeviceRequest, ortSessionOptions, resolveDevice } from "../runtime/onnx_device.ts";

/** Project `m` with `p` in evaluation mode on a device (default `SHARELOCK_DEVICE`, else `auto`). */
export async function projectOnDevice(
  p: Projection,
  m: Matrix,
  opts: { device?: DeviceRequest; chunk?: number } = {},
): Promise<Matrix> {
  if (m.dim !== p.config.inDim) throw new Error(`projectOnDevice: the matrix has ${m.dim} columns, the projection takes ${p.config.inDim}`);
  const device = await resolveDevice(opts.device);
  const session = await ort.InferenceSession.create(projectionToOnnx(p), ortSessionOptions(device, { oneCall: true }));
  const out = new Float32Array(m.rows * p.config.outDim);
  const chunk = opts.chunk ?? 4096;
  try {
    for (let s = 0; s < m.rows; s += chunk) {
      const n = Math.min(chunk, m.rows - s);
      const x = new ort.Tensor("float32", m.data.subarray(s * m.dim, (s + n) * m.dim), [n, m.dim]);
      const { embedding } = await session.run({ text_features: x });
      out.set(embedding.data as Float32Array, s * p.config.outDim);
    }
  } finally {
    await session.release();
  }
  return { rows: m.rows, dim: p.config.outDim, data: out };
}
