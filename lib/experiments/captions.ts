/**
 * ShareLock as a general vision-language model (Section 5): a projection trained on image-CAPTION pairs,
 * then used zero-shot on held-out tasks. Shared by notebooks 03-07.
 *
 * The embedded corpus: clip-art captions (openclipart, Tux Paint) and the names of the SEEN emoji classes
 * (emoji-google). Held out of training: the unseen emoji classes (whole subcategories, the same split as
 * notebook 01), their other art style (emoji-twitter, the ImageNet-R / Sketch analogue), Fashion-MNIST (a
 * dataset never trained on) and a share of the caption pairs (for retrieval).
 *
 * @example
 * ```ts
 * const corpus = await captionCorpus(CAPTIONS_EMBEDDED);
 * const model = await captionModel(corpus, { text: "use-lite", seed: 0, train: CAPTIONS_EMBEDDED.train });
 * const task = (await zeroShotTasks(corpus))[0];
 * const m = await zeroShotEval(model, task, promptsFor(task.classes, DRAWING_TEMPLATES));
 * m.top1;
 * ```
 */
import { join } from "node:path";
import type { Item } from "../data/items.ts";
import { dataset as loadDataset } from "../data/registry.ts";
import { type ClassSplit, splitClasses } from "../data/splits.ts";
import { fillTemplates } from "../data/templates.ts";
import { imageFeatures, textFeatures } from "../features.ts";
import { languageEncoder, visionEncoder } from "../encoders/registry.ts";
import type { LanguageEncoder } from "../encoders/types.ts";
import type { Matrix } from "../core/matrix.ts";
import { sha256Hex, stableJson } from "../core/hash.ts";
import { normalizeRows, selectRows, similarity } from "../eval/similarity.ts";
import { classificationMetrics, type ClassificationMetrics } from "../eval/metrics.ts";
import { classPrototypes, zeroShotScores } from "../eval/zeroshot.ts";
import { retrievalRecall, type RetrievalRecall } from "../eval/retrieval.ts";
import { type HistoryRow, trainProjection, type TrainConfig } from "../train/trainer.ts";
import type { Projection } from "../train/projection.ts";
import { loadProjection, saveProjection } from "../train/checkpoint.ts";
import { bagOfWordsEncoder } from "../baselines/lit.ts";
import { asifScores } from "../baselines/asif.ts";
import { hashSeed, seededRandom, shuffle } from "../runtime/random.ts";
import { projectPaths } from "../runtime/paths.ts";
import { readJsonOr, writeJsonAtomic } from "../runtime/atomic.ts";
import { memoJson } from "../runtime/memo.ts";

/** What the caption corpus and its held-out tasks are made of. */
export interface CaptionCorpusConfig {
  vision: string;
  /** Datasets whose items have captions (all their items, minus the retrieval hold-out). */
  captionSets: string[];
  /** Emoji set used as a zero-shot test (its unseen classes); null: none. */
  emoji: string | null;
  /** Train on the names of the SEEN emoji classes (embedded default); false: all emoji classes are unseen. */
  emojiInTraining: boolean;
  /** Seen emoji names become captions through these templates (one drawn per step); empty: the bare name. */
  emojiCaptionTemplates: readonly string[];
  /** Same classes in another art style (zero-shot under style shift); null: none. */
  emojiShift: string | null;
  /** Datasets never trained on, classified zero-shot with all their classes. */
  heldOutSets: string[];
  /** Share of unseen emoji subcategories (the split of notebook 01 with the same seed). */
  unseenFraction: number;
  splitSeed: number;
  /** Share of caption pairs held out for retrieval (chosen by a hash of the item id). */
  retrievalFraction: number;
}

/** The caption corpus with its image features. */
export interface CaptionCorpus {
  config: CaptionCorpusConfig;
  /** Identity of the data: part of every model's cache key. */
  identity: Record<string, string>;
  split: ClassSplit | null;
  /** Training images with their captions. */
  train: CaptionPart;
  /** Held-out images with their captions (retrieval). */
  retrieval: CaptionPart;
}

