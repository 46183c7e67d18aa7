/**
 * A text-only capability score in which word identity alone scores chance: multiple-choice tasks built
 * from WordNet so that no candidate shares a word form with the query. A model with no language
 * knowledge (random vectors per word, or per text) then has no lexical overlap to exploit, and its
 * expected accuracy is exactly 1 / choices.
 *
 * - `gloss`: a definition with its headword removed, and the headword among single-word candidates
 *   ("feline mammal usually having thick soft fur" -> cat | violin | glacier | ...);
 * - `hypernym`: a single word and its WordNet hypernym among other hypernyms ("dog" -> canine | vehicle |
 *   ...), distractors never on the word's own hypernym chain.
 *
 * Each item is scored by cosine between the query's features and each candidate's (`cosineSimilarity`,
 * on TF.js like all evaluation: select a backend first); the answer is the nearest. The score is the mean accuracy of the two tasks, with a normal 95% interval.
 *
 * @example
 * ```ts
 * import { loadWordNet } from "../data/wordnet.ts";
 * import { languageEncoder } from "../encoders/registry.ts";
 * const wn = await loadWordNet();
 * const score = await capabilityScore(await languageEncoder("use-lite"), wn, { n: 500 });
 * console.log(score.accuracy, score.chance); // e.g. 0.55 0.2
 * ```
 */
import type { WordNet } from "../data/wordnet.ts";
import type { LanguageEncoder } from "../encoders/types.ts";
import { seededRandom, shuffle } from "../runtime/random.ts";
import { matrixFromRows } from "../core/matrix.ts";
import { cosineSimilarity } from "../eval/similarity.ts";

/** One multiple-choice item. */
export interface ChoiceItem {
  query: string;
  candidates: string[];
  /** Index of the right candidate. */
  answer: number;
}

/** Lower-case alphabetic tokens of a text. Pure. */
export function tokens(text: string): string[] {
  return text.toLowerCase().split(/[^a-z]+/).filter(Boolean);
}

/** A crude stem, so that plural and verb forms count as the same word (cats, cat; dances, danced, dance). Pure. */
export function stem(token: string): string {
  return token.replace(/(ies)$/, "y").replace(/(ing|ed|es|s)$/, "").replace(/e$/, "");
}

/** Whether two texts share a word form. Pure. */
export function shareWordForm(a: string, b: string): boolean {
  const sa = new Set(tokens(a).map(stem));
  return tokens(b).some((t) => sa.has(stem(t)));
}

const singleWord = (lemma: string) => /^[a-z]{3,}$/.test(lemma);

function pickDistractors(pool: string[], query: string, answer: string, avoid: Set<string>, k: number, rng: ReturnType<typeof seededRandom>): string[] | null {
  const out: string[] = [];
  for (let tries = 0; tries < 50 * k && out.length < k; tries++) {
    const c = pool[Math.floor(rng.next() * pool.length)];
    if (c === answer || avoid.has(c) || out.includes(c) || shareWordForm(query, c) || shareWordForm(answer, c) || out.some((o) => shareWordForm(o, c))) continue;
    out.push(c);
  }
  return out.length === k ? out : null;
}

function place(answer: string, distractors: string[], rng: ReturnType<typeof seededRandom>): { candidates: string[]; answer: number } {
  const at = Math.floor(rng.next() * (distractors.length + 1));
  const candidates = [...distractors];
  candidates.splice(at, 0, answer);
  return { candidates, answer: at };
}

/** Gloss items: a definition without its headword, the headword among single-word candidates. Pure given WordNet. */
export function glossChoiceItems(wn: WordNet, opts: { n?: number; choices?: number; seed?: number } = {}): ChoiceItem[] {
  const n = opts.n ?? 500, k = (opts.choices ?? 5) - 1, rng = seededRandom(`gloss-${opts.seed ?? 0}`);
  const entries = [...wn.entries()].filter(([lemma]) => singleWord(lemma));
  const pool = entries.map(([lemma]) => lemma);
  const items: ChoiceItem[] = [];
  for (const [lemma, g] of shuffle(entries, rng)) {
    if (items.length >= n) break;
    const query = tokens(g.definition).filter((t) => stem(t) !== stem(lemma)).join(" ");
    if (tokens(query).length < 4 || shareWordForm(query, lemma)) continue;
    const distractors = pickDistractors(pool, query, lemma, new Set(), k, rng);
    if (distractors) items.push({ query, ...place(lemma, distractors, rng) });
  }
  return items;
}

