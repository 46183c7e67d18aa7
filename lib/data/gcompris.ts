/**
 * GCompris's pictures of everyday words (Debian `gcompris-qt-data`, GPL-3+; the pictures are the
 * educational suite's own artwork): the word pictures of its vocabulary activity ("lang",
 * `words_sample`), one picture per word, grouped in lessons (colours, numbers, animals, the body,
 * family, fruit, ...). Class = the English word, group = the lesson. No caption: the set is an external
 * zero-shot test that no notebook trains or tunes on, from a source no other dataset here uses.
 *
 * The pictures live inside a compiled Qt resource file (`lang.rcc`, read by `qt_rcc.ts`); they are
 * written out once into the cache as WebP files (atomically, a folder renamed into place).
 *
 * @example
 * ```ts
 * const words = await loadGComprisWords();
 * words.items.length;                      // one picture per word
 * words.items[0].class_name;               // e.g. "blue"
 * ```
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { debVersion, ensureDebAsset } from "./assets.ts";
import { classIndex, type Dataset, type Item } from "./items.ts";
import { readQtResources } from "./qt_rcc.ts";

/** Where the word lessons are inside `lang.rcc`. */
const LESSONS = "/gcompris/src/activities/lang/resource/words_sample.json";
const IMAGES = "/gcompris/src/activities/lang/resource/words_sample/";

/** One word picture of a lesson file. */
export interface WordPicture {
  word: string;
  /** File name inside the lesson's picture folder. */
  image: string;
  lesson: string;
}

/**
 * The word pictures a GCompris lesson file lists (chapters > lessons > words with `description` and
 * `image`). Words are lower-cased and trimmed; a word listed twice keeps its first picture. Pure.
 */
export function parseWordLessons(json: string, label = "words_sample.json"): WordPicture[] {
  // deno-lint-ignore no-explicit-any
  let chapters: any;
  try {
    chapters = JSON.parse(json);
  } catch (err) {
    throw new Error(`${label}: not JSON (${(err as Error).message})`);
  }
  if (!Array.isArray(chapters)) throw new Error(`${label}: expected a list of chapters`);
  const out: WordPicture[] = [], seen = new Set<string>();
  for (const chapter of chapters) {
    for (const lesson of chapter?.content ?? []) {
      for (const w of lesson?.content ?? []) {
        const word = String(w?.description ?? "").trim().toLowerCase(), image = String(w?.image ?? "");
        if (!word || !image) throw new Error(`${label}: lesson "${lesson?.name}" has a word without description or image`);
        if (seen.has(word)) continue;
        seen.add(word);
        out.push({ word, image, lesson: String(lesson.name ?? chapter?.name ?? "") });
      }
    }
  }
  if (!out.length) throw new Error(`${label}: no word pictures`);
  return out;
}

/** Load the word pictures (fetches and unpacks the Debian package into the cache the first time). */
export async function loadGComprisWords(root?: string): Promise<Dataset> {
  const base = root ?? await ensureDebAsset("gcompris-qt-data", undefined, { as: "gcompris-lang", keep: ["usr/share/gcompris-qt/rcc/lang.rcc"] });
  const rcc = join(base, "usr", "share", "gcompris-qt", "rcc", "lang.rcc");
  if (!existsSync(rcc)) throw new Error(`GCompris vocabulary pictures not found at ${rcc}. Install or unpack the Debian package gcompris-qt-data.`);
  const version = `gcompris-qt-data ${debVersion(base)}`;
  const files = readQtResources(await Deno.readFile(rcc), rcc);
  const lessons = files.get(LESSONS);
  if (!lessons) throw new Error(`${rcc}: no ${LESSONS}`);
  const words = parseWordLessons(new TextDecoder().decode(lessons), `${rcc}:${LESSONS}`);
  const dir = join(base, "words");
  if (!existsSync(dir)) {
    const tmp = `${dir}.tmp-${crypto.randomUUID()}`;
    await Deno.mkdir(tmp, { recursive: true });
    for (const w of words) {
      const bytes = files.get(IMAGES + w.image);
      if (!bytes) throw new Error(`${rcc}: the picture ${IMAGES + w.image} of "${w.word}" is missing`);
      await Deno.writeFile(join(tmp, w.image), bytes);
    }
    await Deno.rename(tmp, dir).catch(async (err) => {
      await Deno.remove(tmp, { recursive: true });
      if (!existsSync(dir)) throw err; // else another process wrote it first
    });
  }
  const ids = classIndex(words.map((w) => w.word));
  const items: Item[] = words.map((w) => ({
    item_id: `gcompris/${w.image.replace(/\.[^.]+$/, "")}`,
    image_path: join(dir, w.image),
    class_id: ids.get(w.word)!,
    class_name: w.word,
    caption: null,
    group: w.lesson,
    split: "test",
    source: "gcompris",
  }));
  const classes: string[] = [];
  for (const it of items) classes[it.class_id] = it.class_name;
  return { name: "gcompris-words", version, items, classes };
}