/** Images (one row each) and their captions: `textsOf[i]` are the caption indices of image i. */
export interface CaptionPart {
  items: Item[];
  images: Matrix;
  captions: string[];
  textsOf: number[][];
}

/** A zero-shot classification task: images with labels and the class names. */
export interface ZeroShotTask {
  name: string;
  /** In words: why this task is held out. */
  kind: string;
  items: Item[];
  images: Matrix;
  classes: string[];
  labels: number[];
}

/** Every dataset a corpus configuration reads (for a preflight check). Pure. */
export function corpusDatasets(cfg: CaptionCorpusConfig): string[] {
  return [...new Set([...cfg.captionSets, ...[cfg.emoji, cfg.emojiShift].filter((d): d is string => !!d), ...cfg.heldOutSets])];
}

const isHeldOutPair = (id: string, fraction: number) => (hashSeed(`retrieval:${id}`) % 10_000) / 10_000 < fraction;

/** Load the caption corpus: image features (from the store) and captions, split into train and retrieval. */
export async function captionCorpus(cfg: CaptionCorpusConfig): Promise<CaptionCorpus> {
  const vis = await visionEncoder(cfg.vision);
  const identity: Record<string, string> = { vision: `${vis.identity.name} ${vis.identity.version}` };
  const pairs: Item[] = [];
  for (const name of cfg.captionSets) {
    const ds = await loadDataset(name);
    identity[name] = ds.version;
    const withCaption = ds.items.filter((it) => it.caption?.trim() && it.image_path);
    if (!withCaption.length) throw new Error(`caption corpus: dataset ${name} has no items with a caption`);
    pairs.push(...withCaption);
  }
  let split: ClassSplit | null = null;
  const emojiPairs: Item[] = [];
  if (cfg.emoji) {
    const ds = await loadDataset(cfg.emoji);
    identity[cfg.emoji] = ds.version;
    split = cfg.emojiInTraining ? emojiSplit(ds.items, cfg) : { seen: new Set(), unseen: new Set(ds.items.map((it) => it.class_name).filter(Boolean)), seed: cfg.splitSeed };
    for (const it of ds.items.filter((it) => split!.seen.has(it.class_name))) {
      const captions = cfg.emojiCaptionTemplates.length ? fillTemplates(it.class_name, cfg.emojiCaptionTemplates) : [it.class_name];
      emojiPairs.push(...captions.map((caption) => ({ ...it, caption })));
    }
  }
  // one row per IMAGE; an image with several captions (COCO) keeps them all and training draws one per step
  const byImage = new Map<string, { item: Item; captions: string[] }>();
  for (const it of [...pairs, ...emojiPairs]) {
    const e = byImage.get(it.image_path!) ?? { item: it, captions: [] };
    e.captions.push(it.caption!.trim());
    byImage.set(it.image_path!, e);
  }
  const captionsOf = new Map([...byImage.values()].map((e) => [e.item.item_id, e.captions]));
  const feats = await imageFeatures([...byImage.values()].map((e) => e.item), vis);
  vis.dispose();
  const trainIdx: number[] = [], retrievalIdx: number[] = [];
  feats.items.forEach((it, i) =>
    (it.source !== cfg.emoji && isHeldOutPair(it.item_id, cfg.retrievalFraction) ? retrievalIdx : trainIdx).push(i)
  );
  const part = (idx: number[]): CaptionPart => {
    const captions: string[] = [], textsOf: number[][] = [];
    for (const i of idx) {
      const list = captionsOf.get(feats.items[i].item_id)!;
      textsOf.push(list.map((_, k) => captions.length + k));
      captions.push(...list);
    }
    return { items: idx.map((i) => feats.items[i]), images: selectRows(feats.matrix, idx), captions, textsOf };
  };
  return { config: cfg, identity, split, train: part(trainIdx), retrieval: part(retrievalIdx) };
}

