/**
 * The same emoji classes named in other languages: Unicode CLDR names as shipped by npm
 * `emojibase-data` (en, zh, ja, it, and more), with short template sets per language. The paper's
 * multilingual ImageNet uses 80 Chinese, 37 Japanese and 49 Italian templates with translated class
 * names; these are the drawing-style analogues for the embedded default.
 *
 * @example
 * ```ts
 * import type { Dataset } from "./items.ts";
 * declare const ds: Dataset;
 * const names = await emojiNamesIn("it");                 // Map: normalised code point -> "faccina con un gran sorriso"
 * const t = translateClasses(ds.items, names);            // { names: [...per class], missing: [...] }
 * ```
 */
import { join } from "node:path";
import { ensureNpmAsset, NPM_ASSETS } from "./assets.ts";
import type { Item } from "./items.ts";

/** Languages of the paper's multilingual table. */
export type Language = "en" | "zh" | "ja" | "it";

/** Drawing-style templates per language (`{}` = class name). */
export const MULTILINGUAL_TEMPLATES: Record<Language, readonly string[]> = {
  en: ["a drawing of a {}.", "a cartoon {}.", "an icon of a {}.", "a sketch of a {}.", "a photo of a {}."],
  zh: ["{}的图画。", "{}的卡通图。", "{}的图标。", "{}的草图。", "一张{}的照片。"],
  ja: ["{}の絵。", "{}のイラスト。", "{}のアイコン。", "{}のスケッチ。", "{}の写真。"],
  it: ["un disegno di {}.", "un cartone animato di {}.", "un'icona di {}.", "uno schizzo di {}.", "una foto di {}."],
};

/** Normalised code-point key: upper case, without variation selectors. Pure. */
export function codeKey(hex: string): string {
  return hex.toUpperCase().split("-").filter((p) => p !== "FE0F").join("-");
}

/** Emoji names in one language from `emojibase-data`, by code-point key. */
export async function emojiNamesIn(lang: string, packageDir?: string): Promise<Map<string, string>> {
  const dir = packageDir ?? await ensureNpmAsset(NPM_ASSETS.emojibase);
  let rows: { hexcode: string; label: string }[];
  try {
    rows = JSON.parse(await Deno.readTextFile(join(dir, lang, "data.json")));
  } catch {
    throw new Error(`no emoji names for language "${lang}" in ${NPM_ASSETS.emojibase.name}@${NPM_ASSETS.emojibase.version} (${join(dir, lang)})`);
  }
  return new Map(rows.map((r) => [codeKey(r.hexcode), r.label]));
}

/**
 * Class names of emoji items in another language, by class id. Classes with no translation keep no
 * name and are listed in `missing` (say so in tables; never fall back to English silently).
 */
export function translateClasses(items: Item[], names: Map<string, string>): { names: (string | null)[]; missing: string[] } {
  const out: (string | null)[] = [];
  for (const it of items) {
    if (out[it.class_id] !== undefined) continue;
    const code = it.item_id.split("/").pop() ?? "";
    out[it.class_id] = names.get(codeKey(code)) ?? null;
  }
  const missing = items.filter((it, i, all) => all.findIndex((x) => x.class_id === it.class_id) === i && out[it.class_id] === null)
    .map((it) => it.class_name);
  return { names: out, missing };
}
