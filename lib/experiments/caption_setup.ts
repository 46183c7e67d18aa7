/**
 * The set-up every caption notebook (03-07) starts with, in one call: choose the TF.js backend, run the
 * caption preflight (stop with the list of problems; show which test sets are left out), load the
 * corpus and its zero-shot tasks on every seen / unseen split the notebook's runs use.
 *
 * @example
 * ```ts
 * import { captionNotebookSetup } from "./caption_setup.ts";
 * import { captionRuns } from "./caption_runs.ts";
 * import { CAPTIONS_EMBEDDED } from "../config.ts";
 * const runs = captionRuns(CAPTIONS_EMBEDDED.seeds, CAPTIONS_EMBEDDED.splitSeeds);
 * const setup = await captionNotebookSetup(CAPTIONS_EMBEDDED.corpus, [CAPTIONS_EMBEDDED.main], runs);
 * const { corpus, tasks } = setup.of(runs[1]);   // the split of the second run
 * ```
 */
import { type BackendChoice, selectTfBackend } from "../runtime/tf_backend.ts";
import { markdown, show } from "../report/display.ts";
import type { CaptionCorpusConfig } from "../config.ts";
import { type CaptionPreflight, captionPreflight } from "./caption_preflight.ts";
import { type CaptionCorpus, captionCorpus, type ZeroShotTask, zeroShotTasks } from "./caption_corpus.ts";
import { type CaptionRun, runSplits } from "./caption_runs.ts";

/** The corpus and zero-shot tasks of one seen / unseen split. */
export interface CaptionSplit {
  splitSeed: number;
  corpus: CaptionCorpus;
  tasks: ZeroShotTask[];
}

/** What a caption notebook works with. */
export interface CaptionNotebookSetup {
  backend: BackendChoice;
  preflight: CaptionPreflight;
  /** The first split's corpus and tasks (for tables and grids that show one split). */
  corpus: CaptionCorpus;
  tasks: ZeroShotTask[];
  /** Every split the runs use, by split seed. */
  splits: Map<number, CaptionSplit>;
  /** The split a run trains and is tested on. Throws for a split that was not loaded. */
  of(run: Pick<CaptionRun, "splitSeed">): CaptionSplit;
}

/**
 * Backend, preflight (throws on problems, shows skipped test sets), then the corpus and zero-shot tasks of
 * each split that `runs` use (default: the corpus configuration's own `splitSeed`).
 */
export async function captionNotebookSetup(corpus: CaptionCorpusConfig, encoders: string[], runs: readonly Pick<CaptionRun, "splitSeed">[] = [{ splitSeed: corpus.splitSeed }]): Promise<CaptionNotebookSetup> {
  const backend = await selectTfBackend();
  const pf = await captionPreflight(corpus, encoders);
  if (pf.problems.length) throw new Error(`This configuration cannot run here:\n- ${pf.problems.join("\n- ")}`);
  if (pf.skipped.length) await show(markdown(`Left out, not available: ${pf.skipped.map((s) => `**${s.dataset}** (${s.reason})`).join("; ")}`));
  const seeds = runSplits(runs);
  if (!seeds.length) throw new Error("captionNotebookSetup: no runs");
  const splits = new Map<number, CaptionSplit>();
  for (const splitSeed of seeds) {
    const loaded = await captionCorpus({ ...pf.corpus, splitSeed });
    splits.set(splitSeed, { splitSeed, corpus: loaded, tasks: await zeroShotTasks(loaded) });
  }
  const of = (run: Pick<CaptionRun, "splitSeed">): CaptionSplit => {
    const s = splits.get(run.splitSeed);
    if (!s) throw new Error(`captionNotebookSetup: split ${run.splitSeed} was not loaded (loaded: ${seeds.join(", ")}); pass the runs that use it`);
    return s;
  };
  const first = splits.get(seeds[0])!;
  return { backend, preflight: pf, corpus: first.corpus, tasks: first.tasks, splits, of };
}
