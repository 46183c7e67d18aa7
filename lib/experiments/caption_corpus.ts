/**
 * The caption corpus of Section 5 and its held-out zero-shot tasks: clip-art captions (openclipart, Tux
 * Paint) and the names of the SEEN emoji classes (in every training art style) for training; unseen emoji
 * classes, the same classes in a held-out art style, datasets never trained on and a share of the caption
 * pairs (retrieval) held out.
 *
 * @example
 * ```ts
 * import { captionCorpus, promptsFor, zeroShotTasks } from "./caption_corpus.ts";
 * import { CAPTIONS_EMBEDDED } from "../config.ts";
 * const corpus = await captionCorpus(CAPTIONS_EMBEDDED.corpus);
 * const tasks = await zeroShotTasks(corpus);
 * promptsFor(tasks[0].classes, ["a drawing of a {}."]);
 * ```
 */
import type { CaptionCorpusConfig } from "../config.ts";
import type { Item } from "../data/items.ts";
import { dataset as loadDataset } from "../data/registry.ts";
import { type ClassSplit, splitClasses } from "../data/splits.ts";
import { loadStyleShift } from "../data/emoji_multistyle.ts";
import { fillTemplates } from "../data/templates.ts";
import { imageFeatures } from "../features.ts";
import { visionEncoder } from "../encoders/registry.ts";
import type { VisionEncoder } from "../encoders/types.ts";
import { type Matrix, selectRows } from "../core/matrix.ts";
import { hashSeed, seededRandom, shuffle } from "../runtime/random.ts";
import { namesAnyClass } from "../eval/leakage.ts";

export type { CaptionCorpusConfig };

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
  return [...new Set([...cfg.captionSets, ...[cfg.emoji, ...(cfg.emoji ? cfg.emojiStyles : []), cfg.emojiShift].filter((d): d is string => !!d), ...cfg.heldOutSets])];
}

/** The emoji side of a corpus: the split, the seen items trained on, and the unseen items of the two tests. */
interface EmojiLayout {
  split: ClassSplit;
  identity: Record<string, string>;
  seen: Item[];
  unseen: Item[];
  shifted: Item[];
}

/**
 * Lay out the emoji styles of a corpus configuration (null when it has none). With `emojiStyles`, the
 * styles are aligned on their common classes and split by `styleShiftSplit` (notebook 01's split for the
 * same seed); without, `emoji` is split by subcategory and `emojiShift` keeps its images of the unseen classes.
 */
