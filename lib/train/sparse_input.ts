/**
 * A projection's first layer on sparse text inputs. A bag-of-words row (the LiT-style tower) has a few
 * non-zero entries among thousands, so its dense product with the first weight matrix mostly multiplies
 * zeros: the step then costs what a model of that width costs, not what its words do. On such inputs
 * the onnx engine computes the first layer here instead, from each row's non-zero entries: forward,
 * `pre = b + x W` as a sum of the rows of W that the row's words select; backward, `dW[i, :] += x_i d`
 * for those rows only, and `db` as the column sums of `d`. The rest of the step (BatchNorm, ReLU,
 * dropout, later layers, loss and their gradients) stays in the step graph (`batched_graph.ts`).
 *
 * Whether a run's texts count as sparse is decided from its data alone ({@link isSparseText}), so a run
 * takes the same path, and computes the same numbers, whether it trains alone or in a batch.
 *
 * @example
 * ```ts
 * import { sparseRows, sparseForward } from "./sparse_input.ts";
 * const x = Float32Array.of(0, 2, 0, 0, 0, 1);            // 2 rows of 3
 * const W = Float32Array.of(1, 1, 2, 2, 3, 3);            // [3 in, 2 out]
 * const pre = sparseForward(sparseRows(x, 2, 3), W, Float32Array.of(0, 0), 2);
 * // pre = [4, 4, 3, 3]
 * ```
 */
import type { RowSource } from "../store/rows.ts";

/** Inputs count as sparse at or below this share of non-zero entries (and at least {@link SPARSE_MIN_DIM} wide). */
export const SPARSE_MAX_SHARE = 0.01;
/** Narrower inputs always take the dense product: it is fast there whatever the zeros. */
export const SPARSE_MIN_DIM = 1024;
/** Rows sampled from the start of a run's texts to decide. */
const SAMPLE_ROWS = 256;

/** The non-zero entries of a [rows x dim] matrix, row by row (compressed sparse rows). */
export interface SparseRows {
  rows: number;
  dim: number;
  /** Row r's entries are `index`/`value` from `start[r]` to `start[r + 1]`. */
  start: Int32Array;
  index: Int32Array;
  value: Float32Array;
}

/** The non-zero entries of `x` ([rows x dim], row-major), in column order. Pure. */
export function sparseRows(x: Float32Array, rows: number, dim: number): SparseRows {
  if (x.length !== rows * dim) throw new Error(`sparseRows: ${x.length} values is not ${rows} rows of ${dim}`);
  let nnz = 0;
  for (let k = 0; k < x.length; k++) if (x[k] !== 0) nnz++;
  const start = new Int32Array(rows + 1), index = new Int32Array(nnz), value = new Float32Array(nnz);
  let e = 0;
  for (let r = 0; r < rows; r++) {
    start[r] = e;
    const base = r * dim;
    for (let c = 0; c < dim; c++) {
      const v = x[base + c];
      if (v !== 0) (index[e] = c), (value[e++] = v);
    }
  }
  start[rows] = e;
  return { rows, dim, start, index, value };
}

/**
 * `b + x W` for sparse rows `x` and W as [dim x out] (row-major, a slice of the stacked weights): each
 * output row summed in float64 over the row's entries in column order, then rounded once. Pure.
 */
export function sparseForward(x: SparseRows, W: Float32Array, b: Float32Array, out: number, into = new Float32Array(x.rows * out)): Float32Array {
  const acc = new Float64Array(out);
  for (let r = 0; r < x.rows; r++) {
    for (let j = 0; j < out; j++) acc[j] = 0;
    for (let e = x.start[r]; e < x.start[r + 1]; e++) {
      const v = x.value[e], base = x.index[e] * out;
      for (let j = 0; j < out; j++) acc[j] += v * W[base + j];
    }
    const o = r * out;
    for (let j = 0; j < out; j++) into[o + j] = acc[j] + b[j];
  }
  return into;
}

/**
 * Add the first layer's gradients of one micro-batch: `dW[i, :] += x_ri * d[r, :]` over the entries of
 * each row r in order, and `db += sum_r d[r, :]` (summed in float64, added once). `d` is the gradient of
 * the pre-activation, [rows x out]. Returns the rows of W it touched (ascending, each once).
 */
export function sparseBackward(x: SparseRows, d: Float32Array, out: number, dW: Float32Array, db: Float32Array): Int32Array {
  const col = new Float64Array(out);
  const touched = new Uint8Array(x.dim);
  for (let r = 0; r < x.rows; r++) {
    const o = r * out;
    for (let j = 0; j < out; j++) col[j] += d[o + j];
    for (let e = x.start[r]; e < x.start[r + 1]; e++) {
      const v = x.value[e], i = x.index[e], base = i * out;
      touched[i] = 1;
      for (let j = 0; j < out; j++) dW[base + j] += v * d[o + j];
    }
  }
  for (let j = 0; j < out; j++) db[j] += col[j];
  const rows: number[] = [];
  for (let i = 0; i < x.dim; i++) if (touched[i]) rows.push(i);
  return Int32Array.from(rows);
}

/** The share of non-zero entries among `x`'s values. Pure. */
export function nonZeroShare(x: Float32Array): number {
  let nnz = 0;
  for (let k = 0; k < x.length; k++) if (x[k] !== 0) nnz++;
  return x.length ? nnz / x.length : 0;
}

/**
 * Whether a run's text inputs take the sparse first layer: at least {@link SPARSE_MIN_DIM} wide and at
 * most {@link SPARSE_MAX_SHARE} non-zero in their first rows (up to 256). Decided from the data alone.
 *
 * @example
 * ```ts
 * import { matrixRows } from "../store/rows.ts";
 * isSparseText(matrixRows({ data: new Float32Array(4 * 2048), rows: 4, dim: 2048 }));   // true
 * ```
 */
export function isSparseText(texts: Pick<RowSource, "rows" | "dim" | "read">): boolean {
  if (texts.dim < SPARSE_MIN_DIM || texts.rows === 0) return false;
  const n = Math.min(SAMPLE_ROWS, texts.rows);
  return nonZeroShare(texts.read(Array.from({ length: n }, (_, i) => i))) <= SPARSE_MAX_SHARE;
}
