/**
 * Notebook 01's grid as data: the contexts of every (dataset, split) after a preflight
 * ({@link probingContexts}), every (split, language encoder, representation, seed) trained or read as
 * one grid ({@link probingGrid}: `cachedProbingRuns`, runs of one shape as one batch) into typed rows,
 * ASIF's training-free rows ({@link asifRows}), and each run's rows per leakage stratum.
 *
 * @example
 * ```ts
 * import { probingContexts, probingGrid } from "./probing_grid.ts";
 * import { probingNotebookConfig } from "../config.ts";
 * const cfg = probingNotebookConfig("embedded");
 * const contexts = await probingContexts(cfg);
 * const { rows } = await probingGrid(contexts, cfg);
 * ```
 * @module
 */
import type { ProbingNotebookConfig } from "../config.ts";
import type { ClassificationMetrics } from "../eval/metrics.ts";
import type { CacheLedger } from "../report/cache_report.ts";
import { progress } from "../runtime/progress.ts";
import { selectTfBackend } from "../runtime/tf_backend.ts";
import type { RunRow } from "../stats/aggregate.ts";
import { preflight } from "./preflight.ts";
import { cachedProbingRuns, probingAsif, type ProbingContext, probingContext, type ProbingResult, type Representation } from "./probing.ts";
import { probingLeakageRows } from "./probing_leakage.ts";

/** What a probing notebook's contexts are made from (a `ProbingNotebookConfig` has it all). */
export type ProbingSetupConfig = Pick<ProbingNotebookConfig, "datasets" | "vision" | "language" | "styles" | "splitSeeds" | "unseenFraction">;

/** The backend, a preflight that throws naming what is missing, then one context per dataset and split seed. */
export async function probingContexts(cfg: ProbingSetupConfig): Promise<ProbingContext[]> {
  await selectTfBackend();
  const problems = await preflight({ datasets: cfg.datasets, vision: cfg.vision, language: cfg.language, styles: cfg.styles });
  if (problems.length) throw new Error(`This configuration cannot run here:\n- ${problems.join("\n- ")}`);
  const contexts: ProbingContext[] = [];
  for (const dataset of cfg.datasets) {
    for (const splitSeed of cfg.splitSeeds) {
      contexts.push(await probingContext({ dataset, vision: cfg.vision, unseenFraction: cfg.unseenFraction, splitSeed, styles: cfg.styles ?? undefined }));
    }
  }
  return contexts;
}

/** Each context's split as a table row: classes and images seen and unseen, the held-out style, chance. Pure. */
export function splitRows(contexts: readonly ProbingContext[]): Record<string, string | number>[] {
  return contexts.map((c) => ({
    dataset: c.dataset.name, split_seed: c.split.seed,
    seen_classes: c.seenClasses.length, training_images: c.items.filter((it) => it.split === "seen").length,
    unseen_classes: c.unseenClasses.length, unseen_images: c.items.filter((it) => it.split === "unseen").length,
    held_out_style: c.heldOut?.style ?? "-", held_out_images: c.heldOut?.items.length ?? 0, chance_pct: 100 / c.unseenClasses.length,
  }));
}

/** A measured value of one probing run: on which test ("unseen", "style-shift", "seen") and representation. */
export interface ProbingRow extends RunRow {
  representation: string;
  split_seed: number;
}

/** One run of the grid: its context, language encoder, representation and seed. */
export interface ProbingGridJob {
  ctx: ProbingContext;
  text: string;
  representation: Representation;
  seed: number;
}

/** The grid's jobs, results (job order) and rows. */
export interface ProbingGrid {
  jobs: ProbingGridJob[];
  results: ProbingResult[];
  rows: ProbingRow[];
}

/**
 * Every (context, representation with texts, language encoder, seed) of the config, the first
 * `seedsPerSplit[representation]` seeds on every split, trained or read as one grid; rows of average
 * per-class accuracy, top-1 and top-5 on each test.
 */
