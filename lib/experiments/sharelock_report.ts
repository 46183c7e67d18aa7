/**
 * Notebook 03's numbers from its rows: the corpus and task tables, top-1 per task and method with chance,
 * retrieval, ShareLock against each baseline (paired over runs, with the equivalence margin), the style
 * shift, the leakage strata of both protocols, data scaling, the figures and the findings.
 *
 * @example
 * ```ts
 * import { methodComparisons } from "./sharelock_report.ts";
 * import type { RunRow } from "../stats/aggregate.ts";
 * declare const rows: RunRow[];
 * const { comparisons } = methodComparisons(rows, ["emoji (unseen classes)"], 1);
 * ```
 * @module
 */
import { classesPerSplit, pct, pctValue } from "../report/format.ts";
import { type Rng, shuffle } from "../runtime/random.ts";
import type { Figure } from "../report/summary.ts";
import type { GroupSummary, RunRow } from "../stats/aggregate.ts";
import { compareRuns, type RunComparison, selectRuns, summarize, type Where } from "../stats/compare_runs.ts";
import { LIT_BAG_OF_WORDS } from "../baselines/lit.ts";
import type { CaptionCorpus, ZeroShotTask } from "./caption_corpus.ts";
import { leakageTable, taskLeakage } from "./caption_leakage.ts";
import type { CaptionRun } from "./caption_runs.ts";
import type { CaptionNotebookSetup } from "./caption_setup.ts";
import { comparisonFigures, verdictSentence } from "./findings.ts";
import { ASIF, LIT, SHARE } from "./sharelock_grid.ts";

const interval = (s: GroupSummary) => (s.n > 1 ? `[${pct(s.ci_lo)}, ${pct(s.ci_hi)}]` : "(one run)");

/** Per source of the corpus: training images and captions, held-out pairs. Pure. */
export function sourceRows(corpus: CaptionCorpus): Record<string, string | number>[] {
  return [...new Set(corpus.train.items.map((it) => it.source))].map((source) => {
    const idx = corpus.train.items.flatMap((it, i) => (it.source === source ? [i] : []));
    return {
      source, training_images: idx.length, training_captions: idx.reduce((a, i) => a + corpus.train.textsOf[i].length, 0),
      held_out_pairs: corpus.retrieval.items.filter((it) => it.source === source).length,
    };
  });
}

/** Every split's zero-shot tasks: images, classes, chance. Pure. */
export function taskRows(setup: CaptionNotebookSetup): Record<string, string | number>[] {
  return [...setup.splits.values()].flatMap((s) => s.tasks.map((t) => ({
    split: s.splitSeed, training_images: s.corpus.train.images.rows, task: t.name, held_out_because: t.kind,
    images: t.images.rows, classes: t.classes.length, chance_pct: 100 / t.classes.length,
  })));
}

/** A few training pairs of each source: image and (one of) its captions. */
export function trainingTiles(corpus: CaptionCorpus, rng: Rng, perSource = 6): { image: string; caption: string }[] {
  const { items, captions, textsOf } = corpus.train;
  return [...new Set(items.map((it) => it.source))].flatMap((src) => {
    const idx = shuffle(items.flatMap((it, i) => (it.source === src && it.image_path ? [i] : [])), rng);
    return idx.slice(0, perSource).map((i) => ({ image: items[i].image_path!, caption: captions[textsOf[i][0]].slice(0, 60) }));
  });
}

/** Mean chance (%) of each task over the runs' splits (their unseen classes differ). Pure. */
export function chanceByTask(setup: CaptionNotebookSetup, runs: readonly { splitSeed: number }[]): Map<string, number> {
  return new Map(setup.tasks.map((t) => {
    const counts = runs.map((run) => setup.of(run).tasks.find((x) => x.name === t.name)!.classes.length);
    return [t.name, classesPerSplit(counts).meanChancePct];
  }));
}

/** Top-1 per task, method and encoder: mean and interval over runs. Pure. */
export function top1Summary(rows: readonly RunRow[]): (Record<"dataset" | "method" | "text", string> & GroupSummary)[] {
  return summarize(rows, ["dataset", "method", "text"], { metric: "top1" });
}

