/**
 * ShareLock as a general vision-language model (Section 5): a projection trained on image-CAPTION pairs,
 * then used zero-shot on held-out tasks. Shared by notebooks 03-07.
 *
 * The embedded corpus: clip-art captions (openclipart, Tux Paint) and the names of the SEEN emoji classes
 * (emoji-google). Held out of training: the unseen emoji classes (whole subcategories, the same split as
 * notebook 01), their other art style (emoji-twitter, the ImageNet-R / Sketch analogue), Fashion-MNIST (a
 * dataset never trained on) and a share of the caption pairs (for retrieval).
 *
 * Split by job: `caption_corpus.ts` (data and tasks), `caption_model.ts` (training and its cache),
 * `caption_eval.ts` (evaluation through `eval/evaluate.ts`); this module re-exports the three.
 *
 * @example
 * ```ts
 * import { captionCorpus, captionModel, promptsFor, zeroShotEval, zeroShotTasks } from "./captions.ts";
 * import { CAPTIONS_EMBEDDED } from "../config.ts";
 * import { DRAWING_TEMPLATES } from "../data/templates.ts";
 * const corpus = await captionCorpus(CAPTIONS_EMBEDDED.corpus);
 * const model = await captionModel(corpus, { text: "use-lite", seed: 0, train: CAPTIONS_EMBEDDED.train });
 * const task = (await zeroShotTasks(corpus))[0];
 * const m = await zeroShotEval(model, task, promptsFor(task.classes, DRAWING_TEMPLATES));
 * m.top1;
 * ```
 */
export * from "./caption_corpus.ts";
export * from "./caption_model.ts";
export * from "./caption_eval.ts";
