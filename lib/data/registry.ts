/**
 * The embedded datasets by name, each built once into `<cache>/datasets/<name>.parquet` (the items
 * table) plus `<name>.json` (version, class names, class texts); later loads read those files.
 *
 * @example
 * ```ts
 * const ds = await dataset("emoji-google");
 * datasetFrame(ds).groupBy("group").len();
 * ```
 */
import { parseImageRef } from "./image_ref.ts";
import { existsSync } from "node:fs";
import { join } from "node:path";
import type pl from "nodejs-polars";
import { projectPaths } from "../runtime/paths.ts";
import { readSetting } from "../runtime/env.ts";
import { writeJsonAtomic } from "../runtime/atomic.ts";
import { type Dataset, itemsFrame, readItems, writeItems } from "./items.ts";
import { loadEmoji } from "./emoji.ts";
import { loadOpenEmoji } from "./emoji_styles.ts";
import { loadOpenClipart } from "./openclipart.ts";
import { loadTuxPaint } from "./tuxpaint.ts";
import { loadGComprisWords } from "./gcompris.ts";
import { loadFashionMnist } from "./fashion_mnist.ts";
import { HOW_TO_GET, loadCocoCaptions, loadImageFolder, loadWebDataset } from "./paper_datasets.ts";

/** The paper's probing datasets, read from `SHARELOCK_DATA_DIR/<name>` (one folder per class). */
export const PAPER_FOLDER_DATASETS = ["awa2", "cub", "aircraft", "imagenet", "imagenet-r", "imagenet-sketch"] as const;

/** The paper's caption datasets: `coco` (COCO 2017 layout), `cc3m` / `cc12m` (webdataset shards). */
export const PAPER_CAPTION_DATASETS = ["coco", "cc3m", "cc12m"] as const;

function paperCaptions(name: string): Promise<Dataset> {
  const root = readSetting("dataDir");
  if (!root) throw new Error(`dataset "${name}" is read from $SHARELOCK_DATA_DIR/${name}/, and SHARELOCK_DATA_DIR is not set`);
  if (name === "coco") return loadCocoCaptions(join(root, "coco", "annotations", "captions_train2017.json"), join(root, "coco", "train2017"));
  const dir = join(root, name);
  let shards: string[] = [];
  try {
    shards = [...Deno.readDirSync(dir)].filter((e) => e.isFile && e.name.endsWith(".tar")).map((e) => join(dir, e.name)).sort();
  } catch { /* reported below */ }
  if (!shards.length) throw new Error(`dataset "${name}": no webdataset shards (*.tar) in ${dir}. ${HOW_TO_GET.cc3m}`);
  return loadWebDataset(shards, name);
}

function paperFolder(name: string): Promise<Dataset> {
  const root = readSetting("dataDir");
  if (!root) throw new Error(`dataset "${name}" is read from $SHARELOCK_DATA_DIR/${name}/<class>/<image>, and SHARELOCK_DATA_DIR is not set`);
  return loadImageFolder(join(root, name), { name });
}

/** Builders of the embedded datasets. */
export const EMBEDDED_DATASETS: Record<string, () => Promise<Dataset>> = {
  "emoji-google": () => loadEmoji({ style: "google" }),
  "emoji-twitter": () => loadEmoji({ style: "twitter" }),
  "emoji-openmoji": () => loadOpenEmoji({ style: "openmoji" }),
  "emoji-fluent-flat": () => loadOpenEmoji({ style: "fluent-flat" }),
  "emoji-fluent-color": () => loadOpenEmoji({ style: "fluent-color" }),
  "openclipart": () => loadOpenClipart(),
  "tuxpaint": () => loadTuxPaint(),
  "fashion-mnist": () => loadFashionMnist({ perClass: 100 }),
  "gcompris-words": () => loadGComprisWords(),
};

/** Load an embedded dataset by name (built and cached on first use). */
export async function dataset(name: string, cache = projectPaths().cache): Promise<Dataset> {
  if ((PAPER_FOLDER_DATASETS as readonly string[]).includes(name)) return paperFolder(name);
  if ((PAPER_CAPTION_DATASETS as readonly string[]).includes(name)) return paperCaptions(name);
  const build = EMBEDDED_DATASETS[name];
  if (!build) throw new Error(`unknown dataset "${name}" (embedded: ${Object.keys(EMBEDDED_DATASETS).join(", ")}; on disk: ${[...PAPER_FOLDER_DATASETS, ...PAPER_CAPTION_DATASETS].join(", ")})`);
  const dir = join(cache, "datasets");
  const table = join(dir, `${name}.parquet`), meta = join(dir, `${name}.json`);
  if (existsSync(table) && existsSync(meta)) {
    const m = JSON.parse(await Deno.readTextFile(meta)) as Omit<Dataset, "items">;
    const items = readItems(table);
    if (items.every((it) => !it.image_path || parseImageRef(it.image_path).member !== undefined || existsSync(it.image_path))) return { ...m, items };
    // images moved or cache partly deleted: rebuild
  }
  const ds = await build();
  await writeItems(ds, table);
  await writeJsonAtomic(meta, { name: ds.name, version: ds.version, classes: ds.classes, classTexts: ds.classTexts ?? {} });
  return ds;
}

/** A dataset's items as a polars DataFrame. */
export function datasetFrame(ds: Dataset): pl.DataFrame {
  return itemsFrame(ds.items);
}
