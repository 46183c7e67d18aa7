/**
 * Notebooks 02 and 08: every language encoder scored on notebook 01's protocol (visual generalization
 * over splits x seeds, text-only capability, training-free alignment) by {@link scoreEncoderList}, which
 * trains every encoder's probing runs as one batched grid after its plan; flat typed rows
 * ({@link capabilityRows}); the correlations with their table lines; notebook 02's controlled skip-gram
 * ladder, figures and finding.
 *
 * @example
 * ```ts
 * import { capabilityRows, scoreEncoderList } from "./capability_report.ts";
 * import type { ProbingContext } from "./probing.ts";
 * declare const contexts: ProbingContext[];
 * const entries = await scoreEncoderList(contexts, ["use-lite", "random-text"], { seeds: [0, 1], train: {}, capabilityItems: 1000, alignment: { k: 10, resamples: 200 } });
 * const rows = capabilityRows(entries.flatMap((e) => (e.ok ? [e.score] : [])), ["random-text"]);
 * ```
 * @module
 */
import * as ss from "simple-statistics";
import { loadWordNet } from "../data/wordnet.ts";
import type { CacheLedger } from "../report/cache_report.ts";
import { paperTable } from "../report/results.ts";
import type { Figure } from "../report/summary.ts";
import { progress } from "../runtime/progress.ts";
import type { RunComparison } from "../stats/compare_runs.ts";
import { type CorrelationReport, correlationReport } from "../stats/correlation.ts";
import type { TrainConfig } from "../train/trainer.ts";
import { type EncoderRow, type EncoderScore, encoderScoreRow, scoreEncoders } from "./encoder_score.ts";
import { compareEncoderScores, describeRanking, type rankEncoders } from "./leaderboard.ts";
import type { ProbingContext } from "./probing.ts";
import { verdictSentence } from "./findings.ts";

/** How each encoder is scored: the probe's seeds and training, capability items, alignment settings. */
export interface ScoringSpec {
  seeds: readonly number[];
  train: Partial<TrainConfig>;
  capabilityItems: number;
  alignment: { k: number; resamples: number };
  ledger?: CacheLedger;
  label?: string;
}

/** Score every encoder (cached probing runs are read); an encoder that cannot run comes back with its reason. */
export async function scoreEncoderList(contexts: readonly ProbingContext[], encoders: readonly string[], spec: ScoringSpec): Promise<EncoderRow[]> {
  // the probing runs have their own plan and progress bar (one grid of every encoder's runs)
  const bar = progress(encoders.length * 2, spec.label ?? "encoders: capability, alignment");
  const entries = await scoreEncoders(contexts, encoders, {
    seeds: spec.seeds, wordnet: await loadWordNet(), ledger: spec.ledger, train: { ...spec.train, progress: false },
    capabilityItems: spec.capabilityItems, alignment: spec.alignment, onStep: (what) => bar.tick(1, what),
  });
  await bar.done();
  return entries;
}

/** The scores of the entries that ran; throws naming those that did not (a notebook that needs them all). */
export function allScored(entries: readonly EncoderRow[]): EncoderScore[] {
  const failed = entries.flatMap((e) => (e.ok ? [] : [`${e.name}: ${e.reason}`]));
  if (failed.length) throw new Error(`These language encoders could not be scored:\n- ${failed.join("\n- ")}`);
  return entries.flatMap((e) => (e.ok ? [e.score] : []));
}

/** One encoder's figures (%), its family (the name's first part) and whether it is a control. */
export type CapabilityRow = ReturnType<typeof encoderScoreRow> & { family: string; control: boolean; style_shift_pct?: number };

/** Flat rows of the scores, in their order. Pure. */
export function capabilityRows(scores: readonly EncoderScore[], controls: readonly string[]): CapabilityRow[] {
  return scores.map((s) => {
    const { encoder, ...figures } = encoderScoreRow(s);
    // multi-style contexts: the unseen classes in the held-out style, too
    return { encoder, family: encoder.split("-")[0], control: controls.includes(encoder), ...figures, ...(s.styleShift ? { style_shift_pct: 100 * s.styleShift.mean } : {}) };
  });
}

/** A correlation as a table line (or "under 3 models" when there is none). Pure. */
export function correlationLine(label: string, r: CorrelationReport | null): Record<string, string | number> {
  return r
    ? { points: label, n: r.n, pearson_r: r.pearson, ci95: `[${r.ci[0].toFixed(3)}, ${r.ci[1].toFixed(3)}]`, permutation_p: r.pValue, spearman: r.spearman }
    : { points: label, n: 0, pearson_r: NaN, ci95: "(under 3 models)", permutation_p: NaN, spearman: NaN };
}

/** The paper's Figure 1 points (digitised). */
export interface PaperPoint {
  family: string;
  variant: string;
  mmlu_pro: number;
  visual_generalization: number;
}

