/**
 * The paper's optimisation: Adam with COUPLED weight decay (L2 added to the gradient, as PyTorch's
 * `Adam(weight_decay=...)`, not AdamW), a cosine learning-rate schedule with linear warm-up (open_clip's
 * `cosine_lr`), and global gradient-norm clipping (PyTorch's `clip_grad_norm_`).
 *
 * @example
 * ```ts
 * const opt = adam(params, { lr: 1e-3, weightDecay: 1e-4 });
 * const lr = cosineWithWarmup(step, { baseLr: 1e-3, warmup: 150, total: 5000 });
 * opt.step(clipGlobalNorm(grads, 1.0).grads, lr);
 * ```
 */
import * as tf from "@tensorflow/tfjs";

/** Schedule settings. */
export interface ScheduleConfig {
  baseLr: number;
  warmup: number;
  total: number;
}

/** Learning rate at `step` (0-based): linear warm-up to baseLr, then half a cosine to 0. Pure. */
export function cosineWithWarmup(step: number, c: ScheduleConfig): number {
  if (step < c.warmup) return (c.baseLr * (step + 1)) / c.warmup;
  const e = step - c.warmup, es = Math.max(1, c.total - c.warmup);
  return 0.5 * (1 + Math.cos((Math.PI * Math.min(e, es)) / es)) * c.baseLr;
}

/** Scale gradients so that their global L2 norm is at most `maxNorm`; returns the norm before. */
export function clipGlobalNorm(grads: tf.Tensor[], maxNorm: number): { grads: tf.Tensor[]; norm: number } {
  const norm = Math.sqrt(grads.reduce((acc, g) => acc + tf.tidy(() => tf.sum(tf.square(g)).dataSync()[0]), 0));
  const coef = maxNorm / (norm + 1e-6);
  if (coef >= 1) return { grads, norm };
  return { grads: grads.map((g) => tf.mul(g, coef)), norm };
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

/** An optimiser over a fixed list of variables. */
export interface Optimizer {
  /** Apply one update with these gradients (same order as the variables) at learning rate `lr`. */
  step(grads: tf.Tensor[], lr: number): void;
  /** Updates done so far. */
  readonly steps: number;
  dispose(): void;
}

/** Adam with coupled (default) or decoupled weight decay. */
export function adam(params: tf.Variable[], cfg: AdamConfig = {}): Optimizer {
  const b1 = cfg.beta1 ?? 0.9, b2 = cfg.beta2 ?? 0.999, eps = cfg.eps ?? 1e-8, wd = cfg.weightDecay ?? 0;
  const decay = cfg.decay ?? "coupled";
  const m = params.map((p) => tf.tidy(() => tf.variable(tf.zerosLike(p), false)));
  const v = params.map((p) => tf.tidy(() => tf.variable(tf.zerosLike(p), false)));
  let t = 0;
  return {
    get steps() {
      return t;
    },
    step(grads, lr) {
      t++;
      const c1 = 1 - b1 ** t, c2 = 1 - b2 ** t;
      // one tidy per parameter: temporaries of a 16M-weight matrix are freed before the next one
      params.forEach((p, i) => {
        tf.tidy(() => {
          let g = grads[i];
          if (wd && decay === "coupled") g = tf.add(g, tf.mul(p, wd));
          m[i].assign(tf.add(tf.mul(m[i], b1), tf.mul(g, 1 - b1)));
          v[i].assign(tf.add(tf.mul(v[i], b2), tf.mul(tf.square(g), 1 - b2)));
          const update = tf.div(tf.div(m[i], c1), tf.add(tf.sqrt(tf.div(v[i], c2)), eps));
          let next = tf.sub(p, tf.mul(update, lr));
          if (wd && decay === "decoupled") next = tf.sub(next, tf.mul(p, lr * wd));
          p.assign(next);
        });
      });
    },
    dispose() {
      [...m, ...v].forEach((x) => x.dispose());
    },
  };
}
