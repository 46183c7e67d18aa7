/**
 * Open Clip Art Library PNGs (Debian `openclipart-png`): public-domain drawings in topic folders. The
 * file name is the drawing's title (with its author's name and a number appended by the library), the
 * folders are keywords; together they are the caption. Class = top-level topic.
 *
 * @example
 * ```ts
 * const clipart = await loadOpenClipart();
 * clipart.items[0].caption;  // "chemistry flask matthew, science"
 * ```
 */
import { join } from "node:path";
import { debVersion, ensureDebAsset } from "./assets.ts";
import { classIndex, type Dataset, type Item } from "./items.ts";
import { listFiles, requireDir } from "./walk.ts";

/** Title words from a clip-art file name: `double_helix_anthony_lie_01.png` -> `double helix anthony lie`. Pure. */
export function clipartTitle(fileName: string): string {
  return fileName.replace(/\.png$/i, "").replace(/_+\d+$/, "").replace(/[_-]+/g, " ").replace(/\s+/g, " ").trim()
    .toLowerCase();
}

/** Items from the relative PNG paths below the `png/` folder. Keeps the first drawing of each title. Pure. */
export function clipartItems(relPaths: string[], pngDir: string): Item[] {
  const seen = new Set<string>();
  const rows: { rel: string; topic: string; title: string; caption: string }[] = [];
  for (const rel of relPaths) {
    const parts = rel.split("/");
    if (parts.length < 2) continue;
    const title = clipartTitle(parts.at(-1)!);
    const key = `${parts.slice(0, -1).join("/")}/${title}`;
    if (!title || seen.has(key)) continue;
    seen.add(key);
    const folders = parts.slice(0, -1).map((f) => f.replaceAll("_", " "));
    rows.push({ rel, topic: folders[0], title, caption: `${title}, ${folders.reverse().join(", ")}` });
  }
  const ids = classIndex(rows.map((r) => r.topic));
  return rows.map((r) => ({
    item_id: `openclipart/${r.rel}`,
    image_path: join(pngDir, r.rel),
    class_id: ids.get(r.topic)!,
    class_name: r.topic,
    caption: r.caption,
    group: r.topic,
    split: "all",
    source: "openclipart",
  }));
}

/** Load the clip art (fetches the Debian package into the cache the first time). */
export async function loadOpenClipart(root?: string): Promise<Dataset> {
  const base = root ?? await ensureDebAsset("openclipart-png");
  const pngDir = join(base, "usr", "share", "openclipart", "png");
  requireDir(pngDir, "openclipart PNG folder", "Install or unpack the Debian package openclipart-png.");
  const items = clipartItems(listFiles(pngDir, (n) => n.toLowerCase().endsWith(".png")), pngDir);
  const classes: string[] = [];
  for (const it of items) classes[it.class_id] = it.class_name;
  return { name: "openclipart", version: `openclipart-png ${debVersion(base)}`, items, classes };
}
