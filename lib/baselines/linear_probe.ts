/**
 * Linear probe: multinomial logistic regression on frozen image features of SEEN classes, the upper
 * bound a language model's texts are compared with. Full-batch Adam with L2, seeded.
 *
 * @example
 * ```ts
 * import { classificationMetrics } from "../eval/metrics.ts";
 * import type { Matrix } from "../core/matrix.ts";
 * declare const trainX: Matrix, testX: Matrix, trainY: number[], testY: number[];
 * const nClasses = 10;
 * const probe = await linearProbe(trainX, trainY, nClasses, { seed: 0 });
 * classificationMetrics(probe.scores(testX), nClasses, testY);
 * ```
 */
import * as tf from "@tensorflow/tfjs";
import type { Matrix } from "../core/matrix.ts";
import { normalizeRows } from "../core/matrix.ts";
import { seededRandom } from "../runtime/random.ts";
import { linear } from "../train/ops.ts";

/** Linear-probe settings. */
export interface ProbeOptions {
  steps?: number;
  lr?: number;
  weightDecay?: number;
  seed?: number;
}

/** Train a probe; `scores(X)` gives logits [rows x nClasses]. */
export async function linearProbe(x: Matrix, y: ArrayLike<number>, nClasses: number, opts: ProbeOptions = {}) {
  const steps = opts.steps ?? 300, lr = opts.lr ?? 1e-2, wd = opts.weightDecay ?? 1e-4;
  const rng = seededRandom(opts.seed ?? 0);
  const bound = 1 / Math.sqrt(x.dim);
  const w = tf.tidy(() => tf.variable(tf.tensor2d(Float32Array.from({ length: x.dim * nClasses }, () => (2 * rng.next() - 1) * bound), [x.dim, nClasses])));
  const b = tf.tidy(() => tf.variable(tf.zeros([nClasses])));
  const xs = tf.tensor2d(normalizeRows(x).data, [x.rows, x.dim]);
  const ys = tf.oneHot(tf.tensor1d(Array.from(y), "int32"), nClasses);
  const opt = tf.train.adam(lr);
  for (let s = 0; s < steps; s++) {
    tf.tidy(() => {
      opt.minimize(() =>
        tf.add(tf.losses.softmaxCrossEntropy(ys, linear(xs, w as tf.Tensor2D, b as tf.Tensor1D)), tf.mul(wd, tf.sum(tf.square(w)))) as tf.Scalar
      );
    });
    if (s % 50 === 0) await tf.nextFrame?.();
  }
  xs.dispose();
  ys.dispose();
  opt.dispose();
  return {
    scores(m: Matrix): Float32Array {
      return tf.tidy(() => linear(tf.tensor2d(normalizeRows(m).data, [m.rows, m.dim]), w as tf.Tensor2D, b as tf.Tensor1D).dataSync() as Float32Array);
    },
    dispose() {
      w.dispose();
      b.dispose();
    },
  };
}
