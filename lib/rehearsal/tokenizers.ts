/**
 * Tokenizer files of the rehearsal's model stand-ins, in each family's hub format: byte-level BPE
 * without merges (one token per character; Llama, Qwen2, Gemma-2, Mistral, RoBERTa, ModernBERT, T5) and
 * BERT's WordPiece. The tiny vocabularies make token ids easy to work out by hand; the `full` ones cover
 * any text (every byte; for BERT every letter and digit as a word piece).
 *
 * @example
 * ```ts
 * expectedIds("llama", "a cat");   // [0, 3, 30, 5, 3, 22]: <|begin_of_text|>, a, Ġ, c, a, t
 * await writeByteLevelTokenizer("/tmp/tiny-qwen", "qwen2", true);
 * ```
 */
import { join } from "node:path";
import { writeJson } from "./graph.ts";

/** Characters of the tiny byte-level BPE vocabulary ("Ġ" is the byte-level space). */
export const CHARS = [..."abcdefghijklmnopqrstuvwxyz.", "Ġ"];

/** Special tokens and tokenizer settings of each family, as its hub tokenizer_config.json has them. */
export const FAMILY_TOKENS: Record<string, { specials: string[]; bos?: string; eos: string; pad?: string; cls?: string; sep?: string; klass: string }> = {
  llama: { specials: ["<|begin_of_text|>", "<|end_of_text|>", "<|eot_id|>"], bos: "<|begin_of_text|>", eos: "<|end_of_text|>", klass: "PreTrainedTokenizerFast" },
  qwen2: { specials: ["<|endoftext|>", "<|im_start|>", "<|im_end|>"], eos: "<|im_end|>", pad: "<|endoftext|>", klass: "Qwen2Tokenizer" },
  gemma2: { specials: ["<pad>", "<eos>", "<bos>", "<unk>"], bos: "<bos>", eos: "<eos>", pad: "<pad>", klass: "GemmaTokenizer" },
  mistral: { specials: ["<unk>", "<s>", "</s>"], bos: "<s>", eos: "</s>", klass: "PreTrainedTokenizerFast" },
  roberta: { specials: ["<s>", "<pad>", "</s>", "<unk>", "<mask>"], bos: "<s>", eos: "</s>", pad: "<pad>", cls: "<s>", sep: "</s>", klass: "RobertaTokenizer" },
  modernbert: { specials: ["[UNK]", "[CLS]", "[SEP]", "[PAD]", "[MASK]"], eos: "[SEP]", pad: "[PAD]", cls: "[CLS]", sep: "[SEP]", klass: "PreTrainedTokenizerFast" },
  t5: { specials: ["<pad>", "</s>", "<unk>"], eos: "</s>", pad: "<pad>", klass: "T5Tokenizer" },
};

/**
 * The 256 characters byte-level BPE writes bytes as (GPT-2's table: printable bytes stand for themselves,
 * the others are shifted past 255), so that a vocabulary holding them all encodes any UTF-8 text.
 */
