/**
 * Strict zero-shot probing (Sections 3-4): train a linear projection on SEEN classes (each image's texts
 * are its class's texts: names through templates, or description sentences), then classify images of
 * UNSEEN classes among the unseen classes only. Reports average per-class accuracy (the paper's metric),
 * top-1 and top-5.
 *
 * @example
 * ```ts
 * const ctx = await probingContext({ dataset: "emoji-google", vision: "mobilenet-v2" });
 * const res = await probingRun(ctx, { text: "use-lite", representation: "templates", seed: 0 });
 * res.unseen.meanPerClassRecall;
 * ```
 */
import type { Dataset, Item } from "../data/items.ts";
import { dataset as loadDataset } from "../data/registry.ts";
import { applySplit, type ClassSplit, splitClasses } from "../data/splits.ts";
import { loadStyleShift } from "../data/emoji_multistyle.ts";
import { classRepresentations } from "../data/class_texts.ts";
import { DRAWING_TEMPLATES } from "../data/templates.ts";
import { loadWordNet } from "../data/wordnet.ts";
import { imageFeatures } from "../features.ts";
import { languageEncoder, visionEncoder } from "../encoders/registry.ts";
import type { LanguageEncoder } from "../encoders/types.ts";
import { type Matrix, selectRows } from "../core/matrix.ts";
import { classify } from "../eval/evaluate.ts";
import type { ClassificationMetrics } from "../eval/metrics.ts";
import { resolveTrainConfig, type TrainConfig } from "../train/trainer.ts";
import { bagOfWordsEncoder, isFromScratchTower } from "../baselines/lit.ts";
import { announcePlan, type PlannedRun } from "../train/grid_plan.ts";
import { asifMethod } from "../baselines/asif.ts";
import { llmDescriptions } from "../data/llm_descriptions.ts";
import { type Memoized, memoResult } from "../runtime/memo.ts";
import { progress, type ProgressSink } from "../runtime/progress.ts";
import { codeIdentity, takeCodeSnapshot } from "../runtime/code_identity.ts";
import { classesWithTexts, type ProbingJob, probingRun, probingRuns, probingTask } from "./probing_runs.ts";

/**
 * The code of a probing run: this module's import closure (training, evaluation, metrics, features) and
 * the TF.js backend selection, snapshotted as this process loads it (see `code_identity.ts`).
 */
const PROBING_CODE = [import.meta.url, new URL("../runtime/tf_backend.ts", import.meta.url)];
takeCodeSnapshot(PROBING_CODE);

/** Class representations the probing compares. */
export type Representation = "templates" | "descriptions" | "llm-descriptions";

/** Everything shared by the runs on one dataset and vision encoder. */
export interface ProbingContext {
  dataset: Dataset;
  split: ClassSplit;
  items: Item[];
  images: Matrix;
  seenClasses: string[];
  unseenClasses: string[];
  /** Texts of each class, per representation (classes without any text are left out of both sides). */
  texts: Record<Representation, Record<string, string[]>>;
  /** Why a representation has no texts (e.g. no text-generation model for LLM descriptions). */
  missing: Partial<Record<Representation, string>>;
  vision: string;
  /** The vision encoder's identity (part of cache keys; absent for hand-built contexts). */
  visionIdentity?: unknown;
  /** Multi-style contexts: the held-out style's images of the unseen classes (the style-shift test; never trained on). */
  heldOut?: { style: string; items: Item[]; images: Matrix };
}

/** Options of {@link probingContext}. */
export interface ProbingContextOptions {
  dataset: string;
  vision: string;
  unseenFraction?: number;
  splitSeed?: number;
  /** Split whole groups (emoji subcategories) rather than classes (default true when items have groups). */
  byGroup?: boolean;
  templates?: readonly string[];
  /**
   * Several art styles of the same classes instead of `dataset` (which then only names the context):
   * training on the seen classes in every `trainStyles` style, the unseen classes tested in those styles
   * and, as `heldOut`, in `heldOutStyle` (the style shift). See `styleShiftSplit`.
   */
  styles?: { trainStyles: readonly string[]; heldOutStyle: string };
}

/** Load the dataset (or the aligned styles), split classes, extract image features and build class texts. */
export async function probingContext(opts: ProbingContextOptions): Promise<ProbingContext> {
  const { ds, split, items, heldOut } = opts.styles ? await multiStyleItems(opts, opts.styles) : await singleDatasetItems(opts);
  const classes = ds.classes.filter(Boolean);
  const wordnet = await loadWordNet();
  const reps = classRepresentations(classes, { templates: opts.templates ?? DRAWING_TEMPLATES, wordnet });
  const vis = await visionEncoder(opts.vision);
  const feats = await imageFeatures(items, vis);
  const shifted = heldOut ? await imageFeatures(heldOut.items, vis) : undefined;
  const llm = await llmDescriptions(classes);
  return {
    dataset: ds,
    split,
    items: feats.items,
    images: feats.matrix,
    seenClasses: [...split.seen].sort(),
    unseenClasses: [...split.unseen].sort(),
    texts: { templates: reps.templates, descriptions: reps.descriptions, "llm-descriptions": llm.texts },
    missing: llm.reason ? { "llm-descriptions": llm.reason } : {},
    vision: opts.vision,
    visionIdentity: vis.identity,
    heldOut: shifted && heldOut ? { style: heldOut.style, items: shifted.items, images: shifted.matrix } : undefined,
  };
}

