/**
 * Notebook 03's experiments as data: ShareLock and the LiT-style tower on every run, evaluated on every
 * zero-shot task, the held-out captions and the external test (per leakage stratum); training-free ASIF
 * on the same splits ({@link asifTaskRows}); the data-scaling grid on nested subsets
 * ({@link scalingGrid}). Every grid goes through `captionGrid`, so its models train together.
 *
 * @example
 * ```ts
 * import { sharelockMethods } from "./sharelock_grid.ts";
 * const methods = sharelockMethods("use-lite");   // ShareLock with use-lite, and the LiT-style tower
 * ```
 * @module
 */
import { LIT_BAG_OF_WORDS, methodLabel } from "../baselines/lit.ts";
import type { CacheLedger } from "../report/cache_report.ts";
import { progress } from "../runtime/progress.ts";
import type { TrainConfig } from "../train/trainer.ts";
import { promptsFor, subsetPart, type ZeroShotTask } from "./caption_corpus.ts";
import { asifZeroShot, type CaptionRow, evaluateCaptionModel, evaluateCaptionModelByStratum } from "./caption_eval.ts";
import { type CaptionEvaluation, captionGrid, type CaptionGridRow, type CaptionVariant, type StratumRow } from "./caption_grid.ts";
import { leakageRows, taskLeakage } from "./caption_leakage.ts";
import type { CaptionRun } from "./caption_runs.ts";
import type { CaptionNotebookSetup, CaptionSplit } from "./caption_setup.ts";

/** The method labels notebook 03 compares. */
export const SHARE = "ShareLock", LIT = "LiT-style (text tower from scratch)", ASIF = "ASIF (training-free)";

/** ShareLock with the main language encoder, and the LiT-style tower, as grid variants. Pure. */
export function sharelockMethods(main: string): CaptionVariant[] {
  return [{ name: SHARE, method: SHARE, text: main }, { name: LIT, method: LIT, text: LIT_BAG_OF_WORDS }];
}

/** Only the leakage strata of the tasks `pick` chooses (no overall rows). */
export function strataOn(pick: (split: CaptionSplit) => ZeroShotTask[], templates: readonly string[]): CaptionEvaluation {
  return async (model, split) => {
    const ev = await evaluateCaptionModelByStratum(model, split.corpus, pick(split), { templates, method: methodLabel(model.text) });
    return { rows: [], strata: ev.strata };
  };
}

/** Top-1, top-5 and average per-class accuracy on the split's first task only (no strata). */
export function firstTask(templates: readonly string[]): CaptionEvaluation {
  return async (model, split) => ({
    rows: await evaluateCaptionModel(model, split.corpus, [split.tasks[0]], { templates, method: methodLabel(model.text) }),
    strata: [],
  });
}

/**
 * ASIF with `text` on every run's split: rows of each zero-shot task (top-1, top-5, average per-class
 * accuracy) and strata rows of each task and `external` (protocol "as is"). Cached evaluations are read.
 */
export async function asifTaskRows(
  setup: CaptionNotebookSetup,
  runs: readonly CaptionRun[],
  opts: { text: string; templates: readonly string[]; external: ZeroShotTask; ledger?: CacheLedger },
): Promise<{ rows: CaptionRow[]; strata: StratumRow[] }> {
  const rows: CaptionRow[] = [], strata: StratumRow[] = [], bar = progress(runs.length, "ASIF");
  for (const run of runs) {
    const { corpus, tasks } = setup.of(run), pairs = corpus.train.captions.length;
    const base = { vision: corpus.config.vision, text: opts.text, method: ASIF, split_seed: run.splitSeed, seed: run.seed, pairs };
    for (const t of [...tasks, opts.external]) {
      const m = await asifZeroShot(corpus, t, promptsFor(t.classes, opts.templates), { text: opts.text });
      if (t !== opts.external) {
        opts.ledger?.count(m);
        for (const [metric, value] of [["top1", m.top1], ["top5", m.topk], ["mean_per_class_acc", m.meanPerClassRecall]] as const) {
          rows.push({ ...base, dataset: t.name, split: t.kind, metric, value, experiment: "main" });
        }
      }
      strata.push(...leakageRows(m, t, taskLeakage(corpus, t), { ...base, protocol: "as is" }));
    }
    bar.tick(1, `ASIF, split ${run.splitSeed}`);
  }
  await bar.done();
  return { rows, strata };
}

/** What the data-scaling grid runs: sizes (`"all"`: the whole corpus), and the runs at each size. */
export interface ScalingSpec {
  sizes: readonly (number | "all")[];
  runsAt: (size: number | "all") => readonly CaptionRun[];
  methods: readonly CaptionVariant[];
  train: Partial<TrainConfig>;
  templates: readonly string[];
  /** ASIF with this language encoder on the same subsets (null: none). */
  asifWith: string | null;
  ledger?: CacheLedger;
}

/** A data-scaling row: the size asked for, and the images trained on. */
export type ScalingRow = CaptionRow & { size: string; images: number };

/** Every method at every size on that size's runs, top-1 on the first task; ASIF on the same subsets. */
export async function scalingGrid(setup: CaptionNotebookSetup, spec: ScalingSpec): Promise<ScalingRow[]> {
  // one variant per method and size; the size is the variant's group
  const variants = spec.sizes.flatMap((n) => spec.methods.map((m) => ({
    ...m, name: `${m.name} @ ${n}`, group: String(n), runs: spec.runsAt(n), ...(n === "all" ? {} : { maxPairs: n }),
  })));
  const grid = await captionGrid(setup, {
    variants, runs: [], train: spec.train, evaluate: firstTask(spec.templates), label: "data-scaling models", ledger: spec.ledger, tags: { experiment: "scaling" },
  });
  const imagesOf = (r: CaptionGridRow) => (r.group === "all" ? setup.of({ splitSeed: r.split_seed }).corpus.train.images.rows : Number(r.group));
  const rows: ScalingRow[] = grid.rows.map((r) => ({ ...r, size: r.group, images: imagesOf(r) }));
  if (spec.asifWith) {
    for (const n of spec.sizes) {
      for (const run of spec.runsAt(n)) {
        const { corpus, tasks } = setup.of(run), maxPairs = n === "all" ? undefined : n;
        const m = await asifZeroShot(corpus, tasks[0], promptsFor(tasks[0].classes, spec.templates), { text: spec.asifWith, maxPairs });
        spec.ledger?.count(m);
        rows.push({
          vision: corpus.config.vision, text: spec.asifWith, method: ASIF, dataset: tasks[0].name, split: tasks[0].kind, split_seed: run.splitSeed, seed: run.seed,
          pairs: subsetPart(corpus.train, maxPairs).captions.length, metric: "top1", value: m.top1, size: String(n), images: maxPairs ?? corpus.train.images.rows, experiment: "scaling",
        });
      }
    }
  }
  return rows;
}
