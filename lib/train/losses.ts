/**
 * Contrastive losses on L2-normalised embeddings, with a FIXED temperature as in the paper.
 *
 * - CLIP: symmetric cross-entropy over `scale * img @ txt^T`, targets on the diagonal (image i with text i).
 * - SigLIP: sigmoid loss, `-sum log sigmoid(z_ij * (scale * <img_i, txt_j> + bias)) / n` with z = +1 on
 *   the diagonal and -1 elsewhere.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { clipLoss, PAPER_LOGIT_SCALE } from "./losses.ts";
 * import { l2Normalize } from "./ops.ts";
 * const img = tf.randomNormal([4, 8]) as tf.Tensor2D, txt = tf.randomNormal([4, 8]) as tf.Tensor2D;
 * const loss = clipLoss(l2Normalize(img), l2Normalize(txt), PAPER_LOGIT_SCALE);
 * ```
 */
import * as tf from "@tensorflow/tfjs";
import { matMulT } from "./ops.ts";

/**
 * The paper's fixed logit scale, the official code's value: exp(2.6592) = 14.2849 (CLIP's initial
 * log-scale; 1/0.07 = 14.2857 differs by 6e-5 relative). The ONE place this default is written.
 */
export const PAPER_LOGIT_SCALE = Math.exp(2.6592);

/** SigLIP's fixed logit scale and bias (its initial values, 10 and -10). The one place they are written. */
export const SIGLIP_SCALE = 10;
export const SIGLIP_BIAS = -10;

/** Symmetric CLIP loss (mean of image->text and text->image cross-entropy). */
export function clipLoss(img: tf.Tensor2D, txt: tf.Tensor2D, scale = PAPER_LOGIT_SCALE): tf.Scalar {
  return tf.tidy(() => {
    const logits = tf.mul(matMulT(img, txt), scale) as tf.Tensor2D;
    const n = logits.shape[0];
    const eye = tf.oneHot(tf.range(0, n, 1, "int32"), n) as tf.Tensor2D;
    const rows = tf.neg(tf.mean(tf.sum(tf.mul(tf.logSoftmax(logits, 1), eye), 1)));
    const cols = tf.neg(tf.mean(tf.sum(tf.mul(tf.logSoftmax(tf.transpose(logits), 1), eye), 1)));
    return tf.div(tf.add(rows, cols), 2) as tf.Scalar;
  });
}

/** SigLIP loss with fixed scale and bias (SigLIP's initial values by default: 10 and -10). */
export function sigLipLoss(img: tf.Tensor2D, txt: tf.Tensor2D, scale = SIGLIP_SCALE, bias = SIGLIP_BIAS): tf.Scalar {
  return tf.tidy(() => {
    const logits = tf.add(tf.mul(matMulT(img, txt), scale), bias);
    const n = logits.shape[0];
    const z = tf.sub(tf.mul(tf.eye(n), 2), 1);
    // log sigmoid(x) = -softplus(-x); tf.logSigmoid's custom gradient breaks inside tidy under variableGrads
    return tf.div(tf.sum(tf.softplus(tf.neg(tf.mul(z, logits)))), n) as tf.Scalar;
  });
}

/** Reference CLIP loss in plain arithmetic (rows already normalised), for checks. Pure. */
export function clipLossReference(img: number[][], txt: number[][], scale = PAPER_LOGIT_SCALE): number {
  const n = img.length;
  const s = img.map((a) => txt.map((b) => scale * a.reduce((acc, x, k) => acc + x * b[k], 0)));
  const lse = (xs: number[]) => {
    const m = Math.max(...xs);
    return m + Math.log(xs.reduce((acc, x) => acc + Math.exp(x - m), 0));
  };
  let rows = 0, cols = 0;
  for (let i = 0; i < n; i++) {
    rows += lse(s[i]) - s[i][i];
    cols += lse(s.map((r) => r[i])) - s[i][i];
  }
  return (rows / n + cols / n) / 2;
}
