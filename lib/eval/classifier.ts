/**
 * The zero-shot classifier, built as open_clip's `build_zero_shot_classifier`: every text of a class
 * (class names through prompt templates, or description sentences) is embedded by the method, and
 *
 * - `prototype` (CLIP_benchmark; templates): rows normalised, averaged per class, renormalised; one
 *   weight row per class;
 * - `mean-score` (the paper, for multi-sentence descriptions): the sentences are kept and the SCORES are
 *   averaged over a class's sentences.
 *
 * Scores are `100 * cosine` (the logit scale of CLIP_benchmark; rankings, hence metrics, do not depend on it).
 *
 * @example
 * ```ts
 * import { buildZeroShotClassifier, classifierScores, flattenClassTexts } from "./classifier.ts";
 * const embed = (texts: string[]) => Promise.resolve({ data: new Float32Array(texts.length * 2).fill(1), rows: texts.length, dim: 2 });
 * const clf = await buildZeroShotClassifier(embed, [["a cat.", "a drawing of a cat."], ["a dog."]]);
 * flattenClassTexts([["a"], ["b", "c"]]).classOf;   // [0, 1, 1]
 * const images = { data: Float32Array.of(1, 0, 0, 1), rows: 2, dim: 2 };
 * classifierScores(clf, images, (a, b) => new Float32Array(a.rows * b.rows));   // [2 x 2]
 * ```
 */
import { type Matrix, normalizeRows, unitScale } from "../core/matrix.ts";

/**
 * Class prototypes: normalise rows, average per class, renormalise. Each row is added as its unit row
 * (`normalizeRows`' values, rounded to float32), without a normalised copy of the whole matrix. Pure.
 */
export function classPrototypes(textEmb: Matrix, classOf: ArrayLike<number>, nClasses: number): Matrix {
  const { data, dim } = textEmb;
  const sum = new Float32Array(nClasses * dim);
  const count = new Array(nClasses).fill(0);
  for (let r = 0; r < textEmb.rows; r++) {
    const c = classOf[r], o = r * dim, to = c * dim;
    count[c]++;
    const inv = unitScale(textEmb, r);
    for (let k = 0; k < dim; k++) sum[to + k] += Math.fround(data[o + k] * inv);
  }
  const empty = count.map((n, c) => (n ? -1 : c)).filter((c) => c >= 0);
  if (empty.length) throw new Error(`classPrototypes: no text for class(es) ${empty.slice(0, 5).join(", ")}`);
  return normalizeRows({ data: sum, rows: nClasses, dim });
}

/** Texts into the space a method compares them with images in. */
export type TextEmbedder = (texts: string[]) => Promise<Matrix>;

/** Image-text similarity [images.rows x texts.rows], computed at once. */
export type SyncSimilarityFn = (images: Matrix, texts: Matrix) => Float32Array;

/** Image-text similarity [images.rows x texts.rows] of a method, computed at once or on a device. */
export type SimilarityFn = (images: Matrix, texts: Matrix) => Float32Array | Promise<Float32Array>;

/** How a class's several texts become one score. */
export type ClassAggregate = "prototype" | "mean-score";

/** A built zero-shot classifier. */
export interface ZeroShotClassifier {
  nClasses: number;
  aggregate: ClassAggregate;
  /** `prototype`: one unit row per class; `mean-score`: one row per text, its class in `classOf`. */
  weights: Matrix;
  classOf: number[];
}

/** All texts of all classes in one list, with each text's class index. Pure. */
export function flattenClassTexts(classTexts: readonly (readonly string[])[]): { texts: string[]; classOf: number[] } {
  const texts: string[] = [], classOf: number[] = [];
  classTexts.forEach((list, c) => {
    if (!list.length) throw new Error(`zero-shot classifier: class ${c} has no text`);
    list.forEach((t) => (texts.push(t), classOf.push(c)));
  });
  return { texts, classOf };
}

/** Embed every class's texts and build the classifier (`prototype` by default). */
export async function buildZeroShotClassifier(
  embed: TextEmbedder,
  classTexts: readonly (readonly string[])[],
  opts: { aggregate?: ClassAggregate } = {},
): Promise<ZeroShotClassifier> {
  const { texts, classOf } = flattenClassTexts(classTexts);
  const emb = await embed(texts);
  const nClasses = classTexts.length, aggregate = opts.aggregate ?? "prototype";
  if (aggregate === "prototype") {
    return { nClasses, aggregate, weights: classPrototypes(emb, classOf, nClasses), classOf: classTexts.map((_, c) => c) };
  }
  return { nClasses, aggregate, weights: emb, classOf };
}

/** Scores [images.rows x nClasses]: 100 * similarity, averaged over a class's texts for `mean-score`. */
export function classifierScores(clf: ZeroShotClassifier, images: Matrix, sim: SyncSimilarityFn): Float32Array {
  return classScores(clf, sim(images, clf.weights), images.rows);
}

/** {@link classifierScores} from the similarities `s` [rows x clf.weights.rows] (changed in place for `prototype`). Pure apart from `s`. */
export function classScores(clf: ZeroShotClassifier, s: Float32Array, rows: number): Float32Array {
  const n = clf.nClasses, w = clf.weights.rows;
  if (clf.aggregate === "prototype") {
    for (let i = 0; i < s.length; i++) s[i] *= 100;
    return s;
  }
  const count = new Array(n).fill(0);
  for (const c of clf.classOf) count[c]++;
  const out = new Float32Array(rows * n);
  for (let i = 0; i < rows; i++) {
    for (let r = 0; r < w; r++) out[i * n + clf.classOf[r]] += s[i * w + r];
    for (let c = 0; c < n; c++) out[i * n + c] = count[c] ? (100 * out[i * n + c]) / count[c] : -Infinity;
  }
  return out;
}
