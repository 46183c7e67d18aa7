/**
 * WordNet 3.0 noun glosses (Debian `wordnet-base`) as class descriptions: the encyclopedic texts of the
 * embedded default (the paper uses Wikipedia articles). A gloss is a definition plus usage examples.
 *
 * @example
 * ```ts
 * const wn = await loadWordNet();
 * wn.describe("tabby cat");  // { lemma: "tabby_cat", definition: "a cat with a grey or tawny coat ...", examples: [] }
 * ```
 */
import { join } from "node:path";
import { debVersion, ensureDebAsset } from "./assets.ts";
import { requireDir } from "./walk.ts";

/** One noun sense's gloss. */
export interface Gloss {
  /** The lemma that matched (WordNet spelling, underscores for spaces). */
  lemma: string;
  definition: string;
  examples: string[];
  /** The first lemma of the sense's first hypernym (`@` or instance `@i`), when it has one. */
  hypernym?: string;
}

/** Gloss look-up over WordNet's nouns. */
export interface WordNet {
  version: string;
  /** Number of noun lemmas. */
  size: number;
  /** First-sense gloss of a term, trying the whole term, then singular forms, then its last word. */
  describe(term: string): Gloss | null;
  /** All noun lemmas with their first-sense gloss (for text-only tests of a language model). */
  entries(): Iterable<[string, Gloss]>;
}

/** Split a WordNet gloss into definition and examples (`def; "example"; "example"`). Pure. */
export function parseGloss(gloss: string): { definition: string; examples: string[] } {
  const parts = gloss.split(/;\s*(?=")/);
  const definition = parts[0].trim();
  const examples = parts.slice(1).map((p) => p.replace(/^"|";?\s*$|"$/g, "").trim()).filter(Boolean);
  return { definition, examples };
}

/** Build the look-up from the text of `index.noun` and `data.noun`. Pure given the texts. */
export function wordNetFromFiles(indexNoun: string, dataNoun: string, version = "3.0"): WordNet {
  const glossAt = new Map<string, string>();
  const firstWord = new Map<string, string>(); // synset offset -> its first lemma
  const hypernymOf = new Map<string, string>(); // synset offset -> first hypernym's offset
  for (const line of dataNoun.split("\n")) {
    if (!line || line.startsWith(" ")) continue; // licence header lines start with spaces
    const bar = line.indexOf(" | ");
    if (bar < 0) continue;
    const off = line.slice(0, 8);
    glossAt.set(off, line.slice(bar + 3).trim());
    // offset lex_filenum ss_type w_cnt(hex) [word lex_id]... p_cnt [symbol offset pos source/target]...
    const f = line.slice(0, bar).split(" ");
    const words = parseInt(f[3], 16);
    firstWord.set(off, f[4].toLowerCase());
    const p = 4 + 2 * words;
    for (let k = 0; k < Number(f[p]); k++) {
      const [symbol, target] = [f[p + 1 + 4 * k], f[p + 2 + 4 * k]];
      if (symbol === "@" || symbol === "@i") {
        hypernymOf.set(off, target);
        break;
      }
    }
  }
  const first = new Map<string, string>(); // lemma -> offset of its first sense
  for (const line of indexNoun.split("\n")) {
    if (!line || line.startsWith(" ")) continue;
    const f = line.trim().split(" ");
    const synsetCount = Number(f[2]), ptrCount = Number(f[3]);
    const offsets = f.slice(4 + ptrCount + 2, 4 + ptrCount + 2 + synsetCount);
    if (offsets.length) first.set(f[0], offsets[0]);
  }
  const lookup = (lemma: string): Gloss | null => {
    const off = first.get(lemma);
    const g = off ? glossAt.get(off) : undefined;
    if (!g) return null;
    const up = hypernymOf.get(off!);
    const hypernym = up ? firstWord.get(up) : undefined;
    return { lemma, ...parseGloss(g), ...(hypernym ? { hypernym } : {}) };
  };
  const singular = (w: string) => [w.replace(/ies$/, "y"), w.replace(/es$/, ""), w.replace(/s$/, "")];
  return {
    version,
    size: first.size,
    describe(term: string) {
      const t = term.toLowerCase().trim().replace(/[^a-z0-9' -]/g, " ").replace(/\s+/g, " ").trim();
      if (!t) return null;
      const words = t.split(" ");
      const candidates = [t, ...singular(t), words.at(-1)!, ...singular(words.at(-1)!)];
      for (const c of candidates) {
        const g = lookup(c.replaceAll(" ", "_"));
        if (g) return g;
      }
      return null;
    },
    *entries() {
      for (const lemma of first.keys()) {
        const g = lookup(lemma);
        if (g) yield [lemma, g] as [string, Gloss];
      }
    },
  };
}

/** Load WordNet's noun glosses (fetches the Debian package into the cache the first time). */
export async function loadWordNet(root?: string): Promise<WordNet> {
  const base = root ?? await ensureDebAsset("wordnet-base");
  const dir = join(base, "usr", "share", "wordnet");
  requireDir(dir, "WordNet database folder", "Install or unpack the Debian package wordnet-base.");
  return wordNetFromFiles(
    await Deno.readTextFile(join(dir, "index.noun")),
    await Deno.readTextFile(join(dir, "data.noun")),
    `wordnet-base ${debVersion(base)}`,
  );
}
