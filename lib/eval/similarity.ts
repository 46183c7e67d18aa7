/**
 * Row normalisation and similarity matrices for evaluation (TF.js matmul on the fast path, in chunks).
 *
 * @example
 * ```ts
 * const s = similarity(normalizeRows(images), normalizeRows(texts));  // Float32Array [nImages x nTexts]
 * ```
 */
import * as tf from "@tensorflow/tfjs";
import type { Matrix } from "../store/feature_store.ts";

/** A copy with unit-L2 rows (zero rows stay zero). Pure. */
export function normalizeRows(m: Matrix): Matrix {
  const out = new Float32Array(m.data.length);
  for (let r = 0; r < m.rows; r++) {
    let s = 0;
    for (let k = 0; k < m.dim; k++) s += m.data[r * m.dim + k] ** 2;
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let k = 0; k < m.dim; k++) out[r * m.dim + k] = m.data[r * m.dim + k] * inv;
  }
  return { data: out, rows: m.rows, dim: m.dim };
}

/** Rows `idx` of a matrix, as a new matrix. Pure. */
export function selectRows(m: Matrix, idx: ArrayLike<number>): Matrix {
  const out = new Float32Array(idx.length * m.dim);
  for (let i = 0; i < idx.length; i++) out.set(m.data.subarray(idx[i] * m.dim, (idx[i] + 1) * m.dim), i * m.dim);
  return { data: out, rows: idx.length, dim: m.dim };
}

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
