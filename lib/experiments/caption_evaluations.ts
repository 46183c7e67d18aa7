/**
 * What a caption grid measures on each model, as data: each function here returns a
 * {@link CaptionEvaluation} that `captionGrid` runs on every model of the grid, on the model's own split.
 * `allOf` combines them. Scores go through the evaluation layer (`classify`, `retrieve`) and the
 * Winoground scorer (`groupScores`), never through hand-indexed similarity matrices in a notebook.
 *
 * @example
 * ```ts
 * import { allOf, byStratum, oneWordGroupScore, trainingLoss } from "./caption_evaluations.ts";
 * const evaluate = allOf(byStratum(["a drawing of a {}."], { retrieval: true }), oneWordGroupScore(), trainingLoss());
 * ```
 * @module
 */
import { type Matrix, selectRows } from "../core/matrix.ts";
import { methodLabel } from "../baselines/lit.ts";
import type { Language } from "../data/multilingual.ts";
import { MULTILINGUAL_TEMPLATES } from "../data/multilingual.ts";
import { type WinogroundGroup, type WinogroundScores, winogroundScores } from "../eval/retrieval.ts";
import type { CaptionModel } from "./caption_model.ts";
import { captionSimilarity, type CaptionRow, evaluateCaptionModelByStratum, zeroShotEval } from "./caption_eval.ts";
import { type LeakageRow, leakageRows, type RowBase, taskLeakage } from "./caption_leakage.ts";
import { promptsFor } from "./caption_corpus.ts";
import { type GroupLayout, layoutGroups, oneWordGroups as nameGroups } from "./compositional.ts";
import { captionRetrievalIn, type MultilingualTask, multilingualEmojiTask, translatedCaptions } from "./multilingual.ts";
import type { CaptionEvaluation, ModelMeasures } from "./caption_grid.ts";
import type { CaptionNotebookSetup, CaptionSplit } from "./caption_setup.ts";

/** What every row of a model carries (vision encoder, language encoder, method, seed, training pairs). */
export function rowBase(model: CaptionModel, split: CaptionSplit): RowBase {
  return { vision: split.corpus.config.vision, text: model.text, method: methodLabel(model.text), seed: model.seed, pairs: model.pairs };
}

/** Run several evaluations on each model; rows in the order given. */
export function allOf(...evaluations: CaptionEvaluation[]): CaptionEvaluation {
  return async (model, split, run) => {
    const out: ModelMeasures = { rows: [], strata: [] };
    for (const evaluate of evaluations) {
      const m = await evaluate(model, split, run);
      out.rows.push(...m.rows);
      out.strata.push(...m.strata);
    }
    return out;
  };
}

/**
 * Every zero-shot task of the split (top-1, top-5, average per-class accuracy; the class names through
 * `templates`), each also per leakage stratum, and with `retrieval` the held-out caption retrieval.
 */
export function byStratum(templates: readonly string[], opts: { retrieval?: boolean } = {}): CaptionEvaluation {
  return async (model, split) =>
    await evaluateCaptionModelByStratum(model, split.corpus, split.tasks, { templates, method: methodLabel(model.text), retrieval: opts.retrieval ?? true });
}

/** The model's best validation loss, as a row of dataset "training". */
export function trainingLoss(): CaptionEvaluation {
  return (model, split) => Promise.resolve({ rows: [{ ...rowBase(model, split), dataset: "training", split: "-", metric: "best_val_loss", value: model.bestValLoss }], strata: [] });
}

/** Winoground scores of groups from a row-major similarity matrix [images x texts] with `texts` columns. Pure. */
export function scoresFromSimilarity(groups: readonly WinogroundGroup[], similarity: Float32Array, texts: number): WinogroundScores {
  return winogroundScores([...groups], (image, text) => similarity[image * texts + text]);
}

/** Winoground scores of a model on a group layout of a task's images (`layoutGroups`). */
export async function groupScores(model: CaptionModel, images: Matrix, layout: GroupLayout): Promise<WinogroundScores> {
  const s = await captionSimilarity(model, selectRows(images, layout.rows), layout.captions);
  return scoresFromSimilarity(layout.groups, s, layout.captions.length);
}

