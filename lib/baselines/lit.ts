/**
 * LiT-style baseline: the image tower frozen, the text tower TRAINED FROM SCRATCH (no pretrained
 * language model). The tower here is the simplest trainable one: a bag-of-words vector over the training
 * texts' vocabulary, mapped by the same projection and loss as ShareLock. It learns word meanings only
 * from the image-text pairs it sees, so words that never occur in training carry nothing: the contrast
 * with a pretrained language encoder is the paper's point.
 *
 * @example
 * ```ts
 * import { textFeatures } from "../features.ts";
 * const trainingTexts = ["a red apple.", "a green pear."], texts = ["a red pear."];
 * const bow = bagOfWordsEncoder(trainingTexts, { maxVocab: 4000 });
 * const feats = await textFeatures(texts, bow);   // then trainProjection as usual
 * bow.oovRate!();                                  // share of word tokens outside the training vocabulary
 * ```
 */
import type { EncoderIdentity, LanguageEncoder } from "../encoders/types.ts";
import { languageEncoder } from "../encoders/registry.ts";
import { wordTokens } from "../encoders/text/word_vectors.ts";
import { hashSeed } from "../runtime/random.ts";

/** The name that selects the LiT-style tower wherever a language encoder name is expected. */
export const LIT_BAG_OF_WORDS = "lit-bag-of-words";

/** True for the from-scratch LiT-style tower (built from training texts, not loaded from the registry). Pure. */
export function isFromScratchTower(text: string): text is typeof LIT_BAG_OF_WORDS {
  return text === LIT_BAG_OF_WORDS;
}

/** How result rows name the method of a text tower: "LiT-style" or "ShareLock". Pure. */
export function methodLabel(text: string): "LiT-style" | "ShareLock" {
  return isFromScratchTower(text) ? "LiT-style" : "ShareLock";
}

/**
 * The text tower a run trains a projection on: the LiT-style bag of words over `trainingTexts` for
 * {@link LIT_BAG_OF_WORDS}, else the registry's (pretrained, frozen) language encoder.
 */
export async function textTower(text: string, trainingTexts: string[]): Promise<LanguageEncoder> {
  return isFromScratchTower(text) ? bagOfWordsEncoder(trainingTexts) : await languageEncoder(text);
}

/** Options of {@link bagOfWordsEncoder}. */
export interface BagOfWordsOptions {
  /** Keep the most frequent words (default 4,000). */
  maxVocab?: number;
  /** Words seen fewer times are dropped (default 1). */
  minCount?: number;
}

/** A bag-of-words "text tower input" built from the training texts (L2-normalised counts). */
export function bagOfWordsEncoder(trainingTexts: string[], opts: BagOfWordsOptions = {}): LanguageEncoder {
  const counts = new Map<string, number>();
  for (const t of trainingTexts) for (const w of wordTokens(t)) counts.set(w, (counts.get(w) ?? 0) + 1);
  const vocab = [...counts].filter(([, c]) => c >= (opts.minCount ?? 1)).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, opts.maxVocab ?? 4000).map(([w]) => w);
  if (!vocab.length) throw new Error("bagOfWordsEncoder: the training texts contain no words");
  const index = new Map(vocab.map((w, i) => [w, i]));
  let tokens = 0, missing = 0;
  const identity: EncoderIdentity = {
    kind: "text",
    name: LIT_BAG_OF_WORDS,
    model: "bag of words over the training texts (trained from scratch by the projection)",
    version: `vocab ${vocab.length}, hash ${hashSeed(vocab.join("\u0000")).toString(16)}`,
    pooling: "L2-normalised word counts",
    dtype: "fp32",
    preprocessing: "lower case, alphanumeric word tokens",
    dim: vocab.length,
  };
  return {
    identity,
    embed(texts: string[]) {
      return Promise.resolve(texts.map((t) => {
        const v = new Float32Array(vocab.length);
        for (const w of wordTokens(t)) {
          tokens++;
          const i = index.get(w);
          if (i === undefined) missing++;
          else v[i]++;
        }
        const n = Math.hypot(...v);
        if (n > 0) for (let k = 0; k < v.length; k++) v[k] /= n;
        return v;
      }));
    },
    oovRate: () => (tokens ? missing / tokens : 0),
    ephemeral: true,
    dispose() {},
  };
}
