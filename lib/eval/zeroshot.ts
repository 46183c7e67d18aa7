/**
 * Zero-shot scores from ready-made text matrices (the CLIP_benchmark protocol): logits = 100 * cosine of
 * image and class prototype, or the paper's scores averaged over a class's description sentences. Both
 * are the classifier of `classifier.ts` with cosine similarity; build classifiers with
 * `buildZeroShotClassifier` and evaluate methods with `evaluate` (`evaluate.ts`).
 *
 * @example
 * ```ts
 * import { classPrototypes, zeroShotScores } from "./zeroshot.ts";
 * const texts = { data: Float32Array.of(1, 0, 0.9, 0.1, 0, 1), rows: 3, dim: 2 };
 * const protos = classPrototypes(texts, [0, 0, 1], 2);
 * const scores = zeroShotScores({ data: Float32Array.of(1, 0), rows: 1, dim: 2 }, protos);  // [1 x 2]
 * ```
 */
import type { Matrix } from "../core/matrix.ts";
import { classifierScores, classPrototypes } from "./classifier.ts";
import { cosineSimilarity } from "./similarity.ts";

export { classPrototypes };

/** 100 * cosine(image, prototype) for every image and class ([nImages x nClasses]). */
export function zeroShotScores(images: Matrix, prototypes: Matrix): Float32Array {
  const classOf = Array.from({ length: prototypes.rows }, (_, c) => c);
  return classifierScores({ nClasses: prototypes.rows, aggregate: "prototype", weights: prototypes, classOf }, images, cosineSimilarity);
}

/** Scores averaged over each class's sentences: 100 * mean_s cosine(image, sentence_s). */
export function sentenceAveragedScores(images: Matrix, sentences: Matrix, classOf: ArrayLike<number>, nClasses: number): Float32Array {
  return classifierScores({ nClasses, aggregate: "mean-score", weights: sentences, classOf: Array.from(classOf) }, images, cosineSimilarity);
}
