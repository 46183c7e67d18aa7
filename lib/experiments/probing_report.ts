/**
 * Notebook 01's numbers from its grid's rows: the summary per test, representation and encoder; the
 * paired comparisons along the language ladder (overall and within each leakage stratum); the figures
 * and the finding's sentences.
 *
 * @example
 * ```ts
 * import { ladderComparisons, probingSummary } from "./probing_report.ts";
 * import type { ProbingRow } from "./probing_grid.ts";
 * declare const rows: ProbingRow[];
 * const summary = probingSummary(rows);
 * const cs = ladderComparisons(rows, { language: ["use-lite", "word2vec-100d"], representations: ["templates"], asifWith: null });
 * ```
 * @module
 */
import type { ProbingNotebookConfig } from "../config.ts";
import { LIT_BAG_OF_WORDS } from "../baselines/lit.ts";
import { leakageCounts } from "../eval/leakage.ts";
import { classesPerSplit, pct, pctValue } from "../report/format.ts";
import type { Figure } from "../report/summary.ts";
import type { GroupSummary, RunRow } from "../stats/aggregate.ts";
import { compareRuns, type RunComparison, selectRuns, summarize } from "../stats/compare_runs.ts";
import { comparisonFigures, verdictSentence } from "./findings.ts";
import type { ProbingContext } from "./probing.ts";
import { probingLeakage } from "./probing_leakage.ts";

const ACC = { metric: "mean_per_class_acc" };
const PAIR_BY = ["dataset", "split_seed", "seed"];

/** The pairs the notebook compares, strongest language first; the LiT-style tower last. */
export const LADDER: readonly [string, string][] = [
  ["use-lite", "word2vec-100d"], ["word2vec-100d", "random-word"], ["word2vec-100d", "random-text"], ["random-word", "random-text"], ["use-lite", LIT_BAG_OF_WORDS],
];

/** A summary line: test, representation, language encoder, mean and interval of average per-class accuracy. */
export type ProbingSummaryRow = Record<"split" | "representation" | "text", string> & GroupSummary;

/** Mean and 95% interval over splits x seeds per test, representation and encoder, best first within each. Pure. */
export function probingSummary(rows: readonly RunRow[]): ProbingSummaryRow[] {
  return summarize(rows, ["split", "representation", "text"], ACC)
    .sort((a, b) => a.split.localeCompare(b.split) || a.representation.localeCompare(b.representation) || b.mean - a.mean);
}

/** The tests the rows hold besides "seen" ("unseen", and "style-shift" for multi-style contexts). Pure. */
export function probingTests(rows: readonly RunRow[]): string[] {
  return ["unseen", "style-shift"].filter((split) => rows.some((r) => r.split === split));
}

/** The ladder's pairs whose both encoders ran. Pure. */
export function ladderPairs(rows: readonly RunRow[]): [string, string][] {
  const has = new Set(rows.map((r) => r.text));
  return LADDER.filter(([a, b]) => has.has(a) && has.has(b));
}

/**
 * Paired comparisons on average per-class accuracy: the ladder on each test (templates), each other
 * representation against templates and ASIF against its encoder (seed 0 of every split, where they share runs). Pure.
 */
export function ladderComparisons(rows: readonly RunRow[], cfg: Pick<ProbingNotebookConfig, "language" | "representations" | "asifWith">): RunComparison[] {
  const pairBy = PAIR_BY, main = cfg.language[0];
  const comparisons = probingTests(rows).flatMap((split) => ladderPairs(rows).map(([a, b]) =>
    compareRuns(rows, { ...ACC, split, representation: "templates" }, { text: a }, { text: b }, { scope: `${split} (templates)`, pairBy })
  ));
  for (const rep of cfg.representations.filter((r) => r !== "templates" && rows.some((x) => x.representation === r))) {
    comparisons.push(compareRuns(rows, { ...ACC, split: "unseen", text: main, seed: 0 }, { representation: rep }, { representation: "templates" }, { scope: `unseen (${main}, seed 0)`, pairBy }));
  }
  if (cfg.asifWith) {
    comparisons.push(compareRuns(rows, { ...ACC, split: "unseen", representation: "templates", seed: 0 }, { text: cfg.asifWith }, { text: `ASIF (${cfg.asifWith})` }, { scope: "unseen (templates, seed 0)", pairBy }));
  }
  return comparisons;
}

