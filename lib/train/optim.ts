/**
 * The paper's optimisation, written once over Float32Arrays and used by both training engines: Adam with
 * COUPLED weight decay (L2 added to the gradient, as PyTorch's `Adam(weight_decay=...)`, not AdamW),
 * global gradient-norm clipping (PyTorch's `clip_grad_norm_`), and the learning rate of Hugging Face's
 * `get_cosine_schedule_with_warmup` stepped by Lightning after every optimiser step (the official code):
 * update s (0-based) uses `base * s / warmup` during warm-up, so the FIRST update has lr 0.
 *
 * @example
 * ```ts
 * import { adamState, adamStep, cosineWithWarmup } from "./optim.ts";
 * const params = [Float32Array.of(1, -2)], grads = [Float32Array.of(0.5, 0.5)];
 * const state = adamState(params);
 * const lr = cosineWithWarmup(10, { baseLr: 1e-3, warmup: 150, total: 5000 });   // 1e-3 * 10 / 150
 * const normBefore = adamStep(params, grads, state, { lr, clipNorm: 1.0 }, { weightDecay: 1e-4 });
 * ```
 */
import * as tf from "@tensorflow/tfjs";
import { adamUpdate, kernelBuffers } from "./adam_kernel.ts";

/** Schedule settings. */
export interface ScheduleConfig {
  baseLr: number;
  warmup: number;
  total: number;
}

/**
 * Learning rate of update `step` (0-based), as `get_cosine_schedule_with_warmup`'s lambda at that step:
 * `step / warmup` during warm-up (0 at the first update), then half a cosine from baseLr to 0. Pure.
 */
export function cosineWithWarmup(step: number, c: ScheduleConfig): number {
  if (step < c.warmup) return (c.baseLr * step) / Math.max(1, c.warmup);
  const e = step - c.warmup, es = Math.max(1, c.total - c.warmup);
  return 0.5 * (1 + Math.cos((Math.PI * Math.min(e, es)) / es)) * c.baseLr;
}

/** Adam settings (PyTorch defaults, the paper's decay). */
export interface AdamConfig {
  lr?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
  /** `coupled`: g += wd * p (the paper, torch.optim.Adam); `decoupled`: p -= lr * wd * p (AdamW). */
  decay?: "coupled" | "decoupled";
}

/** Adam's moment estimates and step count, one pair of buffers per parameter. */
export interface AdamState {
  m: Float32Array[];
  v: Float32Array[];
  t: number;
}

/**
 * Zeroed Adam state for parameters of these sizes (or these parameters), its moments in the Adam
 * kernel's memory, where the update reads and writes them without a copy (`kernelBuffers`).
 */
export function adamState(params: readonly (number | ArrayLike<number>)[]): AdamState {
  const sizes = params.map((p) => (typeof p === "number" ? p : p.length)), moments = kernelBuffers([...sizes, ...sizes]);
  return { m: moments.slice(0, sizes.length), v: moments.slice(sizes.length), t: 0 };
}

/** Global L2 norm of a list of gradients. Pure. */
export function globalNorm(grads: readonly Float32Array[]): number {
  let sq = 0;
  for (const g of grads) for (let k = 0; k < g.length; k++) sq += g[k] * g[k];
  return Math.sqrt(sq);
}

/** The factor `clip_grad_norm_` scales gradients by: min(1, maxNorm / (norm + 1e-6)). Pure. */
export function clipCoefficient(norm: number, maxNorm: number): number {
  return Math.min(1, maxNorm / (norm + 1e-6));
}

/**
 * One optimiser step IN PLACE: clip the gradients to a global norm of `clipNorm` (Infinity: no clipping),
 * then Adam with coupled (default) or decoupled weight decay at learning rate `lr`. Returns the gradient
 * norm before clipping. `params`, `grads` and the state's buffers correspond by index.
 */
export function adamStep(
  params: Float32Array[],
  grads: readonly Float32Array[],
  state: AdamState,
  step: { lr: number; clipNorm?: number },
  cfg: AdamConfig = {},
): number {
  const b1 = cfg.beta1 ?? 0.9, b2 = cfg.beta2 ?? 0.999, eps = cfg.eps ?? 1e-8, wd = cfg.weightDecay ?? 0;
  const coupled = (cfg.decay ?? "coupled") === "coupled", lr = step.lr;
  const norm = globalNorm(grads);
  const coef = step.clipNorm === undefined || step.clipNorm === Infinity ? 1 : clipCoefficient(norm, step.clipNorm);
  state.t++;
  // the moments are rounded to float32 (as stored) before the update uses them (adam_kernel.ts)
  const a1 = 1 - b1, a2 = 1 - b2, ic1 = 1 / (1 - b1 ** state.t), ic2 = 1 / (1 - b2 ** state.t);
  const constants = { coef, cw: coupled ? wd : 0, b1, a1, b2, a2, lr, ic1, ic2, eps, dw: coupled ? 0 : lr * wd };
  params.forEach((data, i) => {
    const grad = grads[i], n = data.length;
    if (grad.length !== n) throw new Error(`adamStep: parameter ${i} has ${n} values, its gradient ${grad.length}`);
    adamUpdate(data, grad, state.m[i], state.v[i], constants);
  });
  return norm;
}

/** Scale gradient tensors so that their global L2 norm is at most `maxNorm`; returns the norm before. */
export function clipGlobalNorm(grads: tf.Tensor[], maxNorm: number): { grads: tf.Tensor[]; norm: number } {
  const norm = globalNorm(grads.map((g) => g.dataSync() as Float32Array));
  const coef = clipCoefficient(norm, maxNorm);
  if (coef >= 1) return { grads, norm };
  return { grads: grads.map((g) => tf.mul(g, coef)), norm };
}

/** An optimiser over a fixed list of TF.js variables. */
export interface Optimizer {
  /** Apply one update with these gradients (same order as the variables) at learning rate `lr`; returns the norm before clipping. */
  step(grads: tf.Tensor[], lr: number, clipNorm?: number): number;
  /** Updates done so far. */
  readonly steps: number;
  dispose(): void;
}

/** {@link adamStep} for TF.js variables: values are read out, updated as Float32Arrays, and assigned back. */
export function adam(params: tf.Variable[], cfg: AdamConfig = {}): Optimizer {
  const state = adamState(params.map((p) => p.size));
  return {
    get steps() {
      return state.t;
    },
    step(grads, lr, clipNorm) {
      const values = params.map((p) => (p.dataSync() as Float32Array).slice());
      const norm = adamStep(values, grads.map((g) => g.dataSync() as Float32Array), state, { lr, clipNorm }, cfg);
      params.forEach((p, i) => tf.tidy(() => p.assign(tf.tensor(values[i], p.shape, "float32"))));
      return norm;
    },
    dispose() {},
  };
}
