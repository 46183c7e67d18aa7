/**
 * Class representations, the texts a class is known by: its name through templates, and an
 * encyclopedic description split into sentences (WordNet glosses here; Wikipedia where a user has it).
 *
 * @example
 * ```ts
 * import { loadWordNet } from "./wordnet.ts";
 * import { DRAWING_TEMPLATES } from "./templates.ts";
 * const wn = await loadWordNet();
 * const reps = classRepresentations(["tabby cat", "sandal"], { templates: DRAWING_TEMPLATES, wordnet: wn });
 * reps.templates["sandal"];     // ["a drawing of a sandal.", ...]
 * reps.descriptions["sandal"];  // ["A sandal is a shoe consisting of a sole fastened by straps ...", ...]
 * ```
 */
import { fillTemplates, splitSentences } from "./templates.ts";
import type { WordNet } from "./wordnet.ts";

/** Texts per class, by representation kind. */
export interface ClassRepresentations {
  /** Class name filled into each template. */
  templates: Record<string, string[]>;
  /** Description sentences (empty list where none was found). */
  descriptions: Record<string, string[]>;
  /** Classes without a description. */
  undescribed: string[];
}

/** Turn a gloss into standalone sentences: "A <name> is <definition>." plus its usage examples. Pure. */
export function glossSentences(className: string, definition: string, examples: string[]): string[] {
  const article = /^[aeiou]/i.test(className) ? "An" : "A";
  const def = definition.replace(/\s*\(.*?\)\s*/g, " ").replace(/\s+/g, " ").trim().replace(/[.;:,]$/, "");
  return [`${article} ${className} is ${/^(a|an|the|any|one|someone|something) /i.test(def) ? "" : "a "}${def}.`, ...examples.flatMap(splitSentences)];
}

/** Build the representations of `classes`. */
export function classRepresentations(
  classes: readonly string[],
  opts: { templates: readonly string[]; wordnet?: WordNet },
): ClassRepresentations {
  const templates: Record<string, string[]> = {}, descriptions: Record<string, string[]> = {};
  const undescribed: string[] = [];
  for (const c of classes) {
    templates[c] = fillTemplates(c, opts.templates);
    const g = opts.wordnet?.describe(c);
    descriptions[c] = g ? glossSentences(c, g.definition, g.examples) : [];
    if (!g) undescribed.push(c);
  }
  return { templates, descriptions, undescribed };
}
