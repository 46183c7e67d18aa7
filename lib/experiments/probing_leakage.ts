/**
 * Concept leakage in strict zero-shot probing (notebook 01): the unseen classes audited against the text
 * the projection and the LiT-style tower train on, the seen classes' texts (their names through the
 * templates, or their descriptions). Emoji names share many words ("face", "cat", "hand") between seen
 * and unseen subcategories, so "unseen" holds classes named in training and classes never named.
 *
 * @example
 * ```ts
 * import { probingLeakage, probingLeakageRows } from "./probing_leakage.ts";
 * import type { ProbingContext, ProbingResult } from "./probing.ts";
 * declare const ctx: ProbingContext, result: ProbingResult;
 * const { audit } = probingLeakage(ctx, "templates");
 * const rows = probingLeakageRows(result, ctx, { vision: "mobilenet-v2", dataset: "emoji", split_seed: 0 });
 * ```
 */
import { type ClassLeakage, leakageAudit, metricsByStratum } from "../eval/leakage.ts";
import type { ClassificationMetrics } from "../eval/metrics.ts";
import type { RunRow } from "../stats/aggregate.ts";
import type { ProbingContext, ProbingResult, Representation } from "./probing.ts";
import { classesWithTexts, probingTask } from "./probing_runs.ts";

/** The audit of the unseen classes (in the order the test scores them) and each test's labels. Pure. */
export function probingLeakage(ctx: ProbingContext, representation: Representation): {
  audit: ClassLeakage[];
  labels: { unseen: ArrayLike<number>; styleShift?: ArrayLike<number> };
} {
  const { texts, seen, unseen } = classesWithTexts(ctx, representation);
  const audit = leakageAudit(unseen, seen.flatMap((c) => texts[c]));
  return {
    audit,
    labels: {
      unseen: probingTask(ctx, representation, unseen, "unseen").labels,
      styleShift: ctx.heldOut ? probingTask(ctx, representation, unseen, "style-shift", ctx.heldOut).labels : undefined,
    },
  };
}

/**
 * A probing run's unseen-class (and style-shift) accuracy per leakage stratum, as rows with `leakage`:
 * average per-class accuracy, top-1 and top-5 of each stratum's classes. Pure.
 */
export function probingLeakageRows(
  result: ProbingResult,
  ctx: ProbingContext,
  base: { vision: string; dataset: string; [extra: string]: string | number },
): RunRow[] {
  const { audit, labels } = probingLeakage(ctx, result.representation);
  const tests: [string, ClassificationMetrics | undefined, ArrayLike<number> | undefined][] = [["unseen", result.unseen, labels.unseen], ["style-shift", result.styleShift, labels.styleShift]];
  const run = { ...base, text: result.text, representation: result.representation, seed: result.seed };
  return tests.flatMap(([split, m, lab]) =>
    m && lab
      ? metricsByStratum(m, lab, audit).filter((s) => s.images > 0).flatMap((s) => [
        { ...run, split, leakage: s.stratum, classes: s.classes, metric: "mean_per_class_acc", value: s.meanPerClassRecall },
        { ...run, split, leakage: s.stratum, classes: s.classes, metric: "top1", value: s.top1 },
        { ...run, split, leakage: s.stratum, classes: s.classes, metric: `top${s.k}`, value: s.topk },
      ])
      : []
  );
}
