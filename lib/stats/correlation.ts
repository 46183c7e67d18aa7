/**
 * Correlation with uncertainty: Pearson r (simple-statistics), a seeded bootstrap 95% interval, a seeded
 * permutation p-value (two-sided), and Spearman's rho as a check.
 *
 * @example
 * ```ts
 * const mmluPro = [30, 45, 60, 70, 80], visualScore = [10, 14, 20, 22, 30];
 * const r = correlationReport(mmluPro, visualScore, { seed: 0 });
 * // { n, pearson, ci: [lo, hi], pValue, spearman }
 * ```
 */
import * as ss from "simple-statistics";
import { seededRandom } from "../runtime/random.ts";

/** Pearson's r. */
export function pearson(x: number[], y: number[]): number {
  if (x.length !== y.length) throw new Error(`pearson: ${x.length} x values but ${y.length} y values`);
  if (x.length < 3) throw new Error(`pearson: need at least 3 points, got ${x.length}`);
  return ss.sampleCorrelation(x, y);
}

/** Ranks with ties averaged (1-based). Pure. */
export function ranks(x: number[]): number[] {
  const order = x.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
  const r = new Array(x.length);
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && order[j + 1][0] === order[i][0]) j++;
    for (let k = i; k <= j; k++) r[order[k][1]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return r;
}

/** Spearman's rho (Pearson on ranks). */
export function spearman(x: number[], y: number[]): number {
  return pearson(ranks(x), ranks(y));
}

/** Percentile bootstrap interval of a paired statistic (resampling pairs); [NaN, NaN] when no resample gives a finite value. */
export function bootstrapInterval(x: number[], y: number[], stat: (a: number[], b: number[]) => number, opts: { n?: number; level?: number; seed?: number } = {}): [number, number] {
  const n = opts.n ?? 10_000, level = opts.level ?? 0.95, rng = seededRandom(opts.seed ?? 0);
  const values: number[] = [];
  for (let b = 0; b < n; b++) {
    const idx = x.map(() => rng.int(x.length));
    const v = stat(idx.map((i) => x[i]), idx.map((i) => y[i]));
    if (Number.isFinite(v)) values.push(v);
  }
  // no resample gives a value (a constant measure): the interval is undefined, not a crash
  if (!values.length) return [NaN, NaN];
  values.sort((a, b) => a - b);
  const q = (p: number) => values[Math.min(values.length - 1, Math.max(0, Math.floor(p * values.length)))];
  return [q((1 - level) / 2), q(1 - (1 - level) / 2)];
}

/** Two-sided permutation p-value of Pearson's r: (1 + #{|r_perm| >= |r|}) / (1 + n). */
export function permutationPValue(x: number[], y: number[], opts: { n?: number; seed?: number } = {}): number {
  const n = opts.n ?? 10_000, rng = seededRandom(opts.seed ?? 1);
  const r = Math.abs(pearson(x, y));
  let extreme = 0;
  const yy = y.slice();
  for (let b = 0; b < n; b++) {
    for (let i = yy.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [yy[i], yy[j]] = [yy[j], yy[i]];
    }
    if (Math.abs(pearson(x, yy)) >= r - 1e-12) extreme++;
  }
  return (1 + extreme) / (1 + n);
}

/** Everything the notebooks report about one correlation. */
export interface CorrelationReport {
  n: number;
  pearson: number;
  ci: [number, number];
  pValue: number;
  spearman: number;
}

/** Pearson r with bootstrap interval and permutation p-value, and Spearman's rho. */
export function correlationReport(x: number[], y: number[], opts: { n?: number; seed?: number } = {}): CorrelationReport {
  return {
    n: x.length,
    pearson: pearson(x, y),
    ci: bootstrapInterval(x, y, pearson, opts),
    pValue: permutationPValue(x, y, opts),
    spearman: spearman(x, y),
  };
}
