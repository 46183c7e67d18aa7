/**
 * The GNU Collaborative International Dictionary of English (Debian `dict-gcide`, GPL-2+) as plain
 * training text: one document per dictionary entry, its headword followed by its definition text.
 * Pronunciations (`\Af*fect"\`), bracketed etymologies and source tags, cross-reference braces and
 * quotation credits (`--Milton.`) are removed. Senses that GCIDE took from WordNet (tagged
 * `[WordNet 1.5]`, `[WordNet 1.6]`, ...) are DROPPED, so that WordNet stays held-out text for the
 * capability score (lib/experiments/language_tasks.ts).
 *
 * @example
 * ```ts
 * const corpus = await loadGcide();
 * corpus.documents.length;   // 118,772 entries
 * corpus.version;            // "dict-gcide 0.48.5+nmu2 (text v2)"
 * ```
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { debVersion, ensureDebAsset } from "./assets.ts";

/** Plain training text: documents in dictionary order, and where they come from. */
export interface TextCorpus {
  /** One string per dictionary entry. */
  documents: string[];
  /** Source and version, for cache keys and encoder identities. */
  version: string;
}

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** Decode a dictd index number (base-64 digits, most significant first). Pure. */
export function dictdNumber(text: string): number {
  let n = 0;
  for (const ch of text) {
    const d = B64.indexOf(ch);
    if (d < 0) throw new Error(`"${text}" is not a dictd base-64 number`);
    n = n * 64 + d;
  }
  return n;
}

/** Parts of speech, grammatical abbreviations and sense numbers ("n.", "v. t.", "imp. & p. p.", "1.", "(a)"). */
const GRAMMAR = /(?<![\p{L}\p{N}])(?:(?:n|v|t|i|a|adj|adv|pl|p|pr|imp|vb|prep|conj|interj|pron|sing|superl|compar|fem|masc|obs|cf)\.|&|\d+\.|\([a-z]\))(?=[\s,;:)]|$)/gu;

/** Bump when the text extraction changes (part of the corpus version, so of every cache key). */
export const GCIDE_TEXT_VERSION = 2;

/** A source tag line: `[1913 Webster]`, `[WordNet 1.5 +PJC]`, `[PJC]`, `[Century Dict. 1906]`. */
const SOURCE_TAG = /^\s*\[([^\]]*(?:Webster|WordNet|PJC|Century|Suppl)[^\]]*)\]\s*$/;

/**
 * The definition text of one dictd entry: sense blocks tagged as WordNet's dropped, markup removed,
 * whitespace collapsed. Pure.
 */
export function gcideEntryText(entry: string): string {
  const kept: string[] = [];
  let block: string[] = [];
  for (const line of entry.split("\n")) {
    const tag = line.match(SOURCE_TAG);
    if (!tag) {
      block.push(line);
      continue;
    }
    if (!/WordNet/i.test(tag[1])) kept.push(...block);
    block = [];
  }
  kept.push(...block); // untagged tail
  let text = kept.join("\n")
    .replace(/\[([^\[\]\sA-Z][^\[\]\s]{0,5})\]/g, (_, code: string) => code.replace(/[^\p{L}]/gu, "")) // letter codes: [=a] [~e] [ng]
    .replace(/\\[^\\\n]*\\/g, " "); // pronunciations
  for (let prev = ""; prev !== text;) [prev, text] = [text, text.replace(/\[[^\[\]]*\]/g, " ")]; // etymologies, labels (nested)
  return text
    .replace(/--\s*[A-Z][\w.' ]*?\.(?=\s|$)/g, " ") // quotation credits
    .replace(/[{}]/g, "")
    .replace(GRAMMAR, " ") // parts of speech and sense numbers: keep the headword next to its definition's words
    .replace(/\s+/g, " ")
    .trim();
}

/** Parse a dictd database (index text + uncompressed dict text) into entry texts, skipping `00-database-*`. Pure. */
export function parseDictd(indexText: string, dict: Uint8Array, source = "dictd"): string[] {
  const seen = new Set<number>();
  const out: string[] = [];
  const dec = new TextDecoder();
  indexText.split("\n").forEach((line, i) => {
    if (!line.trim()) return;
    const f = line.split("\t");
    if (f.length < 3) throw new Error(`${source}: index line ${i + 1} has ${f.length} fields, expected 3: "${line.slice(0, 80)}"`);
    if (f[0].startsWith("00-") || f[0].startsWith("00database")) return; // database information, not entries
    const off = dictdNumber(f[1]), len = dictdNumber(f[2]);
    if (off + len > dict.length) throw new Error(`${source}: index line ${i + 1} points past the end of the dictionary (${off}+${len} > ${dict.length})`);
    if (seen.has(off)) return; // several headwords share one entry
    seen.add(off);
    const text = gcideEntryText(dec.decode(dict.subarray(off, off + len)));
    if (text) out.push(text);
  });
  return out;
}

/** The paths of an unpacked `dict-gcide`; throws, naming the file, when one is missing. */
export function gcideFiles(root: string): { index: string; dict: string; version: string } {
  const dir = join(root, "usr", "share", "dictd");
  const index = join(dir, "gcide.index"), dict = join(dir, "gcide.dict.dz");
  for (const p of [index, dict]) {
    if (!existsSync(p)) throw new Error(`GCIDE corpus: ${p} does not exist (unpack the Debian package dict-gcide into ${root})`);
  }
  return { index, dict, version: `dict-gcide ${debVersion(root)} (text v${GCIDE_TEXT_VERSION})` };
}

/**
 * Load GCIDE from an unpacked `dict-gcide` (default: fetched into the cache with `ensureDebAsset`).
 * A missing or unreadable file is an error naming it.
 */
export async function loadGcide(root?: string): Promise<TextCorpus> {
  const base = root ?? await ensureDebAsset("dict-gcide");
  const files = gcideFiles(base);
  let dict: Uint8Array;
  try {
    dict = gunzipSync(await Deno.readFile(files.dict)); // dictzip is gzip-compatible
  } catch (err) {
    throw new Error(`GCIDE corpus: could not decompress ${files.dict}: ${(err as Error).message}`);
  }
  const documents = parseDictd(await Deno.readTextFile(files.index), dict, files.index);
  if (!documents.length) throw new Error(`GCIDE corpus: ${files.index} lists no entries`);
  return { documents, version: files.version };
}
