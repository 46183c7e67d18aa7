/**
 * Notebook 05's numbers from its rows: text / image / group scores per task and model, ShareLock with
 * the main encoder against chance and against every other model (paired over runs), per kind of
 * difference, within the leakage strata, Winoground itself when it is on disk, the figures and the
 * finding.
 *
 * @example
 * ```ts
 * import { scoreComparisons } from "./compositional_report.ts";
 * import type { RunRow } from "../stats/aggregate.ts";
 * declare const rows: RunRow[];
 * const cs = scoreComparisons(rows, { task: "emoji", main: "use-lite", others: [{ method: "LiT-style", text: "lit-bag-of-words" }] });
 * ```
 * @module
 */
import { pct, pctValue } from "../report/format.ts";
import type { Figure } from "../report/summary.ts";
import type { GroupSummary, RunRow } from "../stats/aggregate.ts";
import { compareRuns, compareRunsTo, type RunComparison, selectRuns, summarize, type Where } from "../stats/compare_runs.ts";
import { comparisonFigures, verdictPhrase } from "./findings.ts";
import { stratumComparisons } from "./caption_leakage.ts";

/** Text, image and group scores. */
export const SCORES = ["text", "image", "group"] as const;
/** Chance of each score. */
export const SCORE_CHANCE: Record<string, number> = { text: 0.25, image: 0.25, group: 1 / 6 };
const PAIR = { pairBy: ["split_seed", "seed"] };
const p1 = (x: number) => pct(x, 1);

/** Which comparisons: on `task`, ShareLock with `main` against chance and each of `others` (method and text). */
export interface ScoreSpec {
  task: string;
  main: string;
  others: readonly { method: string; text: string }[];
}

/** Means over runs of every model's scores over all groups, per task. Pure. */
export function scoreSummary(rows: readonly RunRow[]): (Record<"dataset" | "method" | "text" | "metric", string> & GroupSummary)[] {
  return summarize(rows, ["dataset", "method", "text", "metric"], { split: "all" });
}

/** "mean [interval]" (%), the mean alone for one run, "-" for none. Pure. */
export function shownScore(s: GroupSummary | undefined): string {
  return s ? (s.n > 1 ? `${p1(s.mean)} [${p1(s.ci_lo)}, ${p1(s.ci_hi)}]` : p1(s.mean)) : "-";
}

/** One table row per model on `task`: each score as mean and interval, and its number of runs. Pure. */
export function scoreTable(rows: readonly RunRow[], task: string): Record<string, string | number>[] {
  const summary = scoreSummary(rows);
  const models = [...new Set(summary.map((s) => `${s.method}|${s.text}`))].map((k) => k.split("|"));
  const of = (method: string, text: string, metric: string) => summary.find((s) => s.dataset === task && s.method === method && s.text === text && s.metric === metric);
  return models.map(([method, text]) => ({
    method, language: text, ...Object.fromEntries(SCORES.map((m) => [`${m}_score`, shownScore(of(method, text, m))])), runs: of(method, text, "text")?.n ?? 0,
  }));
}

/** ShareLock (`main`) against chance and against each other model, per score, paired over runs. Pure. */
export function scoreComparisons(rows: readonly RunRow[], spec: ScoreSpec): RunComparison[] {
  const a = { method: "ShareLock", text: spec.main };
  return SCORES.flatMap((metric) => {
    const common = { dataset: spec.task, split: "all", metric }, scope = `${metric} score`;
    return [
      compareRunsTo(rows, common, a, SCORE_CHANCE[metric], "chance", { ...PAIR, scope }),
      ...spec.others.map((b) => compareRuns(rows, common, a, b, { ...PAIR, scope })),
    ];
  });
}

/** ShareLock (`main`) by kind of difference on `task`: groups per split and each score. Pure. */
export function kindTable(rows: readonly RunRow[], spec: Pick<ScoreSpec, "task" | "main">): Record<string, string | number>[] {
  const where: Where = { text: spec.main, method: "ShareLock", dataset: spec.task };
  const byKind = summarize(rows, ["split", "metric"], where).filter((s) => s.split !== "all");
  const groupsOf = (kind: string) => {
    const g = selectRuns(rows, { ...where, split: kind, metric: "group" }).map((r) => Number(r.groups));
    return g.length ? Math.round(g.reduce((x, y) => x + y, 0) / g.length) : 0;
  };
  return [...new Set(byKind.map((s) => s.split))].map((kind) => ({
    differs_in: kind, groups_per_split: groupsOf(kind),
    ...Object.fromEntries(SCORES.map((m) => [`${m}_score`, shownScore(byKind.find((s) => s.split === kind && s.metric === m))])),
  }));
}