/** The ladder within each leakage stratum (none, some, all) of each test, where both sides have runs. Pure. */
export function ladderStrata(leakRows: readonly RunRow[], rows: readonly RunRow[]): RunComparison[] {
  return probingTests(rows).flatMap((split) => (["none", "some", "all"] as const).flatMap((leakage) =>
    ladderPairs(rows)
      .filter(([a, b]) => [a, b].every((text) => selectRuns(leakRows, { ...ACC, split, leakage, text }).length))
      .map(([a, b]) => compareRuns(leakRows, { ...ACC, split, leakage }, { text: a }, { text: b }, { pairBy: PAIR_BY, scope: `${split}, ${leakage}` }))
  ));
}

/** How many unseen classes of a context the seen classes' template texts name wholly, partly or not at all. Pure. */
function templateLeakage(ctx: ProbingContext): ReturnType<typeof leakageCounts> {
  return leakageCounts(probingLeakage(ctx, "templates").audit);
}

/** Each split's unseen classes by how much of their name the seen classes' texts (templates) contain. Pure. */
export function leakageSplitRows(contexts: readonly ProbingContext[]): Record<string, string | number>[] {
  return contexts.map((ctx) => {
    const n = templateLeakage(ctx);
    return { dataset: ctx.dataset.name, split_seed: ctx.split.seed, unseen_classes: n.all + n.some + n.none, all_words_named: n.all, some_named: n.some, none_named: n.none };
  });
}

/** Key figures: chance, runs, splits, each summary's mean and half-width (%), and the paired comparisons. Pure. */
export function probingFigures(
  summary: readonly ProbingSummaryRow[],
  counts: { chancePct: number; runs: number; splits: number },
  comparisons: readonly RunComparison[],
  strata: readonly RunComparison[],
): Record<string, Figure> {
  const figures: Record<string, Figure> = { chance_pct: counts.chancePct, runs: counts.runs, splits: counts.splits };
  for (const s of summary) {
    figures[`${s.text}/${s.representation}/${s.split}/acc_pct`] = pctValue(s.mean);
    figures[`${s.text}/${s.representation}/${s.split}/ci95_halfwidth_pct`] = pctValue(s.mean - s.ci_lo);
  }
  return { ...comparisonFigures("leakage", strata), ...figures, ...comparisonFigures("paired", comparisons) };
}

/** What the finding is written from. */
export interface ProbingFindingInput {
  contexts: readonly ProbingContext[];
  summary: readonly ProbingSummaryRow[];
  comparisons: readonly RunComparison[];
  /** The tests the runs have (`probingTests`). */
  tests: readonly string[];
  seedsPerSplit: number;
  /** The paper's digitised decoder / encoder pairs. */
  encoderVsDecoder: readonly { encoder: number; decoder: number }[];
}

/** The leakage finding: how many unseen classes are leak-free, and the ladder's verdicts in the strata. Pure. */
export function leakageFinding(contexts: readonly ProbingContext[], strata: readonly RunComparison[]): string[] {
  const leakFree = contexts.map((ctx) => {
    const n = templateLeakage(ctx);
    return (100 * n.none) / (n.all + n.some + n.none);
  });
  const say = (scope: string, a: string, b: string) => {
    const c = strata.find((x) => x.scope === scope && x.a === a && x.b === b);
    return c ? verdictSentence(c) : `${a} against ${b}: not measured in this stratum`;
  };
  const both = (scope: string) => `${say(scope, "use-lite", LIT_BAG_OF_WORDS)}; ${say(scope, "use-lite", "word2vec-100d")}`;
  return [
    `${Math.min(...leakFree).toFixed(0)}-${Math.max(...leakFree).toFixed(0)}% of the unseen classes (per split) have no word of their name in the seen classes' texts.`,
    `Leak-free unseen classes: ${both("unseen, none")}.`,
    `Unseen classes whose every word the seen texts name: ${both("unseen, all")}.`,
  ];
}

