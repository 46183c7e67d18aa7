/**
 * ASIF (Norelli et al. 2023): a training-free image-text model. Images and texts are each described by
 * their similarities to an anchor set of (image, text) pairs, sparsified to the top-k anchors, raised to
 * a power p and normalised; an image and a text match when their relative representations do.
 *
 * @example
 * ```ts
 * const scores = asifScores(testImages, classTexts, { images: anchorImages, texts: anchorTexts }, { k: 800, p: 8 });
 * ```
 */
import type { Matrix } from "../core/matrix.ts";
import { normalizeRows, similarity } from "../eval/similarity.ts";

/** ASIF settings (the paper's defaults: k = 800, p = 8). */
export interface AsifOptions {
  k?: number;
  p?: number;
}

/** Relative representation of `queries` against `anchors` (both unit rows). Pure. */
export function relativeRepresentation(queries: Matrix, anchors: Matrix, k: number, p: number): Matrix {
  const s = similarity(normalizeRows(queries), normalizeRows(anchors));
  const n = anchors.rows, kk = Math.min(k, n);
  const out = new Float32Array(queries.rows * n);
  for (let q = 0; q < queries.rows; q++) {
    const row = s.subarray(q * n, (q + 1) * n);
    const threshold = [...row].sort((a, b) => b - a)[kk - 1];
    for (let a = 0; a < n; a++) {
      const v = row[a];
      if (v >= threshold && v > 0) out[q * n + a] = v ** p;
    }
  }
  return normalizeRows({ data: out, rows: queries.rows, dim: n });
}

/** Scores [nImages x nTexts] from relative representations. */
export function asifScores(images: Matrix, texts: Matrix, anchors: { images: Matrix; texts: Matrix }, opts: AsifOptions = {}): Float32Array {
  if (anchors.images.rows !== anchors.texts.rows) throw new Error("ASIF: anchor images and texts must be pairs (same count)");
  const k = opts.k ?? 800, p = opts.p ?? 8;
  return similarity(relativeRepresentation(images, anchors.images, k, p), relativeRepresentation(texts, anchors.texts, k, p));
}
