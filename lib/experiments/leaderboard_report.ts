/**
 * Notebook 08's leaderboard from its scored entries: the board's typed rows (rank, rank range, the
 * paired step to the next model, every figure), its display table, the correlations beside the paper's
 * Figure 1 (each source standardised on its own), the figures and the finding.
 *
 * @example
 * ```ts
 * import { leaderboardRows } from "./leaderboard_report.ts";
 * import { rankEncoders } from "./leaderboard.ts";
 * import type { EncoderScore } from "./encoder_score.ts";
 * declare const scores: EncoderScore[];
 * const board = leaderboardRows(rankEncoders(scores), ["random-text"]);
 * ```
 * @module
 */
import type { Figure } from "../report/summary.ts";
import { zScores } from "../report/figure_one.ts";
import type { CorrelationReport } from "../stats/correlation.ts";
import { type EncoderRow, encoderScoreRow } from "./encoder_score.ts";
import { describeRanking, type rankEncoders } from "./leaderboard.ts";
import { correlate, type PaperPoint } from "./capability_report.ts";

type Ranked = ReturnType<typeof rankEncoders>;

/** One model's line of the board. */
export type BoardRow = ReturnType<typeof encoderScoreRow> & {
  rank: number;
  rank_range: string;
  control: boolean;
  /** "verdict: +d [lo, hi]" against the next model down (points), "" for the last. */
  vs_next: string;
  style_shift_pct?: number;
};

/** The board in rank order. Pure. */
export function leaderboardRows(ranked: Ranked, controls: readonly string[]): BoardRow[] {
  const f = (x: number) => (100 * x).toFixed(2);
  return ranked.map((r) => {
    const { encoder, ...figures } = encoderScoreRow(r.entry.score), v = r.vsNext;
    return {
      rank: r.rank, rank_range: r.rankRange[0] === r.rankRange[1] ? `${r.rankRange[0]}` : `${r.rankRange[0]}-${r.rankRange[1]}`,
      encoder, control: controls.includes(encoder),
      vs_next: v ? `${v.verdict}: ${v.mean >= 0 ? "+" : ""}${f(v.mean)} [${f(v.ci[0])}, ${f(v.ci[1])}]` : "",
      ...figures,
      // multi-style contexts: the unseen classes in the held-out style
      ...(r.entry.score.styleShift ? { style_shift_pct: 100 * r.entry.score.styleShift.mean } : {}),
    };
  });
}

/** The board as displayed: ranks, intervals, the step to the next model, capability and alignment. Pure. */
export function boardTable(board: readonly BoardRow[]): Record<string, string | number>[] {
  return board.map((r) => ({
    rank: r.rank, rank_range: r.rank_range, encoder: r.encoder,
    "visual %": r.visual_pct, "visual 95% CI": `[${r.visual_ci_lo.toFixed(2)}, ${r.visual_ci_hi.toFixed(2)}]`,
    "vs next (points)": r.vs_next, "capability %": r.capability_pct, "capability 95% CI": `[${r.capability_lo.toFixed(1)}, ${r.capability_hi.toFixed(1)}]`,
    "mutual k-NN %": r.mutual_knn_pct, "unbiased CKA": r.unbiased_cka, CKA: r.cka, dim: r.dim,
    ...(r.style_shift_pct !== undefined ? { "style shift %": r.style_shift_pct } : {}),
  }));
}

/** The board's correlations (null under 3 models). */
export interface BoardCorrelations {
  paper: CorrelationReport;
  all: CorrelationReport | null;
  real: CorrelationReport | null;
  knn: CorrelationReport | null;
}

/** Capability and mutual k-NN against visual generalization, over all models and the real ones. Pure. */
export function boardCorrelations(board: readonly BoardRow[], paper: CorrelationReport, bootstrap: number): BoardCorrelations {
  const cap = (r: BoardRow) => r.capability_pct, vis = (r: BoardRow) => r.visual_pct;
  return {
    paper,
    all: correlate(board, cap, vis, bootstrap),
    real: correlate(board.filter((r) => !r.control), cap, vis, bootstrap),
    knn: correlate(board, (r) => r.mutual_knn_pct, vis, bootstrap),
  };
}

