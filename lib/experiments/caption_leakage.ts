/**
 * Concept leakage in the caption notebooks: every zero-shot task's classes audited against the captions
 * a run trained on (`lib/eval/leakage.ts`), and a model's accuracy split by stratum into rows that
 * `compareRuns` pairs like any other (`leakage` names the stratum). Leak-free classes (`none`) are where
 * the paper's claim lives: a text tower trained on the pairs has never seen their words, a frozen
 * language model has.
 *
 * @example
 * ```ts
 * import { leakageRows, taskLeakage } from "./caption_leakage.ts";
 * import type { CaptionCorpus, ZeroShotTask } from "./caption_corpus.ts";
 * import type { ClassificationMetrics } from "../eval/metrics.ts";
 * declare const corpus: CaptionCorpus, task: ZeroShotTask, metrics: ClassificationMetrics;
 * const audit = taskLeakage(corpus, task);
 * const rows = leakageRows(metrics, task, audit, { vision: "mobilenet-v2", text: "use-lite", method: "ShareLock", seed: 0, pairs: 1000 });
 * ```
 */
import { type ClassLeakage, LEAKAGE_STRATA, leakageAudit, type LeakageStratum, metricsByStratum } from "../eval/leakage.ts";
import type { ClassificationMetrics } from "../eval/metrics.ts";
import { type CaptionCorpus, subsetPart, type ZeroShotTask } from "./caption_corpus.ts";
import type { CaptionRow } from "./caption_eval.ts";
import { compareRuns, type CompareOptions, type RunComparison, selectRuns, type Where } from "../stats/compare_runs.ts";
import type { RunRow } from "../stats/aggregate.ts";

/** One stratum's accuracy of one model (or baseline) on one task. */
export interface LeakageRow extends CaptionRow {
  leakage: LeakageStratum;
  /** Classes and test images of the stratum. */
  classes: number;
  images: number;
}

/** What every row of a model carries besides the task and the value (a `CaptionRow` without them). */
export interface RowBase {
  vision: string;
  text: string;
  method: string;
  seed: number;
  pairs: number;
  [extra: string]: string | number;
}

/** The audit of a task's classes against the captions a run trains on (its subset when `maxPairs` is set). Pure. */
export function taskLeakage(corpus: CaptionCorpus, task: ZeroShotTask, maxPairs?: number): ClassLeakage[] {
  return leakageAudit(task.classes, subsetPart(corpus.train, maxPairs).captions);
}

/**
 * A task's metrics as rows per leakage stratum (top-1 and top-k, only strata with test images). Items are
 * classified among all the task's classes; the stratum selects which are scored. Pure.
 */
export function leakageRows(
  metrics: ClassificationMetrics,
  task: ZeroShotTask,
  audit: readonly ClassLeakage[],
  base: RowBase,
): LeakageRow[] {
  return metricsByStratum(metrics, task.labels, audit).filter((s) => s.images > 0).flatMap((s) =>
    ([["top1", s.top1], [`top${s.k}`, s.topk]] as const).map(([metric, value]) => ({
      ...base, dataset: task.name, split: task.kind, leakage: s.stratum, classes: s.classes, images: s.images, metric, value,
    }))
  );
}

/** Classes and images per stratum of a task, for a table. Pure. */
export function leakageTable(task: ZeroShotTask, audit: readonly ClassLeakage[]): { stratum: LeakageStratum; classes: number; images: number }[] {
  const count = new Array(task.classes.length).fill(0);
  for (const l of task.labels) count[l]++;
  return (["all", "some", "none"] as const).map((stratum) => {
    const idx = audit.flatMap((a, c) => (a.stratum === stratum ? [c] : []));
    return { stratum, classes: idx.filter((c) => count[c] > 0).length, images: idx.reduce((n, c) => n + count[c], 0) };
  });
}

/** The strata in the order notebooks show them: leak-free first. */
const LEAK_FREE_FIRST: readonly LeakageStratum[] = [...LEAKAGE_STRATA].reverse();

/**
 * The stratum of several classes taken together (a Winoground-style group): leak-free when every class
 * is, "all" when every class's name is named whole, else "some". Pure.
 */
export function combinedStratum(strata: readonly LeakageStratum[]): LeakageStratum {
  if (strata.every((s) => s === "none")) return "none";
  return strata.every((s) => s === "all") ? "all" : "some";
}

/**
 * `a` against `b` paired over runs within each leakage stratum (the rows' `leakage` field) of the rows
 * matching `common` (leak-free first), each comparison's scope `${scope}, ${stratum}`; a stratum that fewer than two runs of either side
 * reach is left out. Pure.
 *
 * @example
 * ```ts
 * declare const strata: LeakageRow[];
 * const cmp = stratumComparisons(strata, { dataset: "unseen emoji", metric: "top1" }, { method: "ShareLock" }, { method: "LiT-style" }, { scope: "unseen emoji top-1" });
 * ```
 */
export function stratumComparisons(rows: readonly RunRow[], common: Where, a: Where, b: Where, opts: CompareOptions & { scope: string }): RunComparison[] {
  return LEAK_FREE_FIRST.flatMap((leakage) => {
    const where = { ...common, leakage };
    const enough = [a, b].every((w) => selectRuns(rows, { ...where, ...w }).length >= 2);
    return enough ? [compareRuns(rows, where, a, b, { ...opts, scope: `${opts.scope}, ${leakage}` })] : [];
  });
}

/**
 * How big each stratum is on the rows matching `where` (one row per run and stratum, as
 * `evaluateCaptionModelByStratum` gives them): the mean over runs of each of `fields` (classes and
 * images, or a task's own sizes such as groups), leak-free first. The strata differ between seen / unseen
 * splits, hence the mean. Pure.
 *
 * @example
 * ```ts
 * declare const strata: LeakageRow[];
 * const sizes = stratumSizes(strata, { dataset: "unseen emoji", metric: "top1", method: "ShareLock" });   // [{ stratum: "none", classes: 41.2, images: 160.4, runs: 5 }, ...]
 * ```
 */
export function stratumSizes(rows: readonly RunRow[], where: Where, fields: readonly string[] = ["classes", "images"]): Record<string, string | number>[] {
  return LEAK_FREE_FIRST.flatMap((stratum) => {
    const of = selectRuns(rows, { ...where, leakage: stratum });
    if (!of.length) return [];
    const mean = (f: string) => +(of.reduce((a, r) => a + Number(r[f]), 0) / of.length).toFixed(1);
    return [{ stratum, ...Object.fromEntries(fields.map((f) => [f, mean(f)])), runs: of.length }];
  });
}
