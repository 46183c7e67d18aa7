/**
 * The vision-encoder ablation: notebook 01's strict zero-shot protocol (linear projection on seen
 * classes, class names through templates, unseen classes only; seed i on split i) with each vision
 * encoder whose features can be made here, on one single-style dataset. Encoders that cannot run here
 * come back as `unavailable` with the preflight's reason instead of failing the notebook.
 *
 * @example
 * ```ts
 * import { probeVisionEncoders } from "./vision_probe.ts";
 * import { probingNotebookConfig } from "../config.ts";
 * const probe = await probeVisionEncoders({ vision: ["mobilenet-v2", "inception-v3"], dataset: "emoji-google", text: "use-lite", probing: probingNotebookConfig("embedded") });
 * probe.summary[0].vision;   // the best encoder
 * ```
 * @module
 */
import type { ProbingNotebookConfig } from "../config.ts";
import type { CacheLedger } from "../report/cache_report.ts";
import { type Displayable, table } from "../report/display.ts";
import { pct } from "../report/format.ts";
import type { GroupSummary, RunRow } from "../stats/aggregate.ts";
import { compareRuns, type RunComparison, summarize } from "../stats/compare_runs.ts";
import { captionRuns } from "./caption_runs.ts";
import { verdictSentence } from "./findings.ts";
import { preflight } from "./preflight.ts";
import { cachedProbingRun, probingContext } from "./probing.ts";

/** What {@link probeVisionEncoders} measured. */
export interface VisionProbe {
  dataset: string;
  /** Average per-class accuracy on unseen classes, one row per encoder and run. */
  rows: RunRow[];
  /** Per encoder, best first. */
  summary: (GroupSummary & { vision: string })[];
  /** Each encoder minus the next in `summary`, paired over runs. */
  pairs: RunComparison[];
  /** Feature width per encoder. */
  dims: Map<string, number>;
  unavailable: { vision: string; reason: string }[];
}

/** Run the probing protocol with each vision encoder (cached runs are read). */
export async function probeVisionEncoders(opts: { vision: readonly string[]; dataset: string; text: string; probing: ProbingNotebookConfig; ledger?: CacheLedger }): Promise<VisionProbe> {
  const { probing, dataset, text } = opts;
  const rows: RunRow[] = [], dims = new Map<string, number>(), unavailable: VisionProbe["unavailable"] = [];
  for (const vision of opts.vision) {
    const problem = (await preflight({ datasets: [dataset], vision, language: [text] }))[0];
    if (problem) {
      unavailable.push({ vision, reason: problem.slice(0, 160) });
      continue;
    }
    for (const run of captionRuns(probing.seeds, probing.splitSeeds)) {
      const ctx = await probingContext({ dataset, vision, unseenFraction: probing.unseenFraction, splitSeed: run.splitSeed });
      dims.set(vision, ctx.images.dim);
      const r = await cachedProbingRun(ctx, { text, representation: "templates", seed: run.seed, train: { ...probing.train, progress: false } });
      opts.ledger?.count(r);
      rows.push({ vision, text, dataset, split: "unseen", split_seed: run.splitSeed, seed: run.seed, metric: "mean_per_class_acc", value: r.unseen.meanPerClassRecall });
    }
  }
  const summary = summarize(rows, ["vision"]).sort((a, b) => b.mean - a.mean);
  const pairs = summary.slice(0, -1).map((v, i) =>
    compareRuns(rows, {}, { vision: v.vision }, { vision: summary[i + 1].vision }, { pairBy: ["split_seed", "seed"], scope: "vision encoder" })
  );
  return { dataset, rows, summary, pairs, dims, unavailable };
}

/** The probe as a table: accuracy and interval per encoder, and the encoders not available here. */
export function visionProbeTable(p: VisionProbe): Displayable {
  return table([
    ...p.summary.map((v) => ({ vision: v.vision, dim: p.dims.get(v.vision) ?? 0, unseen_acc_pct: pct(v.mean), ci95: `[${pct(v.ci_lo)}, ${pct(v.ci_hi)}]`, note: `${v.n} runs (seed i on split i)` })),
    ...p.unavailable.map((u) => ({ vision: u.vision, dim: 0, unseen_acc_pct: "-", ci95: "-", note: `not available: ${u.reason}` })),
  ], { caption: `Vision encoder: strict zero-shot on ${p.dataset} unseen classes (average per-class accuracy, %)` });
}

/** One sentence: the encoders in order of accuracy, their paired verdicts, and what is not available. */
export function visionProbeFinding(p: VisionProbe): string {
  return `Vision encoder (notebook 01's protocol on ${p.dataset}): ${p.summary.map((v) => `${v.vision} ${pct(v.mean)}%`).join(" > ")}` +
    (p.pairs.length ? `; ${p.pairs.map((c) => verdictSentence(c)).join("; ")}` : "") +
    (p.unavailable.length ? ` (${p.unavailable.length} not available here: ${p.unavailable.map((u) => u.vision).join(", ")})` : "") + ".";
}
