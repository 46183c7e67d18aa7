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
import { type Matrix, selectRows } from "../core/matrix.ts";
import { cacheKey } from "../core/hash.ts";
import { type HistoryRow, resolveTrainConfig, trainProjection, type TrainConfig } from "../train/trainer.ts";
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

/**
 * Train (or load from the cache) a caption model. The cache holds the projection's weights as
 * safetensors under `<cache>/results/caption-models/`, keyed by the corpus identity, the language
 * encoder's identity, the subset, the seed, the training settings and the code (this module's import
 * closure and its package versions). `SHARELOCK_NO_MEMO=1` trains again.
 */
export async function captionModel(corpus: CaptionCorpus, opts: CaptionModelOptions): Promise<CaptionModel> {
  const sub = subsetPart(corpus.train, opts.maxPairs);
  const idx = sub.idx, captions = sub.captions;
  const encoder = await textTower(opts.text, captions);
  const key = await cacheKey({
    data: corpus.identity,
    corpus: corpus.config,
    pairs: idx.length,
    text: encoder.identity,
    seed: opts.seed,
    train: resolveTrainConfig(opts.train),
    code: codeIdentity(CAPTION_MODEL_CODE).hash,
  });
  const dir = join(projectPaths().cache, "results", "caption-models");
  const weightsPath = join(dir, `${key}.safetensors`), infoPath = join(dir, `${key}.json`);
  const info = !memoEnabled() ? null : await readJsonOr<Omit<CaptionModel, "projection" | "encoder" | "cached" | "key"> | null>(infoPath, null);
  if (info) {
    try {
      const { projection } = await loadProjection(weightsPath);
      return { ...info, key, encoder, projection, cached: true };
    } catch { /* weights missing or damaged: train again */ }
  }
  const texts = await textFeatures(captions, encoder, { progress: false });
  const run = await trainProjection(
    { images: selectRows(corpus.train.images, idx), texts, textsOf: sub.textsOf },
    { seed: opts.seed, label: `${encoder.identity.name} on ${captions.length} pairs, seed ${opts.seed}`, ...opts.train },
  );
  const meta = {
    text: encoder.identity.name,
    seed: opts.seed,
    pairs: captions.length,
    steps: run.steps,
    seconds: run.seconds,
    bestValLoss: run.bestValLoss,
    history: run.history.filter((h) => h.valLoss !== undefined),
  };
  await saveProjection(weightsPath, run.projection, { text: encoder.identity, data: corpus.identity, seed: opts.seed });
  await writeJsonAtomic(infoPath, meta);
  return { ...meta, key, encoder, projection: run.projection, cached: false };
}