/** The emoji seen / unseen split by subcategory (identical to notebook 01's for the same seed). Pure. */
export function emojiSplit(items: Item[], cfg: Pick<CaptionCorpusConfig, "unseenFraction" | "splitSeed">): ClassSplit {
  const groupOf = new Map(items.map((it) => [it.class_name, it.group ?? it.class_name]));
  const classes = [...new Set(items.map((it) => it.class_name))].filter(Boolean);
  return splitClasses(classes, { unseenFraction: cfg.unseenFraction, seed: cfg.splitSeed, groupOf: (c) => groupOf.get(c)! });
}

/** The held-out zero-shot tasks of a corpus: unseen emoji classes, their style shift, held-out datasets. */
export async function zeroShotTasks(corpus: CaptionCorpus): Promise<ZeroShotTask[]> {
  const cfg = corpus.config;
  const vis = await visionEncoder(cfg.vision);
  const tasks: ZeroShotTask[] = [];
  const make = async (name: string, kind: string, items: Item[], classes?: string[]) => {
    const f = await imageFeatures(items, vis);
    const cls = classes ?? [...new Set(f.items.map((it) => it.class_name))].sort();
    const index = new Map(cls.map((c, i) => [c, i]));
    tasks.push({ name, kind, items: f.items, images: f.matrix, classes: cls, labels: f.items.map((it) => index.get(it.class_name)!) });
  };
  if (cfg.emoji && corpus.split) {
    const unseen = [...corpus.split.unseen].sort();
    const ds = await loadDataset(cfg.emoji);
    await make(`${cfg.emoji} (unseen classes)`, "classes never trained on", ds.items.filter((it) => corpus.split!.unseen.has(it.class_name)), unseen);
    if (cfg.emojiShift) {
      const shifted = await loadDataset(cfg.emojiShift);
      await make(`${cfg.emojiShift} (unseen classes, other style)`, "same unseen classes, another art style", shifted.items.filter((it) => corpus.split!.unseen.has(it.class_name)), unseen);
    }
  }
  for (const name of cfg.heldOutSets) {
    const ds = await loadDataset(name);
    await make(name, "dataset never trained on", ds.items.filter((it) => it.class_name));
  }
  vis.dispose();
  return tasks;
}

/** Prompts per class: each class name through the templates. Pure. */
export function promptsFor(classes: readonly string[], templates: readonly string[]): string[][] {
  return classes.map((c) => fillTemplates(c, templates));
}

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
  /** Language encoder (registry name), or `lit-bag-of-words` (a text tower from scratch on the training captions). */
  text: string;
  seed: number;
  train: Partial<TrainConfig>;
  /** Train on a seeded random subset of this many images with their captions (data scaling; nested subsets). */
  maxPairs?: number;
}

/** The training images a model sees: a nested seeded subset of `maxImages` of `n` when set. Pure. */
export function trainingSubset(n: number, maxImages?: number): number[] {
  const order = shuffle(Array.from({ length: n }, (_, i) => i), seededRandom(20241009));
  return (maxImages && maxImages < n ? order.slice(0, maxImages) : order).sort((a, b) => a - b);
}

/** A part restricted to a nested subset of its images, captions renumbered. Pure. */
export function subsetPart(part: CaptionPart, maxImages?: number): { idx: number[]; captions: string[]; textsOf: number[][] } {
  const idx = trainingSubset(part.images.rows, maxImages);
  const captions: string[] = [], textsOf: number[][] = [];
  for (const i of idx) {
    textsOf.push(part.textsOf[i].map((_, k) => captions.length + k));
    captions.push(...part.textsOf[i].map((t) => part.captions[t]));
  }
  return { idx, captions, textsOf };
}

/** Embed texts; encoders marked `ephemeral` (cheap, corpus-specific) bypass the feature store. */
export async function embedTexts(texts: string[], enc: LanguageEncoder): Promise<Matrix> {
  if (!enc.ephemeral) return await textFeatures(texts, enc, { progress: false });
  const rows = await enc.embed(texts);
  const dim = enc.identity.dim, data = new Float32Array(rows.length * dim);
  rows.forEach((r, i) => data.set(r, i * dim));
  return { data, rows: rows.length, dim };
}