/** Top-1 as table rows with chance. Pure. */
export function top1Rows(rows: readonly RunRow[], chance: Map<string, number>): Record<string, string | number>[] {
  return top1Summary(rows).map((r) => ({
    task: r.dataset, method: r.method, language: r.text, top1_pct: 100 * r.mean, ci95_pct: interval(r), runs: r.n, chance_pct: chance.get(r.dataset) ?? NaN,
  }));
}

/** Retrieval recall per method: "mean [interval]" (%) per metric. Pure. */
export function retrievalRows(rows: readonly RunRow[]): Record<string, string>[] {
  const byMethod = new Map<string, Record<string, string>>();
  for (const r of summarize(rows, ["method", "metric"], { split: "retrieval" })) {
    byMethod.set(r.method, { ...(byMethod.get(r.method) ?? { method: r.method }), [r.metric.replace(/_r(\d+)$/, " R@$1")]: `${pct(r.mean)} [${pct(r.ci_lo)}, ${pct(r.ci_hi)}]` });
  }
  return [...byMethod.values()];
}

/** ShareLock against LiT-style and ASIF (where it ran) on each task's top-1 and retrieval R@5, paired over runs. Pure. */
export function methodComparisons(rows: readonly RunRow[], tasks: readonly string[], margin: number): { comparisons: RunComparison[]; retrievalMetrics: string[] } {
  const retrievalMetrics = [...new Set(rows.filter((r) => r.split === "retrieval").map((r) => r.metric))].filter((m) => m.endsWith("_r5"));
  const scopes: [string, Where][] = [
    ...tasks.map((t): [string, Where] => [t, { dataset: t, metric: "top1" }]),
    ...retrievalMetrics.map((m): [string, Where] => [`retrieval ${m}`, { split: "retrieval", metric: m }]),
  ];
  const pair = { pairBy: ["split_seed", "seed"], margin };
  const comparisons = scopes.flatMap(([scope, common]) => [
    compareRuns(rows, common, { method: SHARE }, { method: LIT }, { ...pair, scope }),
    ...(selectRuns(rows, { ...common, method: ASIF }).length ? [compareRuns(rows, common, { method: SHARE }, { method: ASIF }, { ...pair, scope })] : []),
  ]);
  return { comparisons, retrievalMetrics };
}

/** Each method's top-1 in the training style and in the other style, and the share it keeps. Pure. */
export function styleShiftRows(rows: readonly RunRow[], inStyle: string, shifted: string | undefined): Record<string, string | number>[] {
  if (!shifted) return [];
  const top1 = top1Summary(rows);
  return [...new Set(top1.map((r) => r.method))].map((method) => {
    const a = top1.find((r) => r.method === method && r.dataset === inStyle)!, b = top1.find((r) => r.method === method && r.dataset === shifted)!;
    return { method, training_style_pct: 100 * a.mean, other_style_pct: 100 * b.mean, kept_pct_of_accuracy: (100 * b.mean) / Math.max(1e-9, a.mean) };
  });
}

/** The scope of a comparison within a stratum. */
export function leakScope(protocol: string, task: string, leakage: string, metric: string): string {
  return `${protocol}: ${task}, ${leakage}, ${metric}`;
}

/** Top-1 per protocol, task, stratum and method, as table rows. Pure. */
export function leakTop1Rows(strata: readonly RunRow[]): Record<string, string | number>[] {
  return summarize(strata, ["protocol", "dataset", "leakage", "method"], { metric: "top1" }).map((r) => ({
    protocol: r.protocol, task: r.dataset, stratum: r.leakage, method: r.method, top1_pct: 100 * r.mean, ci95_pct: interval(r), runs: r.n,
  }));
}

/** ShareLock against each baseline within each protocol, task, stratum and metric that both reach. Pure. */
export function leakComparisons(strata: readonly RunRow[], margin: number): RunComparison[] {
  const out: RunComparison[] = [], pair = { pairBy: ["split_seed", "seed"], margin };
  for (const protocol of ["as is", "strict"]) {
    for (const task of [...new Set(strata.map((r) => String(r.dataset)))]) {
      for (const leakage of ["none", "some", "all"]) {
        for (const metric of ["top1", "top5"]) {
          const common = { protocol, dataset: task, leakage, metric };
          if (!selectRuns(strata, { ...common, method: SHARE }).length) continue;
          for (const b of [LIT, ASIF].filter((b) => selectRuns(strata, { ...common, method: b }).length)) {
            out.push(compareRuns(strata, common, { method: SHARE }, { method: b }, { ...pair, scope: leakScope(protocol, task, leakage, metric) }));
          }
        }
      }
    }
  }
  return out;
}

