/**
 * Mean, standard deviation and a 95% t-interval over seeds, and a helper that runs an experiment once
 * per seed.
 *
 * @example
 * ```ts
 * const run = (seed: number) => Promise.resolve({ top1: 0.3 + seed / 100 });
 * const s = await overSeeds([0, 1, 2, 3, 4], async (seed) => (await run(seed)).top1);
 * // { values, mean, std, ci: [lo, hi], n }
 * ```
 */

// two-sided 95% Student t quantiles, df = 1..30
const T95 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042];

/** Summary of repeated measurements. */
export interface SeedSummary {
  values: number[];
  n: number;
  mean: number;
  /** Sample standard deviation (n - 1). */
  std: number;
  /** 95% confidence interval of the mean (t distribution); [mean, mean] for one value. */
  ci: [number, number];
}

/** Summarise values (NaN values are an error: they would hide failed runs). Pure. */
export function meanInterval(values: number[]): SeedSummary {
  if (!values.length) throw new Error("meanInterval: no values");
  if (values.some((v) => !Number.isFinite(v))) throw new Error(`meanInterval: non-finite value in [${values}]`);
  const n = values.length, mean = values.reduce((a, b) => a + b, 0) / n;
  const std = n > 1 ? Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1)) : 0;
  const t = n > 1 ? (n - 1 <= 30 ? T95[n - 2] : 1.96) : 0;
  const half = n > 1 ? (t * std) / Math.sqrt(n) : 0;
  return { values, n, mean, std, ci: [mean - half, mean + half] };
}

/** Run `fn` once per seed (sequentially: runs share the CPU) and summarise. */
export async function overSeeds(seeds: number[], fn: (seed: number) => Promise<number>): Promise<SeedSummary> {
  const values: number[] = [];
  for (const s of seeds) values.push(await fn(s));
  return meanInterval(values);
}