/** The paper's digitised Figure 1 points and their correlation (bootstrap of `bootstrap` resamples, seed 0). */
export function paperCorrelation(bootstrap: number): { points: PaperPoint[]; report: CorrelationReport } {
  const points = paperTable("mmlu_pro_vs_visual_digitized").toRecords() as unknown as PaperPoint[];
  return { points, report: correlationReport(points.map((p) => p.mmlu_pro), points.map((p) => p.visual_generalization), { n: bootstrap, seed: 0 }) };
}

/** Pearson and Spearman of two columns of the rows (bootstrap of `bootstrap`, seed 0); null under 3 rows. Pure. */
export function correlate<R>(rows: readonly R[], x: (r: R) => number, y: (r: R) => number, bootstrap: number): CorrelationReport | null {
  return rows.length >= 3 ? correlationReport(rows.map(x), rows.map(y), { n: bootstrap, seed: 0 }) : null;
}

/** The skip-gram slice (% of the dictionary) of a ladder encoder's name, NaN for others. Pure. */
export function ladderSlice(name: string): number {
  return Number(/^skipgram-gcide-(\d+)-d\d+$/.exec(name)?.[1] ?? NaN);
}

/** The controlled ladder per dimension: each rung against the one below, and the top against the bottom. Pure. */
export function skipGramLadder(scores: readonly EncoderScore[], language: readonly string[]): { steps: RunComparison[]; ends: RunComparison[] } {
  const byName = new Map(scores.map((s) => [s.name, s]));
  const dims = [...new Set(language.flatMap((name) => /^skipgram-gcide-\d+-d(\d+)$/.exec(name)?.[1] ?? []))];
  const steps: RunComparison[] = [], ends: RunComparison[] = [];
  for (const d of dims) {
    const rungs = language.filter((name) => name.endsWith(`-d${d}`) && !Number.isNaN(ladderSlice(name))).sort((a, b) => ladderSlice(a) - ladderSlice(b));
    rungs.slice(1).forEach((name, i) => steps.push(compareEncoderScores(byName.get(name)!, byName.get(rungs[i])!, `skip-gram d${d}, next rung`)));
    if (rungs.length > 2) ends.push(compareEncoderScores(byName.get(rungs.at(-1)!)!, byName.get(rungs[0])!, `skip-gram d${d}, whole ladder`));
  }
  return { steps, ends };
}

/** Notebook 02's correlations: over all encoders, over the real language models, and the alignment measures. */
export interface CapabilityCorrelations {
  paper: CorrelationReport;
  all: CorrelationReport;
  real: CorrelationReport;
  knnVsProbe: CorrelationReport;
  ckaVsProbe: CorrelationReport;
}

/** Figures of notebook 02. Pure. */
export function capabilityFigures(rows: readonly CapabilityRow[], c: CapabilityCorrelations): Record<string, Figure> {
  return {
    paper_pearson_r: c.paper.pearson, paper_ci_lo: c.paper.ci[0], paper_ci_hi: c.paper.ci[1],
    own_pearson_r: c.all.pearson, own_ci_lo: c.all.ci[0], own_ci_hi: c.all.ci[1], own_permutation_p: c.all.pValue, own_spearman: c.all.spearman, own_points: c.all.n,
    real_pearson_r: c.real.pearson, real_ci_lo: c.real.ci[0], real_ci_hi: c.real.ci[1], real_points: c.real.n,
    knn_vs_probe_spearman: c.knnVsProbe.spearman, cka_vs_probe_spearman: c.ckaVsProbe.spearman,
    ...Object.fromEntries(rows.flatMap((r) => [[`${r.encoder}/capability_pct`, r.capability_pct], [`${r.encoder}/visual_pct`, r.visual_pct], [`${r.encoder}/mutual_knn_pct`, r.mutual_knn_pct]])),
  };
}

