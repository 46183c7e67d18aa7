/**
 * Adapters for the paper's own datasets where a user has them on disk:
 *
 * - `loadImageFolder`: `root/<class>/<image>` or `root/<split>/<class>/<image>` (ImageNet, CUB, AWA2,
 *   FGVC-Aircraft arranged by class);
 * - `loadCocoCaptions`: a COCO captions JSON (`captions_train2017.json`) plus its image folder;
 * - `loadWebDataset`: webdataset tar shards (CC3M / CC12M: `key.jpg` + `key.txt` or `key.json` per sample).
 *
 * A missing path is an error that names it and says where the data comes from.
 *
 * @example
 * ```ts
 * const imagenet = await loadImageFolder("/data/imagenet", { name: "imagenet", split: "val" });
 * const coco = await loadCocoCaptions("/data/coco/annotations/captions_train2017.json", "/data/coco/train2017");
 * const cc3m = await loadWebDataset(["/data/cc3m/00000.tar", "/data/cc3m/00001.tar"]);
 * ```
 */
import { tarImageRef } from "./image_ref.ts";
import { basename, join } from "node:path";
import { classIndex, type Dataset, type Item } from "./items.ts";
import { listFiles, requireDir } from "./walk.ts";
import { listTar, readTarMember } from "./tar.ts";

const IMAGE_EXT = /\.(jpe?g|png|webp|bmp|gif|tiff?)$/i;

/** Where each of the paper's datasets comes from (for error messages). */
export const HOW_TO_GET: Record<string, string> = {
  imagenet: "ImageNet-1k: https://image-net.org (arrange as <root>/val/<wnid or class>/*.JPEG).",
  cub: "CUB-200-2011: https://www.vision.caltech.edu/datasets/cub_200_2011/ (images/<class>/*.jpg).",
  awa2: "AWA2: https://cvml.ista.ac.at/AwA2/ (JPEGImages/<class>/*.jpg).",
  aircraft: "FGVC-Aircraft: https://www.robots.ox.ac.uk/~vgg/data/fgvc-aircraft/ (arrange by variant).",
  coco: "COCO 2017: https://cocodataset.org (annotations/captions_*.json and train2017/).",
  cc3m: "CC3M / CC12M as webdataset shards: img2dataset --output_format webdataset.",
  cc12m: "CC12M as webdataset shards: img2dataset --output_format webdataset.",
  "imagenet-r": "ImageNet-R: https://github.com/hendrycks/imagenet-r (one folder per class).",
  "imagenet-sketch": "ImageNet-Sketch: https://github.com/HaohanWang/ImageNet-Sketch (one folder per class).",
  winoground: "Winoground: https://huggingface.co/datasets/facebook/winoground (examples.jsonl and images/).",
};

/** Options of {@link loadImageFolder}. */
export interface ImageFolderOptions {
  name?: string;
  /** Use `root/<split>/` when it exists (e.g. "val"). */
  split?: string;
  /** Map a folder name to a class name (e.g. WordNet ids to words); default: underscores to spaces. */
  className?: (folder: string) => string;
  /** Images per class at most. */
  perClass?: number;
}

/** A dataset arranged as one folder per class. */
export async function loadImageFolder(root: string, opts: ImageFolderOptions = {}): Promise<Dataset> {
  const name = opts.name ?? basename(root);
  requireDir(root, `dataset "${name}"`, HOW_TO_GET[name] ?? "Arrange it as <root>/<class>/<image>.");
  let dir = root;
  if (opts.split) {
    dir = join(root, opts.split);
    requireDir(dir, `split "${opts.split}" of dataset "${name}"`, `Expected ${dir}/<class>/<image>.`);
  }
  const toClass = opts.className ?? ((f: string) => f.replace(/^\d+[._]/, "").replaceAll("_", " ").toLowerCase());
  const byClass = new Map<string, string[]>();
  for (const rel of listFiles(dir, (n) => IMAGE_EXT.test(n))) {
    const folder = rel.split("/")[0];
    if (folder === rel) continue;
    const list = byClass.get(folder) ?? [];
    if (opts.perClass === undefined || list.length < opts.perClass) list.push(rel);
    byClass.set(folder, list);
  }
  if (!byClass.size) throw new Error(`dataset "${name}": no images in class folders under ${dir}`);
  const ids = classIndex([...byClass.keys()].map(toClass));
  const items: Item[] = [];
  for (const [folder, files] of byClass) {
    const cls = toClass(folder);
    for (const rel of files) {
      items.push({
        item_id: `${name}/${rel}`,
        image_path: join(dir, rel),
        class_id: ids.get(cls)!,
        class_name: cls,
        caption: null,
        group: null,
        split: opts.split ?? "all",
        source: name,
      });
    }
  }
  return await Promise.resolve({ name, version: `folder:${root}`, items, classes: [...ids.keys()] });
}

