/**
 * The set-up every caption notebook (03-07) starts with, in one call: choose the TF.js backend, run the
 * caption preflight (stop with the list of problems; show which test sets are left out), load the
 * corpus and its zero-shot tasks.
 *
 * @example
 * ```ts
 * import { captionNotebookSetup } from "./caption_setup.ts";
 * import { CAPTIONS_EMBEDDED } from "../config.ts";
 * const { backend, corpus, tasks } = await captionNotebookSetup(CAPTIONS_EMBEDDED.corpus, [CAPTIONS_EMBEDDED.main]);
 * ```
 */
import { type BackendChoice, selectTfBackend } from "../runtime/tf_backend.ts";
import { markdown, show } from "../report/display.ts";
import type { CaptionCorpusConfig } from "../config.ts";
import { type CaptionPreflight, captionPreflight } from "./caption_preflight.ts";
import { type CaptionCorpus, captionCorpus, type ZeroShotTask, zeroShotTasks } from "./caption_corpus.ts";

/** What a caption notebook works with. */
export interface CaptionNotebookSetup {
  backend: BackendChoice;
  preflight: CaptionPreflight;
  corpus: CaptionCorpus;
  tasks: ZeroShotTask[];
}

/** Backend, preflight (throws on problems, shows skipped test sets), corpus and zero-shot tasks. */
export async function captionNotebookSetup(corpus: CaptionCorpusConfig, encoders: string[]): Promise<CaptionNotebookSetup> {
  const backend = await selectTfBackend();
  const pf = await captionPreflight(corpus, encoders);
  if (pf.problems.length) throw new Error(`This configuration cannot run here:\n- ${pf.problems.join("\n- ")}`);
  if (pf.skipped.length) await show(markdown(`Left out, not available: ${pf.skipped.map((s) => `**${s.dataset}** (${s.reason})`).join("; ")}`));
  const loaded = await captionCorpus(pf.corpus);
  return { backend, preflight: pf, corpus: loaded, tasks: await zeroShotTasks(loaded) };
}
