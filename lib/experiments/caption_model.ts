/**
 * Caption models: a text projection trained on the corpus's image-caption pairs (ShareLock with a
 * pretrained language encoder, or the LiT-style tower from scratch), cached as safetensors.
 *
 * @example
 * ```ts
 * import { captionModel } from "./caption_model.ts";
 * import { captionCorpus } from "./caption_corpus.ts";
 * import { CAPTIONS_EMBEDDED } from "../config.ts";
 * const corpus = await captionCorpus(CAPTIONS_EMBEDDED.corpus);
 * const model = await captionModel(corpus, { text: "use-lite", seed: 0, train: CAPTIONS_EMBEDDED.train });
 * model.bestValLoss;
 * ```
 */
import { join } from "node:path";
import { textFeatures } from "../features.ts";
import type { LanguageEncoder } from "../encoders/types.ts";
import type { Matrix } from "../core/matrix.ts";
import { asRowSource, type RowSource } from "../store/rows.ts";
import { cacheKey } from "../core/hash.ts";
import { type HistoryRow, resolveTrainConfig, trainProjection, type TrainConfig, type TrainResult } from "../train/trainer.ts";
import { type TrainJob, trainProjections } from "../train/batched.ts";
import { resolveDevice } from "../runtime/onnx_device.ts";
import { announcePlan } from "../train/grid_plan.ts";
import { progress, type ProgressSink } from "../runtime/progress.ts";
import type { Projection } from "../train/projection.ts";
import { loadProjection, saveProjection } from "../train/checkpoint.ts";
import { textTower } from "../baselines/lit.ts";
import { projectPaths } from "../runtime/paths.ts";
import { readJsonOr, writeJsonAtomic } from "../runtime/atomic.ts";
import { memoEnabled } from "../runtime/memo.ts";
import { codeIdentity, takeCodeSnapshot } from "../runtime/code_identity.ts";
import { type CaptionCorpus, subsetPart } from "./caption_corpus.ts";

/**
 * The code of a caption model: this module's import closure (corpus subsets, text features, the trainer)
 * and the TF.js backend selection, snapshotted as this process loads it (see `code_identity.ts`).
 */
const CAPTION_MODEL_CODE = [import.meta.url, new URL("../runtime/tf_backend.ts", import.meta.url)];
takeCodeSnapshot(CAPTION_MODEL_CODE);

/** A trained caption model: the text projection with the language encoder it projects. */
export interface CaptionModel {
  /** Cache key (hex) of this model. */
  key: string;
  text: string;
  encoder: LanguageEncoder;
  projection: Projection;
  seed: number;
  pairs: number;
  steps: number;
  seconds: number;
  bestValLoss: number;
  /** True when loaded from the cache rather than trained now. */
  cached: boolean;
  history: HistoryRow[];
}

/** Options of {@link captionModel}. */
export interface CaptionModelOptions {
  /** Language encoder (registry name), or `LIT_BAG_OF_WORDS` (a text tower from scratch on the training captions). */
  text: string;
  seed: number;
  train: Partial<TrainConfig>;
  /** Train on a seeded random subset of this many images with their captions (data scaling; nested subsets). */
  maxPairs?: number;
}

/** Embed texts (store, or directly for ephemeral encoders); `textFeatures` without progress. */
export function embedTexts(texts: string[], enc: LanguageEncoder): Promise<Matrix> {
  return textFeatures(texts, enc, { progress: false });
}

/** A caption model's subset, encoder, cache key and files. */
async function modelPlan(corpus: CaptionCorpus, opts: CaptionModelOptions) {
  const sub = subsetPart(corpus.train, opts.maxPairs);
  const encoder = await textTower(opts.text, sub.captions);
  const key = await cacheKey({
    data: corpus.identity,
    corpus: corpus.config,
    pairs: sub.idx.length,
    text: encoder.identity,
    seed: opts.seed,
    train: resolveTrainConfig(opts.train),
    code: codeIdentity(CAPTION_MODEL_CODE).hash,
  });
  const dir = join(projectPaths().cache, "results", "caption-models");
  return { sub, encoder, key, weightsPath: join(dir, `${key}.safetensors`), infoPath: join(dir, `${key}.json`) };
}
type ModelPlan = Awaited<ReturnType<typeof modelPlan>>;

/** What is stored beside a model's weights. */
type StoredInfo = Omit<CaptionModel, "projection" | "encoder" | "cached" | "key">;

/** A plan's stored record, or null (not stored, or `SHARELOCK_NO_MEMO=1`). */
async function storedInfo(plan: ModelPlan): Promise<StoredInfo | null> {
  return memoEnabled() ? await readJsonOr<StoredInfo | null>(plan.infoPath, null) : null;
}

/** The stored model of a plan (its record `stored` when already read), or null (not stored, damaged, or `SHARELOCK_NO_MEMO=1`). */
async function storedModel(plan: ModelPlan, stored?: StoredInfo | null): Promise<CaptionModel | null> {
  const info = stored !== undefined ? stored : await storedInfo(plan);
  if (!info) return null;
  try {
    const { projection } = await loadProjection(plan.weightsPath);
    return { ...info, key: plan.key, encoder: plan.encoder, projection, cached: true };
  } catch {
    return null; // weights missing or damaged: train again
  }
}

