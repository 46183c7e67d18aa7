/**
 * One training step of a text projection as an ONNX graph: forward pass, contrastive loss and every
 * gradient, written out by hand (linear, BatchNorm with batch statistics, ReLU, dropout masks given as
 * inputs, L2 normalisation, CLIP or SigLIP loss). Weights are graph inputs, so one session serves the
 * whole run; the optimiser works on the output gradients. An evaluation graph computes the loss with
 * BatchNorm running statistics and no dropout.
 *
 * Inputs: `txt` [B, in], `img` [B, out], `gscale` [1] (loss and gradient scale, 1/accumulation), per
 * layer `W{i}` [in, out], `b{i}`, and for hidden BatchNorm layers `g{i}`, `be{i}` (+ `rm{i}`, `rv{i}`
 * in evaluation); `mask{i}` [B, hidden] in training when dropout is on.
 * Outputs (training): `loss`, `dW{i}`, `db{i}`, `dg{i}`, `dbe{i}`, and the batch statistics `mean{i}`,
 * `var{i}` for the running averages. Evaluation: `loss`.
 *
 * @example
 * ```ts
 * import { stepGraph } from "./step_graph.ts";
 * import { PAPER_LOGIT_SCALE } from "./losses.ts";
 * const bytes = stepGraph({ kind: "linear", inDim: 512, outDim: 1792 }, { loss: "clip", scale: PAPER_LOGIT_SCALE }, "train");
 * ```
 */
import { GraphBuilder } from "../onnx/proto.ts";
import { SIGLIP_BIAS } from "./losses.ts";
import { projectionDefaults, type ProjectionConfig } from "./projection.ts";

/** Loss settings baked into the graph. */
export interface GraphLoss {
  loss: "clip" | "siglip";
  scale: number;
  bias?: number;
}

/** Layer sizes of a projection: [in, hidden..., out]. Pure. */
export function layerDims(c: ProjectionConfig): number[] {
  const p = projectionDefaults(c);
  return p.kind === "linear" ? [p.inDim, p.outDim] : [p.inDim, ...Array(p.layers - 1).fill(p.hidden), p.outDim];
}

