/**
 * The onnx engine for R runs of one shape at once: the batched step graph (`batched_graph.ts`) on
 * onnxruntime, with each run's weights as one slice of stacked [R, ...] arrays, and each run's gradient
 * accumulation, BatchNorm running statistics, clipping and Adam state kept apart (`adamStep` on the run's
 * slices). A run that is done leaves the batch (`retire`): the stacked arrays are packed again without
 * it, so later steps compute only the runs still training. The one-run onnx engine (`onnxEngine`) is
 * this engine with one run. With `sparseInput` (texts such as bags of words, `sparse_input.ts`) each
 * run's first layer is computed from its rows' non-zero entries outside the graph, forward and backward.
 *
 * @example
 * ```ts
 * import { createProjection } from "./projection.ts";
 * import { PAPER_LOGIT_SCALE } from "./losses.ts";
 * import { seededRandom } from "../runtime/random.ts";
 * const runs = [0, 1].map((seed) => createProjection({ kind: "linear", inDim: 8, outDim: 4 }, seed));
 * const engine = await batchedOnnxEngine(runs, { loss: "clip", scale: PAPER_LOGIT_SCALE }, [{ lr: 1e-3 }, { lr: 1e-3 }], { device: "cpu" });
 * const batch = { img: new Float32Array(2 * 4).fill(1), txt: new Float32Array(2 * 8).fill(1), rows: 2 };
 * const losses = await engine.accumulate([{ ...batch, dropRng: seededRandom(0) }, { ...batch, dropRng: seededRandom(1) }], 1);
 * const norms = engine.update([1e-3, 1e-3], [1, 1]);
 * ```
 */
import * as ort from "onnxruntime-node";
import type { Rng } from "../runtime/random.ts";
import { dropoutMask, type Projection, transposeMatrix, type Weights } from "./projection.ts";
import { type AdamConfig, type AdamState, adamState, adamStep } from "./optim.ts";
import { type GraphLoss, layerDims } from "./step_graph.ts";
import { batchedStepGraph } from "./batched_graph.ts";
import { sparseBackward, sparseForward, type SparseRows, sparseRows } from "./sparse_input.ts";
import { type DeviceRequest, type OnnxDevice, ortSessionOptions, resolveDevice } from "../runtime/onnx_device.ts";

/** One run's micro-batch for {@link BatchedEngine.accumulate}. */
export interface RunBatch {
  img: Float32Array;
  txt: Float32Array;
  rows: number;
  dropRng: Rng;
}

/** R runs of one shape trained as one graph; runs are named by their index in the projections given. */
export interface BatchedEngine {
  readonly device: OnnxDevice;
  /** The runs still in the batch, in the order `accumulate` and `update` take and return them. */
  readonly active: readonly number[];
  /** Add each active run's gradients of its micro-batch (loss times `scale`); returns each run's loss. */
  accumulate(batches: readonly RunBatch[], scale: number): Promise<number[]>;
  /** Clip each active run's gradients, take its Adam step at its learning rate, clear; returns each norm before clipping. */
  update(lrs: readonly number[], clipNorms: readonly number[]): number[];
  /** Evaluation-mode loss of `runs` (any active runs), each on its own batch of `rows` rows. */
  evalLoss(runs: readonly number[], batches: readonly { img: Float32Array; txt: Float32Array }[], rows: number): Promise<number[]>;
  snapshot(run: number): unknown;
  restore(run: number, state: unknown): void;
  /** Take a run out of the batch (its weights stay readable by `finish`). */
  retire(run: number): void;
  /** Write a run's weights into its projection and return it. */
  finish(run: number): Projection;
  dispose(): void;
}

/** A parameter's name and its shape in the graph (without the run dimension). */
interface ParamSpec {
  name: string;
  shape: number[];
  size: number;
}

interface RunState {
  /** Views of the run's slices of the stacked parameters, in spec order. */
  params: Float32Array[];
  /** Gradients summed since the last update (valid when `accumulated`). */
  grads: Float32Array[];
  accumulated: boolean;
  stats: { mean: Float32Array; variance: Float32Array }[];
  adam: AdamState;
  /** With sparse inputs: the rows of the first layer's gradient written since it was last cleared. */
  touched: Int32Array[];
}

