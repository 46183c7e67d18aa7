/**
 * Paired comparisons with a computed verdict: two methods measured on the same runs (the same splits
 * and seeds), the difference taken run by run, its mean with a 95% t-interval, and the verdict
 * "ahead" (interval above 0), "behind" (below 0), "equivalent" (it covers 0 but lies inside a stated
 * equivalence margin: the two one-sided tests' decision that the gap is smaller than the margin) or
 * "within noise" (it covers 0 and reaches past the margin, or no margin was given). Pairing removes the
 * variance the two methods share (a hard split is hard for both), so it decides what two separate
 * intervals cannot.
 *
 * @example
 * ```ts
 * const c = pairedComparison({ "split0/seed0": 4.1, "split0/seed1": 3.9, "split1/seed0": 4.4 },
 *                            { "split0/seed0": 3.0, "split0/seed1": 3.1, "split1/seed0": 3.2 });
 * console.log(c.verdict, c.mean, c.ci); // "ahead" 1.03 [...]
 * ```
 */
import { meanInterval } from "./intervals.ts";

/** Verdict of a paired difference. */
export type Verdict = "ahead" | "behind" | "equivalent" | "within noise";

/** The difference a - b over paired runs. */
export interface PairedComparison {
  /** Runs present in both. */
  n: number;
  /** Mean of a - b. */
  mean: number;
  /** 95% t-interval of the mean difference. */
  ci: [number, number];
  verdict: Verdict;
  /** Share of runs in which a beat b. */
  wins: number;
  /** The equivalence margin the verdict used (same unit as the values), when one was given. */
  margin?: number;
}

/**
 * Verdict of an interval of differences: ahead / behind when it excludes 0; otherwise "equivalent"
 * when `margin` (> 0) is given and the interval lies strictly inside (-margin, +margin), else
 * "within noise". Pure.
 *
 * @example
 * ```ts
 * verdictOf([-0.2, 0.3], 0.5);   // "equivalent"
 * verdictOf([-0.2, 0.7], 0.5);   // "within noise"
 * ```
 */
export function verdictOf(ci: [number, number], margin?: number): Verdict {
  if (margin !== undefined && !(margin > 0)) throw new Error(`verdictOf: equivalence margin must be > 0, got ${margin}`);
  if (ci[0] > 0) return "ahead";
  if (ci[1] < 0) return "behind";
  return margin !== undefined && ci[0] > -margin && ci[1] < margin ? "equivalent" : "within noise";
}

/**
 * Compare a with b run by run. Both name their runs (e.g. `split2/seed4`); every run of one must be
 * in the other, else the error names the missing runs. Needs at least two runs. With `margin`, an
 * interval inside (-margin, +margin) is the verdict "equivalent" ({@link verdictOf}). Pure.
 */
export function pairedComparison(a: Record<string, number>, b: Record<string, number>, margin?: number): PairedComparison {
  const ka = Object.keys(a), kb = new Set(Object.keys(b));
  const missing = [...ka.filter((k) => !kb.has(k)), ...[...kb].filter((k) => !(k in a))];
  if (missing.length) throw new Error(`pairedComparison: runs not in both: ${missing.slice(0, 5).join(", ")}${missing.length > 5 ? ", ..." : ""}`);
  if (ka.length < 2) throw new Error(`pairedComparison: needs at least 2 paired runs, got ${ka.length}`);
  const diffs = ka.map((k) => a[k] - b[k]);
  const s = meanInterval(diffs);
  return {
    n: s.n, mean: s.mean, ci: s.ci, verdict: verdictOf(s.ci, margin), wins: diffs.filter((d) => d > 0).length / diffs.length,
    ...(margin !== undefined ? { margin } : {}),
  };
}

/** `x.toFixed(digits)` without a sign on a value that rounds to zero ("0.00", never "-0.00"). Pure. */
export function fixedDigits(x: number, digits: number): string {
  const s = x.toFixed(digits);
  return /^-0\.?0*$/.test(s) ? s.slice(1) : s;
}

/** How a relates to b: "ahead of", "behind", "equivalent to" or "within noise of". Pure. */
export function relation(v: Verdict): string {
  return v === "ahead" ? "ahead of" : v === "behind" ? "behind" : v === "equivalent" ? "equivalent to" : "within noise of";
}

/**
 * One sentence for a finding cell: "USE-lite is ahead of word vectors by 2.10 points [1.40, 2.80] over 25
 * paired runs", "... is behind B by 3.28 points (difference -3.28 [-5.90, -0.66]) ...", "... is within
 * noise of B (difference 0.45 points [-0.70, 1.61]) ...", "... is equivalent to B within ±0.50 points
 * (difference -0.07 [-0.31, 0.17]) ...". Pure.
 */
export function describeComparison(nameA: string, nameB: string, c: PairedComparison, unit = "points", digits = 2): string {
  const f = (x: number) => fixedDigits(x, digits), ci = `[${f(c.ci[0])}, ${f(c.ci[1])}]`;
  const body = c.verdict === "ahead" ? `by ${f(c.mean)} ${unit} ${ci}`
    : c.verdict === "behind" ? `by ${f(-c.mean)} ${unit} (difference ${f(c.mean)} ${ci})`
    : c.verdict === "equivalent" ? `within ±${f(c.margin!)} ${unit} (difference ${f(c.mean)} ${ci})`
    : `(difference ${f(c.mean)} ${unit} ${ci}${c.margin !== undefined ? `, wider than the ±${f(c.margin)} margin` : ""})`;
  return `${nameA} is ${relation(c.verdict)} ${nameB} ${body} over ${c.n} paired runs`;
}
