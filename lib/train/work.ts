/**
 * The arithmetic of training: the floating-point operations of the matrix products that one training
 * step of a text projection computes, exactly the products of the step graph (`batched_graph.ts`): per
 * layer the forward product and the weight gradient, the input gradient of every layer but the first
 * (its input is a frozen feature), and the logits with their gradient to the texts (the image side is
 * frozen). With a sparse first layer (the LiT-style tower's bag of words, `sparse_input.ts`) that layer
 * runs outside the graph on the texts' non-zero entries and counts nothing here. Validation losses,
 * element-wise work and the optimiser are not counted: the figure is the least arithmetic a step needs.
 *
 * Dividing the work of a set of runs by the rate of the machine's fastest matrix product gives a floor
 * on their training time that no schedule or engine on that machine can beat (`deno task bench
 * reproduce` reports it).
 *
 * @example
 * ```ts
 * import { stepFlops } from "./work.ts";
 * stepFlops({ dims: [512, 1792], batch: 256 });            // 2 * (2*256*512*1792) + 2 * (2*256*256*1792)
 * stepFlops({ dims: [4000, 1024, 1792], batch: 256, sparseFirst: true });
 * ```
 * @module
 */

/** What a training step's work depends on: layer sizes [in, hidden..., out], rows per step, a sparse first layer. */
export interface StepShape {
  /** [in, hidden..., out]; with `sparseFirst`, `in` may be 0 (unknown: it counts nothing). */
  dims: readonly number[];
  batch: number;
  /** The first layer is computed outside the graph from sparse texts (counts no work here). */
  sparseFirst?: boolean;
}

/** Matrix-product FLOPs of one training step of `shape` (one run, CLIP or SigLIP loss). Pure. */
export function stepFlops(shape: StepShape): number {
  const { dims, batch: B } = shape, L = dims.length - 1;
  // a sparse first layer's input width does not enter the count, so it may be unknown (0)
  if (L < 1 || dims.some((d, i) => !Number.isInteger(d) || d < (i === 0 && shape.sparseFirst ? 0 : 1))) {
    throw new Error(`stepFlops: dims must be 2 or more positive whole numbers; got [${dims.join(", ")}]`);
  }
  if (!Number.isInteger(B) || B < 1) throw new Error(`stepFlops: batch must be a positive whole number; got ${B}`);
  let flops = 2 * (2 * B * B * dims[L]); // logits, and their gradient to the texts
  for (let i = shape.sparseFirst ? 1 : 0; i < L; i++) flops += (i > 0 ? 3 : 2) * (2 * B * dims[i] * dims[i + 1]);
  return flops;
}

/** Runs of one shape and the steps they took in all. */
export interface ShapeWork extends StepShape {
  runs: number;
  steps: number;
}

/** The work of trained runs: FLOPs in all, and the runs and steps behind them by shape. */
export interface TrainingWork {
  flops: number;
  runs: number;
  steps: number;
  shapes: ShapeWork[];
}

/** The work of `runs` (each a shape and the steps it trained), summed by shape, largest work first. Pure. */
export function trainingWork(runs: readonly (StepShape & { steps: number })[]): TrainingWork {
  const byShape = new Map<string, ShapeWork>();
  for (const r of runs) {
    if (!Number.isInteger(r.steps) || r.steps < 0) throw new Error(`trainingWork: steps must be a whole number of 0 or more; got ${r.steps}`);
    stepFlops(r); // validates the shape
    const key = `${r.sparseFirst ? "sparse " : ""}${r.dims.join("-")} batch ${r.batch}`;
    const s = byShape.get(key) ?? byShape.set(key, { dims: [...r.dims], batch: r.batch, ...(r.sparseFirst ? { sparseFirst: true } : {}), runs: 0, steps: 0 }).get(key)!;
    s.runs++;
    s.steps += r.steps;
  }
  const shapes = [...byShape.values()].sort((a, b) => stepFlops(b) * b.steps - stepFlops(a) * a.steps);
  return {
    flops: shapes.reduce((a, s) => a + stepFlops(s) * s.steps, 0),
    runs: shapes.reduce((a, s) => a + s.runs, 0),
    steps: shapes.reduce((a, s) => a + s.steps, 0),
    shapes,
  };
}
