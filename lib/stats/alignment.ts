/**
 * Training-free alignment between two representations of the same items (the platonic-representation
 * measures): mutual k-nearest-neighbour overlap (k = 10 by default) and linear CKA, biased and unbiased,
 * with seeded bootstrap intervals over items. Rows are L2-normalised first, as platonic-rep does before
 * measuring. Both matrices must hold the same items in the same order (for example each class's text
 * features and the mean image feature of that class).
 *
 * A bootstrap resample draws items with replacement; copies of one item are never each other's
 * neighbours (they are the same item), so duplicates do not inflate the k-NN overlap.
 *
 * @example
 * ```ts
 * const a = { rows: 3, dim: 2, data: Float32Array.of(1, 0, 0, 1, 1, 1) };
 * const b = { rows: 3, dim: 2, data: Float32Array.of(2, 0, 0, 2, 2, 2) };
 * console.log(mutualKnn(a, b, 1), linearCka(a, b)); // 1 1 (up to rounding)
 * const report = alignmentReport(a, b, { k: 1, resamples: 50, seed: 0 });
 * console.log(report.cka.value, report.cka.low, report.cka.high);
 * ```
 */
import type { Matrix } from "../store/feature_store.ts";
import { seededRandom } from "../runtime/random.ts";

/** Gram matrix of the L2-normalised rows, as Float64 [n x n]. Pure. */
export function cosineGram(m: Matrix): Float64Array {
  const { rows: n, dim: d, data } = m;
  const norms = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let c = 0; c < d; c++) s += data[i * d + c] ** 2;
    norms[i] = Math.sqrt(s) || 1;
  }
  const g = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      let s = 0;
      for (let c = 0; c < d; c++) s += data[i * d + c] * data[j * d + c];
      g[i * n + j] = g[j * n + i] = s / (norms[i] * norms[j]);
    }
  }
  return g;
}

/** The Gram matrix restricted to a sample of items (rows and columns in sample order). */
function subGram(g: Float64Array, n: number, sample: Int32Array): Float64Array {
  const m = sample.length, out = new Float64Array(m * m);
  for (let r = 0; r < m; r++) {
    const base = sample[r] * n;
    for (let s = 0; s < m; s++) out[r * m + s] = g[base + sample[s]];
  }
  return out;
}

/** Row r's k nearest sample positions (never a copy of the same item), by descending similarity. */
function neighbours(k_: Float64Array, sample: Int32Array, r: number, k: number, best: Int32Array, score: Float64Array): void {
  const m = sample.length, self = sample[r];
  best.fill(-1);
  score.fill(-Infinity);
  for (let s = 0; s < m; s++) {
    const v = k_[r * m + s];
    if (v <= score[k - 1] || sample[s] === self) continue;
    let p = k - 1;
    while (p > 0 && score[p - 1] < v) {
      score[p] = score[p - 1];
      best[p] = best[p - 1];
      p--;
    }
    score[p] = v;
    best[p] = s;
  }
}

function mutualKnnOf(K: Float64Array, L: Float64Array, sample: Int32Array, k: number): number {
  const m = sample.length;
  const na = new Int32Array(k), nb = new Int32Array(k), sa = new Float64Array(k), sb = new Float64Array(k);
  let total = 0;
  for (let r = 0; r < m; r++) {
    neighbours(K, sample, r, k, na, sa);
    neighbours(L, sample, r, k, nb, sb);
    let shared = 0;
    for (let i = 0; i < k; i++) if (na[i] >= 0 && nb.includes(na[i])) shared++;
    total += shared / k;
  }
  return total / m;
}

/** Double-centred copy HKH of a kernel matrix. */
function centred(K: Float64Array, m: number): Float64Array {
  const row = new Float64Array(m);
  let all = 0;
  for (let r = 0; r < m; r++) {
    let t = 0;
    for (let s = 0; s < m; s++) t += K[r * m + s];
    row[r] = t / m;
    all += t;
  }
  all /= m * m;
  const out = new Float64Array(m * m);
  for (let r = 0; r < m; r++) for (let s = 0; s < m; s++) out[r * m + s] = K[r * m + s] - row[r] - row[s] + all;
  return out;
}

function dot(a: Float64Array, b: Float64Array): number {
  let t = 0;
  for (let i = 0; i < a.length; i++) t += a[i] * b[i];
  return t;
}

