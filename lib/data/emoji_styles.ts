/**
 * Emoji art styles beyond the `emoji-datasource-*` PNGs: OpenMoji (CC BY-SA 4.0) and Microsoft's Fluent
 * Emoji (MIT; the `fluentui-emoji` npm repackaging, Flat and Color variants). Both ship SVGs only; each
 * image is rasterised once with sharp to a 64x64 PNG on transparency (the size of the emoji-datasource
 * images, so that styles differ in drawing, not resolution) into `<cache>/assets/rendered/`.
 *
 * Classes come from the same `emoji.json` rows as `emoji-google` (emoji-datasource 16.0.0): an emoji's
 * image is looked up by its code point (OpenMoji file names) or by its CLDR name (Fluent file names,
 * names from `emojibase-data`), so a class is the same emoji in every style. Emoji a set does not draw
 * are left out of that style (and reported by {@link alignStyles} in `emoji_multistyle.ts`).
 *
 * @example
 * ```ts
 * const openmoji = await loadOpenEmoji({ style: "openmoji" });
 * openmoji.items[0].image_path;   // .../assets/rendered/openmoji@17.0.0/color-64/1F600.png
 * ```
 */
import { existsSync } from "node:fs";
import { basename, join } from "node:path";
import sharp from "sharp";
import { ensureNpmAsset, NPM_ASSETS, type NpmAsset } from "./assets.ts";
import { assertImagesExist, type EmojiRow, emojiRowItems, readEmojiRows } from "./emoji.ts";
import type { Dataset } from "./items.ts";
import { codeKey, emojiNamesIn } from "./multilingual.ts";
import { projectPaths } from "../runtime/paths.ts";

/** Emoji styles drawn from SVG sets. */
export type OpenEmojiStyle = "openmoji" | "fluent-flat" | "fluent-color";

/** The SVG styles, for listings. */
export const OPEN_EMOJI_STYLES: readonly OpenEmojiStyle[] = ["openmoji", "fluent-flat", "fluent-color"];

/** An emoji art set that was checked for the multi-style dataset, with its image licence. */
export interface EmojiArtSet {
  /** Registry dataset name (null where the set is not used). */
  dataset: string | null;
  package: string;
  /** Licence of the IMAGES (the emoji-datasource packages' MIT covers only their code and data). */
  imageLicence: string;
  /** Where the licence is stated. */
  licenceSource: string;
  used: boolean;
  note: string;
}

/** The sets checked (npm, 2026-11), used or not, and why. */
export const EMOJI_ART_SETS: readonly EmojiArtSet[] = [
  { dataset: "emoji-google", package: "emoji-datasource-google@16.0.0", imageLicence: "Apache-2.0 (Noto Emoji)", licenceSource: "package README, image licences", used: true, note: "64 px PNG" },
  { dataset: "emoji-twitter", package: "emoji-datasource-twitter@16.0.0", imageLicence: "CC-BY-4.0 (Twemoji graphics)", licenceSource: "package README, image licences", used: true, note: "64 px PNG" },
  { dataset: "emoji-openmoji", package: "openmoji@17.0.0", imageLicence: "CC-BY-SA-4.0", licenceSource: "package.json licence, LICENSE.txt", used: true, note: "SVG (color) rasterised to 64 px; attribution: OpenMoji, openmoji.org" },
  { dataset: "emoji-fluent-flat", package: "fluentui-emoji@1.3.0", imageLicence: "MIT (Microsoft Fluent Emoji; npm repackaging also MIT)", licenceSource: "package.json licence, LICENSE; upstream microsoft/fluentui-emoji is MIT", used: true, note: "Flat SVG rasterised to 64 px; files named by CLDR name" },
  { dataset: "emoji-fluent-color", package: "fluentui-emoji@1.3.0", imageLicence: "MIT (Microsoft Fluent Emoji; npm repackaging also MIT)", licenceSource: "as fluent-flat", used: true, note: "Color ('modern') SVG rasterised to 64 px" },
  { dataset: null, package: "emoji-datasource-apple@16.0.0", imageLicence: "none: Copyright Apple Inc., not licensed for commercial usage", licenceSource: "emoji-datasource README", used: false, note: "not openly licensed" },
  { dataset: null, package: "emoji-datasource-facebook@16.0.0", imageLicence: "unclear: (c) Facebook, Inc., no clear licensing", licenceSource: "emoji-datasource README", used: false, note: "not openly licensed" },
];

/** Side of the rasterised PNGs (the emoji-datasource images are 64x64). */
export const RASTER_SIZE = 64;

/** Options of {@link loadOpenEmoji}. */
export interface OpenEmojiOptions {
  style: OpenEmojiStyle;
  /** Leave out country flags (default true, as for `loadEmoji`). */
  dropFlags?: boolean;
  /** Unpacked package folder of the style's npm package (default: fetched into the cache). */
  packageDir?: string;
  /** Unpacked emoji-datasource package whose `emoji.json` defines the classes (default: emoji-datasource-google). */
  rowsDir?: string;
  /** Unpacked `emojibase-data` package (Fluent styles: English CLDR names; default: fetched). */
  emojibaseDir?: string;
  /** Cache root for the rendered PNGs (default: the project cache). */
  cache?: string;
}

/**
 * OpenMoji's image of each row: `<svgDir>/<hexcode>.svg` for the row's code point, with or without
 * U+FE0F (OpenMoji drops it where emoji-datasource keeps it). `hexcodes` is OpenMoji's own index
 * (`data/openmoji.json`). Pure.
 */
