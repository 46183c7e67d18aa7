/**
 * The control: a text encoder with no language knowledge. Each word (or each whole text) gets a fixed
 * random Gaussian vector derived from a seed and the word; a text is the mean of its words' vectors.
 * A projection can memorise seen classes' words but cannot generalise to unseen classes' new words.
 *
 * @example
 * ```ts
 * const rnd = randomTextEncoder({ dim: 512, seed: 0 });
 * const [a, b] = await rnd.embed(["red apple", "red apple"]);   // identical
 * ```
 */
import { hashSeed, seededRandom } from "../../runtime/random.ts";
import { checkEmbeddings, type EncoderIdentity, type LanguageEncoder } from "../types.ts";
import { wordTokens } from "./word_vectors.ts";

/** Options of {@link randomTextEncoder}. */
export interface RandomTextOptions {
  dim?: number;
  seed?: number;
  /** `word`: mean of per-word random vectors (default); `text`: one random vector per distinct text. */
  unit?: "word" | "text";
}

/** A seeded random text encoder. */
export function randomTextEncoder(opts: RandomTextOptions = {}): LanguageEncoder {
  const dim = opts.dim ?? 512, seed = opts.seed ?? 0, unit = opts.unit ?? "word";
  const vectorOf = (key: string) => {
    const rng = seededRandom(hashSeed(`${seed}\u0000${key}`));
    return Float32Array.from({ length: dim }, () => rng.normal() / Math.sqrt(dim));
  };
  const identity: EncoderIdentity = {
    kind: "text",
    name: `random-${unit}`,
    model: "seeded Gaussian vectors",
    version: "1",
    pooling: unit === "word" ? "mean over words" : "one vector per text",
    dtype: "fp32",
    preprocessing: unit === "word" ? "lower case, alphanumeric word tokens" : "exact text",
    dim,
    extra: { seed },
  };
  return {
    identity,
    embed(texts: string[]) {
      const out = texts.map((t) => {
        if (unit === "text") return vectorOf(t);
        const words = wordTokens(t);
        const v = new Float32Array(dim);
        for (const w of words) {
          const x = vectorOf(w);
          for (let k = 0; k < dim; k++) v[k] += x[k] / words.length;
        }
        return v;
      });
      checkEmbeddings(identity, texts, out);
      return Promise.resolve(out);
    },
    dispose() {},
  };
}