export function byteLevelAlphabet(): string[] {
  const keep = (b: number) => (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
  let shift = 0;
  return Array.from({ length: 256 }, (_, b) => String.fromCharCode(keep(b) ? b : 256 + shift++));
}

/**
 * The vocabulary of a family: its special tokens, then the characters; `full`: then every other
 * character of the byte-level alphabet, so that no text has a byte the vocabulary lacks.
 */
export function familyVocab(family: string, full = false): string[] {
  const base = [...FAMILY_TOKENS[family].specials, ...CHARS];
  return full ? [...base, ...byteLevelAlphabet().filter((c) => !base.includes(c))] : base;
}

/** Token ids a text must get, worked out by hand from the vocabulary (byte-level BPE without merges). */
export function expectedIds(family: string, text: string): number[] {
  const v = familyVocab(family), t = FAMILY_TOKENS[family];
  const body = [...text.replaceAll(" ", "Ġ")].map((c) => v.indexOf(c));
  if (body.some((i) => i < 0)) throw new Error(`fixture vocabulary lacks a character of "${text}"`);
  if (family === "roberta" || family === "modernbert") return [v.indexOf(t.cls!), ...body, v.indexOf(t.sep!)];
  if (family === "t5") return [...body, v.indexOf(t.eos)];
  return t.bos ? [v.indexOf(t.bos), ...body] : body;
}

function byteLevelTokenizer(family: string, full: boolean) {
  const v = familyVocab(family, full), t = FAMILY_TOKENS[family];
  const special = (content: string) => ({ id: v.indexOf(content), content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  const tok = (s: string) => ({ id: s, type_id: 0 });
  const single = family === "roberta" || family === "modernbert"
    ? [{ SpecialToken: tok(t.cls!) }, { Sequence: { id: "A", type_id: 0 } }, { SpecialToken: tok(t.sep!) }]
    : family === "t5"
    ? [{ Sequence: { id: "A", type_id: 0 } }, { SpecialToken: tok(t.eos) }]
    : t.bos
    ? [{ SpecialToken: tok(t.bos) }, { Sequence: { id: "A", type_id: 0 } }]
    : [{ Sequence: { id: "A", type_id: 0 } }];
  const usedSpecials = [t.bos, t.cls, t.sep, family === "t5" ? t.eos : undefined].filter((x): x is string => !!x);
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: t.specials.map(special),
    normalizer: null,
    pre_tokenizer: { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: {
      type: "TemplateProcessing",
      single,
      pair: single,
      special_tokens: Object.fromEntries([...new Set(usedSpecials)].map((s) => [s, { id: s, ids: [v.indexOf(s)], tokens: [s] }])),
    },
    decoder: { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: { type: "BPE", dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: false, byte_fallback: false, ignore_merges: false, vocab: Object.fromEntries(v.map((w, i) => [w, i])), merges: [] },
  };
}

/** Write a family's `tokenizer.json` and `tokenizer_config.json` into `root`. */
export async function writeByteLevelTokenizer(root: string, family: string, full = false): Promise<void> {
  const t = FAMILY_TOKENS[family];
  await writeJson(join(root, "tokenizer.json"), byteLevelTokenizer(family, full));
  await writeJson(join(root, "tokenizer_config.json"), {
    tokenizer_class: t.klass,
    ...(t.bos ? { bos_token: t.bos } : {}),
    eos_token: t.eos,
    ...(t.pad ? { pad_token: t.pad } : {}),
    ...(t.cls ? { cls_token: t.cls, sep_token: t.sep } : {}),
    model_max_length: 131072,
    clean_up_tokenization_spaces: false,
    added_tokens_decoder: Object.fromEntries(t.specials.map((s, i) => [String(i), { content: s, lstrip: false, normalized: false, rstrip: false, single_word: false, special: true }])),
  });
}
/** BERT's WordPiece vocabulary (whole words). */
export const BERT_VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", "red", "apple", "cat", "on", "the", "mat", "."];

/** BERT token ids of a text, by hand: [CLS] words [SEP]. */
export function expectedBertIds(text: string): number[] {
  return [2, ...text.toLowerCase().split(/\s+|(?=\.)/).filter(Boolean).map((w) => BERT_VOCAB.indexOf(w)), 3];
}


/** BERT's `full` WordPiece vocabulary: the tiny one, then every letter, digit and common mark, alone and as `##` piece. */
export function bertVocab(full = false): string[] {
  if (!full) return BERT_VOCAB;
  const pieces = [..."abcdefghijklmnopqrstuvwxyz0123456789,;:!?'\"()-/&"].filter((c) => !BERT_VOCAB.includes(c));
  return [...BERT_VOCAB, ...pieces, ...[..."abcdefghijklmnopqrstuvwxyz0123456789"].map((c) => `##${c}`)];
}

/** Write BERT's `tokenizer.json` and `tokenizer_config.json` (WordPiece, lower case) for `vocab` into `root`. */
export async function writeBertTokenizer(root: string, vocab: string[] = BERT_VOCAB): Promise<void> {
  const special = (id: number) => ({ id, content: vocab[id], single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  await writeJson(join(root, "tokenizer.json"), {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: [0, 1, 2, 3, 4].map(special),
    normalizer: { type: "BertNormalizer", clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
    pre_tokenizer: { type: "BertPreTokenizer" },
    post_processor: {
      type: "TemplateProcessing",
      single: [{ SpecialToken: { id: "[CLS]", type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }, { SpecialToken: { id: "[SEP]", type_id: 0 } }],
      pair: [{ SpecialToken: { id: "[CLS]", type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }, { SpecialToken: { id: "[SEP]", type_id: 0 } }, { Sequence: { id: "B", type_id: 1 } }, { SpecialToken: { id: "[SEP]", type_id: 1 } }],
      special_tokens: { "[CLS]": { id: "[CLS]", ids: [2], tokens: ["[CLS]"] }, "[SEP]": { id: "[SEP]", ids: [3], tokens: ["[SEP]"] } },
    },
    decoder: { type: "WordPiece", prefix: "##", cleanup: true },
    model: { type: "WordPiece", unk_token: "[UNK]", continuing_subword_prefix: "##", max_input_chars_per_word: 100, vocab: Object.fromEntries(vocab.map((w, i) => [w, i])) },
  });
  await writeJson(join(root, "tokenizer_config.json"), {
    tokenizer_class: "BertTokenizer",
    cls_token: "[CLS]",
    sep_token: "[SEP]",
    pad_token: "[PAD]",
    mask_token: "[MASK]",
    unk_token: "[UNK]",
    do_lower_case: true,
    model_max_length: 512,
  });
}