/** The finding of notebook 02. Pure. */
export function capabilityFinding(f: {
  rows: readonly CapabilityRow[];
  scores: readonly EncoderScore[];
  correlations: CapabilityCorrelations;
  ranked: ReturnType<typeof rankEncoders>;
  ladderEnds: readonly RunComparison[];
  language: readonly string[];
  runs: string;
  classRange: string;
}): string[] {
  const { all, real, knnVsProbe: knn, ckaVsProbe: cka, paper } = f.correlations;
  const controlsAtChance = f.rows.filter((r) => r.control).every((r) => r.capability_lo <= 20 && 20 <= r.capability_hi);
  const decided = (r: CorrelationReport) => r.ci[0] > 0 ? "the interval excludes zero" : "the interval includes zero, so the relation is not established";
  const strongest = f.rows.filter((r) => !r.control).sort((a, b) => b.capability_pct - a.capability_pct)[0];
  const byName = new Map(f.scores.map((s) => [s.name, s]));
  const capPct = (name: string) => (100 * byName.get(name)!.capability.accuracy).toFixed(1);
  const iv = (r: CorrelationReport) => `[${r.ci[0].toFixed(2)}, ${r.ci[1].toFixed(2)}]`;
  const slices = f.language.map(ladderSlice).filter((x) => !Number.isNaN(x));
  return [
    `Visual generalization is the mean unseen-class accuracy over ${f.runs} (${f.classRange} unseen classes per split). ` +
    `Over ${real.n} real language models, text-only capability and visual generalization correlate with Pearson r = ${real.pearson.toFixed(3)} ` +
    `(bootstrap 95% interval ${real.ci[0].toFixed(2)} to ${real.ci[1].toFixed(2)}, permutation p = ${real.pValue.toFixed(4)}, Spearman ${real.spearman.toFixed(2)}): ${decided(real)}. ` +
    `With the two random controls added (${all.n} encoders) r = ${all.pearson.toFixed(3)} ${iv(all)}.`,
    `The random controls ${controlsAtChance ? "score chance on the capability score (their 95% intervals contain 20%)" : "do NOT all score chance on the capability score: read the capability axis with care"}. ` +
    `The most capable model, ${strongest.encoder} (${strongest.capability_pct.toFixed(1)}%), reaches ${strongest.visual_pct.toFixed(2)}% on unseen classes.`,
    `Training-free alignment ranks the encoders ${knn.spearman > 0.5 ? "much as" : knn.spearman > 0 ? "only loosely as" : "unlike"} the probe does: ` +
    `Spearman ${knn.spearman.toFixed(2)} for mutual k-NN (Pearson ${knn.pearson.toFixed(2)} ${iv(knn)}) and ` +
    `${cka.spearman.toFixed(2)} for unbiased CKA (Pearson ${cka.pearson.toFixed(2)} ${iv(cka)}).`,
    `Order by visual generalization, paired over ${f.runs}: ${describeRanking(f.ranked)} (">": decidedly ahead; "≈": within noise).`,
    ...(f.ladderEnds.length > 0
      ? [`Along the controlled ladder (skip-gram vectors trained on ${Math.min(...slices)}% to 100% of the dictionary, same dimension), ` +
        `capability goes from ${f.ladderEnds.map((c) => `${capPct(c.b)}% to ${capPct(c.a)}% (${c.scope!.split(",")[0]})`).join(" and ")}; ` +
        `visual generalization: ${f.ladderEnds.map((c) => verdictSentence(c)).join("; ")}.`]
      : []),
    `The paper's 33 points give r = ${paper.pearson.toFixed(3)} (interval ${paper.ci[0].toFixed(2)} to ${paper.ci[1].toFixed(2)}; the paper reports 0.768).`,
  ];
}

/** The alignment measures against the probe and against capability, as table lines with their reports. Pure. */
export function alignmentLines(rows: readonly CapabilityRow[], bootstrap: number) {
  const against = (x: keyof CapabilityRow, y: keyof CapabilityRow) =>
    correlationReport(rows.map((r) => Number(r[x])), rows.map((r) => Number(r[y])), { n: bootstrap, seed: 0 });
  return ([["mutual_knn_pct", "mutual k-NN"], ["unbiased_cka", "unbiased CKA"]] as const).flatMap(([key, label]) =>
    ([["visual_pct", "probe accuracy"], ["capability_pct", "capability"]] as const).map(([y, ylabel]) => {
      const r = against(key, y);
      return { measure: label, against: ylabel, n: r.n, pearson_r: r.pearson, ci95: `[${r.ci[0].toFixed(3)}, ${r.ci[1].toFixed(3)}]`, spearman: r.spearman, permutation_p: r.pValue, r };
    })
  );
}

/** Notebook 02's correlations of capability and of alignment with visual generalization. Pure. */
export function capabilityCorrelations(rows: readonly CapabilityRow[], paper: CorrelationReport, bootstrap: number): CapabilityCorrelations {
  const capVsVisual = (subset: readonly CapabilityRow[]) =>
    correlationReport(subset.map((r) => r.capability_pct), subset.map((r) => r.visual_pct), { n: bootstrap, seed: 0 });
  const lines = alignmentLines(rows, bootstrap), line = (m: string) => lines.find((a) => a.measure === m && a.against === "probe accuracy")!.r;
  return { paper, all: capVsVisual(rows), real: capVsVisual(rows.filter((r) => !r.control)), knnVsProbe: line("mutual k-NN"), ckaVsProbe: line("unbiased CKA") };
}

/** "5 splits x 2 seeds": how many runs a mean is over. Pure. */
export function runsLabel(splits: number, seeds: number): string {
  return `${splits} split${splits > 1 ? "s" : ""} x ${seeds} seeds`;
}

/** The least-squares line through points, as its two ends over the points' x range (for a plot). Pure. */
export function regressionLine(points: readonly (readonly [number, number])[]): { x: number; y: number }[] {
  const { m, b } = ss.linearRegression(points.map((p) => [p[0], p[1]])), xs = points.map((p) => p[0]);
  return [Math.min(...xs), Math.max(...xs)].map((x) => ({ x, y: m * x + b }));
}