export function openmojiImageOf(hexcodes: Iterable<string>, svgDir: string): (row: EmojiRow) => string | null {
  const byKey = new Map<string, string>();
  for (const h of hexcodes) byKey.set(codeKey(h), h);
  return (row) => {
    const h = byKey.get(codeKey(row.unified));
    return h === undefined ? null : join(svgDir, `${h}.svg`);
  };
}

/** A CLDR emoji name as Fluent Emoji spells its file: lower case, accents and apostrophes dropped, `-` between words. Pure. */
export function fluentSlug(label: string): string {
  return label.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase().replace(/['’]/g, "").replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "");
}

/**
 * Fluent Emoji's image of each row: `<slug>.svg`, or `<slug>-default.svg` for emoji with skin tones,
 * where the slug is the row's English CLDR name (`names`: code-point key -> label). `files` lists the
 * variant's folder. Pure.
 */
export function fluentImageOf(names: Map<string, string>, files: Iterable<string>, dir: string): (row: EmojiRow) => string | null {
  const have = new Set(files);
  return (row) => {
    const label = names.get(codeKey(row.unified));
    if (!label) return null;
    const slug = fluentSlug(label);
    for (const f of [`${slug}.svg`, `${slug}-default.svg`]) if (have.has(f)) return join(dir, f);
    return null;
  };
}

/**
 * Rasterise an SVG to a `size` x `size` PNG (aspect kept, transparent padding), atomically; an existing
 * PNG is kept. A file that cannot be read or decoded is an error naming it. The rendered folder's name
 * (`<package>@<version>/<variant>-<size>`) is the cache key: the density (300) and sharp's version are
 * fixed by this file and deno.json, so a change to either needs a new folder name.
 */
export async function rasteriseSvg(svg: string, png: string, size = RASTER_SIZE): Promise<void> {
  if (existsSync(png)) return;
  const tmp = `${png}.${Deno.pid}.tmp`;
  try {
    await sharp(await Deno.readFile(svg), { density: 300, failOn: "error" })
      .resize(size, size, { fit: "contain", background: { r: 0, g: 0, b: 0, alpha: 0 } })
      .png().toFile(tmp);
  } catch (err) {
    await Deno.remove(tmp).catch(() => {});
    throw new Error(`cannot rasterise emoji image ${svg}: ${(err as Error).message}`);
  }
  await Deno.rename(tmp, png);
}

function styleAsset(style: OpenEmojiStyle): NpmAsset {
  return style === "openmoji" ? NPM_ASSETS.openmoji : NPM_ASSETS.fluentEmoji;
}

/** Load one SVG emoji style as a dataset of rasterised PNGs (fetches and renders into the cache the first time). */
export async function loadOpenEmoji(opts: OpenEmojiOptions): Promise<Dataset> {
  const { style } = opts;
  if (!OPEN_EMOJI_STYLES.includes(style)) throw new Error(`unknown emoji style "${style}" (SVG styles: ${OPEN_EMOJI_STYLES.join(", ")})`);
  const asset = styleAsset(style);
  const dir = opts.packageDir ?? await ensureNpmAsset(asset);
  const rowsDir = opts.rowsDir ?? await ensureNpmAsset(NPM_ASSETS.emojiGoogle);
  const rows = await readEmojiRows(rowsDir);
  let imageOf: (row: EmojiRow) => string | null, svgDir: string, variant: string, extra = "";
  if (style === "openmoji") {
    variant = "color";
    svgDir = join(dir, "color", "svg");
    const index = join(dir, "data", "openmoji.json");
    let hexcodes: string[];
    try {
      hexcodes = (JSON.parse(await Deno.readTextFile(index)) as { hexcode: string }[]).map((r) => r.hexcode);
    } catch (err) {
      throw new Error(`cannot read OpenMoji index ${index}: ${(err as Error).message}`);
    }
    imageOf = openmojiImageOf(hexcodes, svgDir);
  } else {
    variant = style === "fluent-flat" ? "flat" : "modern";
    svgDir = join(dir, "icons", variant);
    let files: string[];
    try {
      files = [...Deno.readDirSync(svgDir)].filter((e) => e.isFile && e.name.endsWith(".svg")).map((e) => e.name);
    } catch (err) {
      throw new Error(`cannot list Fluent Emoji folder ${svgDir}: ${(err as Error).message}`);
    }
    imageOf = fluentImageOf(await emojiNamesIn("en", opts.emojibaseDir), files, svgDir);
    extra = ` + ${NPM_ASSETS.emojibase.name}@${NPM_ASSETS.emojibase.version} names`;
  }
  const source = `emoji-${style}`;
  const svgItems = emojiRowItems(rows, source, imageOf, opts.dropFlags ?? true);
  assertImagesExist(svgItems, `${asset.name}@${asset.version} (${style})`);
  const outDir = join(opts.cache ?? projectPaths().cache, "assets", "rendered", `${asset.name}@${asset.version}`, `${variant}-${RASTER_SIZE}`);
  await Deno.mkdir(outDir, { recursive: true });
  const items = svgItems.map((it) => ({ ...it, image_path: join(outDir, basename(it.image_path!).replace(/\.svg$/, ".png")) }));
  for (let i = 0; i < items.length; i += 8) {
    await Promise.all(items.slice(i, i + 8).map((it, j) => rasteriseSvg(svgItems[i + j].image_path!, it.image_path!)));
  }
  const classes: string[] = [];
  for (const it of items) classes[it.class_id] = it.class_name;
  const version = `${asset.name}@${asset.version} ${variant} svg -> ${RASTER_SIZE}px png (sharp); classes from ` +
    `${NPM_ASSETS.emojiGoogle.name}@${NPM_ASSETS.emojiGoogle.version} emoji.json${extra}`;
  return { name: source, version, items, classes };
}