/** Build the training or evaluation graph. */
export function stepGraph(config: ProjectionConfig, loss: GraphLoss, mode: "train" | "eval"): Uint8Array {
  const cfg = projectionDefaults(config);
  const dims = layerDims(cfg);
  const L = dims.length - 1;
  const g = new GraphBuilder();
  const txt = g.input("txt", "float32", ["batch", dims[0]]);
  const img = g.input("img", "float32", ["batch", dims[L]]);
  const gscale = g.input("gscale", "float32", [1]);
  const axis0 = g.const([0], "int64"), axis1 = g.const([1], "int64");
  const eps12 = g.const([1e-12]), bnEps = g.const([1e-5]);
  const hasBn = cfg.kind === "mlp" && cfg.batchNorm;
  const dropout = mode === "train" && cfg.kind === "mlp" && cfg.dropout > 0;

  // forward
  const saved: { h: string; y?: string; xhat?: string; inv?: string; mask?: string }[] = [];
  let h = txt;
  for (let i = 0; i < L; i++) {
    const W = g.input(`W${i}`, "float32", [dims[i], dims[i + 1]]), b = g.input(`b${i}`, "float32", [dims[i + 1]]);
    const a = g.op("Add", [g.op("MatMul", [h, W]), b]);
    const rec: (typeof saved)[number] = { h };
    saved.push(rec);
    if (i === L - 1) {
      h = a;
      break;
    }
    let y = a;
    if (hasBn) {
      const gamma = g.input(`g${i}`, "float32", [dims[i + 1]]), beta = g.input(`be${i}`, "float32", [dims[i + 1]]);
      let mean: string, variance: string;
      if (mode === "train") {
        mean = g.op("ReduceMean", [a], { axes: [0], keepdims: 1 });
        const d = g.op("Sub", [a, mean]);
        variance = g.op("ReduceMean", [g.op("Mul", [d, d])], { axes: [0], keepdims: 1 });
        g.output(mean, `mean${i}`);
        g.output(variance, `var${i}`);
      } else {
        mean = g.input(`rm${i}`, "float32", [dims[i + 1]]);
        variance = g.input(`rv${i}`, "float32", [dims[i + 1]]);
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
      rec.mask = g.input(`mask${i}`, "float32", ["batch", dims[i + 1]]);
      h = g.op("Mul", [h, rec.mask]);
    }
  }
  const z = h;
  const nrm = g.op("Sqrt", [g.op("Max", [g.op("ReduceSum", [g.op("Mul", [z, z]), axis1], { keepdims: 1 }), eps12])]);
  const t = g.op("Div", [z, nrm]);
  const inrm = g.op("Sqrt", [g.op("Max", [g.op("ReduceSum", [g.op("Mul", [img, img]), axis1], { keepdims: 1 }), eps12])]);
  const imgN = g.op("Div", [img, inrm]);
  const sim = g.op("MatMul", [imgN, g.op("Transpose", [t], { perm: [1, 0] })]);
  const S = g.op("Mul", [sim, g.const([loss.scale])]);
  const eye = g.op("EyeLike", [S]);
  const n = g.op("Cast", [g.op("Gather", [g.op("Shape", [S]), g.const([0], "int64")], { axis: 0 })], { to: 1 });
  let lossValue: string, dS: string;
  if (loss.loss === "clip") {
    const diag = g.op("ReduceSum", [g.op("Mul", [S, eye]), axis1], { keepdims: 0 });
    const rows = g.op("ReduceMean", [g.op("Sub", [g.op("ReduceLogSumExp", [S], { axes: [1], keepdims: 0 }), diag])], { keepdims: 0 });
    const cols = g.op("ReduceMean", [g.op("Sub", [g.op("ReduceLogSumExp", [S], { axes: [0], keepdims: 0 }), diag])], { keepdims: 0 });
    lossValue = g.op("Mul", [g.op("Add", [rows, cols]), g.const([0.5])]);
    if (mode === "train") {
      const pr = g.op("Softmax", [S], { axis: 1 }), pc = g.op("Softmax", [S], { axis: 0 });
      const num = g.op("Sub", [g.op("Add", [pr, pc]), g.op("Mul", [eye, g.const([2])])]);
      dS = g.op("Div", [num, g.op("Mul", [n, g.const([2])])]);
    } else dS = "";
  } else {
    const zsign = g.op("Sub", [g.op("Mul", [eye, g.const([2])]), g.const([1])]);
    const logits = g.op("Add", [S, g.const([loss.bias ?? SIGLIP_BIAS])]);
    const m = g.op("Mul", [zsign, logits]);
    lossValue = g.op("Div", [g.op("ReduceSum", [g.op("Softplus", [g.op("Neg", [m])])], { keepdims: 0 }), n]);
    // d/dlogits softplus(-z l) = -z sigmoid(-z l); dS = that / n (S -> logits adds a constant)
    dS = mode === "train" ? g.op("Div", [g.op("Neg", [g.op("Mul", [zsign, g.op("Sigmoid", [g.op("Neg", [m])])])]), n]) : "";
  }
  g.output(g.op("Mul", [lossValue, gscale]), "loss");
  if (mode === "eval") return g.model("sharelock_eval_step");

  // backward
  const dSs = g.op("Mul", [dS, gscale]);
  const dt = g.op("Mul", [g.op("MatMul", [g.op("Transpose", [dSs], { perm: [1, 0] }), imgN]), g.const([loss.scale])]);
  const dz = g.op("Div", [g.op("Sub", [dt, g.op("Mul", [t, g.op("ReduceSum", [g.op("Mul", [dt, t]), axis1], { keepdims: 1 })])]), nrm]);
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
        g.output(g.op("ReduceSum", [g.op("Mul", [dy, rec.xhat!]), axis0], { keepdims: 0 }), `dg${i}`);
        g.output(g.op("ReduceSum", [dy, axis0], { keepdims: 0 }), `dbe${i}`);
        const dx = g.op("Mul", [dy, `g${i}`]);
        const m1 = g.op("ReduceMean", [dx], { axes: [0], keepdims: 1 });
        const m2 = g.op("ReduceMean", [g.op("Mul", [dx, rec.xhat!])], { axes: [0], keepdims: 1 });
        da = g.op("Mul", [g.op("Sub", [g.op("Sub", [dx, m1]), g.op("Mul", [rec.xhat!, m2])]), rec.inv!]);
      } else da = dy;
    }
    g.output(g.op("MatMul", [g.op("Transpose", [rec.h], { perm: [1, 0] }), da]), `dW${i}`);
    g.output(g.op("ReduceSum", [da, axis0], { keepdims: 0 }), `db${i}`);
    if (i > 0) dh = g.op("MatMul", [da, g.op("Transpose", [`W${i}`], { perm: [1, 0] })]);
  }
  return g.model("sharelock_train_step");
}
