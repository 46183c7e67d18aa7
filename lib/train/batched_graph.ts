/**
 * One training step of a text projection as an ONNX graph, for R runs at once (one run: R = 1): forward
 * pass, contrastive loss and every gradient, written out by hand (linear, BatchNorm with batch
 * statistics, ReLU, dropout masks given as inputs, L2 normalisation, CLIP or SigLIP loss). Weights are
 * graph inputs, so one session serves a whole run; the optimiser works on the output gradients. Every
 * tensor has a leading run dimension and every matrix product is a batched MatMul, so R small
 * projections of one shape train as one graph. Run r
 * sees only its own slice: its weights, its batch, its dropout masks, its BatchNorm batch statistics; the
 * loss output is one value per run (their sum is the objective, so each run's gradients are its own).
 *
 * Inputs: `txt` [R, B, in], `img` [R, B, out], `gscale` [1], per layer `W{i}` [R, in, out], `b{i}`
 * [R, 1, out], for hidden BatchNorm layers `g{i}`, `be{i}` [R, 1, hidden] (+ `rm{i}`, `rv{i}` [R, 1,
 * hidden] in evaluation); `mask{i}` [R, B, hidden] in training when dropout is on.
 * Outputs (training): `loss` [R], `dW{i}` [R, in, out], `db{i}`, `dg{i}`, `dbe{i}` and the batch
 * statistics `mean{i}`, `var{i}` (all [R, 1, n]). Evaluation: `loss` [R].
 *
 * With `sparseInput` the first layer's product is computed outside the graph (`sparse_input.ts`): the
 * graph takes its result `pre0` [R, B, hidden or out] instead of `txt`, `W0` and `b0`, and returns its
 * gradient `dpre0` [R, B, hidden or out] instead of `dW0` and `db0`.
 *
 * @example
 * ```ts
 * import { batchedStepGraph } from "./batched_graph.ts";
 * import { PAPER_LOGIT_SCALE } from "./losses.ts";
 * const bytes = batchedStepGraph({ kind: "linear", inDim: 512, outDim: 1792 }, { loss: "clip", scale: PAPER_LOGIT_SCALE }, "train");
 * ```
 */
import { GraphBuilder } from "../onnx/proto.ts";
import { SIGLIP_BIAS } from "./losses.ts";
import { projectionDefaults, type ProjectionConfig } from "./projection.ts";
import { type GraphLoss, layerDims } from "./step_graph.ts";

