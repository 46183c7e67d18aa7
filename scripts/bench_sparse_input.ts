/**
 * The first layer on bag-of-words texts, dense against sparse (`lib/train/sparse_input.ts`): one run of
 * the LiT-style probe (3,600-word vocabulary -> 1,792, batch 256) and of the LiT-style caption model
 * (3,600 -> 1,024 -> 1,024 -> 1,792, batch 256, BatchNorm, dropout), texts of 10 words, on one thread.
 * Prints per shape the milliseconds of the step graph with its first layer (`accumulate`) and of the
 * optimiser (`update`) each way, and the largest relative difference of the losses over the steps.
 *
 *   deno run -A scripts/bench_sparse_input.ts [steps]
 */
import { seededRandom } from "../lib/runtime/random.ts";
import { batchedOnnxEngine } from "../lib/train/batched_engine.ts";
import { createProjection, type ProjectionConfig } from "../lib/train/projection.ts";
import { PAPER_LOGIT_SCALE } from "../lib/train/losses.ts";

/** The shapes timed. */
export const SPARSE_SHAPES: { name: string; projection: ProjectionConfig; batch: number }[] = [
  { name: "LiT-style probe", projection: { kind: "linear", inDim: 3600, outDim: 1792 }, batch: 256 },
  {
    name: "LiT-style caption model",
    projection: { kind: "mlp", inDim: 3600, outDim: 1792, hidden: 1024, layers: 3, dropout: 0.2, batchNorm: true },
    batch: 256,
  },
];

/** Time `steps` steps of one run on bag-of-words texts of `words` words, with the first layer dense or sparse. */
async function timeShape(shape: (typeof SPARSE_SHAPES)[number], sparseInput: boolean, steps: number, words = 10) {
  const rng = seededRandom(1), { inDim, outDim } = shape.projection, rows = shape.batch;
  const txt = new Float32Array(rows * inDim);
  for (let r = 0; r < rows; r++) for (let w = 0; w < words; w++) txt[r * inDim + rng.int(inDim)] += 1 / Math.sqrt(words);
  const img = Float32Array.from({ length: rows * outDim }, () => rng.normal());
  const engine = await batchedOnnxEngine([createProjection(shape.projection, 0)], { loss: "clip", scale: PAPER_LOGIT_SCALE }, [{ lr: 1e-3, weightDecay: 1e-4 }], {
    device: "cpu",
    threads: 1,
    sparseInput,
  });
  let accumulate = 0, update = 0;
  const losses: number[] = [];
  for (let s = 0; s < steps + 2; s++) {
    const t0 = performance.now();
    losses.push((await engine.accumulate([{ img, txt, rows, dropRng: seededRandom(s) }], 1))[0]);
    const t1 = performance.now();
    engine.update([1e-3], [1]);
    if (s >= 2) (accumulate += t1 - t0), (update += performance.now() - t1);
  }
  engine.dispose();
  return { accumulate_ms: +(accumulate / steps).toFixed(1), update_ms: +(update / steps).toFixed(1), losses };
}

if (import.meta.main) {
  const steps = Number(Deno.args[0] ?? 20);
  for (const shape of SPARSE_SHAPES) {
    const dense = await timeShape(shape, false, steps), sparse = await timeShape(shape, true, steps);
    const diff = Math.max(...dense.losses.map((l, k) => Math.abs(sparse.losses[k] - l) / Math.abs(l)));
    console.log(JSON.stringify({
      shape: shape.name,
      dense: { accumulate_ms: dense.accumulate_ms, update_ms: dense.update_ms },
      sparse: { accumulate_ms: sparse.accumulate_ms, update_ms: sparse.update_ms },
      step_speedup: +((dense.accumulate_ms + dense.update_ms) / (sparse.accumulate_ms + sparse.update_ms)).toFixed(2),
      loss_max_rel_diff: +diff.toExponential(2),
    }));
  }
}
