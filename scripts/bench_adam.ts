/**
 * Adam's update over the parameters of the projections trained most, on one thread: the WebAssembly
 * kernel (`lib/train/adam_kernel.ts`) as training uses it (the moments in its memory, parameters and
 * gradients passed through its scratch) and with every array passed through the scratch, against the
 * scalar float64 loop it equals bit for bit (`adamUpdateReference`), in the same invocation, with the
 * time ratio; and the global gradient norm that `adamStep` takes first (a sequential float64 sum, kept
 * so for identical results).
 * Writes `outputs/bench/adam.json`.
 *
 *   deno run -A scripts/bench_adam.ts
 */
import { join } from "node:path";
import { median } from "simple-statistics";
import { type AdamConstants, adamUpdate, adamUpdateReference, kernelBuffers } from "../lib/train/adam_kernel.ts";
import { globalNorm } from "../lib/train/optim.ts";
import { projectPaths } from "../lib/runtime/paths.ts";
import { writeJsonAtomic } from "../lib/runtime/atomic.ts";
import { seededRandom } from "../lib/runtime/random.ts";

/** Parameter counts of the shapes timed. */
export const SHAPES: [string, number][] = [
  ["probe 512 -> 1792 (notebooks 01, 02)", 512 * 1792 + 1792],
  ["caption MLP 512 -> 1024 -> 1024 -> 1792 (03-07)", 512 * 1024 + 1024 * 1024 + 1024 * 1792 + 3 * 1024 + 2 * 1792],
  ["LiT-style caption MLP 3600 -> 1024 -> 1024 -> 1792", 3600 * 1024 + 1024 * 1024 + 1024 * 1792 + 3 * 1024 + 2 * 1792],
];

/** Median ms of `reps` calls after one warm-up call. */
function time(f: () => void, reps = 9): number {
  f();
  return median(Array.from({ length: reps }, () => {
    const t = performance.now();
    f();
    return performance.now() - t;
  }));
}

if (import.meta.main) {
  const rng = seededRandom(1), c: AdamConstants = { coef: 0.5, cw: 1e-4, b1: 0.9, a1: 0.1, b2: 0.999, a2: 1 - 0.999, lr: 1e-3, ic1: 2, ic2: 30, eps: 1e-8, dw: 0 };
  const rows = SHAPES.map(([shape, n]) => {
    const fill = (scale: number) => Float32Array.from({ length: n }, () => (rng.next() - 0.5) * scale);
    const p = fill(1), g = fill(1e-2), m = fill(1e-3), v = fill(1e-5).map(Math.abs);
    const [mk, vk] = kernelBuffers([n, n]);
    mk.set(m);
    vk.set(v);
    const kernel = time(() => adamUpdate(p, g, mk, vk, c)), staged = time(() => adamUpdate(p, g, m, v, c));
    const reference = time(() => adamUpdateReference(p, g, m, v, c)), norm = time(() => globalNorm([g]));
    return {
      shape, params: n, kernel_ms: +kernel.toFixed(2), all_staged_ms: +staged.toFixed(2), scalar_ms: +reference.toFixed(2),
      ratio: +(kernel / reference).toFixed(2), ns_per_param: +((1e6 * kernel) / n).toFixed(2), norm_ms: +norm.toFixed(2),
    };
  });
  console.table(rows);
  const out = join(projectPaths().outputs, "bench", "adam.json");
  await writeJsonAtomic(out, { date: new Date().toISOString(), rows });
  console.log(`written ${out}`);
}
