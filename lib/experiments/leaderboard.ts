/**
 * A ranking of encoders by visual generalization that says how sure it is: every pair of encoders is
 * compared run by run over the runs they share (`pairedComparison`: the mean difference, its 95%
 * interval, a verdict). An encoder's **rank interval** runs from 1 + the number of encoders decidedly
 * ahead of it to the count minus the number decidedly behind it; neighbours in the order are
 * **separated** when the upper one is decidedly ahead, else **within noise**.
 *
 * @example
 * ```ts
 * const s = (name: string, runs: number[]) => ({ name, mean: runs.reduce((a, b) => a + b) / runs.length,
 *   perRun: Object.fromEntries(runs.map((v, i) => [`split0/seed${i}`, v])) });
 * const ranked = rankByRuns([s("weak", [1, 2, 1.5]), s("strong", [5, 6, 5.5])]);
 * console.log(ranked[0].name, ranked[0].rankRange, ranked[0].vsNext?.verdict); // "strong" [1, 1] "ahead"
 * console.log(describeRanking(ranked));
 * ```
 */
import { pairedComparison, type PairedComparison } from "../stats/paired.ts";
import type { RunComparison } from "../stats/compare_runs.ts";
import type { EncoderScore } from "./encoder_score.ts";

/** What a ranking needs of an entry: a name, the mean, and each run's value. */
export interface RunScores {
  name: string;
  mean: number;
  perRun: Record<string, number>;
}

/** One place in the ranking. */
export interface RankedEntry<T extends RunScores = RunScores> {
  name: string;
  /** 1-based position by mean (best first). */
  rank: number;
  /** The ranks the paired comparisons leave possible: [1 + decidedly ahead of it, n - decidedly behind it]. */
  rankRange: [number, number];
  /** This entry against the next one down (absent for the last, or with under 2 shared runs). */
  vsNext?: PairedComparison;
  /** Whether it is decidedly ahead of the next one down. */
  separatedFromNext: boolean;
  entry: T;
}

/** The paired comparison of a and b over their shared runs; null with fewer than 2. Pure. */
export function pairedOnShared(a: Record<string, number>, b: Record<string, number>): PairedComparison | null {
  const shared = Object.keys(a).filter((k) => k in b);
  if (shared.length < 2) return null;
  return pairedComparison(Object.fromEntries(shared.map((k) => [k, a[k]])), Object.fromEntries(shared.map((k) => [k, b[k]])));
}

/**
 * Encoder a minus encoder b on visual generalization, paired over the runs they share, in percentage
 * points: a `RunComparison` for `comparisonTable` and `verdictSentence`. Throws when they share fewer
 * than 2 runs. Pure.
 */
export function compareEncoderScores(a: Pick<EncoderScore, "name" | "visual">, b: Pick<EncoderScore, "name" | "visual">, scope?: string): RunComparison {
  const points = (r: Record<string, number>) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, 100 * v]));
  const c = pairedOnShared(points(a.visual.perRun), points(b.visual.perRun));
  if (!c) throw new Error(`compareEncoderScores: ${a.name} and ${b.name} share fewer than 2 runs`);
  return { a: a.name, b: b.name, ...(scope ? { scope } : {}), ...c };
}

/** Rank entries by mean (higher is better), with rank intervals and neighbour verdicts. Pure. */
export function rankByRuns<T extends RunScores>(entries: readonly T[]): RankedEntry<T>[] {
  const order = [...entries].sort((a, b) => b.mean - a.mean);
  const n = order.length;
  const verdict = order.map((a) => order.map((b) => (a === b ? null : pairedOnShared(a.perRun, b.perRun))));
  return order.map((e, i) => {
    const ahead = verdict.filter((row, j) => j !== i && row[i]?.verdict === "ahead").length;
    const behind = verdict.filter((row, j) => j !== i && row[i]?.verdict === "behind").length;
    const vsNext = i + 1 < n ? verdict[i][i + 1] ?? undefined : undefined;
    return { name: e.name, rank: i + 1, rankRange: [1 + ahead, n - behind], vsNext, separatedFromNext: vsNext?.verdict === "ahead", entry: e };
  });
}

/** Rank scored encoders by visual generalization (see {@link rankByRuns}). Pure. */
export function rankEncoders(scores: readonly EncoderScore[]): RankedEntry<RunScores & { score: EncoderScore }>[] {
  return rankByRuns(scores.map((score) => ({ name: score.name, mean: score.visual.mean, perRun: score.visual.perRun, score })));
}

/**
 * The ranking in words: groups of neighbours within noise of each other, separated by ">" where the
 * upper one is decidedly ahead ("use-lite > word2vec-100d ≈ random-word > random-text"). Pure.
 */
export function describeRanking(ranked: readonly RankedEntry[]): string {
  return ranked.map((r, i) => (i + 1 < ranked.length ? `${r.name} ${r.separatedFromNext ? ">" : "≈"} ` : r.name)).join("");
}
