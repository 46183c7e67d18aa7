/**
 * Notebook 05's Winoground-style test as data: the one-word groups among each split's unseen classes
 * laid out on each emoji task ({@link groupTests}), scored for every model of a caption grid
 * ({@link groupEvaluation}) and for training-free ASIF ({@link asifGroupRows}): text, image and group
 * scores over all groups, per kind of difference and per leakage stratum. Rows carry `groups` (how many
 * groups a score is over).
 *
 * @example
 * ```ts
 * import { groupEvaluation, groupKinds, groupTests } from "./group_scores.ts";
 * import type { CaptionNotebookSetup } from "./caption_setup.ts";
 * declare const setup: CaptionNotebookSetup;
 * const tests = groupTests(setup, "a drawing of a {}.");
 * const evaluate = groupEvaluation(tests, groupKinds(tests));
 * ```
 * @module
 */
import { selectRows } from "../core/matrix.ts";
import type { CaptionCorpus, ZeroShotTask } from "./caption_corpus.ts";
import { asifSimilarity, captionSimilarity, type CaptionRow } from "./caption_eval.ts";
import type { CaptionEvaluation, ModelMeasures, StratumRow } from "./caption_grid.ts";
import { combinedStratum, type RowBase, taskLeakage } from "./caption_leakage.ts";
import type { CaptionRun } from "./caption_runs.ts";
import type { CaptionNotebookSetup } from "./caption_setup.ts";
import { type GroupLayout, layoutGroups, type NameGroup, oneWordGroups } from "./compositional.ts";
import { rowBase, scoresFromSimilarity } from "./caption_evaluations.ts";
import { captionModel } from "./caption_model.ts";
import { loadWinoground } from "./compositional.ts";
import { imageFeatures } from "../features.ts";
import { visionEncoder } from "../encoders/registry.ts";
import { pct } from "../report/format.ts";
import { progress } from "../runtime/progress.ts";
import type { TrainConfig } from "../train/trainer.ts";

/** One split's groups: its corpus, the name groups and their layout on each emoji task. */
export interface SplitGroups {
  corpus: CaptionCorpus;
  nameGroups: NameGroup[];
  layouts: { task: ZeroShotTask; layout: GroupLayout }[];
}

/** Every split's groups, by split seed. */
export type GroupTests = Map<number, SplitGroups>;

/** The one-word groups of each split's unseen classes, each class name through `template` ("{}" = the name). Pure. */
export function groupTests(setup: CaptionNotebookSetup, template: string): GroupTests {
  const caption = (c: string) => template.replace("{}", c);
  return new Map([...setup.splits.values()].map((s) => {
    const nameGroups = oneWordGroups(s.tasks[0].classes);
    const tasks = s.tasks.filter((t) => !t.kind.startsWith("dataset"));
    return [s.splitSeed, { corpus: s.corpus, nameGroups, layouts: tasks.map((task) => ({ task, layout: layoutGroups(task, nameGroups, caption) })) }];
  }));
}

/** The kinds of difference that occur on any split, sorted. Pure. */
export function groupKinds(tests: GroupTests): string[] {
  return [...new Set([...tests.values()].flatMap((s) => s.nameGroups.map((g) => g.kind)))].sort();
}

/** Each kind with its number of groups per split and a few examples of the first split. Pure. */
export function groupKindRows(tests: GroupTests, firstSplit: number): Record<string, string | number>[] {
  const first = tests.get(firstSplit)!.nameGroups;
  return groupKinds(tests).map((k) => ({
    differs_in: k,
    ...Object.fromEntries([...tests].map(([split, s]) => [`groups_split_${split}`, s.nameGroups.filter((g) => g.kind === k).length])),
    examples: first.filter((g) => g.kind === k).slice(0, 3).map((g) => g.classes.join(" / ")).join("; "),
  }));
}

