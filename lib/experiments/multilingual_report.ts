/**
 * Notebook 04's numbers from its grid's rows: means per encoder and language, the main encoder against
 * the others in each language and each language against English (paired over runs), the figures and the
 * finding's sentences.
 *
 * @example
 * ```ts
 * import { multilingualComparisons } from "./multilingual_report.ts";
 * import type { CaptionGridRow } from "./caption_grid.ts";
 * declare const rows: CaptionGridRow[];
 * const cs = multilingualComparisons(rows, { main: "use-lite", encoders: ["use-lite", "word2vec-100d"], languages: ["en", "it"] });
 * ```
 * @module
 */
import type { GroupSummary, RunRow } from "../stats/aggregate.ts";
import { compareRuns, type RunComparison, summarize } from "../stats/compare_runs.ts";
import { pct, pctValue } from "../report/format.ts";
import type { Figure } from "../report/summary.ts";
import { comparisonFigures, verdictPhrase, verdictSentence } from "./findings.ts";
import type { CaptionCorpus } from "./caption_corpus.ts";
import type { MultilingualTests } from "./caption_evaluations.ts";

/** The encoders and languages of a multilingual grid, `main` the one compared with the others. */
export interface MultilingualSpec {
  main: string;
  encoders: readonly string[];
  languages: readonly string[];
}

const PAIR = { pairBy: ["split_seed", "seed"] };

/** Means over runs per encoder, language and metric. Pure. */
export function languageSummary(rows: readonly RunRow[]): (Record<"text" | "language" | "metric", string> & GroupSummary)[] {
  return summarize(rows, ["text", "language", "metric"]);
}

/** One row per encoder: "mean [interval]" (%) of `metric` in each language. Pure. */
export function languageTable(rows: readonly RunRow[], spec: MultilingualSpec, metric: string, trainedOn: (text: string) => string): Record<string, string>[] {
  const summary = languageSummary(rows);
  const shown = (text: string, lang: string) => {
    const s = summary.find((x) => x.text === text && x.language === lang && x.metric === metric);
    return s ? `${pct(s.mean)} [${pct(s.ci_lo)}, ${pct(s.ci_hi)}]` : "-";
  };
  return spec.encoders.map((text) => ({
    language_encoder: text, trained_on: trainedOn(text), ...Object.fromEntries(spec.languages.map((l) => [l, shown(text, l)])),
  }));
}

/** `main` against every other encoder in each language, then each language against English, on top-1. Pure. */
export function multilingualComparisons(rows: readonly RunRow[], spec: MultilingualSpec): RunComparison[] {
  const others = spec.encoders.filter((t) => t !== spec.main);
  return [
    ...spec.languages.flatMap((lang) => others.map((other) =>
      compareRuns(rows, { metric: "top1", language: lang }, { text: spec.main }, { text: other }, { ...PAIR, scope: `top-1, ${lang}` })
    )),
    ...spec.languages.filter((l) => l !== "en").map((lang) =>
      compareRuns(rows, { metric: "top1", text: spec.main }, { language: lang }, { language: "en" }, { ...PAIR, scope: `top-1, ${spec.main}` })
    ),
  ];
}

/** Figures: class count, chance, Tux Paint pairs, each mean (%), the paired and per-stratum comparisons. Pure. */
export function multilingualFigures(
  rows: readonly RunRow[],
  counts: { classes: string; chancePct: number; tuxpaintPairs: number },
  comparisons: readonly RunComparison[],
  strata: readonly RunComparison[],
): Record<string, Figure> {
  const figures: Record<string, Figure> = { classes: counts.classes, chance_pct: +counts.chancePct.toFixed(4), tuxpaint_pairs: counts.tuxpaintPairs };
  for (const s of languageSummary(rows)) figures[`${s.text}/${s.language}/${s.metric === "top1" ? "top1_pct" : s.metric + "_pct"}`] = pctValue(s.mean);
  return { ...figures, ...comparisonFigures("paired", comparisons), ...comparisonFigures("leakage", strata) };
}

/** The paper's Table 3 rows as read from `multilingual_v1`. */
export interface PaperMultilingualRow {
  model: string;
  data: string;
  en: number;
  cn: number;
  jp: number;
  it: number;
}

