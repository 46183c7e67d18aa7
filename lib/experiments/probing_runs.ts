/**
 * Training and evaluating probing runs, one (`probingRun`) or many (`probingRuns`: runs of one shape
 * train as one batch, `trainProjections`, each result equal to its run alone): the run's pairs (seen
 * classes' images with their class texts), its projection, and its zero-shot tasks.
 *
 * @example
 * ```ts
 * import { probingContext } from "./probing.ts";
 * const ctx = await probingContext({ dataset: "emoji-google", vision: "mobilenet-v2" });
 * const [a, b] = await probingRuns([0, 1].map((seed) => ({ ctx, text: "use-lite", representation: "templates" as const, seed })));
 * a.unseen.meanPerClassRecall;
 * ```
 */
import type { ProbingContext, ProbingResult, Representation } from "./probing.ts";
import type { LanguageEncoder } from "../encoders/types.ts";
import { type Matrix, selectRows } from "../core/matrix.ts";
import { asRowSource, type RowSource } from "../store/rows.ts";
import { textFeatures } from "../features.ts";
import { classify, type ClassificationTask } from "../eval/evaluate.ts";
import { featureRows, projectionMethod } from "../eval/methods.ts";
import { flattenClassTexts } from "../eval/classifier.ts";
import { type PairData, resolveTrainConfig, trainProjection, type TrainConfig, type TrainResult } from "../train/trainer.ts";
import { trainProjections } from "../train/batched.ts";
import { progress, type Progress, type ProgressSink } from "../runtime/progress.ts";
import { methodLabel, textTower } from "../baselines/lit.ts";

/** The classes of a representation that have texts, seen and unseen. Pure. */
export function classesWithTexts(ctx: ProbingContext, representation: Representation) {
  const texts = ctx.texts[representation];
  const has = (c: string) => (texts[c]?.length ?? 0) > 0;
  return { texts, seen: ctx.seenClasses.filter(has), unseen: ctx.unseenClasses.filter(has) };
}

/**
 * The zero-shot task over `classes`: their images, labels and texts (descriptions: scores averaged per
 * sentence). `from` picks the images: the context's own (default) or the held-out style's. Pure.
 */
export function probingTask(
  ctx: ProbingContext,
  representation: Representation,
  classes: string[],
  name: string,
  from: Pick<ProbingContext, "items" | "images"> = ctx,
): Omit<ClassificationTask, "kind"> {
  const texts = ctx.texts[representation];
  const index = new Map(classes.map((c, i) => [c, i]));
  const idx = from.items.map((it, i) => (index.has(it.class_name) ? i : -1)).filter((i) => i >= 0);
  return {
    name,
    images: selectRows(from.images, idx),
    labels: idx.map((i) => index.get(from.items[i].class_name)!),
    classTexts: classes.map((c) => texts[c]),
    aggregate: representation === "descriptions" ? "mean-score" : "prototype",
  };
}

/** One probing run: the context, the language encoder (registry name, `LIT_BAG_OF_WORDS`, or an open encoder), the representation, the seed. */
export interface ProbingJob {
  ctx: ProbingContext;
  text: string | LanguageEncoder;
  representation: Representation;
  seed: number;
  train?: Partial<TrainConfig>;
}

/** The text features of `texts` under `enc`, read once for every run that shares `shared` (keyed by encoder and texts). */
function sharedFeatures(shared: Map<string, Promise<Matrix>>, texts: string[], enc: LanguageEncoder): Promise<Matrix> {
  const key = `${JSON.stringify(enc.identity)}\n${texts.join("\n")}`;
  if (!shared.has(key)) shared.set(key, textFeatures(texts, enc, { progress: false }));
  return shared.get(key)!;
}

/**
 * A run's encoder, classes and training pairs (image rows read from the context's matrix, not copied;
 * text features shared through `shared` with runs of the same encoder and texts).
 */
async function prepareRun(job: ProbingJob, shared = new Map<string, Promise<Matrix>>()) {
  const { ctx } = job;
  const { texts, seen, unseen } = classesWithTexts(ctx, job.representation);
  // the LiT-style tower learns its vocabulary from the seen classes' texts only
  const enc = typeof job.text === "string" ? await textTower(job.text, seen.flatMap((c) => texts[c])) : job.text;
  if (unseen.length < 2) throw new Error(`probing: only ${unseen.length} unseen classes have ${job.representation}`);
  const seenT = flattenClassTexts(seen.map((c) => texts[c]));
  const rowsOfClass = new Map<string, number[]>();
  seenT.classOf.forEach((ci, r) => rowsOfClass.set(seen[ci], [...(rowsOfClass.get(seen[ci]) ?? []), r]));
  const trainIdx = ctx.items.map((it, i) => (rowsOfClass.has(it.class_name) ? i : -1)).filter((i) => i >= 0);
  const all = asRowSource(ctx.images);
  const images: RowSource = { rows: trainIdx.length, dim: all.dim, read: (idx) => all.read(Array.from(idx, (i) => trainIdx[i])) };
  const seenFeatures = await sharedFeatures(shared, seenT.texts, enc);
  const data: PairData<RowSource | Matrix> = {
    images,
    texts: seenFeatures,
    textsOf: trainIdx.map((i) => rowsOfClass.get(ctx.items[i].class_name)!),
  };
  const config: Partial<TrainConfig> = { seed: job.seed, label: `${enc.identity.name} / ${job.representation} / seed ${job.seed}`, ...job.train };
  // the seen classes' text features serve training and the seen-class evaluation
  return { enc, seen, unseen, data, config, seenTexts: featureRows(seenT.texts, seenFeatures) };
}

