/**
 * Winoground-style compositionality tests (Table 4) built from class names: two classes whose names
 * differ in exactly one word ("man cook" / "woman cook", "red apple" / "green apple") or only in word
 * order make a group of 2 images x 2 captions. A model scores the text score when each image prefers its
 * own caption, the image score when each caption prefers its own image, and the group score when both.
 * Chance: 25%, 25%, 16.7%. Winoground itself is read from disk where a user has it.
 *
 * @example
 * ```ts
 * oneWordGroups(["man cook", "woman cook", "red apple"]);
 * // [{ classes: ["man cook", "woman cook"], kind: "who", differing: ["man", "woman"] }]
 * ```
 */
import { join } from "node:path";
import type { Item } from "../data/items.ts";
import { HOW_TO_GET } from "../data/paper_datasets.ts";
import type { WinogroundGroup } from "../eval/retrieval.ts";

/** A group of two classes whose names differ in one word or in word order. */
export interface NameGroup {
  classes: [string, string];
  /** What differs: `who` (man / woman / person ...), `colour`, `direction`, `order`, or `other`. */
  kind: string;
  differing: [string, string];
}

const WHO = new Set(["man", "woman", "person", "men", "women", "people", "boy", "girl", "child", "adult", "older", "baby"]);
const COLOUR = new Set(["red", "orange", "yellow", "green", "blue", "purple", "brown", "black", "white", "grey", "gray", "pink"]);
const DIRECTION = new Set(["up", "down", "left", "right", "upwards", "downwards", "leftwards", "rightwards", "top", "bottom", "up-left", "up-right", "down-left", "down-right"]);

const words = (name: string) => name.toLowerCase().split(/\s+/).filter(Boolean);

/** Kind of a one-word difference. Pure. */
export function differenceKind(a: string, b: string): string {
  if (WHO.has(a) && WHO.has(b)) return "who";
  if (COLOUR.has(a) && COLOUR.has(b)) return "colour";
  if (DIRECTION.has(a) && DIRECTION.has(b)) return "direction";
  return "other";
}

/**
 * All pairs of names (at least two words each) that differ in exactly one word position, or that have
 * the same words in another order. Sorted, each pair once. Pure.
 */
export function oneWordGroups(names: readonly string[]): NameGroup[] {
  const unique = [...new Set(names)].sort();
  const toks = unique.map(words);
  const out: NameGroup[] = [];
  for (let i = 0; i < unique.length; i++) {
    for (let j = i + 1; j < unique.length; j++) {
      const a = toks[i], b = toks[j];
      if (a.length !== b.length || a.length < 2) continue;
      const diff = a.flatMap((w, k) => (w !== b[k] ? [k] : []));
      if (diff.length === 1) {
        const [x, y] = [a[diff[0]], b[diff[0]]];
        out.push({ classes: [unique[i], unique[j]], kind: differenceKind(x, y), differing: [x, y] });
      } else if (diff.length > 1 && [...a].sort().join(" ") === [...b].sort().join(" ")) {
        out.push({ classes: [unique[i], unique[j]], kind: "order", differing: [unique[i], unique[j]] });
      }
    }
  }
  return out;
}

/** Winoground from disk: `examples.jsonl` (caption_0, caption_1, image_0, image_1) and `images/<name>.png`. */
export async function loadWinoground(dir: string): Promise<{ items: Item[]; captions: string[]; groups: { images: [number, number]; texts: [number, number]; tag: string }[] }> {
  const file = join(dir, "examples.jsonl");
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch {
    throw new Error(`Winoground not found: ${file}. ${HOW_TO_GET.winoground}`);
  }
  const items: Item[] = [], captions: string[] = [], groups: { images: [number, number]; texts: [number, number]; tag: string }[] = [];
  text.split("\n").filter((l) => l.trim()).forEach((line, n) => {
    let ex: Record<string, string>;
    try {
      ex = JSON.parse(line);
    } catch {
      throw new Error(`${file}: line ${n + 1} is not JSON`);
    }
    for (const f of ["caption_0", "caption_1", "image_0", "image_1"]) {
      if (typeof ex[f] !== "string") throw new Error(`${file}: line ${n + 1} has no "${f}"`);
    }
    const img = (name: string) => {
      items.push({ item_id: `winoground/${name}`, image_path: join(dir, "images", `${name}.png`), class_id: 0, class_name: "winoground", caption: null, group: null, split: "test", source: "winoground" });
      return items.length - 1;
    };
    const t0 = captions.push(ex.caption_0) - 1, t1 = captions.push(ex.caption_1) - 1;
    groups.push({ images: [img(ex.image_0), img(ex.image_1)], texts: [t0, t1], tag: String(ex.collapsed_tag ?? ex.tag ?? "") });
  });
  return { items, captions, groups };
}

/** Name groups laid out on a task's images: image rows, captions and Winoground groups over them. */
export interface GroupLayout {
  /** Image rows of the task used by the groups (group image indices point into this list). */
  rows: number[];
  captions: string[];
  groups: WinogroundGroup[];
  kinds: string[];
}

/** Lay name groups out on a task: each class's first image, each class name through `caption`. Pure. */
export function layoutGroups(task: { classes: string[]; labels: number[] }, groups: NameGroup[], caption: (className: string) => string): GroupLayout {
  const firstImage = new Map<string, number>();
  task.labels.forEach((l, i) => {
    if (!firstImage.has(task.classes[l])) firstImage.set(task.classes[l], i);
  });
  const rows: number[] = [], captions: string[] = [], out: WinogroundGroup[] = [], kinds: string[] = [];
  const rowOf = new Map<string, number>(), textOf = new Map<string, number>();
  const image = (c: string) => rowOf.get(c) ?? (rowOf.set(c, rows.push(firstImage.get(c)!) - 1), rows.length - 1);
  const text = (c: string) => textOf.get(c) ?? (textOf.set(c, captions.push(caption(c)) - 1), captions.length - 1);
  for (const g of groups) {
    if (!firstImage.has(g.classes[0]) || !firstImage.has(g.classes[1])) continue;
    out.push({ images: [image(g.classes[0]), image(g.classes[1])], texts: [text(g.classes[0]), text(g.classes[1])] });
    kinds.push(g.kind);
  }
  return { rows, captions, groups: out, kinds };
}
