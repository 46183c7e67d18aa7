/**
 * Skip-gram word vectors with negative sampling (Mikolov et al. 2013), written as one plain loop over
 * Float32Arrays: seeded and deterministic (one random stream, fixed visiting order), with subsampling
 * of frequent words, a randomly shrunk window, negatives drawn from the unigram distribution to the
 * 3/4 power, and a learning rate that decays linearly to zero over the planned work.
 *
 * @example
 * ```ts
 * const r = trainSkipGram(["the cat sat on the mat", "a dog sat on a log"], { dim: 8, minCount: 1 });
 * r.table.words;   // vocabulary, most frequent first
 * r.losses;        // mean loss per pair, in training order (decreasing)
 * ```
 */
import { seededRandom } from "../../runtime/random.ts";
import { type WordTable, wordTokens } from "./word_vectors.ts";

/** Every setting that changes the trained vectors. */
export interface SkipGramConfig {
  /** Vector dimension. */
  dim: number;
  /** Largest distance between a centre word and a context word (shrunk at random per position). */
  window: number;
  /** Negative samples per positive pair. */
  negatives: number;
  /** Passes over the corpus. */
  epochs: number;
  /** Words seen fewer times are dropped from the vocabulary. */
  minCount: number;
  /** Subsampling threshold t: a word of frequency f is kept with probability (sqrt(f/t) + 1) t / f. 0 = off. */
  sample: number;
  /** Starting learning rate (decays linearly to lr * 1e-4). */
  lr: number;
  /** Seed of the one random stream (initialisation, subsampling, windows, negatives). */
  seed: number;
  /**
   * Dictionary corpora: the first token of each document is its headword, and the headword and every
   * word of its document are also trained as (context, centre) pairs both ways, beyond the window
   * (the "strong pairs" of dict2vec, Tissier et al. 2017).
   */
  headwordPairs: boolean;
  /** Which trained vectors make the word table: the input vectors, or input + output (as GloVe sums its two). */
  vectors: "input" | "input+output";
}

/** The settings used unless given (word2vec's defaults, one epoch). */
export const SKIPGRAM_DEFAULTS: Omit<SkipGramConfig, "dim"> = {
  window: 5,
  negatives: 5,
  epochs: 1,
  minCount: 3,
  sample: 1e-4,
  lr: 0.025,
  seed: 0,
  headwordPairs: false,
  vectors: "input",
};

/** What training produced. */
export interface SkipGramResult {
  /** The input vectors, one row per vocabulary word (most frequent first). */
  table: WordTable;
  /** Mean loss per (centre, context) pair over consecutive stretches of training, in order. */
  losses: number[];
  /** In-vocabulary tokens in the corpus (before subsampling). */
  tokens: number;
  /** Positive pairs trained on, over all epochs. */
  pairs: number;
}

/** Vocabulary of tokenised documents: words with at least `minCount` occurrences, by count then alphabet. Pure. */
export function buildVocab(docs: string[][], minCount: number): { words: string[]; counts: number[] } {
  const counts = new Map<string, number>();
  for (const d of docs) for (const w of d) counts.set(w, (counts.get(w) ?? 0) + 1);
  const words = [...counts].filter(([, c]) => c >= minCount)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return { words: words.map(([w]) => w), counts: words.map(([, c]) => c) };
}

function checkConfig(c: SkipGramConfig): void {
  const bad = (field: string, why: string) => new Error(`skip-gram config: ${field} = ${(c as unknown as Record<string, unknown>)[field]} ${why}`);
  for (const f of ["dim", "window", "negatives", "epochs", "minCount"] as const) {
    if (!Number.isInteger(c[f]) || c[f] < 1) throw bad(f, "must be a positive integer");
  }
  if (!(c.lr > 0)) throw bad("lr", "must be positive");
  if (!(c.sample >= 0)) throw bad("sample", "must be 0 or more");
  if (!Number.isInteger(c.seed)) throw bad("seed", "must be an integer");
  if (c.vectors !== "input" && c.vectors !== "input+output") throw bad("vectors", `must be "input" or "input+output"`);
}

/** One logistic step for an (input word, output word, label) triple; adds the input's gradient to `grad`. Returns the loss. */
function pairStep(syn0: Float32Array, syn1: Float32Array, grad: Float32Array, inOff: number, outOff: number, D: number, label: number, lr: number): number {
  let dot = 0;
  for (let k = 0; k < D; k++) dot += syn0[inOff + k] * syn1[outOff + k];
  const p = 1 / (1 + Math.exp(-Math.max(-30, Math.min(30, dot))));
  const g = (label - p) * lr;
  for (let k = 0; k < D; k++) {
    grad[k] += g * syn1[outOff + k];
    syn1[outOff + k] += g * syn0[inOff + k];
  }
  return -Math.log(Math.max(1e-12, label ? p : 1 - p));
}

