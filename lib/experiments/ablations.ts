/**
 * Notebook 07's ablations as data: the projection architectures, losses and temperatures a notebook
 * names become the variants of one caption grid ({@link ablationVariants}); each variant's means and its
 * paired difference to its ablation's default come back typed ({@link variantResults}), and the figures
 * and finding come from those ({@link ablationFigures}, {@link ablationFinding}).
 *
 * @example
 * ```ts
 * import { ablationVariants } from "./ablations.ts";
 * const variants = ablationVariants({ architectures: { linear: { projection: { kind: "linear" } } }, losses: {}, temperatures: [0.03, 0.07] }, "use-lite", {});
 * // [{ name: "linear", group: "architecture", ... }, { name: "τ = 0.03", group: "temperature", ... }, { name: "τ = 0.07 (default)", ... }]
 * ```
 * @module
 */
import { PAPER_LOGIT_SCALE } from "../train/losses.ts";
import type { TrainConfig } from "../train/trainer.ts";
import { compareRuns, type RunComparison, summarize } from "../stats/compare_runs.ts";
import type { Figure } from "../report/summary.ts";
import { type Displayable, table } from "../report/display.ts";
import { pairedFigure, verdictPhrase } from "./findings.ts";
import type { CaptionGridRow, CaptionGridStratumRow, CaptionVariant } from "./caption_grid.ts";
import { stratumComparisons } from "./caption_leakage.ts";

/** The ablations a notebook runs: named changes of the training settings, and fixed temperatures τ. */
export interface Ablations {
  architectures: Record<string, Partial<TrainConfig>>;
  losses: Record<string, Partial<TrainConfig>>;
  /** Fixed temperatures τ (logit scale 1/τ); the one equal to the default's is the default. */
  temperatures: readonly number[];
}

/** The label of a default variant ends with this. */
export const DEFAULT_MARK = " (default)";

/** Every ablation's variants of one language encoder, grouped "architecture", "loss", "temperature". Pure. */
export function ablationVariants(ab: Ablations, text: string, base: Partial<TrainConfig>): CaptionVariant[] {
  const scale = base.logitScale ?? PAPER_LOGIT_SCALE;
  return [
    ...Object.entries(ab.architectures).map(([name, train]) => ({ name, text, train, group: "architecture" })),
    ...Object.entries(ab.losses).map(([name, train]) => ({ name, text, train, group: "loss" })),
    ...ab.temperatures.map((tau) => {
      const isDefault = Math.abs(1 / tau - scale) < 0.01;
      return { name: `τ = ${tau}${isDefault ? DEFAULT_MARK : ""}`, text, train: isDefault ? {} : { logitScale: 1 / tau }, group: "temperature" };
    }),
  ];
}

/** One variant of an ablation: means over runs and its paired difference to the ablation's default. */
export interface VariantResult {
  variant: string;
  parameters: number;
  /** Top-1 (%) per zero-shot task. */
  top1: Record<string, number>;
  /** Held-out caption retrieval, text to image recall@5 (%). */
  retrievalR5: number;
  /** Paired over runs on `task`'s top-1; absent for the default. */
  vsDefault?: RunComparison;
}

/** The variants of one ablation (`group`), compared with its default on `task` top-1, paired over runs. Pure. */
export function variantResults(rows: readonly CaptionGridRow[], group: string, tasks: readonly string[], task = tasks[0]): VariantResult[] {
  const of = summarize(rows, ["variant", "dataset", "metric"], { group });
  const names = [...new Set(of.map((s) => s.variant))];
  const def = names.find((v) => v.includes(DEFAULT_MARK));
  const mean = (v: string, d: string, m: string) => 100 * (of.find((s) => s.variant === v && s.dataset === d && s.metric === m)?.mean ?? NaN);
  return names.map((v) => ({
    variant: v,
    parameters: rows.find((r) => r.group === group && r.variant === v)?.parameters ?? 0,
    top1: Object.fromEntries(tasks.map((t) => [t, mean(v, t, "top1")])),
    retrievalR5: mean(v, "held-out captions", "text_to_image_r5"),
    vsDefault: def && v !== def
      ? compareRuns(rows, { group, dataset: task, metric: "top1" }, { variant: v }, { variant: def }, { pairBy: ["split_seed", "seed"], scope: group })
      : undefined,
  }));
}

/** The default variant of an ablation's results. */
export function defaultVariant(list: readonly VariantResult[]): VariantResult {
  const d = list.find((v) => !v.vsDefault);
  if (!d) throw new Error("defaultVariant: no variant is marked (default)");
  return d;
}

