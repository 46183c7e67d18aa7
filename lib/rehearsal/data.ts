/**
 * The rehearsal's paper-format data, made from the embedded datasets' images and texts and laid out
 * where `SHARELOCK_DATA_DIR` is read (`lib/data/registry.ts`, `lib/data/paper_datasets.ts`,
 * `loadWinoground`):
 *
 * - `cc3m/shard-0000{0..5}.tar`: webdataset shards, `<key>.jpg` with `<key>.txt` or `<key>.json`
 *   (`{"caption": ...}`), from the Open Clipart and Tux Paint captions;
 * - `imagenet/`, `imagenet-r/`, `imagenet-sketch/`: `<class>/<image>` folders of the same emoji classes,
 *   one image style per variant (Google's emoji and a mirrored copy; Twitter's; Google's in grey);
 * - `awa2/`, `cub/`, `aircraft/`: `<class>/<image>` folders for the probing notebooks (Tux Paint
 *   classes, Open Clipart categories as CUB-style `001.name` folders, Fashion-MNIST classes);
 * - `coco/annotations/captions_train2017.json` with `coco/train2017/*.jpg` (two captions per image);
 * - `winoground/examples.jsonl` with `winoground/images/<name>.png`.
 *
 * @example
 * ```ts
 * const made = await writePaperData("/tmp/rehearsal/data");
 * console.log(made.map((d) => `${d.name}: ${d.images} images, ${d.classes} classes`).join("\n"));
 * ```
 */
import sharp from "sharp";
import { join } from "node:path";
import { dataset } from "../data/registry.ts";
import type { Item } from "../data/items.ts";
import { readImageBytes } from "../data/image_ref.ts";
import { tarArchive, type TarEntry } from "./tar_write.ts";

/** One written dataset: its name under the data folder, images and classes (1 for caption sets). */
export interface WrittenDataset {
  name: string;
  images: number;
  classes: number;
}

/** How an image is drawn into the world: mirrored, in grey, and the format written. */
interface Look {
  flip?: boolean;
  grey?: boolean;
  format: "jpg" | "png";
}

/** Longest side of the written images (the encoders resize anyway; this keeps the world small). */
const SIDE = 128;

async function convert(ref: string, look: Look): Promise<Uint8Array> {
  let img = sharp(await readImageBytes(ref)).flatten({ background: "#ffffff" }).resize(SIDE, SIDE, { fit: "inside", withoutEnlargement: true });
  if (look.flip) img = img.flop();
  if (look.grey) img = img.greyscale();
  const buf = look.format === "jpg" ? await img.jpeg({ quality: 90 }).toBuffer() : await img.png().toBuffer();
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
}

/** A folder name for a class: lower case, words joined by `_` (what `loadImageFolder` turns back into the name). */
export function classFolder(name: string): string {
  return name.toLowerCase().normalize("NFKD").replace(/[^a-z0-9]+/g, "_").replace(/^_+|_+$/g, "") || "class";
}

/** `n` items spread evenly over `items` (deterministic). */
function spread<T>(items: T[], n: number): T[] {
  if (items.length <= n) return items;
  return Array.from({ length: n }, (_, i) => items[Math.floor((i * items.length) / n)]);
}

/** Up to `classes` classes with at least `perClass` items each (spread over the class list), `perClass` items each. */
function byClass(items: Item[], classes: number, perClass: number): [string, Item[]][] {
  const groups = new Map<string, Item[]>();
  // a folder such as "00_symbols" reads back as "symbols" (the loader drops a leading number): left out
  // classes are keyed by folder name, so that two names with one folder are one class
  for (const it of items.filter((it) => !/^\d+_/.test(classFolder(it.class_name)))) {
    const key = classFolder(it.class_name);
    groups.set(key, [...(groups.get(key) ?? []), it]);
  }
  const full = [...groups].filter(([, list]) => list.length >= perClass).sort(([a], [b]) => a.localeCompare(b));
  return spread(full, classes).map(([c, list]) => [c, spread(list, perClass)]);
}

async function writeFolders(
  root: string,
  name: string,
  groups: [string, Item[]][],
  look: Look,
  folderOf: (cls: string, i: number) => string = classFolder,
): Promise<WrittenDataset> {
  let images = 0;
  for (const [i, [cls, items]] of groups.entries()) {
    const dir = join(root, name, folderOf(cls, i));
    await Deno.mkdir(dir, { recursive: true });
    for (const [k, it] of items.entries()) {
      await Deno.writeFile(join(dir, `${String(k).padStart(3, "0")}.${look.format}`), await convert(it.image_path!, look));
      images++;
    }
  }
  return { name, images, classes: groups.length };
}

/** The emoji classes both Google's and Twitter's sets draw, spread over the list: `[name, [google, twitter]]`. */
async function sharedEmoji(n: number): Promise<[string, Item[]][]> {
  const [google, twitter] = [await dataset("emoji-google"), await dataset("emoji-twitter")];
  const tw = new Map(twitter.items.map((it) => [it.class_name, it]));
  const seen = new Set<string>();
  const both = google.items.filter((it) => it.image_path && tw.has(it.class_name) && !seen.has(classFolder(it.class_name)) && seen.add(classFolder(it.class_name)))
    .sort((a, b) => a.class_name.localeCompare(b.class_name));
  return spread(both, n).map((it) => [it.class_name, [it, tw.get(it.class_name)!]]);
}

