/**
 * Zero-shot classification with the CLIP_benchmark protocol: every template of a class is projected and
 * normalised, averaged, and normalised again (the class prototype); logits = 100 * image . prototype.
 * For multi-sentence descriptions the paper averages the SCORES over a class's sentences instead.
 *
 * @example
 * ```ts
 * const protos = classPrototypes(projectedTemplates, templateClass, nClasses);
 * const scores = zeroShotScores(images, protos);
 * classificationMetrics(scores, nClasses, labels);
 * ```
 */
import type { Matrix } from "../core/matrix.ts";
import { normalizeRows, similarity } from "./similarity.ts";

/** Class prototypes: normalise rows, average per class, renormalise. Pure. */
export function classPrototypes(textEmb: Matrix, classOf: ArrayLike<number>, nClasses: number): Matrix {
  const unit = normalizeRows(textEmb);
  const sum = new Float32Array(nClasses * unit.dim);
  const count = new Array(nClasses).fill(0);
  for (let r = 0; r < unit.rows; r++) {
    const c = classOf[r];
    count[c]++;
    for (let k = 0; k < unit.dim; k++) sum[c * unit.dim + k] += unit.data[r * unit.dim + k];
  }
  const empty = count.map((n, c) => (n ? -1 : c)).filter((c) => c >= 0);
  if (empty.length) throw new Error(`classPrototypes: no text for class(es) ${empty.slice(0, 5).join(", ")}`);
  return normalizeRows({ data: sum, rows: nClasses, dim: unit.dim });
}

/** 100 * image . prototype for every image and class ([nImages x nClasses]). */
export function zeroShotScores(images: Matrix, prototypes: Matrix): Float32Array {
  const s = similarity(normalizeRows(images), prototypes);
  for (let i = 0; i < s.length; i++) s[i] *= 100;
  return s;
}

/** Scores averaged over each class's sentences: 100 * mean_s (image . sentence_s). */
export function sentenceAveragedScores(images: Matrix, sentences: Matrix, classOf: ArrayLike<number>, nClasses: number): Float32Array {
  const s = similarity(normalizeRows(images), normalizeRows(sentences));
  const count = new Array(nClasses).fill(0);
  for (let r = 0; r < sentences.rows; r++) count[classOf[r]]++;
  const out = new Float32Array(images.rows * nClasses);
  for (let i = 0; i < images.rows; i++) {
    for (let r = 0; r < sentences.rows; r++) out[i * nClasses + classOf[r]] += s[i * sentences.rows + r];
  }
  for (let i = 0; i < images.rows; i++) {
    for (let c = 0; c < nClasses; c++) out[i * nClasses + c] = count[c] ? (100 * out[i * nClasses + c]) / count[c] : -Infinity;
  }
  return out;
}
