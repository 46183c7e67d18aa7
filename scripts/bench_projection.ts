/**
 * A trained projection applied to class prompts at evaluation, on the two paths the project has: the
 * projection's TF.js forward pass (wasm backend on CPU) and its exported ONNX evaluation graph on
 * onnxruntime with every core (`projectOnDevice`, what evaluation uses). The embedded shapes (linear 512
 * -> 1792 and the caption MLP), random weights and features, the same rows on both paths; prints ms of
 * each and their largest difference.
 *
 *   deno run -A scripts/bench_projection.ts [rows]      # default 12000 prompts
 */
import { createProjection, type ProjectionConfig } from "../lib/train/projection.ts";
import { projectOnDevice } from "../lib/train/project_on_device.ts";
import { selectTfBackend } from "../lib/runtime/tf_backend.ts";
import { seededRandom } from "../lib/runtime/random.ts";

const rows = Number(Deno.args[0] ?? 12000);
const backend = await selectTfBackend();
const shapes: ProjectionConfig[] = [
  { kind: "linear", inDim: 512, outDim: 1792 },
  { kind: "mlp", inDim: 512, outDim: 1792, hidden: 1024, layers: 3, dropout: 0.2, batchNorm: true },
];
const rng = seededRandom(1);
for (const cfg of shapes) {
  const p = createProjection(cfg, 0);
  const m = { rows, dim: 512, data: Float32Array.from({ length: rows * 512 }, () => rng.normal()) };
  let t0 = performance.now();
  const a = p.project(m);
  const tfjs = performance.now() - t0;
  t0 = performance.now();
  const b = await projectOnDevice(p, m, { device: "cpu" });
  const ort = performance.now() - t0;
  let diff = 0;
  for (let i = 0; i < a.data.length; i++) diff = Math.max(diff, Math.abs(a.data[i] - b.data[i]));
  console.log(`${cfg.kind}, ${rows} rows: TF.js (${backend.backend}) ${tfjs.toFixed(0)} ms, onnxruntime ${ort.toFixed(0)} ms (${(tfjs / ort).toFixed(1)}x), largest difference ${diff.toExponential(1)}`);
  p.dispose();
}