async function writeShards(root: string, name: string, pairs: Item[], shards: number): Promise<WrittenDataset> {
  await Deno.mkdir(join(root, name), { recursive: true });
  const per = Math.ceil(pairs.length / shards);
  for (let s = 0; s < shards; s++) {
    const entries: TarEntry[] = [];
    for (const [k, it] of pairs.slice(s * per, (s + 1) * per).entries()) {
      const key = `${String(s).padStart(5, "0")}${String(k).padStart(4, "0")}`;
      entries.push({ name: `${key}.jpg`, data: await convert(it.image_path!, { format: "jpg" }) });
      // img2dataset writes both; the loader takes .txt when present, else .json's caption
      entries.push(k % 2 === 0
        ? { name: `${key}.txt`, data: new TextEncoder().encode(it.caption!) }
        : { name: `${key}.json`, data: new TextEncoder().encode(JSON.stringify({ caption: it.caption, key, status: "success" })) });
    }
    await Deno.writeFile(join(root, name, `shard-${String(s).padStart(5, "0")}.tar`), tarArchive(entries));
  }
  return { name, images: pairs.length, classes: 1 };
}

async function writeCoco(root: string, items: Item[]): Promise<WrittenDataset> {
  const dir = join(root, "coco");
  await Deno.mkdir(join(dir, "annotations"), { recursive: true });
  await Deno.mkdir(join(dir, "train2017"), { recursive: true });
  const images = [], annotations = [];
  for (const [i, it] of items.entries()) {
    const id = 1000 + i, file = `${String(id).padStart(12, "0")}.jpg`;
    await Deno.writeFile(join(dir, "train2017", file), await convert(it.image_path!, { format: "jpg" }));
    images.push({ id, file_name: file, height: SIDE, width: SIDE });
    annotations.push({ id: 2 * id, image_id: id, caption: it.caption! }, { id: 2 * id + 1, image_id: id, caption: `A drawing of ${it.class_name}.` });
  }
  await Deno.writeTextFile(join(dir, "annotations", "captions_train2017.json"), JSON.stringify({ info: { description: "rehearsal" }, images, annotations }));
  return { name: "coco", images: items.length, classes: 1 };
}

async function writeWinoground(root: string, items: Item[]): Promise<WrittenDataset> {
  const dir = join(root, "winoground");
  await Deno.mkdir(join(dir, "images"), { recursive: true });
  const lines: string[] = [];
  for (let i = 0; i + 1 < items.length; i += 2) {
    const ex = i / 2;
    for (const j of [0, 1]) await Deno.writeFile(join(dir, "images", `ex_${ex}_img_${j}.png`), await convert(items[i + j].image_path!, { format: "png" }));
    lines.push(JSON.stringify({ id: ex, image_0: `ex_${ex}_img_0`, image_1: `ex_${ex}_img_1`, caption_0: items[i].caption, caption_1: items[i + 1].caption, tag: "Object", collapsed_tag: "Object" }));
  }
  await Deno.writeTextFile(join(dir, "examples.jsonl"), lines.join("\n") + "\n");
  return { name: "winoground", images: 2 * lines.length, classes: 1 };
}

/** Write every paper-format dataset under `root` from the embedded datasets (about a thousand small images). */
export async function writePaperData(root: string): Promise<WrittenDataset[]> {
  const clipart = (await dataset("openclipart")).items.filter((it) => it.caption && it.image_path);
  const tux = (await dataset("tuxpaint")).items.filter((it) => it.caption && it.image_path);
  const fashion = (await dataset("fashion-mnist")).items;
  const emoji = await sharedEmoji(24);
  // 600 pairs: CAPTIONS_PAPER holds out 1% for retrieval, a handful here
  const pairs = [...spread(clipart, 400), ...spread(tux, 200)];
  return [
    await writeShards(root, "cc3m", pairs, 6),
    await writeFolders(root, "imagenet", emoji.map(([c, [g]]) => [c, [g, g]]), { format: "jpg" }).then(async (d) => {
      // the second image of each class is the first mirrored
      for (const [c, [g]] of emoji) await Deno.writeFile(join(root, "imagenet", classFolder(c), "001.jpg"), await convert(g.image_path!, { format: "jpg", flip: true }));
      return d;
    }),
    await writeFolders(root, "imagenet-r", emoji.map(([c, [, t]]) => [c, [t]]), { format: "jpg" }),
    await writeFolders(root, "imagenet-sketch", emoji.map(([c, [g]]) => [c, [g]]), { format: "jpg", grey: true }),
    // 48 classes: notebooks 02 and 08 align language and vision on the unseen quarter (12 > k = 10 neighbours)
    await writeFolders(root, "awa2", byClass(tux, 48, 3), { format: "jpg" }),
    await writeFolders(root, "cub", byClass(clipart, 12, 4), { format: "jpg" }, (c, i) => `${String(i + 1).padStart(3, "0")}.${classFolder(c)}`),
    await writeFolders(root, "aircraft", byClass(fashion, 10, 4), { format: "png" }),
    await writeCoco(root, spread(tux, 30)),
    await writeWinoground(root, spread(clipart.slice(1), 16)),
  ];
}