/** One dataset's items, split by class (or by group). */
async function singleDatasetItems(opts: ProbingContextOptions) {
  const ds = await loadDataset(opts.dataset);
  const groupOf = new Map(ds.items.map((it) => [it.class_name, it.group ?? it.class_name]));
  const byGroup = opts.byGroup ?? ds.items.every((it) => it.group);
  const split = splitClasses(ds.classes.filter(Boolean), {
    unseenFraction: opts.unseenFraction ?? 0.25,
    seed: opts.splitSeed ?? 0,
    groupOf: byGroup ? (c) => groupOf.get(c)! : undefined,
  });
  return { ds, split, items: applySplit(ds.items, split), heldOut: undefined };
}

/** The aligned styles' items: every training style's images of all classes, and the held-out style's unseen ones. */
async function multiStyleItems(opts: ProbingContextOptions, styles: NonNullable<ProbingContextOptions["styles"]>) {
  const s = await loadStyleShift({ ...styles, seed: opts.splitSeed ?? 0, unseenFraction: opts.unseenFraction, byGroup: opts.byGroup ?? true });
  const ds: Dataset = {
    name: opts.dataset,
    version: `styles ${styles.trainStyles.join("+")} held out ${styles.heldOutStyle}: ${Object.entries(s.versions).map(([n, v]) => `${n} ${v}`).join("; ")}`,
    items: [...s.train, ...s.test],
    classes: s.classes,
  };
  return { ds, split: s.split, items: ds.items, heldOut: { style: styles.heldOutStyle, items: s.styleShift } };
}

/** One probing run. */
export interface ProbingResult {
  text: string;
  representation: Representation;
  seed: number;
  unseen: ClassificationMetrics;
  /** Accuracy on seen classes' images among seen classes (how well the training fit). */
  seen: ClassificationMetrics;
  /** Multi-style contexts: the unseen classes in the held-out style. */
  styleShift?: ClassificationMetrics;
  unseenClasses: number;
  trainSeconds: number;
  steps: number;
  /** True when read from the cache ({@link cachedProbingRun}) rather than trained and evaluated now. */
  cached: boolean;
}

export { type ProbingJob, probingRun, probingRuns, probingTask } from "./probing_runs.ts";

/**
 * ASIF on the same split: anchors are the seen images paired with one of their class's texts (raw text
 * features, no training); unseen images are matched to unseen classes (prototypes) through the anchors.
 */
export async function probingAsif(
  ctx: ProbingContext,
  opts: { text: string | LanguageEncoder; representation: Representation; k?: number; p?: number },
): Promise<ClassificationMetrics> {
  const { texts, unseen } = classesWithTexts(ctx, opts.representation);
  const enc = typeof opts.text === "string" ? await languageEncoder(opts.text) : opts.text;
  const anchorIdx = ctx.items.map((it, i) => (ctx.split.seen.has(it.class_name) && texts[it.class_name]?.length ? i : -1)).filter((i) => i >= 0);
  const asif = await asifMethod(enc, {
    images: selectRows(ctx.images, anchorIdx),
    texts: anchorIdx.map((i) => texts[ctx.items[i].class_name][0]),
  }, { k: opts.k, p: opts.p });
  return classify(asif, { ...probingTask(ctx, opts.representation, unseen, "unseen classes"), aggregate: "prototype" });
}

/** A registry language encoder's identity (the encoder is opened and released). */
async function encoderIdentity(name: string): Promise<unknown> {
  const enc = await languageEncoder(name);
  enc.dispose();
  return enc.identity;
}

/**
 * Everything that determines a probing run's result (what {@link cachedProbingRun} keys it by).
 * `identityOf` gives a registry encoder's identity (default: open the encoder and release it).
 */
export async function probingKey(job: ProbingJob & { text: string }, identityOf = encoderIdentity): Promise<unknown> {
  const { ctx, text, representation, seed, train } = job;
  const { texts, seen, unseen } = classesWithTexts(ctx, representation);
  return {
    dataset: `${ctx.dataset.name} ${ctx.dataset.version}`,
    vision: ctx.visionIdentity ?? ctx.vision,
    seen,
    unseen,
    text: isFromScratchTower(text) ? text : await identityOf(text),
    representation,
    texts: Object.fromEntries([...seen, ...unseen].map((c) => [c, texts[c]])),
    seed,
    train: resolveTrainConfig(train),
    code: codeIdentity(PROBING_CODE).hash,
  };
}

