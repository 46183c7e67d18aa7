/**
 * Classification metrics from a score matrix: top-1, top-k (k = 5 by default, recorded with the value)
 * and mean per-class recall (balanced accuracy, the probing section's "average per-class accuracy").
 *
 * @example
 * ```ts
 * const scores = Float32Array.of(0.9, 0.1, 0.2, 0.8);   // 2 images x 2 classes
 * const m = classificationMetrics(scores, 2, [0, 1], 1);  // { top1: 1, topk: 1, k: 1, meanPerClassRecall: 1, n: 2 }
 * ```
 */

/** Accuracy figures of one evaluation. */
export interface ClassificationMetrics {
  top1: number;
  /** Share of items whose class is among the `k` best. */
  topk: number;
  /** The k of `topk` (at most the number of classes' worth: k >= nClasses gives 1). */
  k: number;
  meanPerClassRecall: number;
  /** Recall per class (NaN for classes with no test item). */
  perClassRecall: number[];
  /** Per class, the share of its items whose class is among the `k` best (NaN for classes with no test item). */
  perClassTopk: number[];
  n: number;
}

/** Rank of the true class in a row of scores (0 = best); ties count against the true class. Pure. */
export function rankOf(scores: Float32Array, row: number, nClasses: number, label: number): number {
  const base = row * nClasses, s = scores[base + label];
  let rank = 0;
  for (let c = 0; c < nClasses; c++) if (c !== label && scores[base + c] >= s) rank++;
  return rank;
}

/** Metrics of scores [n x nClasses] against labels. Pure. */
export function classificationMetrics(scores: Float32Array, nClasses: number, labels: ArrayLike<number>, k = 5): ClassificationMetrics {
  const n = labels.length;
  if (scores.length !== n * nClasses) throw new Error(`scores hold ${scores.length} values, expected ${n} x ${nClasses}`);
  let top1 = 0, topk = 0;
  const hit = new Array(nClasses).fill(0), hitK = new Array(nClasses).fill(0), count = new Array(nClasses).fill(0);
  for (let i = 0; i < n; i++) {
    const r = rankOf(scores, i, nClasses, labels[i]);
    if (r === 0) (top1++, hit[labels[i]]++);
    if (r < k) (topk++, hitK[labels[i]]++);
    count[labels[i]]++;
  }
  const perClassRecall = count.map((c, j) => (c ? hit[j] / c : NaN));
  const present = perClassRecall.filter((x) => !Number.isNaN(x));
  return {
    top1: top1 / n,
    topk: topk / n,
    k,
    meanPerClassRecall: present.reduce((a, b) => a + b, 0) / present.length,
    perClassRecall,
    perClassTopk: count.map((c, j) => (c ? hitK[j] / c : NaN)),
    n,
  };
}
