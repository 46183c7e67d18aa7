/**
 * Features of datasets and texts, through the feature store: the one call notebooks make.
 * Images come back aligned with the items that could be embedded; texts are deduplicated before
 * embedding and come back in input order.
 *
 * @example
 * ```ts
 * import { dataset } from "./data/registry.ts";
 * import { languageEncoder, visionEncoder } from "./encoders/registry.ts";
 * const ds = await dataset("emoji-google");
 * const img = await imageFeatures(ds.items, await visionEncoder("mobilenet-v2"));
 * img.matrix.rows === img.items.length;
 * const txt = await textFeatures(["a cat.", "a dog."], await languageEncoder("use-lite"));
 * ```
 */
import type { Item } from "./data/items.ts";
import type { LanguageEncoder, VisionEncoder } from "./encoders/types.ts";
import { extract, type ExtractOptions, storeFor } from "./store/extract.ts";
import { type Matrix, matrixFromRows } from "./core/matrix.ts";

/** Image features with the items they belong to (skipped items left out). */
export interface ImageFeatures {
  matrix: Matrix;
  items: Item[];
  /** Items that could not be embedded, with the reason. */
  skipped: { item: Item; reason: string }[];
}

/** Embed (or read from the store) the images of `items`. */
export async function imageFeatures(items: Item[], encoder: VisionEncoder, opts: ExtractOptions = {}): Promise<ImageFeatures> {
  const withImage = items.filter((it) => it.image_path);
  const store = await storeFor(encoder);
  const res = await extract(store, encoder, withImage.map((it) => ({ id: it.item_id, input: it.image_path! })), {
    onError: "skip",
    label: `${encoder.identity.name} image features`,
    ...opts,
  });
  const kept: Item[] = [], keys: string[] = [], skipped: ImageFeatures["skipped"] = [];
  withImage.forEach((it, i) => {
    const reason = store.skipReason(res.keys[i]);
    if (store.has(res.keys[i])) {
      kept.push(it);
      keys.push(res.keys[i]);
    } else skipped.push({ item: it, reason: reason ?? "not in this shard" });
  });
  return { matrix: store.matrix(keys), items: kept, skipped };
}

/**
 * Embed (or read from the store) texts; one row per input text, in order. Empty texts are an error.
 * Encoders marked `ephemeral` (cheap and corpus-specific, e.g. the LiT-style bag of words) bypass the
 * store: their vectors are computed every time and never written.
 */
export async function textFeatures(texts: string[], encoder: LanguageEncoder, opts: ExtractOptions = {}): Promise<Matrix> {
  const unique = [...new Set(texts)];
  texts.forEach((t, i) => {
    if (!t.trim()) throw new Error(`textFeatures: text ${i} is empty`);
  });
  if (encoder.ephemeral) return matrixFromRows(await encoder.embed(texts), encoder.identity.dim);
  const store = await storeFor(encoder);
  const res = await extract(store, encoder, unique.map((t, i) => ({ id: `text-${i}`, input: t })), {
    label: `${encoder.identity.name} text features`,
    batchSize: 64,
    ...opts,
  });
  const keyOf = new Map(unique.map((t, i) => [t, res.keys[i]]));
  return store.matrix(texts.map((t) => keyOf.get(t)!));
}
