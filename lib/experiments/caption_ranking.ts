/**
 * Notebook 06's ranking of language encoders: each encoder's mean over runs on every evaluation (zero-shot
 * tasks, caption retrieval both ways, the one-word group score), its rank per evaluation and mean rank,
 * and each encoder against the next in the ranking, paired over runs. The finding's sentences come from
 * those numbers.
 *
 * @example
 * ```ts
 * import { rankEncodersOn, rankingColumns } from "./caption_ranking.ts";
 * import type { CaptionGridRow } from "./caption_grid.ts";
 * declare const rows: CaptionGridRow[];
 * const ranking = rankEncodersOn(rows, ["use-lite", "word2vec-100d"], rankingColumns(["emoji (unseen)"]));
 * ranking.order[0];   // the encoder with the best mean rank
 * ```
 * @module
 */
import type { RunRow } from "../stats/aggregate.ts";
import { compareRuns, type RunComparison, summarize } from "../stats/compare_runs.ts";
import { pctValue } from "../report/format.ts";
import type { Figure } from "../report/summary.ts";
import { comparisonFigures, verdictSentence } from "./findings.ts";

/** One evaluation of the ranking: a dataset's metric and its column label. */
export interface RankingColumn {
  dataset: string;
  metric: string;
  label: string;
}

/** The ranking's evaluations: top-1 on each zero-shot task, retrieval R@5 both ways, the group score. Pure. */
export function rankingColumns(tasks: readonly string[]): RankingColumn[] {
  return [
    ...tasks.map((t) => ({ dataset: t, metric: "top1", label: `${t} top-1` })),
    { dataset: "held-out captions", metric: "text_to_image_r5", label: "caption retrieval T→I R@5" },
    { dataset: "held-out captions", metric: "image_to_text_r5", label: "caption retrieval I→T R@5" },
    { dataset: "one-word groups", metric: "group_score", label: "group score" },
  ];
}

/** One encoder's row of the ranking: its score per column (%), mean rank and best validation loss. */
export type RankingRow = { language_encoder: string; mean_rank: number; val_loss: number } & Record<string, number | string>;

/** The ranking of encoders over the columns. */
export interface EncoderRanking {
  columns: RankingColumn[];
  /** Encoders by mean rank, best first (ties keep the given order). */
  order: string[];
  board: RankingRow[];
  /** Each encoder minus the next in `order` on every column, paired over runs. */
  comparisons: RunComparison[];
  /** Mean over runs (a fraction) of an encoder on a column's dataset and metric. */
  value(text: string, dataset: string, metric: string): number;
}

/** Rank encoders on every column by their mean over runs (1 = best), then by mean rank. Pure. */
export function rankEncodersOn(rows: readonly RunRow[], encoders: readonly string[], columns: RankingColumn[]): EncoderRanking {
  const summary = summarize(rows, ["text", "dataset", "metric"]);
  const value = (text: string, d: string, m: string) => summary.find((s) => s.text === text && s.dataset === d && s.metric === m)?.mean ?? NaN;
  const ranks = new Map(encoders.map((t) => [t, [] as number[]]));
  for (const c of columns) {
    [...encoders].sort((a, b) => value(b, c.dataset, c.metric) - value(a, c.dataset, c.metric)).forEach((t, i) => ranks.get(t)!.push(i + 1));
  }
  const meanRank = (t: string) => ranks.get(t)!.reduce((a, b) => a + b, 0) / columns.length;
  const order = [...encoders].sort((a, b) => meanRank(a) - meanRank(b));
  const board = order.map((text) => ({
    language_encoder: text,
    ...Object.fromEntries(columns.map((c) => [c.label, pctValue(value(text, c.dataset, c.metric))])),
    mean_rank: +meanRank(text).toFixed(2),
    val_loss: +value(text, "training", "best_val_loss").toFixed(3),
  }) as RankingRow);
  const comparisons = order.slice(0, -1).flatMap((a, i) => columns.map((c) =>
    compareRuns(rows, { dataset: c.dataset, metric: c.metric }, { text: a }, { text: order[i + 1] }, { pairBy: ["split_seed", "seed"], scope: c.label })
  ));
  return { columns, order, board, comparisons, value };
}

/** Figures: mean rank, each score (%), and the paired steps of the ranking. Pure. */
export function rankingFigures(r: EncoderRanking): Record<string, Figure> {
  const figures: Record<string, Figure> = {};
  for (const b of r.board) figures[`${b.language_encoder}/mean_rank`] = b.mean_rank;
  for (const text of r.order) for (const c of r.columns) figures[`${text}/${c.label}/pct`] = pctValue(r.value(text, c.dataset, c.metric));
  return { ...figures, ...comparisonFigures("paired", r.comparisons) };
}

/** "ahead on 2, within noise on 3, behind on 0 of 5". Pure. */
export function stepTally(cs: readonly RunComparison[]): string {
  const n = (v: string) => cs.filter((c) => c.verdict === v).length;
  return `ahead on ${n("ahead")}, within noise on ${n("within noise")}, behind on ${n("behind")} of ${cs.length}`;
}

/** The finding's sentences on the ranking: the order, each step, the random-text control, `main`'s place. Pure. */
export function rankingFinding(r: EncoderRanking, main: string, runs: number): string[] {
  const { board, order } = r, step = (i: number) => r.comparisons.filter((c) => c.a === order[i] && c.b === order[i + 1]);
  const ranked = board.map((b, i) => `${i === 0 ? "" : b.mean_rank === board[i - 1].mean_rank ? " = " : " > "}${b.language_encoder} (mean rank ${b.mean_rank})`);
  const place = order[0] !== main
    ? `Unlike the paper's ordering, the strongest language encoder (${main}) is not first here.`
    : board[1]?.mean_rank === board[0].mean_rank
    ? `The strongest language encoder (${main}) shares first place with ${board[1].language_encoder}; the paired verdicts above say where each is ahead.`
    : `As in the paper, the strongest language encoder (${main}) gives the best vision-language model from the same pairs and training.`;
  return [
    `Ranked over ${r.columns.length} evaluations (means over ${runs} runs, each seed on its own seen / unseen split), the language encoders come out ${ranked.join("")}.`,
    `Each step of the ranking, paired over runs: ${order.slice(0, -1).map((t, i) => `${t} against ${order[i + 1]}: ${stepTally(step(i))}`).join("; ")}.`,
    ...(order.includes("random-text") ? [`The random-text control, with no language at all, ranks ${order.indexOf("random-text") + 1} of ${order.length}.`] : []),
    place,
  ];
}

/** Sentences of comparisons, "; "-joined, or `none` when there are none. Pure. */
export function sentences(cs: readonly RunComparison[], none = "not measured (too few runs reach this stratum)"): string {
  return cs.map((c) => verdictSentence(c)).join("; ") || none;
}