/** The paper's points and the board's, each source standardised on its own, for one scatter. Pure. */
export function figureOnePoints(paper: readonly PaperPoint[], board: readonly BoardRow[]): { source: string; label: string; x: number; y: number }[] {
  const px = zScores(paper.map((p) => p.mmlu_pro)), py = zScores(paper.map((p) => p.visual_generalization));
  const ox = zScores(board.map((r) => r.capability_pct)), oy = zScores(board.map((r) => r.visual_pct));
  return [
    ...paper.map((_, i) => ({ source: "paper: 33 LLMs (MMLU-Pro, visual score)", label: "", x: px[i], y: py[i] })),
    ...board.map((r, i) => ({ source: r.control ? "here: random controls" : "here: language models (capability, unseen accuracy)", label: r.encoder, x: ox[i], y: oy[i] })),
  ];
}

/** Figures of notebook 08. Pure. */
export function leaderboardFigures(entries: readonly EncoderRow[], ranked: Ranked, board: readonly BoardRow[], c: BoardCorrelations): Record<string, Figure> {
  const scored = entries.filter((e) => e.ok).length, steps = ranked.filter((r) => r.vsNext);
  return {
    models_listed: entries.length, models_scored: scored, models_failed: entries.length - scored,
    neighbours_separated: steps.filter((r) => r.separatedFromNext).length, neighbours_within_noise: steps.filter((r) => !r.separatedFromNext).length,
    paper_pearson_r: c.paper.pearson,
    ...(c.all ? { all_pearson_r: c.all.pearson, all_ci_lo: c.all.ci[0], all_ci_hi: c.all.ci[1] } : {}),
    ...(c.real ? { real_pearson_r: c.real.pearson, real_ci_lo: c.real.ci[0], real_ci_hi: c.real.ci[1], real_points: c.real.n } : {}),
    ...(c.knn ? { knn_vs_probe_spearman: c.knn.spearman } : {}),
    ...Object.fromEntries(board.flatMap((r) => [[`${r.encoder}/rank`, r.rank], [`${r.encoder}/visual_pct`, r.visual_pct], [`${r.encoder}/capability_pct`, r.capability_pct]])),
  };
}

/** The finding of notebook 08. Pure. */
export function leaderboardFinding(entries: readonly EncoderRow[], ranked: Ranked, c: BoardCorrelations, runs: string): string[] {
  const failed = entries.flatMap((e) => (e.ok ? [] : [`${e.name}: ${e.reason.split(" (fix")[0]}`]));
  const top = ranked[0], separated = ranked.filter((r) => r.vsNext && r.separatedFromNext), noisy = ranked.filter((r) => r.vsNext && !r.separatedFromNext);
  const f = (x: number) => (100 * x).toFixed(2);
  const rel = (r: CorrelationReport | null, what: string) =>
    r ? `${what}: Pearson r = ${r.pearson.toFixed(3)} [${r.ci[0].toFixed(2)}, ${r.ci[1].toFixed(2)}] over ${r.n} models (${r.ci[0] > 0 ? "the interval excludes zero" : "the interval includes zero: not established"})` : `${what}: fewer than 3 models scored`;
  return [
    `${entries.length - failed.length} of ${entries.length} listed models were scored` + (failed.length ? `; ${failed.length} could not run here (${failed.join("; ")})` : "") + ".",
    top
      ? `Ranked by unseen-class accuracy over ${runs}: ${describeRanking(ranked)}. ${top.name} leads with ${f(top.entry.score.visual.mean)}% ` +
        `[${f(top.entry.score.visual.ci[0])}, ${f(top.entry.score.visual.ci[1])}] (rank range ${top.rankRange[0]}-${top.rankRange[1]}); ` +
        `${separated.length} of ${separated.length + noisy.length} neighbouring pairs are separated by a paired test, ${noisy.length} are within noise` +
        (noisy.length ? ` (${noisy.map((r) => `${r.name} vs ${ranked[r.rank].name}`).join(", ")})` : "") + "."
      : "No model could be scored.",
    `${rel(c.real, "Capability against visual generalization, real language models")}; ${rel(c.all, "with the random controls")}. ` +
    `The paper's 33 points give r = ${c.paper.pearson.toFixed(3)} [${c.paper.ci[0].toFixed(2)}, ${c.paper.ci[1].toFixed(2)}].` +
    (c.knn ? ` Mutual k-NN alignment, which needs no training, ranks the models with Spearman ${c.knn.spearman.toFixed(2)} against the probe.` : ""),
  ];
}
