/**
 * The images free-text retrieval searches (notebook 06's grids and `deno task demo`): every held-out
 * zero-shot test set except the style-shifted copies, plus the held-out caption pairs' images, with a
 * short label per image (the caption for clip art, the class name otherwise).
 *
 * @example
 * ```ts
 * import { type CaptionCorpus, type CaptionModel, retrieveImages, zeroShotTasks } from "./captions.ts";
 * declare const corpus: CaptionCorpus, model: CaptionModel;
 * const pool = retrievalPool(corpus, await zeroShotTasks(corpus));
 * const top = await retrieveImages(model, ["a red fruit"], pool.images, 5);
 * console.log(top[0].map((row) => pool.labels[row]));
 * ```
 */
import type { Item } from "../data/items.ts";
import type { Matrix } from "../store/feature_store.ts";
import type { CaptionCorpus, ZeroShotTask } from "./captions.ts";

/** Images to search, their items and labels (one per row). */
export interface RetrievalPool {
  images: Matrix;
  items: Item[];
  labels: string[];
}

/** A short label for an image: its caption for clip art (openclipart, Tux Paint), else its class name. Pure. */
export function imageLabel(it: Item, max = 40): string {
  return (it.source === "openclipart" || it.source === "tuxpaint" ? (it.caption ?? it.class_name) : it.class_name).slice(0, max);
}

/** The retrieval pool of a caption corpus and its zero-shot tasks. Pure. */
export function retrievalPool(corpus: CaptionCorpus, tasks: ZeroShotTask[]): RetrievalPool {
  const parts = [...tasks.filter((t) => !t.kind.includes("style")).map((t) => ({ images: t.images, items: t.items })), {
    images: corpus.retrieval.images,
    items: corpus.retrieval.items,
  }];
  const rows = parts.reduce((a, p) => a + p.images.rows, 0), dim = parts[0].images.dim;
  const data = new Float32Array(rows * dim);
  let o = 0;
  for (const p of parts) {
    if (p.images.dim !== dim) throw new Error(`retrievalPool: ${p.images.dim}-d features beside ${dim}-d ones`);
    data.set(p.images.data.subarray(0, p.images.rows * dim), o);
    o += p.images.rows * dim;
  }
  const items = parts.flatMap((p) => p.items);
  return { images: { data, rows, dim }, items, labels: items.map((it) => imageLabel(it)) };
}
