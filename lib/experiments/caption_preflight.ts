/**
 * Preflight of the caption notebooks (03-07): what the model needs (caption datasets, the vision and
 * language encoders) must all be there, or the run stops at once naming every missing piece; held-out
 * TEST sets that are missing are left out with a note, so that a paper-scale run goes as far as the
 * data a user has.
 *
 * @example
 * ```ts
 * import { CAPTIONS_PAPER } from "../config.ts";
 * import { captionCorpus } from "./caption_corpus.ts";
 * const pf = await captionPreflight(CAPTIONS_PAPER.corpus, [CAPTIONS_PAPER.main]);
 * if (pf.problems.length) throw new Error(pf.problems.join("\n"));
 * const corpus = await captionCorpus(pf.corpus);   // without the test sets listed in pf.skipped
 * ```
 */
import { preflight } from "./preflight.ts";
import { dataset as loadDataset } from "../data/registry.ts";
import type { CaptionCorpusConfig } from "../config.ts";

/** What the preflight found. */
export interface CaptionPreflight {
  /** Missing pieces the run cannot do without (empty: go). */
  problems: string[];
  /** Test sets left out, with the reason. */
  skipped: { dataset: string; reason: string }[];
  /** The corpus configuration without the skipped test sets. */
  corpus: CaptionCorpusConfig;
}

async function datasetProblem(name: string): Promise<string | null> {
  try {
    const ds = await loadDataset(name);
    return ds.items.length ? null : "no items";
  } catch (err) {
    return (err as Error).message.split("\n")[0];
  }
}

/** Check a caption configuration before any work; see the module doc. */
export async function captionPreflight(corpus: CaptionCorpusConfig, language: string[]): Promise<CaptionPreflight> {
  const required = [...corpus.captionSets, ...(corpus.emoji && corpus.emojiInTraining ? [corpus.emoji] : [])];
  const problems = await preflight({ datasets: required, vision: corpus.vision, language });
  const skipped: CaptionPreflight["skipped"] = [];
  const out: CaptionCorpusConfig = { ...corpus, heldOutSets: [] };
  if (corpus.emoji && !corpus.emojiInTraining) {
    const p = await datasetProblem(corpus.emoji);
    if (p) {
      skipped.push({ dataset: corpus.emoji, reason: p });
      out.emoji = null;
    }
  }
  if (corpus.emojiShift) {
    const p = out.emoji ? await datasetProblem(corpus.emojiShift) : "its emoji set is left out";
    if (p) {
      skipped.push({ dataset: corpus.emojiShift, reason: p });
      out.emojiShift = null;
    }
  }
  for (const name of corpus.heldOutSets) {
    const p = await datasetProblem(name);
    if (p) skipped.push({ dataset: name, reason: p });
    else out.heldOutSets.push(name);
  }
  if (!out.emoji && !out.heldOutSets.length) {
    problems.push(`no zero-shot test set is available (${skipped.map((s) => s.dataset).join(", ")})`);
  }
  return { problems, skipped, corpus: out };
}
