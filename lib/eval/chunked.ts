/**
 * Evaluation in chunks, for feature sets too large for one matrix: texts projected a chunk at a time
 * from a row source, zero-shot metrics accumulated over chunks of images. The figures equal those of
 * the one-matrix path (`zeroShotScores` + `classificationMetrics`).
 *
 * @example
 * ```ts
 * import { matrixRows } from "../store/rows.ts";
 * const protos = { data: Float32Array.of(1, 0, 0, 1), rows: 2, dim: 2 };
 * const m = zeroShotInChunks(matrixRows({ data: Float32Array.of(1, 0.1, 0.2, 1), rows: 2, dim: 2 }), protos, [0, 1], { k: 1 });
 * m.top1; // 1
 * ```
 */
import type { Matrix } from "../store/feature_store.ts";
import type { RowSource } from "../store/rows.ts";
import { zeroShotScores } from "./zeroshot.ts";
import { type ClassificationMetrics, classificationMetrics } from "./metrics.ts";

/** Rows `start..end` of a source. */
function slice(src: RowSource, start: number, end: number): Matrix {
  return { data: src.read(Array.from({ length: end - start }, (_, i) => start + i)), rows: end - start, dim: src.dim };
}

/**
 * Apply `fn` (a projection's `project`, or `projectOnDevice`) to a source a chunk of rows at a time;
 * one output matrix. Memory: one input chunk and the output.
 */
export async function mapRowsInChunks(src: RowSource, fn: (m: Matrix) => Matrix | Promise<Matrix>, chunk = 4096): Promise<Matrix> {
  let out: Float32Array | undefined, dim = 0;
  for (let s = 0; s < src.rows; s += chunk) {
    const y = await fn(slice(src, s, Math.min(src.rows, s + chunk)));
    if (!out) (dim = y.dim, out = new Float32Array(src.rows * dim));
    out.set(y.data, s * dim);
  }
  return { data: out ?? new Float32Array(0), rows: src.rows, dim };
}

/** Zero-shot metrics of `images` against class prototypes, `chunk` images at a time. */
export function zeroShotInChunks(
  images: RowSource,
  prototypes: Matrix,
  labels: ArrayLike<number>,
  opts: { chunk?: number; k?: number } = {},
): ClassificationMetrics {
  const chunk = opts.chunk ?? 4096, nC = prototypes.rows;
  if (labels.length !== images.rows) throw new Error(`zero-shot: ${images.rows} images but ${labels.length} labels`);
  let top1 = 0, topk = 0;
  const hit = new Array(nC).fill(0), hitK = new Array(nC).fill(0), count = new Array(nC).fill(0);
  for (let s = 0; s < images.rows; s += chunk) {
    const e = Math.min(images.rows, s + chunk);
    const lab = Array.from(labels).slice(s, e);
    const m = classificationMetrics(zeroShotScores(slice(images, s, e), prototypes), nC, lab, opts.k);
    top1 += Math.round(m.top1 * m.n);
    topk += Math.round(m.topk * m.n);
    const here = new Array(nC).fill(0);
    for (const l of lab) here[l]++;
    here.forEach((c, j) => {
      if (!c) return;
      count[j] += c;
      hit[j] += Math.round(m.perClassRecall[j] * c);
      hitK[j] += Math.round(m.perClassTopk[j] * c);
    });
  }
  const perClassRecall = count.map((c, j) => (c ? hit[j] / c : NaN));
  const present = perClassRecall.filter((x) => !Number.isNaN(x));
  return {
    top1: top1 / images.rows,
    topk: topk / images.rows,
    k: opts.k ?? 5,
    meanPerClassRecall: present.reduce((a, b) => a + b, 0) / present.length,
    perClassRecall,
    perClassTopk: count.map((c, j) => (c ? hitK[j] / c : NaN)),
    n: images.rows,
  };
}
