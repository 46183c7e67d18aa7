/**
 * Emoji images from `emoji-datasource-<style>` (npm): one image per emoji, class = the emoji's name
 * ("grinning face"), group = its Unicode subcategory ("face-smiling"), caption = the name. Styles are
 * different artists' renderings of the same classes (google = Noto, twitter = Twemoji, apple, facebook),
 * the analogue of ImageNet-R / Sketch style shifts.
 *
 * @example
 * ```ts
 * const google = await loadEmoji({ style: "google" });
 * google.items.length;   // ~1,600 (flags and skin-tone swatches left out by default)
 * ```
 */
import { join } from "node:path";
import { ensureNpmAsset, NPM_ASSETS } from "./assets.ts";
import { classIndex, type Dataset, type Item } from "./items.ts";

/** Emoji art styles shipped on npm. */
export type EmojiStyle = "google" | "twitter";

/** Options of {@link loadEmoji}. */
export interface EmojiOptions {
  style?: EmojiStyle;
  /** Leave out the 270 country flags (default true: a flag's look says nothing a name can describe). */
  dropFlags?: boolean;
  /** Unpacked package folder (default: fetched into the cache). */
  packageDir?: string;
}

interface EmojiRow {
  name: string | null;
  short_name: string;
  image: string;
  unified: string;
  category: string;
  subcategory: string;
  [key: `has_img_${string}`]: boolean;
}

/** Clean an emoji's name into a class name: lower case, no "flag:" style prefixes. Pure. */
export function emojiClassName(row: { name: string | null; short_name: string }): string {
  const raw = row.name ?? row.short_name.replaceAll("_", " ");
  return raw.toLowerCase().replace(/\s+/g, " ").trim();
}

/** Build the emoji dataset from `emoji.json` rows. Pure given the rows. */
export function emojiItems(rows: EmojiRow[], imgDir: string, style: string, dropFlags = true): Item[] {
  const kept = rows.filter((r) => r[`has_img_${style}`] && r.category !== "Component" && !(dropFlags && r.category === "Flags"));
  const seen = new Set<string>();
  const unique = kept.filter((r) => {
    const n = emojiClassName(r);
    if (seen.has(n)) return false;
    seen.add(n);
    return true;
  });
  const ids = classIndex(unique.map(emojiClassName));
  return unique.map((r) => {
    const name = emojiClassName(r);
    return {
      item_id: `emoji-${style}/${r.unified.toLowerCase()}`,
      image_path: join(imgDir, r.image),
      class_id: ids.get(name)!,
      class_name: name,
      caption: name,
      group: r.subcategory,
      split: "all",
      source: `emoji-${style}`,
    };
  });
}

/** Load emoji of one style (fetches the npm package into the cache the first time). */
export async function loadEmoji(opts: EmojiOptions = {}): Promise<Dataset> {
  const style = opts.style ?? "google";
  const asset = style === "google" ? NPM_ASSETS.emojiGoogle : NPM_ASSETS.emojiTwitter;
  const dir = opts.packageDir ?? await ensureNpmAsset(asset);
  const rows = JSON.parse(await Deno.readTextFile(join(dir, "emoji.json"))) as EmojiRow[];
  const items = emojiItems(rows, join(dir, "img", style, "64"), style, opts.dropFlags ?? true);
  const classes: string[] = [];
  for (const it of items) classes[it.class_id] = it.class_name;
  return { name: `emoji-${style}`, version: `${asset.name}@${asset.version}`, items, classes };
}