/** The one-word groups among a split's unseen classes (first task), laid out with `caption`. Pure. */
export function oneWordLayout(split: CaptionSplit, caption: (className: string) => string = (c) => `a drawing of a ${c}.`): GroupLayout {
  return layoutGroups(split.tasks[0], nameGroups(split.tasks[0].classes), caption);
}

/** Group score on the one-word groups of the split's unseen classes (notebook 05's test), dataset "one-word groups". */
export function oneWordGroupScore(caption?: (className: string) => string): CaptionEvaluation {
  return async (model, split) => {
    const sc = await groupScores(model, split.tasks[0].images, oneWordLayout(split, caption));
    return { rows: [{ ...rowBase(model, split), dataset: "one-word groups", split: "compositionality", metric: "group_score", value: sc.group }], strata: [] };
  };
}

/** A split's multilingual tests: its unseen classes named in every language, and translated held-out captions. */
export interface MultilingualTests {
  ml: MultilingualTask;
  tux: { rows: number[]; captions: Record<string, string[]> };
}

/** The multilingual tests of every split, by split seed. */
export async function multilingualTests(splits: Iterable<CaptionSplit>, languages: Language[]): Promise<Map<number, MultilingualTests>> {
  const out = new Map<number, MultilingualTests>();
  for (const s of splits) out.set(s.splitSeed, { ml: await multilingualEmojiTask(s.tasks[0], languages), tux: await translatedCaptions(s.corpus, languages) });
  return out;
}

/**
 * Zero-shot top-1 and top-5 on the split's unseen classes named in each language (per leakage stratum of
 * the English names too), and text-to-image recall@5 on the translated held-out captions. Rows carry
 * `language`.
 */
export function multilingual(tests: Map<number, MultilingualTests>, languages: Language[]): CaptionEvaluation {
  return async (model, split) => {
    const t = tests.get(split.splitSeed);
    if (!t) throw new Error(`multilingual: no tests for split ${split.splitSeed} (have ${[...tests.keys()].join(", ")})`);
    const { ml, tux } = t, base = rowBase(model, split), audit = taskLeakage(split.corpus, ml.task);
    const rows: CaptionRow[] = [], strata: LeakageRow[] = [];
    for (const language of languages) {
      const m = await zeroShotEval(model, ml.task, promptsFor(ml.names[language], MULTILINGUAL_TEMPLATES[language]));
      const common = { ...base, dataset: ml.task.name, split: "unseen", language, classes: ml.task.classes.length };
      rows.push({ ...common, metric: "top1", value: m.top1 }, { ...common, metric: "top5", value: m.topk });
      strata.push(...leakageRows(m, ml.task, audit, { ...base, language }));
      if (tux.rows.length) {
        const r = await captionRetrievalIn(model, split.corpus, tux.rows, tux.captions[language]);
        rows.push({ ...base, dataset: "held-out Tux Paint captions", split: "retrieval", metric: "text_to_image_r5", value: r.textToImage[5], language });
      }
    }
    return { rows, strata };
  };
}

/** What each split is evaluated on: its zero-shot tasks, held-out captions and one-word groups, as table rows. */
export function splitEvaluations(setup: CaptionNotebookSetup): Record<string, string | number>[] {
  return [...setup.splits.values()].flatMap((s) => {
    const groups = oneWordLayout(s);
    return [
      ...s.tasks.map((t) => ({ split: s.splitSeed, evaluation: t.name, kind: t.kind, images: t.images.rows, classes: t.classes.length })),
      { split: s.splitSeed, evaluation: "held-out captions", kind: "retrieval", images: s.corpus.retrieval.images.rows, classes: 0 },
      { split: s.splitSeed, evaluation: "one-word groups", kind: "compositionality", images: groups.rows.length, classes: groups.groups.length },
    ];
  });
}