/**
 * Evaluate a trained run on the unseen classes (and seen ones, and the held-out style); disposes the
 * projection. The unseen classes' text features are shared through `shared` with runs of the same encoder and texts.
 */
async function evaluateRun(job: ProbingJob, prep: Awaited<ReturnType<typeof prepareRun>>, run: TrainResult, shared = new Map<string, Promise<Matrix>>()): Promise<ProbingResult> {
  const { ctx, representation } = job, { enc, seen, unseen } = prep, label = methodLabel(enc.identity.name);
  const tasks = {
    unseen: probingTask(ctx, representation, unseen, "unseen classes"),
    seen: probingTask(ctx, representation, seen, "seen classes"),
    styleShift: ctx.heldOut ? probingTask(ctx, representation, unseen, `unseen classes in ${ctx.heldOut.style}`, ctx.heldOut) : undefined,
  };
  // the seen classes' texts were read for training; the unseen ones are read once for both of their tasks.
  // Each task projects its own rows, in its own order.
  const unseenTexts = [...new Set(tasks.unseen.classTexts.flat())];
  const unseenFeatures = featureRows(unseenTexts, await sharedFeatures(shared, unseenTexts, enc));
  const seenMethod = projectionMethod(label, enc, run.projection, { features: prep.seenTexts });
  const unseenMethod = projectionMethod(label, enc, run.projection, { features: unseenFeatures });
  const result: ProbingResult = {
    text: enc.identity.name,
    representation,
    seed: job.seed,
    unseen: await classify(unseenMethod, tasks.unseen),
    seen: await classify(seenMethod, tasks.seen),
    styleShift: tasks.styleShift ? await classify(unseenMethod, tasks.styleShift) : undefined,
    unseenClasses: unseen.length,
    trainSeconds: run.seconds,
    steps: run.steps,
    cached: false,
  };
  run.projection.dispose();
  return result;
}

/** Train on seen classes and evaluate on unseen ones. */
export async function probingRun(
  ctx: ProbingContext,
  opts: { text: string | LanguageEncoder; representation: Representation; seed: number; train?: Partial<TrainConfig> },
): Promise<ProbingResult> {
  const job = { ctx, ...opts }, prep = await prepareRun(job);
  return evaluateRun(job, prep, await trainProjection(prep.data, prep.config));
}

/**
 * {@link probingRun} for many runs: runs of one shape train as one batch (`trainProjections`), each
 * result equal to its run alone. Runs of one language encoder are taken together, at most `chunk`
 * (default 32) at a time, so that the text features of a few runs are in memory at once. `onResult` sees
 * each result as its run is evaluated; results come back in job order. `progress`: one bar over all
 * runs, in training steps.
 */
export async function probingRuns(
  jobs: readonly ProbingJob[],
  opts: { progress?: Progress | ProgressSink | false; chunk?: number; onResult?: (index: number, result: ProbingResult) => void | Promise<void> } = {},
): Promise<ProbingResult[]> {
  const total = jobs.reduce((a, j) => a + resolveTrainConfig(j.train).maxSteps, 0);
  const ownBar = typeof opts.progress === "object" || opts.progress === false ? undefined : progress(total, `${jobs.length} probing runs`, { sink: opts.progress ?? "auto" });
  const bar = typeof opts.progress === "object" ? opts.progress : ownBar;
  const name = (j: ProbingJob) => (typeof j.text === "string" ? j.text : j.text.identity.name);
  const order = jobs.map((_, i) => i).sort((a, b) => name(jobs[a]).localeCompare(name(jobs[b])) || a - b);
  const results: ProbingResult[] = new Array(jobs.length), chunk = opts.chunk ?? 32;
  try {
    for (let s = 0; s < order.length; s += chunk) {
      const part = order.slice(s, s + chunk), shared = new Map<string, Promise<Matrix>>();
      const preps: Awaited<ReturnType<typeof prepareRun>>[] = [];
      for (const i of part) preps.push(await prepareRun(jobs[i], shared));
      await trainProjections(preps.map((p) => ({ data: p.data, config: p.config })), {
        progress: bar ?? false,
        onResult: async (k, run) => {
          const i = part[k];
          results[i] = await evaluateRun(jobs[i], preps[k], run, shared);
          await opts.onResult?.(i, results[i]);
        },
      });
    }
  } finally {
    await ownBar?.done();
  }
  return results;
}
