/**
 * Concept leakage: how much of a zero-shot test class's name the training text already names. The
 * paper's strict protocol rests on it (disjoint training and test concepts): a frozen language model
 * knows concepts the image-text pairs never mention, a text tower trained on those pairs does not. Each
 * test class gets a stratum by the content words of its name:
 * - `all`: every content word occurs in the training text (the class is named, in its words);
 * - `some`: some do;
 * - `none`: none does (leak-free: the claim of the paper lives here).
 *
 * Words are tokenised as the word-level text encoders and the LiT-style tower tokenise them
 * (`wordTokens`: lower case, letters and digits), function words are left out, and a word matches its
 * plural and possessive forms ("berry" / "berries", "leaf" / "leaves", "dog" / "dog's", "child" /
 * "children"). Verb forms are not folded ("run" and "running" are two words).
 *
 * @example
 * ```ts
 * import { leakageAudit } from "./leakage.ts";
 * const audit = leakageAudit(["red apple", "sea turtle", "kiwi"], ["two red apples on a table", "a turtle"]);
 * audit.map((a) => a.stratum);   // ["all", "some", "none"]
 * ```
 */
import { wordTokens } from "../encoders/text/word_vectors.ts";
import type { ClassificationMetrics } from "./metrics.ts";

/** How much of a class's name the training text names. */
export type LeakageStratum = "all" | "some" | "none";

/** Every stratum, from most leaked to leak-free. */
export const LEAKAGE_STRATA: readonly LeakageStratum[] = ["all", "some", "none"];

/** Function words that name no concept (left out of a class name's words). */
export const FUNCTION_WORDS: ReadonlySet<string> = new Set(
  ("a an the of with and or in on at to for from by as is are be it its this that these those his her their " +
    "my your our into onto over under up down out off no not without one's").split(" "),
);

const IRREGULAR: Record<string, string> = {
  men: "man", women: "woman", children: "child", feet: "foot", teeth: "tooth", mice: "mouse", geese: "goose",
  people: "person", oxen: "ox", lice: "louse", dice: "die",
};

/**
 * The forms a word token may stand for: itself, without a possessive "'s", and its singular under
 * English plural rules (several candidates where the rule is ambiguous: "leaves" -> leaf, leave). Pure.
 */
export function lemmaForms(token: string): string[] {
  const t = token.toLowerCase().replace(/'s$/, "");
  const forms = new Set([t]);
  if (IRREGULAR[t]) forms.add(IRREGULAR[t]);
  if (t.length > 4 && t.endsWith("ies")) forms.add(`${t.slice(0, -3)}y`);
  if (t.length > 4 && t.endsWith("ves")) (forms.add(`${t.slice(0, -3)}f`), forms.add(`${t.slice(0, -3)}fe`));
  if (t.length > 3 && t.endsWith("es")) forms.add(t.slice(0, -2));
  if (t.length > 3 && t.endsWith("s") && !t.endsWith("ss")) forms.add(t.slice(0, -1));
  return [...forms];
}

/** The content words of a text: its word tokens less function words, possessives dropped, in order. Pure. */
export function contentWords(text: string): string[] {
  return wordTokens(text).map((w) => w.replace(/'s$/, "")).filter((w) => w && !FUNCTION_WORDS.has(w));
}

/** The words a training text names, every lemma form included. */
export interface TrainingVocabulary {
  /** True when some form of `word` occurs in the training text. */
  names(word: string): boolean;
  /** Distinct forms held. */
  size: number;
}

/** The vocabulary of a training corpus (every token with its lemma forms). Pure. */
export function trainingVocabulary(texts: Iterable<string>): TrainingVocabulary {
  const forms = new Set<string>();
  for (const text of texts) for (const w of wordTokens(text)) for (const f of lemmaForms(w)) forms.add(f);
  return { names: (word) => lemmaForms(word).some((f) => forms.has(f)), size: forms.size };
}

/** The audit of one class name. */
export interface ClassLeakage {
  className: string;
  /** Content words of the name. */
  words: string[];
  /** Those the training text names. */
  seenWords: string[];
  /** `none` also for a name with no content word. */
  stratum: LeakageStratum;
}

/** Audit one class name against a training vocabulary. Pure. */
export function classLeakage(className: string, vocab: TrainingVocabulary): ClassLeakage {
  const words = [...new Set(contentWords(className))];
  const seenWords = words.filter((w) => vocab.names(w));
  const stratum: LeakageStratum = !seenWords.length ? "none" : seenWords.length === words.length ? "all" : "some";
  return { className, words, seenWords, stratum };
}

/** Audit every class name of a test against the text a model was trained on. Pure. */
export function leakageAudit(classes: readonly string[], trainingTexts: Iterable<string>): ClassLeakage[] {
  const vocab = trainingVocabulary(trainingTexts);
  return classes.map((c) => classLeakage(c, vocab));
}

/**
 * A predicate that says whether a text names any content word of `classes` (any lemma form): the
 * filter of a strict corpus, which drops every training caption that names an unseen class. Pure.
 */
export function namesAnyClass(classes: readonly string[]): (text: string) => boolean {
  const vocab = trainingVocabulary(classes.flatMap(contentWords));
  return (text) => contentWords(text).some((w) => vocab.names(w));
}

/** Accuracy on the test items of the classes of one stratum. */
export interface StratumMetrics {
  stratum: LeakageStratum;
  /** Classes of the stratum that have test items. */
  classes: number;
  images: number;
  /** Share of the stratum's items classified right (among ALL the test's classes). NaN when it has none. */
  top1: number;
  /** Share whose class is among the k best. */
  topk: number;
  k: number;
  /** Mean over the stratum's classes of their recall (average per-class accuracy). NaN when it has none. */
  meanPerClassRecall: number;
}

/**
 * Split a test's metrics by leakage stratum: each item counts in its class's stratum, and is still
 * classified among all the test's classes (the stratum only selects which items are scored). `labels`
 * are the test's labels, `audit[c]` the audit of class c. Pure.
 */
export function metricsByStratum(m: ClassificationMetrics, labels: ArrayLike<number>, audit: readonly ClassLeakage[]): StratumMetrics[] {
  if (audit.length !== m.perClassRecall.length) {
    throw new Error(`leakage audit: ${audit.length} classes audited, the metrics have ${m.perClassRecall.length}`);
  }
  const count = new Array(audit.length).fill(0);
  for (let i = 0; i < labels.length; i++) count[labels[i]]++;
  return LEAKAGE_STRATA.map((stratum) => {
    let images = 0, hit1 = 0, hitK = 0, classes = 0, recall = 0;
    audit.forEach((a, c) => {
      if (a.stratum !== stratum || !count[c]) return;
      classes++;
      images += count[c];
      hit1 += m.perClassRecall[c] * count[c];
      hitK += m.perClassTopk[c] * count[c];
      recall += m.perClassRecall[c];
    });
    return {
      stratum, classes, images, k: m.k,
      top1: images ? hit1 / images : NaN, topk: images ? hitK / images : NaN, meanPerClassRecall: classes ? recall / classes : NaN,
    };
  });
}

/** Classes and their share per stratum, for a table. Pure. */
export function leakageCounts(audit: readonly ClassLeakage[]): Record<LeakageStratum, number> {
  const out: Record<LeakageStratum, number> = { all: 0, some: 0, none: 0 };
  for (const a of audit) out[a.stratum]++;
  return out;
}
