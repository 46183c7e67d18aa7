/**
 * Multilingual zero-shot tests (Table 3): the same held-out classes named in English, Chinese, Japanese
 * and Italian (Unicode CLDR emoji names from `emojibase-data`), and held-out Tux Paint captions in the
 * translations Tux Paint ships. Only classes (captions) present in EVERY language are kept, so that the
 * languages are compared on the same images.
 *
 * @example
 * ```ts
 * import { promptsFor, type ZeroShotTask } from "./caption_corpus.ts";
 * import { type CaptionModel } from "./caption_model.ts";
 * import { zeroShotEval } from "./caption_eval.ts";
 * import { MULTILINGUAL_TEMPLATES } from "../data/multilingual.ts";
 * declare const tasks: ZeroShotTask[], model: CaptionModel;
 * const ml = await multilingualEmojiTask(tasks[0], ["en", "zh", "ja", "it"]);
 * await zeroShotEval(model, ml.task, promptsFor(ml.names.zh, MULTILINGUAL_TEMPLATES.zh));
 * ```
 */
import { codeKey, emojiNamesIn, type Language } from "../data/multilingual.ts";
import { dataset as loadDataset } from "../data/registry.ts";
import { selectRows } from "../core/matrix.ts";
import type { RetrievalRecall } from "../eval/retrieval.ts";
import { retrieve } from "../eval/evaluate.ts";
import type { CaptionCorpus, ZeroShotTask } from "./caption_corpus.ts";
import type { CaptionModel } from "./caption_model.ts";
import { captionMethod } from "./caption_eval.ts";

/** An emoji task restricted to classes named in every language, with the names per language. */
export interface MultilingualTask {
  task: ZeroShotTask;
  /** Class names per language, aligned with `task.classes`. */
  names: Record<string, string[]>;
  /** Classes left out because some language has no name for them. */
  dropped: string[];
}

/** Restrict an emoji task to classes that every language names; `task.classes` stay the English names. */
export async function multilingualEmojiTask(task: ZeroShotTask, langs: Language[], packageDir?: string): Promise<MultilingualTask> {
  const maps = await Promise.all(langs.map((l) => emojiNamesIn(l, packageDir)));
  const codeOf = new Map<string, string>();
  for (const it of task.items) codeOf.set(it.class_name, codeKey(it.item_id.split("/").pop() ?? ""));
  const keep: string[] = [], dropped: string[] = [];
  for (const c of task.classes) (maps.every((m) => m.has(codeOf.get(c) ?? "")) ? keep : dropped).push(c);
  if (!keep.length) throw new Error(`multilingual: no class of ${task.name} has a name in all of ${langs.join(", ")}`);
  const index = new Map(keep.map((c, i) => [c, i]));
  const rows = task.labels.map((l, i) => (index.has(task.classes[l]) ? i : -1)).filter((i) => i >= 0);
  const names = Object.fromEntries(langs.map((l, k) => [l, keep.map((c) => maps[k].get(codeOf.get(c)!)!)]));
  return {
    task: {
      ...task,
      name: `${task.name}, named in ${langs.join("/")}`,
      items: rows.map((i) => task.items[i]),
      images: selectRows(task.images, rows),
      classes: keep,
      labels: rows.map((i) => index.get(task.classes[task.labels[i]])!),
    },
    names,
    dropped,
  };
}

/** Tux Paint's translation folders for the paper's languages. */
export const TUXPAINT_LANG: Record<Language, string> = { en: "en", zh: "zh_CN", ja: "ja", it: "it" };

/** Held-out Tux Paint pairs that have a caption in every language: image rows of the corpus' retrieval part and captions per language. */
export async function translatedCaptions(corpus: CaptionCorpus, langs: Language[]): Promise<{ rows: number[]; captions: Record<string, string[]> }> {
  const ds = await loadDataset("tuxpaint");
  const rows: number[] = [], captions: Record<string, string[]> = Object.fromEntries(langs.map((l) => [l, []]));
  corpus.retrieval.items.forEach((it, i) => {
    if (it.source !== "tuxpaint") return;
    const texts = langs.map((l) => (l === "en" ? it.caption : ds.classTexts?.[`caption:${TUXPAINT_LANG[l]}`]?.[it.item_id]?.[0]) ?? null);
    if (texts.some((t) => !t?.trim())) return;
    rows.push(i);
    langs.forEach((l, k) => captions[l].push(texts[k]!));
  });
  return { rows, captions };
}

/** Retrieval between held-out images and their captions in one language (recall@1/5/10). */
export async function captionRetrievalIn(model: CaptionModel, corpus: CaptionCorpus, rows: number[], captions: string[]): Promise<RetrievalRecall> {
  return await retrieve(captionMethod(model), {
    name: "held-out captions",
    images: selectRows(corpus.retrieval.images, rows),
    texts: captions,
    textImage: captions.map((_, i) => i),
  });
}
