/**
 * A language-capability score that needs no vision: WordNet gloss matching. For n noun senses (seeded),
 * embed each word and each definition, and count how often a definition's nearest word is its own
 * (top-1 among n; chance 1/n). It plays the role MMLU-Pro plays in the paper's Figure 1 for encoders
 * that have no MMLU-Pro score.
 *
 * @example
 * ```ts
 * import { languageEncoder } from "../encoders/registry.ts";
 * import { loadWordNet } from "../data/wordnet.ts";
 * const s = await glossMatchingScore(await languageEncoder("use-lite"), await loadWordNet(), { n: 1000 });
 * s.accuracy;  // e.g. 0.3
 * ```
 */
import type { WordNet } from "../data/wordnet.ts";
import type { LanguageEncoder } from "../encoders/types.ts";
import { textFeatures } from "../features.ts";
import { classificationMetrics } from "../eval/metrics.ts";
import { normalizeRows, similarity } from "../eval/similarity.ts";
import { seededRandom, shuffle } from "../runtime/random.ts";

/** The sampled (word, definition) pairs. Pure given the WordNet. */
export function glossPairs(wordnet: WordNet, n: number, seed = 0): { words: string[]; definitions: string[] } {
  const all = [...wordnet.entries()].filter(([lemma, g]) => /^[a-z][a-z_]*$/.test(lemma) && g.definition.split(" ").length >= 3);
  const picked = shuffle(all, seededRandom(seed)).slice(0, n);
  return { words: picked.map(([l]) => l.replaceAll("_", " ")), definitions: picked.map(([, g]) => g.definition) };
}

/** Top-1 accuracy of matching definitions to their words. */
export async function glossMatchingScore(enc: LanguageEncoder, wordnet: WordNet, opts: { n?: number; seed?: number } = {}) {
  const n = opts.n ?? 1000;
  const { words, definitions } = glossPairs(wordnet, n, opts.seed ?? 0);
  const w = normalizeRows(await textFeatures(words, enc, { progress: false }));
  const d = normalizeRows(await textFeatures(definitions, enc, { progress: false }));
  const m = classificationMetrics(similarity(d, w), words.length, words.map((_, i) => i));
  return { accuracy: m.top1, topk: m.topk, n: words.length, chance: 1 / words.length };
}