/**
 * {@link probingRun}, cached: the result is stored under the cache, keyed by everything that determines
 * it: the dataset (and version), the vision encoder's identity, the split, the language encoder's
 * IDENTITY (for the LiT-style tower: its name; its vocabulary follows from the texts), the
 * representation with every class's texts (templates filled, sentences), the seed, the training
 * settings and the code (this module's import closure and its package versions), so that a notebook
 * rerun only trains what changed, and an edited trainer or metric retrains. `cached` says which it was.
 */
export async function cachedProbingRun(
  ctx: ProbingContext,
  opts: { text: string; representation: Representation; seed: number; train?: Partial<TrainConfig> },
): Promise<ProbingResult> {
  const key = await probingKey({ ctx, ...opts });
  const { value, cached } = await memoResult("probing", key, async () => {
    const { cached: _, ...result } = await probingRun(ctx, opts);
    return result;
  });
  return { ...value, cached };
}

/** A probing job's shape and step budget, for the grid's plan (the LiT-style tower's width is its vocabulary's). */
async function plannedRun(job: ProbingJob & { text: string }, identityOf: (name: string) => Promise<unknown>): Promise<PlannedRun> {
  const cfg = resolveTrainConfig(job.train);
  const { texts, seen } = classesWithTexts(job.ctx, job.representation);
  const inDim = isFromScratchTower(job.text) ? bagOfWordsEncoder(seen.flatMap((c) => texts[c])).identity.dim : (await identityOf(job.text) as { dim: number }).dim;
  return { projection: { ...cfg.projection, inDim, outDim: job.ctx.images.dim }, batch: cfg.batchSize, steps: cfg.maxSteps };
}

/**
 * {@link cachedProbingRun} for a grid, under the same keys and files (a run cached alone serves the grid,
 * and the other way round): the cache is asked for every run first, the misses then train together
 * ({@link probingRuns}: runs of one shape as one batch, each equal to its run alone), and each is stored
 * under its own key as it finishes. Before training it says what it will do (`announcePlan`: runs cached,
 * runs to train, the time at the measured speed). One progress bar over all runs, in training steps (a cached run
 * counts its steps at once). Results in job order, `cached` saying which were read.
 */
export async function cachedProbingRuns(
  jobs: readonly (ProbingJob & { text: string })[],
  opts: { label?: string; progress?: ProgressSink | false } = {},
): Promise<ProbingResult[]> {
  type Value = Omit<ProbingResult, "cached">;
  const steps = jobs.map((j) => resolveTrainConfig(j.train).maxSteps);
  // memoResult decides hit or miss; a miss's value is delivered by the batched training below
  const pending = new Map<number, PromiseWithResolvers<Value>>(), decided: Promise<void>[] = [], memos: Promise<Memoized<Value>>[] = [];
  const identities = new Map<string, Promise<unknown>>(); // each encoder opened once for its identity
  const identityOf = (name: string) => identities.get(name) ?? identities.set(name, encoderIdentity(name)).get(name)!;
  for (const [i, job] of jobs.entries()) {
    const key = await probingKey(job, identityOf), decision = Promise.withResolvers<void>();
    const memo = memoResult<Value>("probing", key, () => {
      pending.set(i, Promise.withResolvers<Value>());
      decision.resolve();
      return pending.get(i)!.promise;
    });
    memo.then(() => decision.resolve(), () => decision.resolve());
    decided.push(decision.promise);
    memos.push(memo);
  }
  await Promise.all(decided);
  const misses = jobs.map((_, i) => i).filter((i) => pending.has(i));
  const label = opts.label ?? `${jobs.length} probing runs`;
  await announcePlan(label, jobs.length - misses.length, await Promise.all(misses.map((i) => plannedRun(jobs[i], identityOf))), { sink: opts.progress });
  const bar = opts.progress === false ? undefined : progress(steps.reduce((a, b) => a + b, 0), label, { sink: opts.progress ?? "auto" });
  try {
    jobs.forEach((_, i) => pending.has(i) || bar?.tick(steps[i], "cached"));
    if (misses.length) {
      await probingRuns(misses.map((i) => jobs[i]), {
        progress: bar ?? false,
        onResult: (k, { cached: _, ...value }) => pending.get(misses[k])!.resolve(value),
      });
    }
  } catch (err) {
    for (const d of pending.values()) d.reject(err);
    throw err;
  } finally {
    await bar?.done(`${misses.length} trained, ${jobs.length - misses.length} cached`);
  }
  return Promise.all(memos.map(async (m) => ({ ...(await m).value, cached: (await m).cached })));
}
