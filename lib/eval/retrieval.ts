/**
 * Image-text retrieval (recall@k both ways) and Winoground-style text / image / group scores.
 *
 * @example
 * ```ts
 * import { retrievalRecall, winogroundScores } from "./retrieval.ts";
 * const images = { data: Float32Array.of(1, 0, 0, 1), rows: 2, dim: 2 };
 * retrievalRecall(images, images, [0, 1], [1]);   // { imageToText: { 1: 1 }, textToImage: { 1: 1 } }
 * winogroundScores([{ images: [0, 1], texts: [0, 1] }], (i, t) => (i === t ? 1 : 0));   // all 1
 * ```
 */
import type { Matrix } from "../core/matrix.ts";
import { cosineSimilarity } from "./similarity.ts";

/** Recall@k both ways. */
export interface RetrievalRecall {
  imageToText: Record<number, number>;
  textToImage: Record<number, number>;
}

/**
 * Recall@k for images against captions; `textImage[t]` is the image row of caption t. An image counts as
 * retrieved at k when any of its captions is among its k best texts.
 */
export function retrievalRecall(images: Matrix, texts: Matrix, textImage: ArrayLike<number>, ks = [1, 5, 10]): RetrievalRecall {
  return retrievalRecallFromScores(cosineSimilarity(images, texts), images.rows, texts.rows, textImage, ks);
}

/** {@link retrievalRecall} from a score matrix [nI x nT] of any method. Pure. */
export function retrievalRecallFromScores(s: Float32Array, nI: number, nT: number, textImage: ArrayLike<number>, ks = [1, 5, 10]): RetrievalRecall {
  if (s.length !== nI * nT) throw new Error(`retrieval: ${s.length} scores for ${nI} images x ${nT} texts`);
  const i2t: Record<number, number> = {}, t2i: Record<number, number> = {};
  for (const k of ks) (i2t[k] = 0, t2i[k] = 0);
  for (let i = 0; i < nI; i++) {
    let bestOwn = -Infinity;
    for (let t = 0; t < nT; t++) if (textImage[t] === i) bestOwn = Math.max(bestOwn, s[i * nT + t]);
    if (bestOwn === -Infinity) continue;
    let rank = 0;
    for (let t = 0; t < nT; t++) if (textImage[t] !== i && s[i * nT + t] >= bestOwn) rank++;
    for (const k of ks) if (rank < k) i2t[k]++;
  }
  for (let t = 0; t < nT; t++) {
    const own = s[textImage[t] * nT + t];
    let rank = 0;
    for (let i = 0; i < nI; i++) if (i !== textImage[t] && s[i * nT + t] >= own) rank++;
    for (const k of ks) if (rank < k) t2i[k]++;
  }
  const withText = new Set(Array.from(textImage)).size;
  for (const k of ks) (i2t[k] /= withText, t2i[k] /= nT);
  return { imageToText: i2t, textToImage: t2i };
}

/** A Winoground group: two images and two captions; caption j describes image j. */
export interface WinogroundGroup {
  images: [number, number];
  texts: [number, number];
}

/** Winoground scores with their chance levels. */
export interface WinogroundScores {
  text: number;
  image: number;
  group: number;
  n: number;
  chance: { text: number; image: number; group: number };
}

/** Text, image and group scores (chance: 0.25, 0.25, 1/6). `sim(i, t)` scores image i with text t. */
export function winogroundScores(groups: WinogroundGroup[], sim: (image: number, text: number) => number): WinogroundScores {
  let text = 0, image = 0, group = 0;
  for (const g of groups) {
    const [i0, i1] = g.images, [c0, c1] = g.texts;
    const t = sim(i0, c0) > sim(i0, c1) && sim(i1, c1) > sim(i1, c0);
    const im = sim(i0, c0) > sim(i1, c0) && sim(i1, c1) > sim(i0, c1);
    if (t) text++;
    if (im) image++;
    if (t && im) group++;
  }
  const n = groups.length;
  return { text: text / n, image: image / n, group: group / n, n, chance: { text: 0.25, image: 0.25, group: 1 / 6 } };
}
