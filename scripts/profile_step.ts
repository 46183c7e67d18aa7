/**
 * The batched training-step graph alone on onnxruntime (`lib/train/batched_graph.ts`): ms per step of R
 * runs, GFLOP/s of its matrix products, and onnxruntime's own profile summed by operator (where the
 * graph's time goes). Random inputs; 3 warm-up steps, 10 timed.
 *
 *   deno run -A scripts/profile_step.ts [linear|mlp] [runs] [batch]     # default: linear 10 256
 */
import * as ort from "onnxruntime-node";
import { batchedStepGraph } from "../lib/train/batched_graph.ts";
import { PAPER_LOGIT_SCALE } from "../lib/train/losses.ts";
import { layerDims } from "../lib/train/step_graph.ts";
import { stepFlops } from "../lib/train/work.ts";
import type { ProjectionConfig } from "../lib/train/projection.ts";

const kind = Deno.args[0] ?? "linear", R = Number(Deno.args[1] ?? 10), B = Number(Deno.args[2] ?? 256);
if (kind !== "linear" && kind !== "mlp") throw new Error(`profile_step: unknown shape "${kind}" (known: linear, mlp)`);
const cfg: ProjectionConfig = kind === "linear"
  ? { kind: "linear", inDim: 512, outDim: 1792 }
  : { kind: "mlp", inDim: 512, outDim: 1792, hidden: 1024, layers: 3, dropout: 0.2, batchNorm: true };
const dir = await Deno.makeTempDir();
const session = await ort.InferenceSession.create(batchedStepGraph(cfg, { loss: "clip", scale: PAPER_LOGIT_SCALE }, "train"), {
  intraOpNumThreads: navigator.hardwareConcurrency, executionMode: "sequential", graphOptimizationLevel: "all", enableProfiling: true, profileFilePrefix: `${dir}/step`,
});
const dims = layerDims(cfg), L = dims.length - 1;
const random = (n: number, scale = 1) => Float32Array.from({ length: n }, () => scale * (Math.random() - 0.5));
const feeds: Record<string, ort.Tensor> = {
  txt: new ort.Tensor("float32", random(R * B * dims[0]), [R, B, dims[0]]),
  img: new ort.Tensor("float32", random(R * B * dims[L]), [R, B, dims[L]]),
  gscale: new ort.Tensor("float32", Float32Array.of(1), [1]),
};
for (const name of session.inputNames.filter((n) => !feeds[n])) {
  const [, what, i] = /^(\D+)(\d+)$/.exec(name)!, n = dims[+i + 1];
  if (what === "W") feeds[name] = new ort.Tensor("float32", random(R * dims[+i] * n, 0.1), [R, dims[+i], n]);
  else if (what === "mask") feeds[name] = new ort.Tensor("float32", new Float32Array(R * B * n).fill(1.25), [R, B, n]);
  else feeds[name] = new ort.Tensor("float32", new Float32Array(R * n).fill(what === "g" ? 1 : 0), [R, 1, n]);
}
for (let k = 0; k < 3; k++) await session.run(feeds);
const t0 = performance.now();
for (let k = 0; k < 10; k++) await session.run(feeds);
const ms = (performance.now() - t0) / 10;
// the products the step graph computes (lib/train/work.ts), for each run
const flops = R * stepFlops({ dims, batch: B });
console.log(`${kind} ${dims.join(" -> ")}, ${R} runs x batch ${B}: ${ms.toFixed(1)} ms per step, ${(flops / ms / 1e6).toFixed(0)} GFLOP/s of matrix products`);
session.endProfiling();
const byOp = new Map<string, number>();
for (const f of Deno.readDirSync(dir)) {
  for (const e of JSON.parse(Deno.readTextFileSync(`${dir}/${f.name}`))) {
    if (e.cat === "Node" && e.name.endsWith("_kernel_time")) byOp.set(e.args.op_name, (byOp.get(e.args.op_name) ?? 0) + e.dur);
  }
}
const total = [...byOp.values()].reduce((a, b) => a + b, 0);
for (const [op, us] of [...byOp].sort((a, b) => b[1] - a[1]).slice(0, 8)) console.log(`  ${op.padEnd(16)} ${(100 * us / total).toFixed(1)}%`);
await Deno.remove(dir, { recursive: true });