/** Hypernym items: a word, its hypernym among other hypernyms off its own chain. Pure given WordNet. */
export function hypernymChoiceItems(wn: WordNet, opts: { n?: number; choices?: number; seed?: number } = {}): ChoiceItem[] {
  const n = opts.n ?? 500, k = (opts.choices ?? 5) - 1, rng = seededRandom(`hypernym-${opts.seed ?? 0}`);
  const withParent = [...wn.entries()].filter(([lemma, g]) => singleWord(lemma) && g.hypernym && singleWord(g.hypernym));
  const pool = [...new Set(withParent.map(([, g]) => g.hypernym!))];
  const chain = (lemma: string) => {
    const seen = new Set<string>();
    for (let g = wn.describe(lemma); g?.hypernym && !seen.has(g.hypernym) && seen.size < 30; g = wn.describe(g.hypernym)) seen.add(g.hypernym);
    return seen;
  };
  const items: ChoiceItem[] = [];
  for (const [lemma, g] of shuffle(withParent, rng)) {
    if (items.length >= n) break;
    if (shareWordForm(lemma, g.hypernym!)) continue;
    const distractors = pickDistractors(pool, lemma, g.hypernym!, chain(lemma), k, rng);
    if (distractors) items.push({ query: lemma, ...place(g.hypernym!, distractors, rng) });
  }
  return items;
}

/** Accuracy with a normal 95% interval. */
export interface ChoiceScore {
  accuracy: number;
  low: number;
  high: number;
  n: number;
  chance: number;
}

/** Score multiple-choice items with an encoder: each query's nearest candidate by cosine. */
export async function choiceAccuracy(enc: LanguageEncoder, items: ChoiceItem[]): Promise<ChoiceScore> {
  if (!items.length) throw new Error("choiceAccuracy: no items");
  const queries = [...new Set(items.map((it) => it.query))];
  const candidates = [...new Set(items.flatMap((it) => it.candidates))];
  const embed = async (texts: string[]) => matrixFromRows(await enc.embed(texts), enc.identity.dim);
  const sim = cosineSimilarity(await embed(queries), await embed(candidates));
  const qi = new Map(queries.map((t, i) => [t, i])), ci = new Map(candidates.map((t, i) => [t, i]));
  let right = 0;
  for (const it of items) {
    const row = qi.get(it.query)! * candidates.length;
    let best = 0, bestSim = -Infinity;
    it.candidates.forEach((c, i) => {
      const s = sim[row + ci.get(c)!];
      if (s > bestSim) [best, bestSim] = [i, s];
    });
    if (best === it.answer) right++;
  }
  const acc = right / items.length, se = Math.sqrt(Math.max(acc * (1 - acc), 1e-9) / items.length);
  return { accuracy: acc, low: acc - 1.96 * se, high: acc + 1.96 * se, n: items.length, chance: 1 / items[0].candidates.length };
}

/** Both tasks and their mean: the language capability of an encoder, with no vision involved. */
export async function capabilityScore(enc: LanguageEncoder, wn: WordNet, opts: { n?: number; choices?: number; seed?: number } = {}) {
  const gloss = await choiceAccuracy(enc, glossChoiceItems(wn, opts));
  const hypernym = await choiceAccuracy(enc, hypernymChoiceItems(wn, opts));
  const accuracy = (gloss.accuracy + hypernym.accuracy) / 2;
  const se = Math.sqrt(((gloss.high - gloss.accuracy) / 1.96) ** 2 + ((hypernym.high - hypernym.accuracy) / 1.96) ** 2) / 2;
  return { accuracy, low: accuracy - 1.96 * se, high: accuracy + 1.96 * se, chance: gloss.chance, gloss, hypernym };
}