/** Build the batched training or evaluation graph (the run count R is a free dimension). */
export function batchedStepGraph(config: ProjectionConfig, loss: GraphLoss, mode: "train" | "eval", opts: { sparseInput?: boolean } = {}): Uint8Array {
  const cfg = projectionDefaults(config);
  const dims = layerDims(cfg);
  const L = dims.length - 1;
  const g = new GraphBuilder();
  const sparse = opts.sparseInput === true;
  const txt = sparse ? "" : g.input("txt", "float32", ["runs", "batch", dims[0]]);
  const img = g.input("img", "float32", ["runs", "batch", dims[L]]);
  const gscale = g.input("gscale", "float32", [1]);
  const featAxis = g.const([2], "int64");
  const eps12 = g.const([1e-12]), bnEps = g.const([1e-5]);
  const hasBn = cfg.kind === "mlp" && cfg.batchNorm;
  const dropout = mode === "train" && cfg.kind === "mlp" && cfg.dropout > 0;
  const T = (x: string) => g.op("Transpose", [x], { perm: [0, 2, 1] });
  // Sums and means over the batch rows of [R, B, n] as the one-run graph reduces its [B, n] (axis 0 of a
  // matrix): through [B, R * n], so that each run's values are summed in the same order as on its own.
  const flatNeg = g.const([0, -1], "int64");
  const overBatch = (op: "ReduceSum" | "ReduceMean", x: string, like: string): string => {
    const flat = g.op("Reshape", [g.op("Transpose", [x], { perm: [1, 0, 2] }), flatNeg]);
    const red = op === "ReduceSum" ? g.op("ReduceSum", [flat, g.const([0], "int64")], { keepdims: 1 }) : g.op("ReduceMean", [flat], { axes: [0], keepdims: 1 });
    return g.op("Reshape", [red, g.op("Shape", [like])]);
  };

  // forward
  const saved: { h: string; y?: string; xhat?: string; inv?: string; mask?: string }[] = [];
  let h = txt;
  for (let i = 0; i < L; i++) {
    const a = sparse && i === 0
      ? g.input("pre0", "float32", ["runs", "batch", dims[1]])
      : g.op("Add", [g.op("MatMul", [h, g.input(`W${i}`, "float32", ["runs", dims[i], dims[i + 1]])]), g.input(`b${i}`, "float32", ["runs", 1, dims[i + 1]])]);
    const rec: (typeof saved)[number] = { h };
    saved.push(rec);
    if (i === L - 1) {
      h = a;
      break;
    }
    let y = a;
    if (hasBn) {
      const gamma = g.input(`g${i}`, "float32", ["runs", 1, dims[i + 1]]), beta = g.input(`be${i}`, "float32", ["runs", 1, dims[i + 1]]);
      let mean: string, variance: string;
      if (mode === "train") {
        mean = overBatch("ReduceMean", a, gamma);
        const d = g.op("Sub", [a, mean]);
        variance = overBatch("ReduceMean", g.op("Mul", [d, d]), gamma);
        g.output(mean, `mean${i}`);
        g.output(variance, `var${i}`);
      } else {
        mean = g.input(`rm${i}`, "float32", ["runs", 1, dims[i + 1]]);
        variance = g.input(`rv${i}`, "float32", ["runs", 1, dims[i + 1]]);
      }
      const inv = g.op("Reciprocal", [g.op("Sqrt", [g.op("Add", [variance, bnEps])])]);
      const xhat = g.op("Mul", [g.op("Sub", [a, mean]), inv]);
      y = g.op("Add", [g.op("Mul", [xhat, gamma]), beta]);
      rec.xhat = xhat;
      rec.inv = inv;
    }
    rec.y = y;
    h = g.op("Relu", [y]);
    if (dropout) {
      rec.mask = g.input(`mask${i}`, "float32", ["runs", "batch", dims[i + 1]]);
      h = g.op("Mul", [h, rec.mask]);
    }
  }
  const z = h;
  const nrm = g.op("Sqrt", [g.op("Max", [g.op("ReduceSum", [g.op("Mul", [z, z]), featAxis], { keepdims: 1 }), eps12])]);
  const t = g.op("Div", [z, nrm]);
  const inrm = g.op("Sqrt", [g.op("Max", [g.op("ReduceSum", [g.op("Mul", [img, img]), featAxis], { keepdims: 1 }), eps12])]);
  const imgN = g.op("Div", [img, inrm]);
  const S = g.op("Mul", [g.op("MatMul", [imgN, T(t)]), g.const([loss.scale])]); // [R, B, B]
  // the [B, B] identity, broadcast over the runs (made from S's shape, not its values: nothing leaves the device)
  const eye = g.op("EyeLike", [g.op("ConstantOfShape", [g.op("Slice", [g.op("Shape", [S]), g.const([1], "int64"), g.const([3], "int64")])])]);
  const n = g.op("Cast", [g.op("Gather", [g.op("Shape", [S]), g.const([1], "int64")], { axis: 0 })], { to: 1 });
  let lossValue: string, dS: string;
  if (loss.loss === "clip") {
    const diag = g.op("ReduceSum", [g.op("Mul", [S, eye]), featAxis], { keepdims: 0 });
    const rows = g.op("ReduceMean", [g.op("Sub", [g.op("ReduceLogSumExp", [S], { axes: [2], keepdims: 0 }), diag])], { axes: [1], keepdims: 0 });
    const cols = g.op("ReduceMean", [g.op("Sub", [g.op("ReduceLogSumExp", [S], { axes: [1], keepdims: 0 }), diag])], { axes: [1], keepdims: 0 });
    lossValue = g.op("Mul", [g.op("Add", [rows, cols]), g.const([0.5])]);
    if (mode === "train") {
      const pr = g.op("Softmax", [S], { axis: 2 }), pc = g.op("Softmax", [S], { axis: 1 });
      const num = g.op("Sub", [g.op("Add", [pr, pc]), g.op("Mul", [eye, g.const([2])])]);
      dS = g.op("Div", [num, g.op("Mul", [n, g.const([2])])]);
    } else dS = "";
  } else {
    const zsign = g.op("Sub", [g.op("Mul", [eye, g.const([2])]), g.const([1])]);
    const logits = g.op("Add", [S, g.const([loss.bias ?? SIGLIP_BIAS])]);
    const m = g.op("Mul", [zsign, logits]);
    lossValue = g.op("Div", [g.op("ReduceSum", [g.op("Softplus", [g.op("Neg", [m])]), g.const([1, 2], "int64")], { keepdims: 0 }), n]);
    dS = mode === "train" ? g.op("Div", [g.op("Neg", [g.op("Mul", [zsign, g.op("Sigmoid", [g.op("Neg", [m])])])]), n]) : "";
  }
  g.output(g.op("Mul", [lossValue, gscale]), "loss");
  if (mode === "eval") return g.model("sharelock_batched_eval_step");

  // backward, run by run (every product is batched over the leading dimension)
  const dSs = g.op("Mul", [dS, gscale]);
  const dt = g.op("Mul", [g.op("MatMul", [T(dSs), imgN]), g.const([loss.scale])]);
  const dz = g.op("Div", [g.op("Sub", [dt, g.op("Mul", [t, g.op("ReduceSum", [g.op("Mul", [dt, t]), featAxis], { keepdims: 1 })])]), nrm]);
  let dh = dz;
  for (let i = L - 1; i >= 0; i--) {
    const rec = saved[i];
    let da = dh;
    if (i < L - 1) {
      let dr = dh;
      if (rec.mask) dr = g.op("Mul", [dr, rec.mask]);
      const pos = g.op("Cast", [g.op("Greater", [rec.y!, g.const([0])])], { to: 1 });
      const dy = g.op("Mul", [dr, pos]);
      if (hasBn) {
        g.output(overBatch("ReduceSum", g.op("Mul", [dy, rec.xhat!]), `g${i}`), `dg${i}`);
        g.output(overBatch("ReduceSum", dy, `g${i}`), `dbe${i}`);
        const dx = g.op("Mul", [dy, `g${i}`]);
        const m1 = overBatch("ReduceMean", dx, `g${i}`);
        const m2 = overBatch("ReduceMean", g.op("Mul", [dx, rec.xhat!]), `g${i}`);
        da = g.op("Mul", [g.op("Sub", [g.op("Sub", [dx, m1]), g.op("Mul", [rec.xhat!, m2])]), rec.inv!]);
      } else da = dy;
    }
    if (sparse && i === 0) {
      g.output(da, "dpre0");
      break;
    }
    g.output(g.op("MatMul", [T(rec.h), da]), `dW${i}`);
    g.output(overBatch("ReduceSum", da, `b${i}`), `db${i}`);
    if (i > 0) dh = g.op("MatMul", [da, T(`W${i}`)]);
  }
  return g.model("sharelock_batched_train_step");
}
