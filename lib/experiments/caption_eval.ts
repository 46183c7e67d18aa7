/**
 * Evaluation of caption models and of ASIF on the caption corpus: thin protocols over the evaluation
 * layer (`eval/evaluate.ts`). A caption model is a projection method (ShareLock, or LiT-style for the
 * from-scratch tower); ASIF is a method whose anchors are the training images with their first captions.
 *
 * @example
 * ```ts
 * import { evaluateCaptionModel, zeroShotEval } from "./caption_eval.ts";
 * import { captionCorpus, promptsFor, zeroShotTasks } from "./caption_corpus.ts";
 * import { captionModel } from "./caption_model.ts";
 * import { CAPTIONS_EMBEDDED } from "../config.ts";
 * const corpus = await captionCorpus(CAPTIONS_EMBEDDED.corpus);
 * const model = await captionModel(corpus, { text: "use-lite", seed: 0, train: CAPTIONS_EMBEDDED.train });
 * const tasks = await zeroShotTasks(corpus);
 * (await zeroShotEval(model, tasks[0], promptsFor(tasks[0].classes, CAPTIONS_EMBEDDED.templates))).top1;
 * await evaluateCaptionModel(model, corpus, tasks, { templates: CAPTIONS_EMBEDDED.templates, method: "ShareLock", retrieval: true });
 * ```
 */
import { languageEncoder } from "../encoders/registry.ts";
import { type Matrix, normalizeRows, selectRows } from "../core/matrix.ts";
import { similarity } from "../eval/similarity.ts";
import type { ClassificationMetrics } from "../eval/metrics.ts";
import type { RetrievalRecall } from "../eval/retrieval.ts";
import { classificationRows, classify, evaluate, type EvalRow, type Method, retrieve } from "../eval/evaluate.ts";
import { projectionMethod } from "../eval/methods.ts";
import { asifMethod } from "../baselines/asif.ts";
import { methodLabel } from "../baselines/lit.ts";
import { memoResult } from "../runtime/memo.ts";
import { codeIdentity, takeCodeSnapshot } from "../runtime/code_identity.ts";
import { type CaptionCorpus, promptsFor, trainingSubset, type ZeroShotTask } from "./caption_corpus.ts";
import type { CaptionModel } from "./caption_model.ts";
import { type LeakageRow, leakageRows, taskLeakage } from "./caption_leakage.ts";

/**
 * The code of a cached ASIF evaluation: this module's import closure (ASIF, the classifier, the metrics)
 * and the TF.js backend selection, snapshotted as this process loads it (see `code_identity.ts`).
 */
const CAPTION_EVAL_CODE = [import.meta.url, new URL("../runtime/tf_backend.ts", import.meta.url)];
takeCodeSnapshot(CAPTION_EVAL_CODE);

/** A caption model as an evaluation method ("ShareLock", or "LiT-style" for the from-scratch tower). */
export function captionMethod(model: CaptionModel): Method {
  return projectionMethod(methodLabel(model.text), model.encoder, model.projection);
}

/** Options of ASIF on the caption corpus. */
export interface AsifCaptionOptions {
  /** Language encoder (registry name) whose raw features ASIF compares. */
  text: string;
  k?: number;
  p?: number;
  /** Anchors: a nested seeded subset of this many training images (data scaling); default all. */
  maxPairs?: number;
}

/** ASIF with the training images and their first captions as anchors. */
export async function asifCaptionMethod(corpus: CaptionCorpus, opts: AsifCaptionOptions): Promise<Method> {
  const idx = trainingSubset(corpus.train.images.rows, opts.maxPairs);
  return await asifMethod(await languageEncoder(opts.text), {
    images: selectRows(corpus.train.images, idx),
    texts: idx.map((i) => corpus.train.captions[corpus.train.textsOf[i][0]]),
  }, { k: opts.k, p: opts.p });
}

/** The classification task of a zero-shot task with its prompts per class (checked against its classes). */
function classificationTask(task: ZeroShotTask, prompts: string[][]) {
  if (prompts.length !== task.classes.length) throw new Error(`zeroShotEval: ${prompts.length} prompt lists for ${task.classes.length} classes of ${task.name}`);
  return { kind: "classification" as const, name: task.name, images: task.images, labels: task.labels, classTexts: prompts };
}

/** Zero-shot classification with a caption model: prompts per class, averaged, against the images. */
export async function zeroShotEval(model: CaptionModel, task: ZeroShotTask, prompts: string[][]): Promise<ClassificationMetrics> {
  return await classify(captionMethod(model), classificationTask(task, prompts));
}

/** The held-out caption pairs as a retrieval task. Pure. */
export function retrievalTask(corpus: CaptionCorpus) {
  const r = corpus.retrieval;
  const imageOf: number[] = [];
  r.textsOf.forEach((list, i) => list.forEach((t) => (imageOf[t] = i)));
  return { kind: "retrieval" as const, name: "held-out captions", images: r.images, texts: r.captions, textImage: imageOf };
}