async function emojiLayout(cfg: CaptionCorpusConfig): Promise<EmojiLayout | null> {
  if (!cfg.emoji) return null;
  const styles = [cfg.emoji, ...cfg.emojiStyles];
  if (cfg.emojiStyles.length && !cfg.emojiShift) throw new Error(`caption corpus: emojiStyles (${cfg.emojiStyles.join(", ")}) needs emojiShift, the held-out style`);
  if (cfg.emojiStyles.length && cfg.emojiInTraining) {
    const s = await loadStyleShift({ trainStyles: styles, heldOutStyle: cfg.emojiShift!, seed: cfg.splitSeed, unseenFraction: cfg.unseenFraction, byGroup: true });
    return { split: s.split, identity: s.versions, seen: s.train, unseen: s.test, shifted: s.styleShift };
  }
  const loaded = [];
  for (const n of [...styles, ...(cfg.emojiShift ? [cfg.emojiShift] : [])]) loaded.push(await loadDataset(n));
  const identity = Object.fromEntries(loaded.map((d) => [d.name, d.version]));
  const main = loaded[0].items;
  const split = cfg.emojiInTraining ? emojiSplit(main, cfg) : { seen: new Set<string>(), unseen: new Set(main.map((it) => it.class_name).filter(Boolean)), seed: cfg.splitSeed };
  const of = (items: Item[], side: Set<string>) => items.filter((it) => side.has(it.class_name));
  return {
    split, identity,
    seen: loaded.slice(0, styles.length).flatMap((d) => of(d.items, split.seen)),
    unseen: loaded.slice(0, styles.length).flatMap((d) => of(d.items, split.unseen)),
    shifted: cfg.emojiShift ? of(loaded.at(-1)!.items, split.unseen) : [],
  };
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
  const emoji = await emojiLayout(cfg);
  Object.assign(identity, emoji?.identity ?? {});
  const emojiPairs = (emoji?.seen ?? []).flatMap((it) =>
    (cfg.emojiCaptionTemplates.length ? fillTemplates(it.class_name, cfg.emojiCaptionTemplates) : [it.class_name]).map((caption) => ({ ...it, caption }))
  );
  const emojiSources = new Set([cfg.emoji, ...cfg.emojiStyles]);
  const testClasses = cfg.strict ? [...(emoji?.split.unseen ?? []), ...(await heldOutClasses(cfg))] : [];
  const kept = strictCaptions([...pairs, ...emojiPairs], testClasses);
  if (cfg.strict) identity.strict = `${kept.dropped} of ${pairs.length + emojiPairs.length} captions name a test class`;
  // one row per IMAGE; an image with several captions (COCO) keeps them all and training draws one per step
  const byImage = new Map<string, { item: Item; captions: string[] }>();
  for (const it of kept.items) {
    const e = byImage.get(it.image_path!) ?? { item: it, captions: [] };
    e.captions.push(it.caption!.trim());
    byImage.set(it.image_path!, e);
  }
  const captionsOf = new Map([...byImage.values()].map((e) => [e.item.item_id, e.captions]));
  const feats = await imageFeatures([...byImage.values()].map((e) => e.item), vis);
  vis.dispose();
  const trainIdx: number[] = [], retrievalIdx: number[] = [];
  feats.items.forEach((it, i) =>
    (!emojiSources.has(it.source) && isHeldOutPair(it.item_id, cfg.retrievalFraction) ? retrievalIdx : trainIdx).push(i)
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
  return { config: cfg, identity, split: emoji?.split ?? null, train: part(trainIdx), retrieval: part(retrievalIdx) };
}

/** The class names of a configuration's held-out datasets. */
async function heldOutClasses(cfg: CaptionCorpusConfig): Promise<string[]> {
  const out: string[] = [];
  for (const name of cfg.heldOutSets) out.push(...new Set((await loadDataset(name)).items.map((it) => it.class_name).filter(Boolean)));
  return out;
}

/**
 * The captioned items a strict corpus keeps (`strict: true`): those whose caption names no content word of
 * `testClasses` (the unseen emoji classes and the held-out sets' classes; any lemma form, see
 * `namesAnyClass`), so that "unseen" means unseen to a text tower trained on the pairs too; and how many
 * were dropped. No test class: everything. Pure.
 */
export function strictCaptions<T extends { caption?: string | null }>(items: readonly T[], testClasses: readonly string[]): { items: T[]; dropped: number } {
  if (!testClasses.length) return { items: [...items], dropped: 0 };
  const names = namesAnyClass(testClasses);
  const kept = items.filter((it) => !names(it.caption ?? ""));
  return { items: kept, dropped: items.length - kept.length };
}

/** The emoji seen / unseen split by subcategory (identical to notebook 01's for the same seed). Pure. */
export function emojiSplit(items: Item[], cfg: Pick<CaptionCorpusConfig, "unseenFraction" | "splitSeed">): ClassSplit {
  const groupOf = new Map(items.map((it) => [it.class_name, it.group ?? it.class_name]));
  const classes = [...new Set(items.map((it) => it.class_name))].filter(Boolean);
  return splitClasses(classes, { unseenFraction: cfg.unseenFraction, seed: cfg.splitSeed, groupOf: (c) => groupOf.get(c)! });
}

/** A zero-shot task over `items` (features from the store), classes sorted unless given. */
async function taskOf(vis: VisionEncoder, name: string, kind: string, items: Item[], classes?: string[]): Promise<ZeroShotTask> {
  const f = await imageFeatures(items, vis);
  const cls = classes ?? [...new Set(f.items.map((it) => it.class_name))].sort();
  const index = new Map(cls.map((c, i) => [c, i]));
  return { name, kind, items: f.items, images: f.matrix, classes: cls, labels: f.items.map((it) => index.get(it.class_name)!) };
}

/**
 * A registry dataset as a zero-shot task with all its classes, its images through the vision encoder
 * `vision` (an external test that no corpus trains on, e.g. `gcompris-words`).
 */
export async function datasetTask(name: string, vision: string, kind = "external test, never trained on"): Promise<ZeroShotTask> {
  const vis = await visionEncoder(vision);
  try {
    return await taskOf(vis, name, kind, (await loadDataset(name)).items.filter((it) => it.class_name && it.image_path));
  } finally {
    vis.dispose();
  }
}

/** The held-out zero-shot tasks of a corpus: unseen emoji classes, their style shift, held-out datasets. */
export async function zeroShotTasks(corpus: CaptionCorpus): Promise<ZeroShotTask[]> {
  const cfg = corpus.config;
  const vis = await visionEncoder(cfg.vision);
  const tasks: ZeroShotTask[] = [];
  const make = async (name: string, kind: string, items: Item[], classes?: string[]) => {
    tasks.push(await taskOf(vis, name, kind, items, classes));
  };
  const emoji = await emojiLayout(cfg);
  if (emoji) {
    const unseen = [...emoji.split.unseen].sort();
    await make(`${[cfg.emoji, ...cfg.emojiStyles].join(" + ")} (unseen classes)`, "classes never trained on", emoji.unseen, unseen);
    if (emoji.shifted.length) await make(`${cfg.emojiShift} (unseen classes, other style)`, "same unseen classes, another art style", emoji.shifted, unseen);
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

