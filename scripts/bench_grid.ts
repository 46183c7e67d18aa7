/**
 * The batched-grid row of `deno task bench training`: notebook 01's grid in miniature, 10 probing runs
 * (5 splits x 2 seeds, each split its own data) of the linear 512 -> 1792 probe at the embedded
 * settings (`EMBEDDED_PROBING`, batch 256), trained one at a time (`trainProjection`) and batched
 * (`trainProjections`, in batches of `runsPerBatch` runs: 4 of the probe on the CPU), on synthetic
 * features of the embedded shapes (3,400 images, 1,200 classes with 8 texts each). Every run takes the same number of steps (no early stop), so both sides do the same work;
 * GFLOP/s count the whole grid's step FLOPs (validation not counted). `mlp`: the same grid of the
 * embedded caption model (`EMBEDDED_CAPTIONS_TRAIN`: 512 -> 1024 -> 1024 -> 1792, BatchNorm, dropout).
 *
 *   deno run -A scripts/bench_grid.ts [linear|mlp] [steps]     # the row alone, as JSON
 */
import { EMBEDDED_CAPTIONS_TRAIN, EMBEDDED_PROBING } from "../lib/config.ts";
import type { Matrix } from "../lib/core/matrix.ts";
import { seededRandom } from "../lib/runtime/random.ts";
import { selectTfBackend } from "../lib/runtime/tf_backend.ts";
import { trainProjections } from "../lib/train/batched.ts";
import { type PairData, type TrainConfig, trainProjection, type TrainResult } from "../lib/train/trainer.ts";
import { layerDims } from "../lib/train/step_graph.ts";
import { stepFlops } from "../lib/train/work.ts";

/** Synthetic probing pairs of one split: images and class texts as two noisy linear views of class latents. */
export function syntheticProbingSplit(seed: number, o = { images: 3400, classes: 1200, texts: 8, textDim: 512, imageDim: 1792, latent: 32 }): PairData {
  const rng = seededRandom(seed);
  const gauss = (n: number) => Float32Array.from({ length: n }, () => rng.normal());
  const A = gauss(o.latent * o.imageDim), B = gauss(o.latent * o.textDim), z = gauss(o.classes * o.latent);
  const view = (rows: number, dim: number, M: Float32Array, classOf: (r: number) => number): Matrix => {
    const data = gauss(rows * dim).map((x) => 0.3 * x);
    for (let r = 0; r < rows; r++) {
      const c = classOf(r);
      for (let k = 0; k < o.latent; k++) {
        const zk = z[c * o.latent + k];
        for (let d = 0; d < dim; d++) data[r * dim + d] += zk * M[k * dim + d];
      }
    }
    return { data, rows, dim };
  };
  const classOfImage = Array.from({ length: o.images }, (_, i) => i % o.classes);
  return {
    images: view(o.images, o.imageDim, A, (r) => classOfImage[r]),
    texts: view(o.classes * o.texts, o.textDim, B, (r) => Math.floor(r / o.texts)),
    textsOf: classOfImage.map((c) => Array.from({ length: o.texts }, (_, t) => c * o.texts + t)),
  };
}

/** The row: ms and GFLOP/s of the 10-run grid one at a time and batched, with the speed-up. */
export async function gridRow(kind: "linear" | "mlp" = "linear", steps = 50): Promise<Record<string, unknown>> {
  await selectTfBackend();
  const splits = [0, 1, 2, 3, 4].map((s) => syntheticProbingSplit(100 + s));
  const settings = kind === "linear" ? EMBEDDED_PROBING : EMBEDDED_CAPTIONS_TRAIN;
  const cfg: Partial<TrainConfig> = { ...settings, maxSteps: steps, patience: steps, progress: false, engine: "onnx" };
  const jobs = splits.flatMap((data) => [0, 1].map((seed) => ({ data, config: { ...cfg, seed } })));
  const t0 = performance.now();
  const alone: TrainResult[] = [];
  for (const j of jobs) alone.push(await trainProjection(j.data, j.config));
  const t1 = performance.now();
  const batched = await trainProjections(jobs, { progress: false });
  const t2 = performance.now();
  const same = batched.every((r, i) => r.history.every((h, k) => h.loss === alone[i].history[k].loss && h.valLoss === alone[i].history[k].valLoss));
  [...alone, ...batched].forEach((r) => r.projection.dispose());
  // the matrix products of one step (lib/train/work.ts), every run, every step
  const dims = layerDims({ ...settings.projection ?? { kind: "linear" }, inDim: 512, outDim: 1792 }), batch = settings.batchSize!;
  const flops = stepFlops({ dims, batch }) * steps * jobs.length;
  const gflops = (ms: number) => +(flops / (ms / 1000) / 1e9).toFixed(2);
  return {
    shape: `grid: 10 runs of ${dims.join(" -> ")} (${kind === "linear" ? "probe" : "caption MLP"}), batch ${batch}, ${steps} steps each`,
    engine: "onnxruntime",
    threads: navigator.hardwareConcurrency,
    one_at_a_time_ms: Math.round(t1 - t0),
    batched_ms: Math.round(t2 - t1),
    one_at_a_time_gflops: gflops(t1 - t0),
    batched_gflops: gflops(t2 - t1),
    speedup: +((t1 - t0) / (t2 - t1)).toFixed(2),
    runs_identical: same,
  };
}

if (import.meta.main) {
  const kind = Deno.args[0] ?? "linear";
  if (kind !== "linear" && kind !== "mlp") throw new Error(`bench_grid: unknown grid "${kind}" (known: linear, mlp)`);
  console.log(JSON.stringify(await gridRow(kind, Deno.args[1] ? Number(Deno.args[1]) : undefined)));
}