export async function probingGrid(contexts: readonly ProbingContext[], cfg: ProbingNotebookConfig, ledger?: CacheLedger): Promise<ProbingGrid> {
  const jobs: ProbingGridJob[] = contexts.flatMap((ctx) =>
    cfg.representations.filter((r) => !ctx.missing[r]).flatMap((representation) =>
      cfg.language.flatMap((text) => cfg.seeds.slice(0, cfg.seedsPerSplit[representation]).map((seed) => ({ ctx, text, representation, seed })))
    )
  );
  const results = await cachedProbingRuns(jobs.map((j) => ({ ...j, train: { ...cfg.train, progress: false } })), { label: "probing runs" });
  const rows: ProbingRow[] = [];
  for (const [k, j] of jobs.entries()) {
    const r = ledger ? ledger.count(results[k]) : results[k];
    const run = { vision: cfg.vision, text: j.text, dataset: j.ctx.dataset.name, representation: j.representation, split_seed: j.ctx.split.seed, seed: j.seed, steps: r.steps };
    const tests: [string, ClassificationMetrics | undefined][] = [["unseen", r.unseen], ["style-shift", r.styleShift], ["seen", r.seen]];
    for (const [split, m] of tests) {
      if (!m) continue;
      rows.push(
        { ...run, split, metric: "mean_per_class_acc", value: m.meanPerClassRecall },
        { ...run, split, metric: "top1", value: m.top1 },
        { ...run, split, metric: "top5", value: m.topk },
      );
    }
  }
  return { jobs, results, rows };
}

/** ASIF with `cfg.asifWith` on every split and representation: unseen-class rows, text "ASIF (<encoder>)", seed 0. */
export async function asifRows(contexts: readonly ProbingContext[], cfg: ProbingNotebookConfig): Promise<ProbingRow[]> {
  const rows: ProbingRow[] = [];
  if (!cfg.asifWith) return rows;
  const bar = progress(contexts.length, "ASIF");
  for (const ctx of contexts) {
    for (const representation of cfg.representations.filter((r) => !ctx.missing[r])) {
      const m = await probingAsif(ctx, { text: cfg.asifWith, representation });
      rows.push({
        vision: cfg.vision, text: `ASIF (${cfg.asifWith})`, dataset: ctx.dataset.name, representation, split_seed: ctx.split.seed, seed: 0,
        split: "unseen", metric: "mean_per_class_acc", value: m.meanPerClassRecall,
      });
    }
    bar.tick(1, `split ${ctx.split.seed}`);
  }
  await bar.done();
  return rows;
}

/** The template runs' rows per leakage stratum of their unseen classes (field `leakage`). Pure. */
export function gridLeakageRows(grid: ProbingGrid, vision: string): RunRow[] {
  return grid.jobs.flatMap((j, k) =>
    j.representation !== "templates" ? [] : probingLeakageRows(grid.results[k], j.ctx, { vision, dataset: j.ctx.dataset.name, split_seed: j.ctx.split.seed })
  );
}

/** How many classes have texts in each representation, with a few texts of one unseen class. Pure. */
export function representationRows(ctx: ProbingContext, representations: readonly Representation[]): Record<string, string | number>[] {
  const example = ctx.unseenClasses[Math.floor(ctx.unseenClasses.length / 2)];
  return representations.map((r) => ({
    representation: r,
    classes_with_texts: Object.values(ctx.texts[r]).filter((t) => t.length).length,
    [`texts of "${example}"`]: (ctx.texts[r][example] ?? []).slice(0, 3).join(" | ") || ctx.missing[r] || "(none found)",
  }));
}

/** Tiles of a few unseen classes (one per unseen subcategory) in every art style of the context. Pure. */
export function unseenExamples(ctx: ProbingContext, classes = 6): { image: string; caption: string }[] {
  const perGroup = new Map<string, string>();
  for (const it of ctx.items) if (it.split === "unseen" && !perGroup.has(it.group ?? it.class_name)) perGroup.set(it.group ?? it.class_name, it.class_name);
  const all = [...ctx.items, ...(ctx.heldOut?.items ?? [])];
  return [...perGroup.values()].slice(0, classes).flatMap((c) =>
    all.filter((it) => it.class_name === c && it.image_path).map((it) => ({ image: it.image_path!, caption: `${c} · ${it.item_id.split("/")[0]}` }))
  );
}
