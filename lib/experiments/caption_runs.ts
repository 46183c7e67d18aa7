/**
 * The runs of the caption notebooks (03-07). Run i trains with initialisation seed `seeds[i]` on the seen /
 * unseen emoji split `splitSeeds[i % splitSeeds.length]`, so that a paired difference over the runs covers
 * both sources of variance, the choice of unseen classes and the initialisation, at one model per run and
 * method (notebook 01 crosses every split with every seed; a caption model costs more than a probe).
 *
 * @example
 * ```ts
 * import { captionRuns, runLabel } from "./caption_runs.ts";
 * const runs = captionRuns([0, 1, 2, 3, 4], [0, 1, 2, 3, 4]);   // seed i on split i
 * runs.map(runLabel);   // ["split 0, seed 0", ..., "split 4, seed 4"]
 * captionRuns([0, 1, 2], [0]);   // every seed on split 0
 * ```
 */

/** One caption run: an initialisation seed on a seen / unseen split. */
export interface CaptionRun {
  splitSeed: number;
  seed: number;
}

/**
 * Seed i with split `splitSeeds[i % splitSeeds.length]` (splits reused in turn when there are more seeds).
 * Throws on no seeds, no splits or a repeated seed (two runs of one model would not be independent). Pure.
 */
export function captionRuns(seeds: readonly number[], splitSeeds: readonly number[]): CaptionRun[] {
  if (!seeds.length) throw new Error("captionRuns: no seeds");
  if (!splitSeeds.length) throw new Error("captionRuns: no split seeds");
  const repeated = seeds.find((s, i) => seeds.indexOf(s) !== i);
  if (repeated !== undefined) throw new Error(`captionRuns: seed ${repeated} is listed twice (seeds ${seeds.join(", ")})`);
  return seeds.map((seed, i) => ({ splitSeed: splitSeeds[i % splitSeeds.length], seed }));
}

/** The split seeds a list of runs uses, in first-use order. Pure. */
export function runSplits(runs: readonly Pick<CaptionRun, "splitSeed">[]): number[] {
  return [...new Set(runs.map((r) => r.splitSeed))];
}

/** "split 2, seed 2": how progress lines and tables name a run. Pure. */
export function runLabel(run: CaptionRun): string {
  return `split ${run.splitSeed}, seed ${run.seed}`;
}
