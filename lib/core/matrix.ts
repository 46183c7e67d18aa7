/**
 * The ground floor: a dense row-major matrix and the row operations every stage uses (the store returns
 * matrices, training gathers batches from them, evaluation normalises and compares them). Imports nothing.
 *
 * @example
 * ```ts
 * import { matrixFromRows, normalizeRows, selectRows } from "./matrix.ts";
 * const m = matrixFromRows([Float32Array.of(3, 4), Float32Array.of(1, 0)], 2);
 * normalizeRows(m).data;      // [0.6, 0.8, 1, 0]
 * selectRows(m, [1]).data;    // [1, 0]
 * ```
 */

/** A dense row-major matrix. */
export interface Matrix {
  data: Float32Array;
  rows: number;
  dim: number;
}

/** The factor that scales row `r` of `m` to unit L2 norm (0 for a zero row). Pure. */
export function unitScale(m: Matrix, r: number): number {
  let s = 0;
  for (let k = 0; k < m.dim; k++) s += m.data[r * m.dim + k] ** 2;
  return s > 0 ? 1 / Math.sqrt(s) : 0;
}

/** A copy with unit-L2 rows (zero rows stay zero). Pure. */
export function normalizeRows(m: Matrix): Matrix {
  const out = new Float32Array(m.data.length);
  for (let r = 0; r < m.rows; r++) {
    const inv = unitScale(m, r);
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

/** One matrix from equal-length rows (`dim` checked). Pure. */
export function matrixFromRows(rows: readonly Float32Array[], dim: number): Matrix {
  const data = new Float32Array(rows.length * dim);
  rows.forEach((r, i) => {
    if (r.length !== dim) throw new Error(`matrixFromRows: row ${i} has ${r.length} values, expected ${dim}`);
    data.set(r, i * dim);
  });
  return { data, rows: rows.length, dim };
}