/** The leakage finding: how many test images leak, and ShareLock's verdicts per stratum and protocol. Pure. */
export function strataFinding(f: { leakedPct: readonly number[]; comparisons: readonly RunComparison[]; inStyle: string; external: { name: string; classes: number } }): string[] {
  const say = (protocol: string, task: string, leakage: string, metric = "top1") =>
    f.comparisons.filter((c) => c.scope === leakScope(protocol, task, leakage, metric)).map((c) => verdictSentence(c)).join("; ") || "no test images in this stratum";
  const t = f.inStyle, x = f.external.name;
  return [
    `${Math.min(...f.leakedPct).toFixed(0)}-${Math.max(...f.leakedPct).toFixed(0)}% of the unseen-class test images (per split) belong to classes whose name's words the training captions contain, all or some of them.`,
    `Leak-free unseen classes (${t}): top-1 ${say("as is", t, "none")}; top-5 ${say("as is", t, "none", "top5")}.`,
    `Unseen classes whose every word the captions name: top-1 ${say("as is", t, "all")}.`,
    `External test ${x} (${f.external.classes} words): leak-free, top-1 ${say("as is", x, "none")}; named in training, top-1 ${say("as is", x, "all")}.`,
    `Strict protocol (no training caption names a word of a test class; every unseen class is leak-free): top-1 ${say("strict", t, "none")}; top-5 ${say("strict", t, "none", "top5")}.`,
  ];
}

/** Data scaling per method and size: mean images and pairs over the runs, top-1 and interval. Pure. */
export function scalingRows(rows: readonly RunRow[]): { method: string; size: string; images: number; pairs: number; top1_pct: number; ci95_pct: string; runs: number }[] {
  const meanOf = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  return summarize(rows, ["method", "size"], { metric: "top1" }).map((s) => {
    const at = selectRuns(rows, { metric: "top1", method: s.method, size: s.size });
    return {
      method: s.method, size: s.size, images: Math.round(meanOf(at.map((r) => Number(r.images)))), pairs: Math.round(meanOf(at.map((r) => Number(r.pairs)))),
      top1_pct: 100 * s.mean, ci95_pct: s.n > 1 ? `[${pct(s.ci_lo)}, ${pct(s.ci_hi)}]` : "-", runs: s.n,
    };
  });
}

/** ShareLock minus LiT-style at the smallest size and with all images, paired over runs. Pure. */
export function scalingGaps(rows: readonly RunRow[], smallest: number, margin: number): RunComparison[] {
  return [smallest, "all" as const].map((n) =>
    compareRuns(rows, { metric: "top1", size: String(n) }, { method: SHARE }, { method: LIT }, {
      pairBy: ["split_seed", "seed"], margin, scope: n === "all" ? "all training images" : `${n} training images`,
    })
  );
}

/** Figures of notebook 03: top-1 and half-width per task and method, scaling, paired and per-stratum comparisons. Pure. */
export function sharelockFigures(rows: readonly RunRow[], scaling: ReturnType<typeof scalingRows>, paired: readonly RunComparison[], strata: readonly RunComparison[]): Record<string, Figure> {
  const figures: Record<string, Figure> = {};
  for (const r of top1Summary(rows)) {
    const who = r.method === SHARE ? r.text : r.method === ASIF ? `asif:${r.text}` : LIT_BAG_OF_WORDS;
    figures[`${who}/${r.dataset}/top1_pct`] = pctValue(r.mean);
    if (r.n > 1) figures[`${who}/${r.dataset}/ci95_halfwidth_pct`] = pctValue(r.mean - r.ci_lo);
  }
  for (const s of scaling) figures[`scaling/${s.method}/${s.size}_images/top1_pct`] = +s.top1_pct.toFixed(2);
  return { ...comparisonFigures("leakage", strata), ...figures, ...comparisonFigures("paired", paired) };
}

/** The paper's digitised Figure 4 points. */
export interface PaperScalingPoint {
  model: string;
  pairs: number;
  in1k: number;
}