/** The finding's sentences (levels, verdicts per language, strata, retrieval, the paper). Pure. */
export function multilingualFinding(
  rows: readonly RunRow[],
  spec: MultilingualSpec,
  ctx: { comparisons: readonly RunComparison[]; strata: readonly RunComparison[]; classes: string; chancePct: number; tuxpaintPairs: number; paper: readonly Record<string, unknown>[]; mainLanguages: string },
): string[] {
  const { main, languages } = spec, summary = languageSummary(rows);
  const cell = (text: string, lang: string, metric: string) => summary.find((s) => s.text === text && s.language === lang && s.metric === metric);
  const up = (l: string) => l.toUpperCase(), nonEnglish = languages.filter((l) => l !== "en");
  // above chance: the interval's lower end above chance
  const above = (metric: string, c: number) => nonEnglish.filter((l) => 100 * (cell(main, l, metric)?.ci_lo ?? 0) > c).map(up);
  const best = [...summary.filter((s) => s.language === "en" && s.metric === "top1")].sort((a, b) => b.mean - a.mean)[0];
  const levels = (metric: string) => languages.map((l) => `${up(l)} ${pct(cell(main, l, metric)!.mean)}%`).join(", ");
  const leakSay = (lang: string, stratum: string) =>
    ctx.strata.filter((c) => c.scope === `top-1, ${lang}, ${stratum}`).map((c) => verdictPhrase(c)).join(", ") || "not measured";
  const perLanguage = (stratum: string) => languages.map((l) => `${up(l)}: ${leakSay(l, stratum)}`).join("; ");
  const tuxChance = 500 / Math.max(1, ctx.tuxpaintPairs), chance = ctx.chancePct;
  const paper = ctx.paper as unknown as PaperMultilingualRow[];
  const scratchCn = paper.filter((r) => r.model !== "ShareLock").map((r) => r.cn);
  const share = paper.filter((r) => r.model === "ShareLock").sort((a, b) => b.en - a.en)[0];
  return [
    `In English the best encoder is ${best.text} at ${pct(best.mean)}% top-1 [${pct(best.ci_lo)}, ${pct(best.ci_hi)}] over ${best.n} runs, each seed on its own seen / unseen split (${ctx.classes} unseen classes per split, mean chance ${chance.toFixed(2)}%). ` +
    `${main} scores ${levels("top1")}; its interval is above chance in ${above("top1", chance).join(", ") || "no language other than English"}. ` +
    `Against English, paired over runs: ${ctx.comparisons.filter((c) => c.scope === `top-1, ${main}`).map((c) => verdictSentence(c)).join("; ")}.`,
    `${main} against the other encoders, per language: ${languages.map((l) => `${up(l)}: ${ctx.comparisons.filter((c) => c.scope === `top-1, ${l}`).map((c) => verdictPhrase(c)).join(", ")}`).join("; ")}.`,
    `Within the leakage strata (English names in the training captions), ${main} against the others: leak-free classes ${perLanguage("none")}; classes the captions name ${perLanguage("all")}.`,
    ...(ctx.tuxpaintPairs > 0
      ? [`On translated Tux Paint captions (retrieval, recall@5, chance ${tuxChance.toFixed(1)}%) ${main} reaches ${levels("text_to_image_r5")}; its interval is above chance in ${above("text_to_image_r5", tuxChance).join(", ") || "no other language"}.`]
      : []),
    `The embedded encoders are English-only (${ctx.mainLanguages.split(" (")[0]} for ${main}), so outside English they fall towards chance, like the paper's models whose text side learned from English captions only ` +
    `(CN ${Math.min(...scratchCn)}-${Math.max(...scratchCn)}%), while the paper's ShareLock on ${share.data} keeps CN ${share.cn}%, JP ${share.jp}%, IT ${share.it}% (EN ${share.en}%) through its multilingual LLM. ` +
    `A multilingual Hugging Face model (\`hf:<id>:<pooling>\` in CONFIG.encoders) is the test that can show that transfer here.`,
  ];
}

/** The multilingual tests of each split as table rows, and the first split's translated Tux Paint captions. */
export function multilingualTestTable(tests: Map<number, MultilingualTests>, corpus: CaptionCorpus, firstSplit: number): Record<string, string | number>[] {
  const { tux } = tests.get(firstSplit)!, tuxPairs = corpus.retrieval.items.filter((it) => it.source === "tuxpaint").length;
  return [
    ...[...tests].map(([split, t]) => ({
      split, test: t.ml.task.name, kept: `${t.ml.task.classes.length} classes, ${t.ml.task.images.rows} images`,
      left_out: `${t.ml.dropped.length} classes without a name in some language`, chance_pct: (100 / t.ml.task.classes.length).toFixed(2),
    })),
    {
      split: firstSplit, test: "held-out Tux Paint captions (text → image retrieval, every split)", kept: `${tux.rows.length} pairs`,
      left_out: `${tuxPairs - tux.rows.length} pairs without all translations`, chance_pct: (100 / Math.max(1, tux.rows.length)).toFixed(2),
    },
  ];
}
