/**
 * Matrix products whose gradients stay on TF.js's fast path. On the wasm backend `matMul` with
 * `transposeA` / `transposeB` runs 10-20x slower than a plain `matMul` (measured: 1.5-3 vs ~38 GFLOP/s),
 * and autograd of `matMul` uses exactly those flags. These ops compute the same values with explicit
 * `transpose` + plain `matMul`, forward and backward.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * declare const x: tf.Tensor2D, W: tf.Tensor2D, b: tf.Tensor1D, img: tf.Tensor2D, txt: tf.Tensor2D;
 * const y = linear(x, W, b);          // x @ W + b, gradients for x, W, b
 * const logits = matMulT(img, txt);   // img @ txt^T
 * ```
 */
import * as tf from "@tensorflow/tfjs";

/** `a @ b` with fast-path gradients: da = dy @ b^T, db = a^T @ dy. */
export const matMulFast: (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor2D = tf.customGrad(
  // deno-lint-ignore no-explicit-any
  ((a: tf.Tensor2D, b: tf.Tensor2D, save: any) => {
    save([a, b]);
    return {
      value: tf.matMul(a, b),
      gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor2D[]) => [
        tf.matMul(dy, tf.transpose(saved[1])),
        tf.matMul(tf.transpose(saved[0]), dy),
      ],
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0],
) as unknown as (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor2D;

/** `a @ b^T` (similarity logits) with fast-path gradients. */
export function matMulT(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  return matMulFast(a, tf.transpose(b));
}

/** `x @ W + b`. */
export function linear(x: tf.Tensor2D, w: tf.Tensor2D, b?: tf.Tensor1D): tf.Tensor2D {
  const y = matMulFast(x, w);
  return b ? tf.add(y, b) : y;
}

/** Rows scaled to unit L2 norm (eps keeps zero rows finite). */
export function l2Normalize(x: tf.Tensor2D, eps = 1e-12): tf.Tensor2D {
  return tf.div(x, tf.sqrt(tf.maximum(tf.sum(tf.square(x), 1, true), eps)));
}