/** COCO captions: one item per (image, caption); several captions per image share the image. */
export async function loadCocoCaptions(annotations: string, imageDir: string, name = "coco"): Promise<Dataset> {
  let text: string;
  try {
    text = await Deno.readTextFile(annotations);
  } catch {
    throw new Error(`COCO captions file not found at ${annotations}. ${HOW_TO_GET.coco}`);
  }
  requireDir(imageDir, "COCO image folder", HOW_TO_GET.coco);
  const json = JSON.parse(text) as { images?: { id: number; file_name: string }[]; annotations?: { image_id: number; caption: string }[] };
  if (!Array.isArray(json.images) || !Array.isArray(json.annotations)) {
    throw new Error(`${annotations}: not a COCO captions file (needs "images" and "annotations" arrays)`);
  }
  const files = new Map(json.images.map((im) => [im.id, im.file_name]));
  const items: Item[] = json.annotations.map((a, i) => {
    const file = files.get(a.image_id);
    if (!file) throw new Error(`${annotations}: annotation ${i} refers to unknown image_id ${a.image_id}`);
    return {
      item_id: `${name}/${a.image_id}#${i}`,
      image_path: join(imageDir, file),
      class_id: 0,
      class_name: "caption",
      caption: a.caption.trim(),
      group: String(a.image_id),
      split: "train",
      source: name,
    };
  });
  return { name, version: `coco:${annotations}`, items, classes: ["caption"] };
}

/** Webdataset tar shards: each sample is `<key>.<jpg|png|webp>` with `<key>.txt` or `<key>.json` ({caption}). */
export async function loadWebDataset(shards: string[], name = "webdataset"): Promise<Dataset> {
  const items: Item[] = [];
  for (const shard of shards) {
    try {
      Deno.statSync(shard);
    } catch {
      throw new Error(`webdataset shard not found: ${shard}. ${HOW_TO_GET.cc3m}`);
    }
    const members = listTar(shard);
    const byKey = new Map<string, { image?: string; txt?: typeof members[0]; json?: typeof members[0] }>();
    for (const m of members) {
      const dot = m.name.indexOf(".", m.name.lastIndexOf("/") + 1);
      if (dot < 0) continue;
      const key = m.name.slice(0, dot), ext = m.name.slice(dot + 1).toLowerCase();
      const e = byKey.get(key) ?? {};
      if (IMAGE_EXT.test(`.${ext}`)) e.image = m.name;
      else if (ext === "txt") e.txt = m;
      else if (ext === "json") e.json = m;
      byKey.set(key, e);
    }
    for (const [key, e] of byKey) {
      if (!e.image) continue;
      let caption: string | null = null;
      if (e.txt) caption = new TextDecoder().decode(readTarMember(shard, e.txt)).trim();
      else if (e.json) {
        const j = JSON.parse(new TextDecoder().decode(readTarMember(shard, e.json)));
        caption = typeof j.caption === "string" ? j.caption.trim() : null;
      }
      if (!caption) continue;
      items.push({
        item_id: `${name}/${basename(shard)}/${key}`,
        image_path: tarImageRef(shard, e.image),
        class_id: 0,
        class_name: "caption",
        caption,
        group: basename(shard),
        split: "train",
        source: name,
      });
    }
  }
  return await Promise.resolve({ name, version: `webdataset:${shards.length} shards`, items, classes: ["caption"] });
}