/** Options of {@link batchedOnnxEngine}. */
export interface BatchedEngineOptions {
  device?: DeviceRequest;
  threads?: number;
  /** Compute the first layer from the texts' non-zero entries (`sparse_input.ts`); default false. */
  sparseInput?: boolean;
}

/** Build the batched onnx engine over projections of one configuration (each run starts from its projection's weights). */
export async function batchedOnnxEngine(
  projections: readonly Projection[],
  loss: GraphLoss,
  opts: readonly AdamConfig[],
  engineOpts: BatchedEngineOptions = {},
): Promise<BatchedEngine> {
  if (!projections.length) throw new Error("batchedOnnxEngine: no runs");
  const cfg = projections[0].config;
  const key = JSON.stringify(cfg);
  projections.forEach((p, r) => {
    if (JSON.stringify(p.config) !== key) throw new Error(`batchedOnnxEngine: run ${r} has projection ${JSON.stringify(p.config)}, run 0 ${key}; runs of one batch share a shape`);
  });
  if (opts.length !== projections.length) throw new Error(`batchedOnnxEngine: ${projections.length} runs but ${opts.length} optimiser settings`);
  const device = await resolveDevice(engineOpts.device);
  const dims = layerDims(cfg), L = dims.length - 1;
  const hasBn = cfg.kind === "mlp" && cfg.batchNorm, dropout = cfg.kind === "mlp" && cfg.dropout > 0;
  const specs: ParamSpec[] = [];
  for (let i = 0; i < L; i++) {
    specs.push({ name: `W${i}`, shape: [dims[i], dims[i + 1]], size: dims[i] * dims[i + 1] }, { name: `b${i}`, shape: [1, dims[i + 1]], size: dims[i + 1] });
    if (hasBn && i < L - 1) specs.push({ name: `g${i}`, shape: [1, dims[i + 1]], size: dims[i + 1] }, { name: `be${i}`, shape: [1, dims[i + 1]], size: dims[i + 1] });
  }
  let active = projections.map((_, r) => r);
  let stacked: Float32Array[] = specs.map((s) => new Float32Array(active.length * s.size));
  const runs: RunState[] = projections.map((p, r) => {
    const w = p.snapshot();
    const initial = specs.map((s) => {
      const i = +s.name.replace(/^\D+/, "");
      if (s.name.startsWith("W")) return transposeMatrix(w[`layers.${i}.linear.weight`].data, dims[i + 1], dims[i]);
      const source: Record<string, string> = { b: `layers.${i}.linear.bias`, g: `layers.${i}.bn.weight`, be: `layers.${i}.bn.bias` };
      return w[source[s.name.replace(/\d+$/, "")]].data;
    });
    const params = specs.map((s, k) => stacked[k].subarray(r * s.size, (r + 1) * s.size));
    params.forEach((v, k) => v.set(initial[k]));
    const stats = hasBn
      ? Array.from({ length: L - 1 }, (_, i) => ({ mean: w[`layers.${i}.bn.running_mean`].data.slice(), variance: w[`layers.${i}.bn.running_var`].data.slice() }))
      : [];
    return { params, grads: specs.map((s) => new Float32Array(s.size)), accumulated: false, stats, adam: adamState(specs.map((s) => s.size)), touched: [] };
  });
  const sparse = engineOpts.sparseInput === true;
  const options = ortSessionOptions(device, { threads: engineOpts.threads });
  const train = await ort.InferenceSession.create(batchedStepGraph(cfg, loss, "train", { sparseInput: sparse }), options);
  const evaluate = await ort.InferenceSession.create(batchedStepGraph(cfg, loss, "eval", { sparseInput: sparse }), options);
  const stack = (parts: readonly Float32Array[], size: number): Float32Array => {
    const out = new Float32Array(parts.length * size);
    parts.forEach((p, k) => out.set(p, k * size));
    return out;
  };
  const paramFeeds = (which: readonly number[]): Record<string, ort.Tensor> => {
    const all = which.length === active.length && which.every((r, k) => active[k] === r);
    const feeds: Record<string, ort.Tensor> = {};
    specs.forEach((s, k) => {
      if (sparse && k < 2) return; // with sparse inputs, W0 and b0 (specs 0 and 1) stay out of the graph
      const data = all ? stacked[k] : stack(which.map((r) => runs[r].params[k]), s.size);
      feeds[s.name] = new ort.Tensor("float32", data, [which.length, ...s.shape]);
    });
    return feeds;
  };
  // one run's batch is fed as it is (no copy); several are stacked
  const joined = (parts: readonly Float32Array[], size: number) => (parts.length === 1 && parts[0].length === size ? parts[0] : stack(parts, size));
  // the first layer of sparse inputs, run by run: `pre0` for the graph, and the rows to take its gradient from
  const sparseFirst = (which: readonly number[], batches: readonly { txt: Float32Array }[], rows: number) => {
    const H = dims[1], pre = new Float32Array(which.length * rows * H);
    const xs = batches.map((b, k) => {
      const x = sparseRows(b.txt, rows, dims[0]);
      sparseForward(x, runs[which[k]].params[0], runs[which[k]].params[1], H, pre.subarray(k * rows * H, (k + 1) * rows * H));
      return x;
    });
    return { pre: new ort.Tensor("float32", pre, [which.length, rows, H]), xs };
  };
  const inputs = (feeds: Record<string, ort.Tensor>, batches: readonly { img: Float32Array; txt: Float32Array }[], rows: number, scale: number) => {
    feeds.img = new ort.Tensor("float32", joined(batches.map((b) => b.img), rows * dims[L]), [batches.length, rows, dims[L]]);
    if (!sparse) feeds.txt = new ort.Tensor("float32", joined(batches.map((b) => b.txt), rows * dims[0]), [batches.length, rows, dims[0]]);
    feeds.gscale = new ort.Tensor("float32", Float32Array.of(scale), [1]);
    return feeds;
  };
  const rowsOf = (batches: readonly { rows: number }[]) => {
    const rows = batches[0]?.rows ?? 0;
    if (batches.some((b) => b.rows !== rows)) throw new Error(`batched engine: every run's micro-batch has the same rows (got ${batches.map((b) => b.rows).join(", ")})`);
    return rows;
  };
  return {
    device,
    get active() {
      return active;
    },
    async accumulate(batches, scale) {
      if (batches.length !== active.length) throw new Error(`batched engine: ${active.length} active runs but ${batches.length} batches`);
      const rows = rowsOf(batches);
      const feeds = inputs(paramFeeds(active), batches, rows, scale);
      let xs: SparseRows[] = [];
      if (sparse) ({ pre: feeds.pre0, xs } = sparseFirst(active, batches, rows));
      if (dropout) {
        for (let i = 0; i < L - 1; i++) {
          // per run, the same draws in the same order as the one-run engine (layer by layer from the run's stream)
          const size = rows * dims[i + 1], mask = new Float32Array(active.length * size);
          batches.forEach((b, k) => mask.set(dropoutMask(b.dropRng, size, cfg.dropout), k * size));
          feeds[`mask${i}`] = new ort.Tensor("float32", mask, [active.length, rows, dims[i + 1]]);
        }
      }
      const out = await train.run(feeds);
      active.forEach((r, k) => {
        const run = runs[r];
        if (sparse) {
          if (!run.accumulated) {
            const dW = run.grads[0], H = dims[1];
            for (const list of run.touched) for (const i of list) dW.fill(0, i * H, (i + 1) * H);
            run.touched = [];
            run.grads[1].fill(0);
          }
          const d = (out.dpre0.data as Float32Array).subarray(k * rows * dims[1], (k + 1) * rows * dims[1]);
          run.touched.push(sparseBackward(xs[k], d, dims[1], run.grads[0], run.grads[1]));
        }
        specs.forEach((s, j) => {
          if (sparse && j < 2) return; // their gradients were added above
          const gd = (out[`d${s.name}`].data as Float32Array).subarray(k * s.size, (k + 1) * s.size), acc = run.grads[j];
          if (!run.accumulated) run.grads[j] = gd; // the first micro-batch after an update: 0 + g is g (the output is this step's own)
          else for (let e = 0; e < s.size; e++) acc[e] += gd[e];
        });
        run.accumulated = true;
        run.stats.forEach((st, i) => {
          const H = dims[i + 1];
          const mean = (out[`mean${i}`].data as Float32Array).subarray(k * H, (k + 1) * H), variance = (out[`var${i}`].data as Float32Array).subarray(k * H, (k + 1) * H);
          const unbias = rows / Math.max(1, rows - 1);
          for (let e = 0; e < H; e++) {
            st.mean[e] = 0.9 * st.mean[e] + 0.1 * mean[e];
            st.variance[e] = 0.9 * st.variance[e] + 0.1 * variance[e] * unbias;
          }
        });
      });
      return Array.from(out.loss.data as Float32Array);
    },
    update(lrs, clipNorms) {
      return active.map((r, k) => {
        const run = runs[r];
        if (!run.accumulated) for (const g of run.grads) g.fill(0);
        const norm = adamStep(run.params, run.grads, run.adam, { lr: lrs[k], clipNorm: clipNorms[k] }, opts[r]);
        run.accumulated = false;
        return norm;
      });
    },
    async evalLoss(which, batches, rows) {
      const feeds = inputs(paramFeeds(which), batches, rows, 1);
      if (sparse) feeds.pre0 = sparseFirst(which, batches, rows).pre;
      for (let i = 0; hasBn && i < L - 1; i++) {
        const H = dims[i + 1];
        feeds[`rm${i}`] = new ort.Tensor("float32", stack(which.map((r) => runs[r].stats[i].mean), H), [which.length, 1, H]);
        feeds[`rv${i}`] = new ort.Tensor("float32", stack(which.map((r) => runs[r].stats[i].variance), H), [which.length, 1, H]);
      }
      return Array.from((await evaluate.run(feeds)).loss.data as Float32Array);
    },
    snapshot: (r) => ({ params: runs[r].params.map((p) => p.slice()), stats: runs[r].stats.map((s) => ({ mean: s.mean.slice(), variance: s.variance.slice() })) }),
    restore(r, state) {
      const st = state as { params: Float32Array[]; stats: { mean: Float32Array; variance: Float32Array }[] };
      runs[r].params.forEach((p, k) => p.set(st.params[k]));
      st.stats.forEach((s, i) => (runs[r].stats[i].mean.set(s.mean), runs[r].stats[i].variance.set(s.variance)));
    },
    retire(r) {
      if (!active.includes(r)) return;
      runs[r].params = runs[r].params.map((p) => p.slice());
      active = active.filter((x) => x !== r);
      // pack the runs still training into new stacked arrays, their views pointing there
      stacked = specs.map((s, k) => stack(active.map((a) => runs[a].params[k]), s.size));
      active.forEach((a, slot) => (runs[a].params = specs.map((s, k) => stacked[k].subarray(slot * s.size, (slot + 1) * s.size))));
    },
    finish(r) {
      const w: Weights = {}, run = runs[r];
      const at = (name: string) => run.params[specs.findIndex((s) => s.name === name)].slice();
      for (let i = 0; i < L; i++) {
        w[`layers.${i}.linear.weight`] = { shape: [dims[i + 1], dims[i]], data: transposeMatrix(at(`W${i}`), dims[i], dims[i + 1]) };
        w[`layers.${i}.linear.bias`] = { shape: [dims[i + 1]], data: at(`b${i}`) };
        if (hasBn && i < L - 1) {
          w[`layers.${i}.bn.weight`] = { shape: [dims[i + 1]], data: at(`g${i}`) };
          w[`layers.${i}.bn.bias`] = { shape: [dims[i + 1]], data: at(`be${i}`) };
          w[`layers.${i}.bn.running_mean`] = { shape: [dims[i + 1]], data: run.stats[i].mean.slice() };
          w[`layers.${i}.bn.running_var`] = { shape: [dims[i + 1]], data: run.stats[i].variance.slice() };
        }
      }
      projections[r].restore(w);
      return projections[r];
    },
    dispose() {
      void train.release();
      void evaluate.release();
    },
  };
}