/** Caption retrieval (recall@1/5/10 both ways) on the held-out pairs. */
export async function retrievalEval(model: CaptionModel, corpus: CaptionCorpus): Promise<RetrievalRecall> {
  return await retrieve(captionMethod(model), retrievalTask(corpus));
}

/**
 * ASIF on a zero-shot task: the training images with their first captions are the anchors (raw text
 * features, no training). Cached by everything that determines it, the code included
 * (`SHARELOCK_NO_MEMO=1` recomputes); `cached` says whether the metrics came from the cache.
 */
export async function asifZeroShot(
  corpus: CaptionCorpus,
  task: ZeroShotTask,
  prompts: string[][],
  opts: AsifCaptionOptions,
): Promise<ClassificationMetrics & { cached: boolean }> {
  const enc = await languageEncoder(opts.text);
  enc.dispose();
  const key = {
    data: corpus.identity, corpus: corpus.config, task: task.name, classes: task.classes, images: task.items.map((it) => it.item_id), prompts, ...opts,
    text: enc.identity, code: codeIdentity(CAPTION_EVAL_CODE).hash,
  };
  const { value, cached } = await memoResult("asif-captions", key, async () => classify(await asifCaptionMethod(corpus, opts), classificationTask(task, prompts)));
  return { ...value, cached };
}

/** Projected text embeddings of free-text queries against images: the top `k` image rows per query. */
export async function retrieveImages(model: CaptionModel, queries: string[], images: Matrix, k = 5): Promise<number[][]> {
  const q = await captionMethod(model).embedTexts(queries);
  const s = similarity(q, normalizeRows(images));
  return queries.map((_, i) => {
    const row = Array.from(s.subarray(i * images.rows, (i + 1) * images.rows));
    return row.map((v, j) => [v, j]).sort((a, b) => b[0] - a[0]).slice(0, k).map(([, j]) => j);
  });
}

/** One measured value of a caption model (a row of `runsFrame`). */
export interface CaptionRow {
  vision: string;
  text: string;
  method: string;
  dataset: string;
  split: string;
  seed: number;
  pairs: number;
  metric: string;
  value: number;
  [extra: string]: string | number;
}

/**
 * Evaluate a caption model on every zero-shot task (top-1, top-5, average per-class accuracy) and, when
 * `retrieval` is set, on held-out caption retrieval (recall@1/5/10 both ways). Rows for `runsFrame`.
 */
export async function evaluateCaptionModel(
  model: CaptionModel,
  corpus: CaptionCorpus,
  tasks: ZeroShotTask[],
  opts: { templates: readonly string[]; method: string; retrieval?: boolean },
): Promise<CaptionRow[]> {
  return (await evaluateCaptionModelByStratum(model, corpus, tasks, { ...opts, strata: false })).rows;
}

/**
 * {@link evaluateCaptionModel} with each zero-shot task's accuracy also split by concept leakage: `strata`
 * holds top-1 and top-5 per stratum of the task's classes (all of a class name's words in the model's
 * training captions, some, none; `taskLeakage`), from the same classification (nothing is scored twice).
 * `strata: false` leaves them out.
 */
export async function evaluateCaptionModelByStratum(
  model: CaptionModel,
  corpus: CaptionCorpus,
  tasks: ZeroShotTask[],
  opts: { templates: readonly string[]; method: string; retrieval?: boolean; strata?: boolean; maxPairs?: number },
): Promise<{ rows: CaptionRow[]; strata: LeakageRow[] }> {
  const base = { vision: corpus.config.vision, text: model.text, method: opts.method, seed: model.seed, pairs: model.pairs };
  const method = captionMethod(model);
  const rows: CaptionRow[] = [], strata: LeakageRow[] = [];
  const add = (split: string, list: EvalRow[]) => list.forEach((r) => rows.push({ ...base, dataset: r.task, split, metric: r.metric, value: r.value }));
  for (const t of tasks) {
    const m = await classify(method, classificationTask(t, promptsFor(t.classes, opts.templates)));
    add(t.kind, classificationRows(method.name, t.name, m));
    if (opts.strata ?? true) strata.push(...leakageRows(m, t, taskLeakage(corpus, t, opts.maxPairs), base));
  }
  if (opts.retrieval && corpus.retrieval.images.rows) add("retrieval", await evaluate(method, retrievalTask(corpus)));
  return { rows, strata };
}

/** Cosine similarities [images.rows x texts.length] of images and projected texts under a caption model. */
export async function captionSimilarity(model: CaptionModel, images: Matrix, texts: string[]): Promise<Float32Array> {
  const method = captionMethod(model);
  return method.similarity(images, await method.embedTexts(texts));
}

/** The same similarities under ASIF (all training images with their first captions as anchors, raw text features). */
export async function asifSimilarity(corpus: CaptionCorpus, images: Matrix, texts: string[], opts: AsifCaptionOptions): Promise<Float32Array> {
  const method = await asifCaptionMethod(corpus, opts);
  return method.similarity(images, await method.embedTexts(texts));
}