/** The main finding of notebook 03. Pure. */
export function sharelockFinding(f: {
  rows: readonly RunRow[];
  comparisons: readonly RunComparison[];
  retrievalMetrics: readonly string[];
  gaps: readonly RunComparison[];
  tasks: readonly string[];
  shifted?: string;
  main: string;
  runs: number;
  classRange: string;
  chancePct: number;
  paperScaling: readonly PaperScalingPoint[];
}): string[] {
  const inStyle = f.tasks[0], share = top1Summary(f.rows).find((r) => r.method === SHARE && r.dataset === inStyle)!;
  const sentences = (scope: string) => f.comparisons.filter((c) => c.scope === scope).map((c) => verdictSentence(c)).join("; ");
  // the paper's ShareLock - LiT gap at its smallest and largest sizes (LiT's points sit at nearly the same sizes)
  const paperOf = (m: string) => f.paperScaling.filter((r) => r.model === m).sort((a, b) => a.pairs - b.pairs);
  const paperGap = (i: number) => paperOf("ShareLock").at(i)!.in1k - paperOf("LiT").at(i)!.in1k;
  const paperAt = (i: number) => `${(paperOf("ShareLock").at(i)!.pairs / 1e6).toFixed(2)}M`;
  const shift = styleShiftRows(f.rows, inStyle, f.shifted).find((r) => r.method === SHARE);
  return [
    `Runs put each initialisation seed on its own seen / unseen split (${f.classRange} unseen emoji classes per split, mean chance ${f.chancePct.toFixed(2)}%); the main comparisons are paired over ${f.runs} runs. ` +
    `On the unseen classes ShareLock with ${f.main} reaches ${pct(share.mean)}% top-1 (95% interval ${pct(share.ci_lo)}–${pct(share.ci_hi)}): ${sentences(inStyle)}.`,
    ...f.tasks.slice(1).map((t) => `${t}: ${sentences(t)}.`),
    ...(f.retrievalMetrics.length > 0 ? [`Retrieval on held-out captions, ${f.retrievalMetrics.map((m) => `${m.replaceAll("_", " ")}: ${sentences(`retrieval ${m}`)}`).join("; ")}.`] : []),
    ...(shift ? [`Under the style shift to ${f.shifted} ShareLock keeps ${Number(shift.kept_pct_of_accuracy).toFixed(0)}% of its accuracy (${Number(shift.other_style_pct).toFixed(2)}%).`] : []),
    `Data scaling, ShareLock against LiT-style on the same subsets and runs: ${f.gaps.map((g) => `with ${g.scope}, ${verdictSentence(g)}`).join("; ")}. ` +
    `The paper's gap (digitised, ImageNet-1k) is ${paperGap(0).toFixed(1)} points at ${paperAt(0)} pairs and ${paperGap(-1).toFixed(1)} at ${paperAt(-1)}, largest with the least data.`,
  ];
}

/** Each run's test classes (and images) by how much of their name its training captions contain. Pure. */
export function leakageTaskRows(setup: CaptionNotebookSetup, runs: readonly CaptionRun[], external: ZeroShotTask): Record<string, string | number>[] {
  return runs.flatMap((run) => [...setup.of(run).tasks, external].map((t) => ({
    split: run.splitSeed, task: t.name,
    ...Object.fromEntries(leakageTable(t, taskLeakage(setup.of(run).corpus, t)).map((s) => [`${s.stratum}: classes / images`, `${s.classes} / ${s.images}`])),
  })));
}

/** Per run, the share (%) of the first task's test images whose class name the training captions name, wholly or in part. Pure. */
export function leakedImagePct(setup: CaptionNotebookSetup, runs: readonly CaptionRun[]): number[] {
  return runs.map((run) => {
    const t = setup.of(run).tasks[0], s = leakageTable(t, taskLeakage(setup.of(run).corpus, t)), n = s.reduce((a, x) => a + x.images, 0);
    return (100 * (n - (s.find((x) => x.stratum === "none")?.images ?? 0))) / n;
  });
}

/** Per run, the training captions of the corpus as is and of the strict corpus. Pure. */
export function strictCorpusRows(setup: CaptionNotebookSetup, strict: CaptionNotebookSetup, runs: readonly CaptionRun[]): Record<string, string | number | boolean>[] {
  return runs.map((run) => ({
    split: run.splitSeed, captions_as_is: setup.of(run).corpus.train.captions.length,
    captions_strict: strict.of(run).corpus.train.captions.length, strict_corpus: strict.of(run).corpus.identity.strict,
  }));
}
