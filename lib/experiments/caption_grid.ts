/**
 * Caption experiment grids: a notebook names what to compare (variants: a language encoder and a change
 * of the training settings) and the runs (seed i on split i); {@link captionGrid} loads or trains every
 * model (`captionModels`: stored models are read, the others train together, runs of one shape as one
 * batch), evaluates each as soon as it is ready, disposes it and returns typed rows in grid order
 * (variant by variant, run by run), so that a notebook holds no loop, progress bar or disposal.
 *
 * @example
 * ```ts
 * import { captionGrid, type CaptionVariant } from "./caption_grid.ts";
 * import { byStratum } from "./caption_evaluations.ts";
 * import { captionNotebookSetup } from "./caption_setup.ts";
 * import { captionRuns } from "./caption_runs.ts";
 * import { captionNotebookConfig } from "../config.ts";
 *
 * const cfg = captionNotebookConfig("embedded"), runs = captionRuns(cfg.seeds, cfg.splitSeeds);
 * const setup = await captionNotebookSetup(cfg.corpus, [cfg.main], runs);
 * const variants: CaptionVariant[] = [{ name: "τ = 0.03", text: cfg.main, train: { logitScale: 1 / 0.03 } }];
 * const { rows } = await captionGrid(setup, { variants, runs, train: cfg.train, evaluate: byStratum(cfg.templates) });
 * ```
 * @module
 */
import type { TrainConfig } from "../train/trainer.ts";
import type { CacheLedger } from "../report/cache_report.ts";
import { type CaptionModel, type CaptionModelJob, captionModels } from "./caption_model.ts";
import type { CaptionRow } from "./caption_eval.ts";
import type { CaptionRun } from "./caption_runs.ts";
import type { CaptionNotebookSetup, CaptionSplit } from "./caption_setup.ts";

/** One thing a grid compares: a language encoder trained with a change of the notebook's settings. */
export interface CaptionVariant {
  /** The label rows carry in `variant` (unique within a grid). */
  name: string;
  /** Language encoder (registry name) or `LIT_BAG_OF_WORDS`. */
  text: string;
  /** Settings that differ from the grid's `train` (none: the default). */
  train?: Partial<TrainConfig>;
  /** The group it belongs to (an ablation: "architecture", "loss", ...); rows carry it in `group`. */
  group?: string;
  /** The label rows carry in `method` (default: the evaluation's, `methodLabel` of the encoder). */
  method?: string;
  /** Its own runs (default: the grid's). */
  runs?: readonly CaptionRun[];
  /** Train on a seeded random subset of this many images with their captions (data scaling; nested subsets). */
  maxPairs?: number;
}

/** A value measured within one leakage stratum of a test's classes (or groups). */
export type StratumRow = CaptionRow & { leakage: string };

/** What one model measured: values, and values per leakage stratum. */
export interface ModelMeasures {
  rows: CaptionRow[];
  strata: StratumRow[];
}

/** How a grid evaluates one model on its run's split (see `caption_evaluations.ts`). */
export type CaptionEvaluation = (model: CaptionModel, split: CaptionSplit, run: CaptionRun) => Promise<ModelMeasures>;

/** What every row of a grid carries besides the measured value. */
export interface GridTags {
  variant: string;
  group: string;
  split_seed: number;
  /** Trainable parameters of the projection, and the steps it trained. */
  parameters: number;
  steps: number;
}

/** A measured value of one model of a grid. */
export type CaptionGridRow = CaptionRow & GridTags;
/** A measured value of one model of a grid within one leakage stratum. */
export type CaptionGridStratumRow = StratumRow & GridTags;

/** What {@link captionGrid} runs. */
export interface CaptionGridSpec {
  variants: readonly CaptionVariant[];
  runs: readonly CaptionRun[];
  /** The notebook's training settings; each variant's `train` is applied on top. */
  train: Partial<TrainConfig>;
  evaluate: CaptionEvaluation;
  /** Progress label (default: "<n> caption models"). */
  label?: string;
  /** Counts cached and computed models for the notebook's cache line. */
  ledger?: CacheLedger;
  /** Fields every row of the grid carries (e.g. `{ protocol: "strict" }`). */
  tags?: Record<string, string | number>;
}

/** Rows of a grid, in grid order. */
export interface CaptionGridResult {
  rows: CaptionGridRow[];
  strata: CaptionGridStratumRow[];
}

/** Every (variant, run) of a grid, in grid order. */
export function gridJobs(spec: Pick<CaptionGridSpec, "variants" | "runs">): { variant: CaptionVariant; run: CaptionRun }[] {
  const names = spec.variants.map((v) => v.name), twice = names.filter((n, i) => names.indexOf(n) !== i);
  if (twice.length) throw new Error(`captionGrid: variant names must be unique; repeated: ${[...new Set(twice)].join(", ")}`);
  const jobs = spec.variants.flatMap((variant) => (variant.runs ?? spec.runs).map((run) => ({ variant, run })));
  if (!jobs.length) throw new Error("captionGrid: no runs");
  return jobs;
}

/**
 * Load or train every model of the grid and evaluate each once, holding few models at a time. Each
 * model keeps the key it has when trained alone (`captionModel`), so a grid reads what a single run
 * stored and the reverse.
 */
export async function captionGrid(setup: CaptionNotebookSetup, spec: CaptionGridSpec): Promise<CaptionGridResult> {
  const jobs = gridJobs(spec);
  const modelJobs: CaptionModelJob[] = jobs.map(({ variant, run }) => ({
    corpus: setup.of(run).corpus,
    text: variant.text,
    seed: run.seed,
    train: { ...spec.train, ...variant.train, progress: false },
    ...(variant.maxPairs !== undefined ? { maxPairs: variant.maxPairs } : {}),
  }));
  const measured: ModelMeasures[] = new Array(jobs.length), tags: GridTags[] = new Array(jobs.length);
  await captionModels(modelJobs, {
    label: spec.label ?? `${jobs.length} caption models`,
    onModel: async (i, model) => {
      const { variant, run } = jobs[i];
      spec.ledger?.count(model);
      tags[i] = {
        ...spec.tags, ...(variant.method ? { method: variant.method } : {}),
        variant: variant.name, group: variant.group ?? "", split_seed: run.splitSeed, parameters: model.projection.parameters, steps: model.steps,
      };
      try {
        measured[i] = await spec.evaluate(model, setup.of(run), run);
      } finally {
        model.projection.dispose();
      }
    },
  });
  return {
    rows: measured.flatMap((m, i) => m.rows.map((r) => ({ ...r, ...tags[i] }))),
    strata: measured.flatMap((m, i) => m.strata.map((r) => ({ ...r, ...tags[i] }))),
  };
}