/** The finding's sentences: the ladder, the style shift, representations and ASIF, levels. Pure. */
export function probingFinding(f: ProbingFindingInput): string[] {
  const { contexts, summary, comparisons } = f, ctx0 = contexts[0];
  const { range: classRange, meanChancePct: chance } = classesPerSplit(contexts.map((c) => c.unseenClasses.length));
  const at = (split: string, text: string) => summary.find((s) => s.split === split && s.representation === "templates" && s.text === text);
  const ladder = ["random-text", "word2vec-100d", "use-lite"];
  const apart = (split: string) => ladder.every((t, i) => i === 0 || (at(split, ladder[i - 1]) && at(split, t) && at(split, ladder[i - 1])!.ci_hi < at(split, t)!.ci_lo));
  const cmp = (scope: string, a: string, b: string) => comparisons.find((c) => c.scope === scope && c.a === a && c.b === b);
  const verdicts = (scope: string) => comparisons.filter((c) => c.scope === scope).map((c) => verdictSentence(c)).join("; ");
  const best = summary.filter((s) => s.split === "unseen" && s.representation === "templates").sort((a, b) => b.mean - a.mean)[0];
  const decoderWins = f.encoderVsDecoder.filter((r) => r.decoder > r.encoder).length;
  const uw = cmp("unseen (templates)", "use-lite", "word2vec-100d"), wr = cmp("unseen (templates)", "word2vec-100d", "random-text");
  const ladderSaid = uw && wr
    ? `The ladder random-text < word vectors < USE-lite is ${uw.verdict === "ahead" && wr.verdict === "ahead" ? "**decided** by the paired differences" : "**not decided** by the paired differences"}, ` +
      `and the 95% intervals of the three means are ${apart("unseen") ? "apart (non-overlapping)" : "NOT all apart"}. `
    : "";
  const missing = Object.entries(ctx0.missing);
  return [
    `Over ${contexts.length} seen/unseen splits x ${f.seedsPerSplit} seeds (${classRange} unseen classes per split, mean chance ${chance.toFixed(2)}%), the best language encoder on unseen classes in the training styles is **${best.text}** at ${pct(best.mean)}% [${pct(best.ci_lo)}, ${pct(best.ci_hi)}]. ` +
    ladderSaid +
    `As in the paper, where stronger language models align better (Pearson r = 0.768 with MMLU-Pro; decoders beat encoders of similar size in ${decoderWins} of ${f.encoderVsDecoder.length} digitised pairs), the ordering is what carries over, not the level.`,
    `Unseen classes in the training styles: ${verdicts("unseen (templates)")}.`,
    ...(f.tests.includes("style-shift") ? [`Unseen classes in ${ctx0.heldOut?.style}, a style never trained on: ${verdicts("style-shift (templates)")}; intervals of the ladder ${apart("style-shift") ? "apart" : "not all apart"}.`] : []),
    `Other representations and ASIF (seed 0 of each split): ${comparisons.filter((c) => !c.scope?.endsWith("(templates)")).map((c) => verdictSentence(c)).join("; ")}.`,
    `Levels are not comparable with the paper's: a few images per class, ${classRange}-way, MobileNetV2 features here; DINOv2 on AWA2 / CUB / Aircraft / ImageNet+ there.` +
    (missing.length ? ` Not run: ${missing.map(([k, v]) => `*${k}*: ${v}`).join("; ")}.` : ""),
  ];
}