/**
 * Train skip-gram vectors on `documents` (a context window never crosses a document boundary).
 * `onProgress(done, total)` is called after each document with counts of tokens processed.
 */
export function trainSkipGram(
  documents: readonly string[],
  config: Partial<SkipGramConfig> & { dim: number },
  opts: { onProgress?: (done: number, total: number) => void; lossPoints?: number; source?: string } = {},
): SkipGramResult {
  const c: SkipGramConfig = { ...SKIPGRAM_DEFAULTS, ...config };
  checkConfig(c);
  const docs = documents.map(wordTokens);
  const { words, counts } = buildVocab(docs, c.minCount);
  if (words.length < 2) throw new Error(`skip-gram: the corpus has ${words.length} word(s) seen at least ${c.minCount} times; need 2 or more`);
  const index = new Map(words.map((w, i) => [w, i]));
  const ids = docs.map((d) => Int32Array.from(d.filter((w) => index.has(w)).map((w) => index.get(w)!)));
  const heads = docs.map((d) => (d.length ? index.get(d[0]) ?? -1 : -1)); // -1: no headword in the vocabulary
  const tokens = ids.reduce((s, d) => s + d.length, 0);
  const V = words.length, D = c.dim, rng = seededRandom(c.seed);

  // Keep probabilities (subsampling) and the negative-sampling table (unigram^0.75).
  const keep = new Float64Array(V).fill(1);
  if (c.sample > 0) {
    for (let i = 0; i < V; i++) {
      const f = counts[i] / tokens;
      keep[i] = Math.min(1, (Math.sqrt(f / c.sample) + 1) * c.sample / f);
    }
  }
  const TABLE = Math.max(1e5, Math.min(1e7, V * 100));
  const negTable = new Int32Array(TABLE);
  let z = 0;
  for (let i = 0; i < V; i++) z += counts[i] ** 0.75;
  for (let i = 0, t = 0, cum = counts[0] ** 0.75 / z; t < TABLE; t++) {
    negTable[t] = i;
    if ((t + 1) / TABLE > cum && i < V - 1) cum += counts[++i] ** 0.75 / z;
  }

  const syn0 = new Float32Array(V * D), syn1 = new Float32Array(V * D), grad = new Float32Array(D);
  for (let k = 0; k < syn0.length; k++) syn0[k] = (rng.next() - 0.5) / D;

  const total = c.epochs * tokens, points = Math.max(1, opts.lossPoints ?? 20), stretch = Math.max(1, Math.ceil(total / points));
  const losses: number[] = [];
  let done = 0, pairs = 0, lossSum = 0, lossPairs = 0, nextMark = stretch;
  const sentence = new Int32Array(ids.reduce((m, d) => Math.max(m, d.length), 1));
  /** One (context, centre) pair: the positive and `negatives` sampled negatives, then the input update. */
  const train = (input: number, output: number, lr: number) => {
    const inOff = input * D;
    grad.fill(0);
    for (let s = 0; s <= c.negatives; s++) {
      const target = s === 0 ? output : negTable[rng.int(TABLE)];
      if (s > 0 && target === output) continue;
      lossSum += pairStep(syn0, syn1, grad, inOff, target * D, D, s === 0 ? 1 : 0, lr);
    }
    for (let k = 0; k < D; k++) syn0[inOff + k] += grad[k];
    pairs++;
    lossPairs++;
  };
  for (let epoch = 0; epoch < c.epochs; epoch++) {
    for (let d = 0; d < ids.length; d++) {
      const doc = ids[d], head = c.headwordPairs ? heads[d] : -1;
      let n = 0;
      for (let i = 0; i < doc.length; i++) if (keep[doc[i]] >= 1 || rng.next() < keep[doc[i]]) sentence[n++] = doc[i];
      const lr = c.lr * Math.max(1e-4, 1 - done / total);
      for (let pos = 0; pos < n; pos++) {
        const center = sentence[pos], win = c.window - rng.int(c.window);
        for (let cp = Math.max(0, pos - win); cp <= Math.min(n - 1, pos + win); cp++) {
          if (cp !== pos) train(sentence[cp], center, lr);
        }
        if (head >= 0 && center !== head) {
          train(head, center, lr);
          train(center, head, lr);
        }
      }
      done += doc.length;
      if (done >= nextMark && lossPairs) {
        losses.push(lossSum / lossPairs);
        lossSum = lossPairs = 0;
        nextMark += stretch;
      }
      opts.onProgress?.(done, total);
    }
  }
  if (lossPairs) losses.push(lossSum / lossPairs);
  if (c.vectors === "input+output") for (let k = 0; k < syn0.length; k++) syn0[k] += syn1[k];
  return { table: { words, vectors: syn0, dim: D, source: opts.source ?? "skip-gram" }, losses, tokens, pairs };
}