/** Scores of one model on one split: rows per task and kind ("all" too), strata rows per leakage stratum. Pure. */
export function scoreGroups(
  split: SplitGroups,
  similarity: Map<string, Float32Array>,
  kinds: readonly string[],
  base: RowBase,
): ModelMeasures {
  const rows: CaptionRow[] = [], strata: StratumRow[] = [];
  const metrics = ["text", "image", "group"] as const;
  for (const { task, layout } of split.layouts) {
    const s = similarity.get(task.name)!, nT = layout.captions.length, audit = taskLeakage(split.corpus, task);
    const score = (keep: (i: number) => boolean) => scoresFromSimilarity(layout.groups.filter((_, i) => keep(i)), s, nT);
    const parts: [string, ReturnType<typeof score>][] = [
      ["all", score(() => true)],
      ...kinds.filter((k) => layout.kinds.includes(k)).map((k) => [k, score((i) => layout.kinds[i] === k)] as [string, ReturnType<typeof score>]),
    ];
    for (const [kind, sc] of parts) for (const metric of metrics) rows.push({ ...base, dataset: task.name, split: kind, metric, value: sc[metric], groups: sc.n });
    // groups by concept leakage: how much of their classes' names the run's training captions contain
    const stratum = layout.groups.map((g) => combinedStratum(g.images.map((r) => audit[task.labels[layout.rows[r]]].stratum)));
    for (const leakage of ["none", "some", "all"]) {
      const sc = score((i) => stratum[i] === leakage);
      if (sc.n) for (const metric of metrics) strata.push({ ...base, dataset: task.name, split: "all", leakage, metric, value: sc[metric], groups: sc.n });
    }
  }
  return { rows, strata };
}

/** Group scores of each model of a caption grid on its split's groups. */
export function groupEvaluation(tests: GroupTests, kinds: readonly string[]): CaptionEvaluation {
  return async (model, split) => {
    const g = tests.get(split.splitSeed)!, sims = new Map<string, Float32Array>();
    for (const { task, layout } of g.layouts) sims.set(task.name, await captionSimilarity(model, selectRows(task.images, layout.rows), layout.captions));
    return scoreGroups(g, sims, kinds, rowBase(model, split));
  };
}

/** ASIF's group scores with language encoder `text`: one value per split, paired with the runs on that split. */
export async function asifGroupRows(tests: GroupTests, runs: readonly CaptionRun[], text: string, kinds: readonly string[], vision: string): Promise<ModelMeasures> {
  const out: ModelMeasures = { rows: [], strata: [] }, bar = progress(runs.length, "ASIF");
  for (const run of runs) {
    const g = tests.get(run.splitSeed)!, sims = new Map<string, Float32Array>();
    for (const { task, layout } of g.layouts) sims.set(task.name, await asifSimilarity(g.corpus, selectRows(task.images, layout.rows), layout.captions, { text }));
    const base = { vision, text, method: "ASIF", split_seed: run.splitSeed, seed: run.seed, pairs: g.corpus.train.captions.length };
    const s = scoreGroups(g, sims, kinds, base);
    out.rows.push(...s.rows);
    out.strata.push(...s.strata);
    bar.tick(1, `ASIF, split ${run.splitSeed}`);
  }
  await bar.done();
  return out;
}

/** Tiles of a few groups of the first task (two images each, captioned with their class). Pure. */
export function groupTiles(split: SplitGroups, groups: readonly NameGroup[]): { image: string; caption: string }[] {
  const t0 = split.layouts[0].task;
  const first = new Map(t0.labels.map((l, i) => [t0.classes[l], i] as const).reverse());
  return groups.flatMap((g) => g.classes.map((c) => ({ image: t0.items[first.get(c)!].image_path!, caption: c })));
}

/**
 * Winoground itself (`<dir>/examples.jsonl` and `images/`) with each language encoder's model of one run:
 * rows of text / image / group scores (%), or a note saying why there are none (no folder, unreadable images).
 */
export async function winogroundOnDisk(opts: {
  dir: string | null;
  encoders: readonly string[];
  corpus: CaptionCorpus;
  seed: number;
  train: Partial<TrainConfig>;
}): Promise<{ rows: Record<string, string | number>[]; note: string }> {
  if (!opts.dir) return { rows: [], note: "Winoground: not available here (SHARELOCK_DATA_DIR is not set)." };
  const rows: Record<string, string | number>[] = [];
  try {
    const wg = await loadWinoground(opts.dir);
    const feats = await imageFeatures(wg.items, await visionEncoder(opts.corpus.config.vision));
    if (feats.skipped.length) throw new Error(`${feats.skipped.length} Winoground images unreadable, first: ${feats.skipped[0].item.image_path} (${feats.skipped[0].reason})`);
    for (const text of opts.encoders) {
      const model = await captionModel(opts.corpus, { text, seed: opts.seed, train: { ...opts.train, progress: false } });
      const s = await captionSimilarity(model, feats.matrix, wg.captions);
      model.projection.dispose();
      const sc = scoresFromSimilarity(wg.groups, s, wg.captions.length);
      rows.push({ language: text, text_score: pct(sc.text, 1), image_score: pct(sc.image, 1), group_score: pct(sc.group, 1), groups: sc.n });
    }
  } catch (err) {
    return { rows: [], note: `Winoground: ${(err as Error).message}` };
  }
  return { rows, note: "" };
}