/** Unbiased HSIC (Song et al. 2012, eq. 5) of symmetric kernels, diagonals ignored. */
function hsicUnbiased(K: Float64Array, L: Float64Array, m: number): number {
  if (m < 4) throw new Error(`unbiased CKA needs at least 4 items, got ${m}`);
  let trace = 0, sumK = 0, sumL = 0, cross = 0;
  for (let r = 0; r < m; r++) {
    let rk = 0, rl = 0;
    for (let s = 0; s < m; s++) {
      if (r === s) continue;
      const k = K[r * m + s], l = L[r * m + s];
      trace += k * l; // sum K~ * L~^T (both symmetric)
      rk += k;
      rl += l;
    }
    sumK += rk;
    sumL += rl;
    cross += rk * rl; // sum of all entries of K~ L~ = sum_t (row sums of K~)_t (row sums of L~)_t
  }
  return (trace + (sumK * sumL) / ((m - 1) * (m - 2)) - (2 * cross) / (m - 2)) / (m * (m - 3));
}

/** Biased CKA (trace(KHLH) normalised) and unbiased CKA of two kernels on the same sample. */
function ckaOf(K: Float64Array, L: Float64Array, m: number): { biased: number; unbiased: number } {
  const Kc = centred(K, m), Lc = centred(L, m);
  const biased = dot(Kc, Lc) / (Math.sqrt(dot(Kc, Kc) * dot(Lc, Lc)) + 1e-12);
  const kk = hsicUnbiased(K, K, m), ll = hsicUnbiased(L, L, m);
  const unbiased = hsicUnbiased(K, L, m) / (Math.sqrt(Math.max(kk * ll, 0)) + 1e-12);
  return { biased, unbiased };
}

function checkPair(a: Matrix, b: Matrix): number {
  if (a.rows !== b.rows) throw new Error(`alignment needs the same items in both matrices: ${a.rows} rows against ${b.rows}`);
  if (a.rows < 3) throw new Error(`alignment needs at least 3 items, got ${a.rows}`);
  return a.rows;
}

const all = (n: number) => Int32Array.from({ length: n }, (_, i) => i);

/** Mean share of each item's k nearest neighbours that both representations agree on (chance ~ k/(n-1)). Pure. */
export function mutualKnn(a: Matrix, b: Matrix, k = 10): number {
  const n = checkPair(a, b);
  if (k < 1 || k > n - 1) throw new Error(`mutual k-NN: k must be 1..${n - 1}, got ${k}`);
  return mutualKnnOf(cosineGram(a), cosineGram(b), all(n), k);
}

/** Linear CKA of the L2-normalised rows; `unbiased` uses the unbiased HSIC estimator. Pure. */
export function linearCka(a: Matrix, b: Matrix, opts: { unbiased?: boolean } = {}): number {
  const n = checkPair(a, b);
  const cka = ckaOf(cosineGram(a), cosineGram(b), n);
  return opts.unbiased ? cka.unbiased : cka.biased;
}

/** A measure with its seeded bootstrap 95% interval. */
export interface AlignmentValue {
  value: number;
  low: number;
  high: number;
}

/** Mutual k-NN, CKA and unbiased CKA with intervals. */
export interface AlignmentReport {
  items: number;
  k: number;
  /** Expected mutual k-NN of unrelated representations: k / (items - 1). */
  knnChance: number;
  mutualKnn: AlignmentValue;
  cka: AlignmentValue;
  unbiasedCka: AlignmentValue;
}

/** All three measures with seeded bootstrap intervals over items (percentile 2.5 / 97.5). Pure. */
export function alignmentReport(a: Matrix, b: Matrix, opts: { k?: number; resamples?: number; seed?: number } = {}): AlignmentReport {
  const n = checkPair(a, b);
  const k = Math.min(opts.k ?? 10, n - 1), resamples = opts.resamples ?? 200;
  const ga = cosineGram(a), gb = cosineGram(b);
  const measures = (sample: Int32Array) => {
    const K = subGram(ga, n, sample), L = subGram(gb, n, sample);
    const cka = ckaOf(K, L, sample.length);
    return [mutualKnnOf(K, L, sample, k), cka.biased, cka.unbiased];
  };
  const point = measures(all(n));
  const rng = seededRandom(opts.seed ?? 0);
  const draws: number[][] = [[], [], []];
  for (let r = 0; r < resamples; r++) {
    const sample = Int32Array.from({ length: n }, () => Math.floor(rng.next() * n));
    measures(sample).forEach((v, i) => draws[i].push(v));
  }
  const interval = (i: number): AlignmentValue => {
    const sorted = draws[i].sort((x, y) => x - y);
    const q = (p: number) => sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] : NaN;
    return { value: point[i], low: q(0.025), high: q(0.975) };
  };
  return { items: n, k, knnChance: k / (n - 1), mutualKnn: interval(0), cka: interval(1), unbiasedCka: interval(2) };
}