/** Variants as a table: means over runs, and the paired verdict against the default on `task`. */
export function variantTable(list: readonly VariantResult[], tasks: readonly string[], caption: string, runs: number, task = tasks[0]): Displayable {
  return table(list.map((v) => ({
    variant: v.variant,
    parameters: v.parameters,
    ...Object.fromEntries(tasks.map((t) => [`${t} top-1`, v.top1[t]])),
    "retrieval T→I R@5": v.retrievalR5,
    [`vs default, ${task} top-1 (points)`]: v.vsDefault ? pairedFigure(v.vsDefault) : "-",
  })), { caption: `${caption} (%, mean over ${runs} runs, each seed on its own split)`, digits: 2 });
}

/** Figures of each ablation on `task`: top-1 per variant and each variant minus the default. Pure. */
export function ablationFigures(ablations: Record<string, readonly VariantResult[]>, task: string): Record<string, Figure> {
  const figures: Record<string, Figure> = {};
  for (const [ab, list] of Object.entries(ablations)) {
    for (const v of list) {
      figures[`${ab}/${v.variant}/top1_pct`] = +v.top1[task].toFixed(2);
      if (v.vsDefault) figures[`paired/${ab}/${v.variant} - default`] = pairedFigure(v.vsDefault);
    }
  }
  return figures;
}

/** "variant: verdict" for every variant against its default. */
export function againstDefault(list: readonly VariantResult[]): string {
  return list.filter((v) => v.vsDefault).map((v) => `${v.variant}: ${verdictPhrase(v.vsDefault!)}`).join("; ");
}

/** How many comparisons are ahead, behind and within noise. */
export function tally(cs: readonly RunComparison[]): string {
  const ahead = cs.filter((c) => c.verdict === "ahead").length, behind = cs.filter((c) => c.verdict === "behind").length;
  return `${ahead} ahead, ${behind} behind, ${cs.length - ahead - behind} within noise of ${cs.length}`;
}

/** The finding's sentences on the architecture, loss and temperature ablations. Pure. */
export function ablationFinding(ab: { architecture: readonly VariantResult[]; loss: readonly VariantResult[]; temperature: readonly VariantResult[] }, task: string, runs: number): string[] {
  const arch = defaultVariant(ab.architecture), bestT = [...ab.temperature].sort((a, b) => b.top1[task] - a.top1[task])[0];
  return [
    `Every variant against the default on ${task} top-1, paired over ${runs} runs, each seed on its own seen / unseen split. Architecture (default ${arch.variant.replace(DEFAULT_MARK, "")}, ${arch.top1[task].toFixed(2)}%): ${againstDefault(ab.architecture)}.`,
    `Loss (default ${defaultVariant(ab.loss).top1[task].toFixed(2)}%): ${againstDefault(ab.loss)}. Temperature: ${againstDefault(ab.temperature)}; the highest mean is at ${bestT.variant} (${bestT.top1[task].toFixed(2)}%).`,
  ];
}

/** Each variant minus its ablation's default on `task` top-1 within each leakage stratum, paired over runs. Pure. */
export function ablationStrata(strata: readonly CaptionGridStratumRow[], ablations: Record<string, readonly VariantResult[]>, task: string): RunComparison[] {
  return Object.entries(ablations).flatMap(([group, list]) => {
    const def = defaultVariant(list).variant;
    return list.filter((v) => v.vsDefault).flatMap((v) =>
      stratumComparisons(strata, { group, dataset: task, metric: "top1" }, { variant: v.variant }, { variant: def }, { pairBy: ["split_seed", "seed"], scope: group })
    );
  });
}

/** The finding's closing sentences: the tally of variants against their default per leakage stratum, and what the paper's Appendix D leaves out. Pure. */
export function ablationStrataFinding(strata: readonly RunComparison[], task: string): string[] {
  const tallyIn = (stratum: string) => tally(strata.filter((c) => c.scope?.endsWith(`, ${stratum}`)));
  return [
    `Within the leakage strata of ${task} (variants against their default): leak-free classes ${tallyIn("none")}; ` +
    `classes whose every word the captions name ${tallyIn("all")}.`,
    "The paper's ablation numbers (Appendix D) are not among the tables shipped in data/paper/, so levels are not compared here; " +
    "the paper's own choices, which these ablations test on the embedded data, are an MLP for captions, the CLIP loss and a fixed τ = 0.07.",
  ];
}