/**
 * Train (or load from the cache) a caption model. The cache holds the projection's weights as
 * safetensors under `<cache>/results/caption-models/`, keyed by the corpus identity, the language
 * encoder's identity, the subset, the seed and the training settings.
 */
export async function captionModel(corpus: CaptionCorpus, opts: CaptionModelOptions): Promise<CaptionModel> {
  const sub = subsetPart(corpus.train, opts.maxPairs);
  const idx = sub.idx, captions = sub.captions;
  const encoder = opts.text === "lit-bag-of-words" ? bagOfWordsEncoder(captions) : await languageEncoder(opts.text);
  const { progress: _p, label: _l, ...train } = opts.train;
  const key = (await sha256Hex(stableJson({
    v: 1,
    data: corpus.identity,
    corpus: corpus.config,
    pairs: idx.length,
    text: encoder.identity,
    seed: opts.seed,
    train,
  }))).slice(0, 24);
  const dir = join(projectPaths().cache, "results", "caption-models");
  const weightsPath = join(dir, `${key}.safetensors`), infoPath = join(dir, `${key}.json`);
  const info = Deno.env.get("SHARELOCK_NO_MEMO") === "1" ? null : await readJsonOr<Omit<CaptionModel, "projection" | "encoder" | "cached" | "key"> | null>(infoPath, null);
  if (info) {
    try {
      const { projection } = await loadProjection(weightsPath);
      return { ...info, key, encoder, projection, cached: true };
    } catch { /* weights missing or damaged: train again */ }
  }
  const texts = await embedTexts(captions, encoder);
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

/** Zero-shot classification with a caption model: prompts per class, averaged, against the images. */
export async function zeroShotEval(model: CaptionModel, task: ZeroShotTask, prompts: string[][]): Promise<ClassificationMetrics> {
  if (prompts.length !== task.classes.length) throw new Error(`zeroShotEval: ${prompts.length} prompt lists for ${task.classes.length} classes of ${task.name}`);
  const flat: string[] = [], classOf: number[] = [];
  prompts.forEach((list, c) => list.forEach((p) => (flat.push(p), classOf.push(c))));
  const projected = model.projection.project(await embedTexts(flat, model.encoder));
  const scores = zeroShotScores(task.images, classPrototypes(projected, classOf, task.classes.length));
  return classificationMetrics(scores, task.classes.length, task.labels);
}

/** Caption retrieval (recall@1/5/10 both ways) on the held-out pairs. */
export async function retrievalEval(model: CaptionModel, corpus: CaptionCorpus): Promise<RetrievalRecall> {
  const r = corpus.retrieval;
  const projected = model.projection.project(await embedTexts(r.captions, model.encoder));
  const imageOf: number[] = [];
  r.textsOf.forEach((list, i) => list.forEach((t) => (imageOf[t] = i)));
  return retrievalRecall(r.images, projected, imageOf);
}

/**
 * ASIF on the same task: the training images with their first captions are the anchors (raw text
 * features, no training). Cached like the models (`SHARELOCK_NO_MEMO=1` recomputes).
 */
export function asifZeroShot(
  corpus: CaptionCorpus,
  task: ZeroShotTask,
  prompts: string[][],
  opts: { text: string; k?: number; p?: number; maxPairs?: number },
): Promise<ClassificationMetrics> {
  const key = { v: 1, data: corpus.identity, corpus: corpus.config, task: task.name, classes: task.classes, images: task.items.map((it) => it.item_id), prompts, ...opts };
  return memoJson("asif-captions", key, () => asifUncached(corpus, task, prompts, opts));
}

async function asifUncached(
  corpus: CaptionCorpus,
  task: ZeroShotTask,
  prompts: string[][],
  opts: { text: string; k?: number; p?: number; maxPairs?: number },
): Promise<ClassificationMetrics> {
  const enc = await languageEncoder(opts.text);
  // one anchor per training image: its first caption
  const idx = trainingSubset(corpus.train.images.rows, opts.maxPairs);
  const anchors = { images: selectRows(corpus.train.images, idx), texts: await embedTexts(idx.map((i) => corpus.train.captions[corpus.train.textsOf[i][0]]), enc) };
  const flat: string[] = [], classOf: number[] = [];
  prompts.forEach((list, c) => list.forEach((p) => (flat.push(p), classOf.push(c))));
  const protos = classPrototypes(await embedTexts(flat, enc), classOf, task.classes.length);
  return classificationMetrics(asifScores(task.images, protos, anchors, { k: opts.k, p: opts.p }), task.classes.length, task.labels);
}

/** Projected text embeddings of free-text queries against images: the top `k` image rows per query. */
export async function retrieveImages(model: CaptionModel, queries: string[], images: Matrix, k = 5): Promise<number[][]> {
  const q = model.projection.project(await embedTexts(queries, model.encoder));
  const s = similarity(q, normalizeRows(images));
  return queries.map((_, i) => {
    const row = Array.from(s.subarray(i * images.rows, (i + 1) * images.rows));
    return row.map((v, j) => [v, j]).sort((a, b) => b[0] - a[0]).slice(0, k).map(([, j]) => j);
  });
}

/** One measured value of a caption model (a row of `runsFrame`). */
export interface CaptionRow {
  vision: string;
  text: string;
  method: string;
  dataset: string;
  split: string;
  seed: number;
  pairs: number;
  metric: string;
  value: number;
  [extra: string]: string | number;
}

/**
 * Evaluate a caption model on every zero-shot task (top-1, top-5, average per-class accuracy) and, when
 * `retrieval` is set, on held-out caption retrieval (recall@1/5/10 both ways). Rows for `runsFrame`.
 */
export async function evaluateCaptionModel(
  model: CaptionModel,
  corpus: CaptionCorpus,
  tasks: ZeroShotTask[],
  opts: { templates: readonly string[]; method: string; retrieval?: boolean },
): Promise<CaptionRow[]> {
  const base = { vision: corpus.config.vision, text: model.text, method: opts.method, seed: model.seed, pairs: model.pairs };
  const rows: CaptionRow[] = [];
  for (const t of tasks) {
    const m = await zeroShotEval(model, t, promptsFor(t.classes, opts.templates));
    for (const [metric, value] of [["top1", m.top1], ["top5", m.top5], ["mean_per_class_acc", m.meanPerClassRecall]] as const) {
      rows.push({ ...base, dataset: t.name, split: t.kind, metric, value });
    }
  }
  if (opts.retrieval && corpus.retrieval.images.rows) {
    const r = await retrievalEval(model, corpus);
    for (const k of [1, 5, 10]) {
      rows.push({ ...base, dataset: "held-out captions", split: "retrieval", metric: `image_to_text_r${k}`, value: r.imageToText[k] });
      rows.push({ ...base, dataset: "held-out captions", split: "retrieval", metric: `text_to_image_r${k}`, value: r.textToImage[k] });
    }
  }
  return rows;
}

/** Cosine similarities [images.rows x texts.length] of images and projected texts under a caption model. */
export async function captionSimilarity(model: CaptionModel, images: Matrix, texts: string[]): Promise<Float32Array> {
  return similarity(normalizeRows(images), model.projection.project(await embedTexts(texts, model.encoder)));
}

/** The same similarities under ASIF (training images with their first captions as anchors, raw text features). */
export async function asifSimilarity(corpus: CaptionCorpus, images: Matrix, texts: string[], opts: { text: string; k?: number; p?: number }): Promise<Float32Array> {
  const enc = await languageEncoder(opts.text);
  const anchorTexts = await embedTexts(corpus.train.textsOf.map((t) => corpus.train.captions[t[0]]), enc);
  return asifScores(images, await embedTexts(texts, enc), { images: corpus.train.images, texts: anchorTexts }, { k: opts.k, p: opts.p });
}
