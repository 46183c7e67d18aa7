/**
 * Tux Paint stamps (Debian `tuxpaint-stamps-default`): drawings (SVG or PNG) in topic folders, each with
 * a one-sentence description in English and many translations (`<lang>.utf8=...` lines). Class = the
 * stamp's folder ("fruit"), group = its top folder ("food"), caption = the English sentence.
 * Translations are kept as class texts by language (`classTexts["caption:de"]`).
 *
 * @example
 * ```ts
 * const stamps = await loadTuxPaint();
 * stamps.items.find((i) => i.item_id.endsWith("quarter"))?.caption; // "A US 25 cent piece ($.25) called a quarter."
 * ```
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { debVersion, ensureDebAsset } from "./assets.ts";
import { classIndex, type Dataset, type Item } from "./items.ts";
import { listFiles, requireDir } from "./walk.ts";

/** Parse a stamp description file: first line English, then `lang.utf8=text` lines. Pure. */
export function parseStampText(text: string): { en: string; translations: Record<string, string> } {
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  const translations: Record<string, string> = {};
  let en = "";
  for (const line of lines) {
    const m = line.match(/^([A-Za-z_@]+)\.utf8=(.*)$/);
    if (m) translations[m[1]] = m[2].trim();
    else if (!en) en = line;
  }
  return { en, translations };
}

/** Load the stamps (fetches the Debian package into the cache the first time). */
export async function loadTuxPaint(root?: string): Promise<Dataset> {
  const base = root ?? await ensureDebAsset("tuxpaint-stamps-default");
  const dir = join(base, "usr", "share", "tuxpaint", "stamps");
  requireDir(dir, "Tux Paint stamps folder", "Install or unpack the Debian package tuxpaint-stamps-default.");
  const rows: { id: string; image: string; cls: string; group: string; en: string; tr: Record<string, string> }[] = [];
  for (const rel of listFiles(dir, (n) => n.endsWith(".txt"))) {
    const stem = rel.replace(/\.txt$/, "");
    const image = [".png", ".svg"].map((e) => join(dir, stem + e)).find(existsSync);
    if (!image) continue;
    const { en, translations } = parseStampText(await Deno.readTextFile(join(dir, rel)));
    if (!en) continue;
    const parts = rel.split("/");
    rows.push({ id: stem, image, cls: parts.at(-2) ?? parts[0], group: parts[0], en, tr: translations });
  }
  const ids = classIndex(rows.map((r) => r.cls));
  const items: Item[] = rows.map((r) => ({
    item_id: `tuxpaint/${r.id}`,
    image_path: r.image,
    class_id: ids.get(r.cls)!,
    class_name: r.cls,
    caption: r.en,
    group: r.group,
    split: "all",
    source: "tuxpaint",
  }));
  const classTexts: Record<string, Record<string, string[]>> = {};
  for (const r of rows) {
    for (const [lang, text] of Object.entries(r.tr)) {
      ((classTexts[`caption:${lang}`] ??= {})[`tuxpaint/${r.id}`] ??= []).push(text);
    }
  }
  const classes: string[] = [];
  for (const it of items) classes[it.class_id] = it.class_name;
  return { name: "tuxpaint", version: `tuxpaint-stamps-default ${debVersion(base)}`, items, classes, classTexts };
}