/** ShareLock (`main`) against each other model within each leakage stratum of the groups. Pure. */
export function scoreStrata(strata: readonly RunRow[], spec: ScoreSpec): RunComparison[] {
  return SCORES.flatMap((metric) => spec.others.flatMap((b) =>
    stratumComparisons(strata, { dataset: spec.task, metric }, { method: "ShareLock", text: spec.main }, b, { ...PAIR, scope: `${metric} score` })
  ));
}

/** Figures: groups per split, each mean score (%), the paired and per-stratum comparisons. Pure. */
export function scoreFigures(rows: readonly RunRow[], groups: string, comparisons: readonly RunComparison[], strata: readonly RunComparison[]): Record<string, Figure> {
  const figures: Record<string, Figure> = { groups };
  for (const s of scoreSummary(rows)) {
    figures[`${s.method === "ShareLock" ? s.text : `${s.method.toLowerCase()}:${s.text}`}/${s.dataset}/${s.metric}_score_pct`] = pctValue(s.mean, 1);
  }
  return { ...figures, ...comparisonFigures("paired", comparisons), ...comparisonFigures("leakage", strata) };
}

/** The paper's Table 4 rows. */
interface PaperScoreRow {
  model: string;
  data: string;
  text: number;
  image: number;
  group: number;
}

/** The finding's sentences. Pure. */
export function scoreFinding(
  rows: readonly RunRow[],
  spec: ScoreSpec,
  ctx: { comparisons: readonly RunComparison[]; strata: readonly RunComparison[]; groups: string; runs: number; paper: readonly Record<string, unknown>[] },
): string[] {
  const summary = scoreSummary(rows), main = spec.main;
  const mean = (metric: string) => p1(summary.find((s) => s.dataset === spec.task && s.method === "ShareLock" && s.text === main && s.metric === metric)!.mean);
  const vsChance = (metric: string) => ctx.comparisons.find((c) => c.scope === `${metric} score` && c.b === "chance")!;
  const chanceWord = (c: RunComparison) => (c.verdict === "ahead" ? "above chance" : c.verdict === "behind" ? "below chance" : "at chance within noise");
  const others = (metric: string) => ctx.comparisons.filter((c) => c.scope === `${metric} score` && c.b !== "chance").map((c) => verdictPhrase(c)).join(", ");
  const leakSay = (stratum: string) => ctx.strata.filter((c) => c.scope === `group score, ${stratum}`).map((c) => verdictPhrase(c)).join(", ") || "not measured (too few runs have such groups)";
  const paper = (ctx.paper as unknown as PaperScoreRow[]).filter((r) => !["Human", "Chance"].includes(r.model));
  const paperOf = (model: string) => paper.filter((r) => r.model === model);
  const range = (m: "text" | "image" | "group") => `${Math.min(...paper.map((r) => r[m]))}-${Math.max(...paper.map((r) => r[m]))}%`;
  const level = (m: string) => `${m} ${mean(m)}% (${chanceWord(vsChance(m))})`;
  return [
    `On the one-word groups of unseen emoji classes (${ctx.groups} groups on the ${ctx.runs} runs' splits), over ${ctx.runs} runs, each seed on its own seen / unseen split, ShareLock with ${main} scores ${level("text")}, ${level("image")} and ${level("group")}; chance is 25 / 25 / 16.7%.`,
    `Against the other models, paired over runs: text score ${others("text")}; image score ${others("image")}; group score ${others("group")}.`,
    `Group score within the leakage strata, ShareLock against the others: leak-free groups ${leakSay("none")}; groups the captions name whole ${leakSay("all")}.`,
    `These groups differ in one word, not in word order as Winoground's, so even a bag of words can tell the two captions apart. Scores below chance are common here as in the paper: a caption that is close to every image (a hub) fails both of its image's comparisons.`,
    `In the paper (Winoground, Table 4) every contrastive model is below chance on the image and group scores: group ${range("group")}, image ${range("image")}, with ShareLock's image score (${paperOf("ShareLock").map((r) => `${r.image}% on ${r.data}`).join(", ")}) above LiT's (${paperOf("LiT").map((r) => `${r.image}%`).join(", ")}) on the same data.`,
  ];
}
