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
import { existsSync } from "node:fs";
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

/** One row of emoji-datasource's `emoji.json` (the fields read here). */
export interface EmojiRow {
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
  return emojiRowItems(rows, `emoji-${style}`, (r) => r[`has_img_${style}`] ? join(imgDir, r.image) : null, dropFlags);
}

/**
 * Items of one art style from `emoji.json` rows: `imageOf` gives a row's image file in that style, or
 * null where the style has none (the row is left out). Class names and item ids (`<source>/<unified>`)
 * come from the rows, so every style built from the same rows names its classes alike. Pure given `imageOf`.
 */
export function emojiRowItems(rows: EmojiRow[], source: string, imageOf: (row: EmojiRow) => string | null, dropFlags = true): Item[] {
  const kept = rows.map((r) => ({ r, image: r.category !== "Component" && !(dropFlags && r.category === "Flags") ? imageOf(r) : null }))
    .filter((k) => k.image !== null);
  const seen = new Set<string>();
  const unique = kept.filter(({ r }) => {
    const n = emojiClassName(r);
    if (seen.has(n)) return false;
    seen.add(n);
    return true;
  });
  const ids = classIndex(unique.map(({ r }) => emojiClassName(r)));
  return unique.map(({ r, image }) => {
    const name = emojiClassName(r);
    return {
      item_id: `${source}/${r.unified.toLowerCase()}`,
      image_path: image,
      class_id: ids.get(name)!,
      class_name: name,
      caption: name,
      group: r.subcategory,
      split: "all",
      source,
    };
  });
}

/** Throw, naming the first few files, when items point at images that are not on disk. */
export function assertImagesExist(items: Item[], what: string): void {
  const missing = items.filter((it) => it.image_path && !existsSync(it.image_path)).map((it) => it.image_path);
  if (missing.length) {
    throw new Error(`${what}: ${missing.length} image file(s) listed by the package are missing, e.g. ${missing.slice(0, 3).join(", ")}`);
  }
}

/** The rows of an unpacked emoji-datasource package's `emoji.json`; an unreadable file is an error naming it. */
export async function readEmojiRows(packageDir: string): Promise<EmojiRow[]> {
  const file = join(packageDir, "emoji.json");
  try {
    return JSON.parse(await Deno.readTextFile(file)) as EmojiRow[];
  } catch (err) {
    throw new Error(`cannot read emoji table ${file}: ${(err as Error).message}`);
  }
}

/** Load emoji of one style (fetches the npm package into the cache the first time). */
export async function loadEmoji(opts: EmojiOptions = {}): Promise<Dataset> {
  const style = opts.style ?? "google";
  const asset = style === "google" ? NPM_ASSETS.emojiGoogle : NPM_ASSETS.emojiTwitter;
  const dir = opts.packageDir ?? await ensureNpmAsset(asset);
  const rows = await readEmojiRows(dir);
  const items = emojiItems(rows, join(dir, "img", style, "64"), style, opts.dropFlags ?? true);
  assertImagesExist(items, `${asset.name}@${asset.version}`);
  const classes: string[] = [];
  for (const it of items) classes[it.class_id] = it.class_name;
  return { name: `emoji-${style}`, version: `${asset.name}@${asset.version}`, items, classes };
}
