/**
 * ASIF (Norelli et al. 2023): a training-free image-text model. Images and texts are each described by
 * their similarities to an anchor set of (image, text) pairs, sparsified to the top-k anchors, raised to
 * a power p and normalised; an image and a text match when their relative representations do.
 *
 * @example
 * ```ts
 * import { asifMethod, asifScores } from "./asif.ts";
 * import { classify } from "../eval/evaluate.ts";
 * import type { LanguageEncoder } from "../encoders/types.ts";
 * declare const encoder: LanguageEncoder;
 * const anchors = { data: new Float32Array(6), rows: 3, dim: 2 }, queries = { data: new Float32Array(4), rows: 2, dim: 2 };
 * const scores = asifScores(queries, queries, { images: anchors, texts: anchors }, { k: 800, p: 8 });
 * const asif = await asifMethod(encoder, { images: anchors, texts: ["a cat.", "a dog.", "a cow."] });
 * await classify(asif, { name: "pets", images: queries, labels: [0, 1], classTexts: [["a cat."], ["a dog."]] });
 * ```
 */
import type { Matrix } from "../core/matrix.ts";
import { normalizeRows } from "../core/matrix.ts";
import { similarity } from "../eval/similarity.ts";
import type { Method } from "../eval/evaluate.ts";
import type { LanguageEncoder } from "../encoders/types.ts";
import { textFeatures } from "../features.ts";

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

/**
 * ASIF as an evaluation method: texts are the language encoder's raw features (no training), scored
 * against images through the anchor pairs (`anchors.texts[i]` describes `anchors.images` row i).
 */
export async function asifMethod(encoder: LanguageEncoder, anchors: { images: Matrix; texts: string[] }, opts: AsifOptions = {}): Promise<Method> {
  if (anchors.texts.length !== anchors.images.rows) throw new Error(`ASIF: ${anchors.images.rows} anchor images but ${anchors.texts.length} anchor texts`);
  const anchorTexts = await textFeatures(anchors.texts, encoder, { progress: false });
  return {
    name: "ASIF",
    embedTexts: (texts) => textFeatures(texts, encoder, { progress: false }),
    similarity: (images, texts) => asifScores(images, texts, { images: anchors.images, texts: anchorTexts }, opts),
  };
}
