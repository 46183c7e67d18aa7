/**
 * Row normalisation and similarity matrices for evaluation (TF.js matmul on the fast path, in chunks).
 *
 * @example
 * ```ts
 * import type { Matrix } from "../core/matrix.ts";
 * declare const images: Matrix, texts: Matrix;
 * const s = similarity(normalizeRows(images), normalizeRows(texts));  // Float32Array [nImages x nTexts]
 * ```
 */
import * as tf from "@tensorflow/tfjs";
import { type Matrix, normalizeRows, selectRows } from "../core/matrix.ts";

/** Row operations live on the ground floor; re-exported here for callers that import them from eval. */
export { normalizeRows, selectRows };

/** `a @ b^T` as a flat [a.rows x b.rows] array. */
export function similarity(a: Matrix, b: Matrix, chunk = 2048): Float32Array {
  if (a.dim !== b.dim) throw new Error(`similarity: ${a.dim}-d rows against ${b.dim}-d rows`);
  const out = new Float32Array(a.rows * b.rows);
  const bt = tf.tidy(() => tf.transpose(tf.tensor2d(b.data, [b.rows, b.dim])));
  try {
    for (let s = 0; s < a.rows; s += chunk) {
      const n = Math.min(chunk, a.rows - s);
      const r = tf.tidy(() => tf.matMul(tf.tensor2d(a.data.subarray(s * a.dim, (s + n) * a.dim), [n, a.dim]), bt));
      out.set(r.dataSync(), s * b.rows);
      r.dispose();
    }
  } finally {
    bt.dispose();
  }
  return out;
}

/** Cosine similarities [a.rows x b.rows]: both sides normalised, then `a @ b^T`. */
export function cosineSimilarity(a: Matrix, b: Matrix): Float32Array {
  return similarity(normalizeRows(a), normalizeRows(b));
}
