/**
 * The SentencePiece (unigram, Viterbi) tokenizer of Universal Sentence Encoder lite, ported from
 * `@tensorflow-models/universal-sentence-encoder` / `@energetic-ai/embeddings` (Apache-2.0, Google LLC).
 * The vocabulary is `[piece, score][]`; the first 6 entries are reserved symbols.
 *
 * @example
 * ```ts
 * declare const vocabJson: string;
 * const tok = new UseTokenizer(JSON.parse(vocabJson));
 * tok.encode("a photo of a cat.");  // [11, 1349, 9, 11, 2577, 6]  (ids depend on the vocabulary)
 * ```
 */

const SEPARATOR = "\u2581";
const RESERVED = 6;

interface TrieNode {
  children: Map<string, TrieNode>;
  /** [piece symbols, score, id] when a piece ends here. */
  word: [string[], number, number] | null;
}

const newNode = (): TrieNode => ({ children: new Map(), word: null });

/** SentencePiece unigram tokenizer (best-scoring segmentation). */
export class UseTokenizer {
  readonly #root = newNode();
  readonly #vocab: [string, number][];

  constructor(vocabulary: [string, number][]) {
    this.#vocab = vocabulary;
    for (let i = RESERVED; i < vocabulary.length; i++) {
      let node = this.#root;
      const symbols = [...vocabulary[i][0]];
      for (const s of symbols) {
        let next = node.children.get(s);
        if (!next) node.children.set(s, next = newNode());
        node = next;
      }
      node.word = [symbols, vocabulary[i][1], i];
    }
  }

  #prefixes(symbols: string[]): [string[], number, number][] {
    const out: [string[], number, number][] = [];
    let node = this.#root.children.get(symbols[0]);
    for (let i = 0; i < symbols.length && node; i++) {
      if (node.word) out.push(node.word);
      node = node.children.get(symbols[i + 1]);
    }
    if (!out.length) out.push([[symbols[0]], 0, 0]); // unknown symbol
    return out;
  }

  /** Token ids of one text. */
  encode(text: string): number[] {
    const normalized = text.normalize("NFKC");
    const input = normalized.length > 0 ? SEPARATOR + normalized.replace(/ /g, SEPARATOR) : normalized;
    const symbols = [...input];
    const n = symbols.length;
    const nodes: Map<number, { len: number; score: number; id: number }[]>[] = Array.from({ length: n + 1 }, () => new Map());
    const best = new Array(n + 1).fill(0), words = new Array(n + 1).fill(0);
    for (let i = 0; i < n; i++) {
      for (const [piece, score, id] of this.#prefixes(symbols.slice(i))) {
        const end = i + piece.length;
        const list = nodes[end].get(i) ?? [];
        list.push({ len: piece.length, score, id });
        nodes[end].set(i, list);
      }
    }
    for (let end = 0; end <= n; end++) {
      for (const list of nodes[end].values()) {
        for (const w of list) {
          const score = w.score + best[end - w.len];
          if (best[end] === 0 || score >= best[end]) {
            best[end] = score;
            words[end] = w.id;
          }
        }
      }
    }
    const ids: number[] = [];
    let iter = n;
    while (iter > 0) {
      ids.push(words[iter]);
      iter -= [...this.#vocab[words[iter]][0]].length;
    }
    const merged: number[] = [];
    let prevUnk = false;
    for (const id of ids) {
      if (!(prevUnk && id === 0)) merged.push(id);
      prevUnk = id === 0;
    }
    return merged.reverse();
  }
}