/** A plan's training job: the subset's image rows (read from the corpus, not copied) with their captions' features. */
async function trainingJob(corpus: CaptionCorpus, opts: CaptionModelOptions, plan: ModelPlan): Promise<TrainJob> {
  const all = asRowSource(corpus.train.images), idx = plan.sub.idx;
  const images: RowSource = { rows: idx.length, dim: all.dim, read: (rows) => all.read(Array.from(rows, (r) => idx[r])) };
  const texts = await textFeatures(plan.sub.captions, plan.encoder, { progress: false });
  const label = `${plan.encoder.identity.name} on ${plan.sub.captions.length} pairs, seed ${opts.seed}`;
  return { data: { images, texts, textsOf: plan.sub.textsOf }, config: { seed: opts.seed, label, ...opts.train } };
}

/** Store a trained run under its plan's key and return the model. */
async function storeModel(corpus: CaptionCorpus, opts: CaptionModelOptions, plan: ModelPlan, run: TrainResult): Promise<CaptionModel> {
  const meta = {
    text: plan.encoder.identity.name,
    seed: opts.seed,
    pairs: plan.sub.captions.length,
    steps: run.steps,
    seconds: run.seconds,
    bestValLoss: run.bestValLoss,
    history: run.history.filter((h) => h.valLoss !== undefined),
  };
  await saveProjection(plan.weightsPath, run.projection, { text: plan.encoder.identity, data: corpus.identity, seed: opts.seed });
  await writeJsonAtomic(plan.infoPath, meta);
  return { ...meta, key: plan.key, encoder: plan.encoder, projection: run.projection, cached: false };
}

/**
 * Train (or load from the cache) a caption model. The cache holds the projection's weights as
 * safetensors under `<cache>/results/caption-models/`, keyed by the corpus identity, the language
 * encoder's identity, the subset, the seed, the training settings and the code (this module's import
 * closure and its package versions). `SHARELOCK_NO_MEMO=1` trains again.
 */
export async function captionModel(corpus: CaptionCorpus, opts: CaptionModelOptions): Promise<CaptionModel> {
  const plan = await modelPlan(corpus, opts);
  const stored = await storedModel(plan);
  if (stored) return stored;
  const job = await trainingJob(corpus, opts, plan);
  return storeModel(corpus, opts, plan, await trainProjection(job.data, job.config));
}

/** One model of a grid: its corpus (each split has its own) and its options. */
export type CaptionModelJob = CaptionModelOptions & { corpus: CaptionCorpus };

/**
 * {@link captionModel} for a grid, under the same keys and files: stored models are loaded, the others
 * train together (`trainProjections`: runs of one shape as one batch, each equal to its run alone, in
 * parts of at most `chunk` runs, so that the features of a few runs are in memory at a time: by default
 * 4 on the CPU, where a batch holds at most 4 runs of a caption model anyway, and 16 on a GPU; the
 * LiT-style tower's bag-of-words features of a whole corpus take about 1 GB a run) and are stored as
 * they finish. Before training it says what it will do (`announcePlan`: models stored, models to train,
 * the time at the measured speed). `onModel` gets each model as it is ready (cached ones first), in
 * that order; a caller that evaluates and disposes there holds one model at a time. One progress bar
 * over all models, in training steps (a cached model counts its steps at once). Returns the models in
 * job order.
 */
export async function captionModels(
  jobs: readonly CaptionModelJob[],
  opts: { label?: string; progress?: ProgressSink | false; chunk?: number; onModel?: (index: number, model: CaptionModel) => void | Promise<void> } = {},
): Promise<CaptionModel[]> {
  const steps = jobs.map((j) => resolveTrainConfig(j.train).maxSteps);
  const label = opts.label ?? `${jobs.length} caption models`;
  const models: CaptionModel[] = new Array(jobs.length), plans: ModelPlan[] = [], misses: number[] = [];
  for (const job of jobs) plans.push(await modelPlan(job.corpus, job));
  // the plan counts models whose record is stored; one whose weights turn out damaged trains after all
  const infos = await Promise.all(plans.map(storedInfo)), recorded = infos.map((i) => i !== null);
  await announcePlan(label, recorded.filter(Boolean).length, jobs.flatMap((job, i) => {
    if (recorded[i]) return [];
    const cfg = resolveTrainConfig(job.train);
    return [{ projection: { ...cfg.projection, inDim: plans[i].encoder.identity.dim, outDim: job.corpus.train.images.dim }, batch: cfg.batchSize, steps: cfg.maxSteps }];
  }), { sink: opts.progress });
  const bar = opts.progress === false ? undefined : progress(steps.reduce((a, b) => a + b, 0), label, { sink: opts.progress ?? "auto" });
  try {
    for (const [i, plan] of plans.entries()) {
      const stored = await storedModel(plan, infos[i]);
      if (!stored) {
        misses.push(i);
        continue;
      }
      models[i] = stored;
      bar?.tick(steps[i], "cached");
      await opts.onModel?.(i, stored);
    }
    const chunk = opts.chunk ?? (await resolveDevice(resolveTrainConfig(jobs[0]?.train).device) === "cpu" ? 4 : 16);
    for (let s = 0; s < misses.length; s += chunk) {
      const part = misses.slice(s, s + chunk), trainJobs: TrainJob[] = [];
      for (const i of part) trainJobs.push(await trainingJob(jobs[i].corpus, jobs[i], plans[i]));
      await trainProjections(trainJobs, {
        progress: bar ?? false,
        onResult: async (k, run) => {
          const i = part[k];
          models[i] = await storeModel(jobs[i].corpus, jobs[i], plans[i], run);
          await opts.onModel?.(i, models[i]);
        },
      });
    }
  } finally {
    await bar?.done(`${misses.length} trained, ${jobs.length - misses.length} cached`);
  }
  return models;
}
