/**
 * One evaluation entry point shaped like CLIP_benchmark's `evaluate`: a METHOD (anything that puts texts
 * into a space where it can score them against images: ShareLock's projection, the LiT-style tower,
 * ASIF's relative representations) and a TASK (zero-shot classification, image-text retrieval,
 * Winoground) give typed metrics, and {@link evaluate} gives them as rows.
 *
 * @example
 * ```ts
 * import { evaluate, type Method } from "./evaluate.ts";
 * import { cosineSimilarity } from "./similarity.ts";
 * const onehot = (texts: string[]) => Promise.resolve({ data: Float32Array.from(texts.flatMap((t) => [t.includes("cat") ? 1 : 0, t.includes("dog") ? 1 : 0])), rows: texts.length, dim: 2 });
 * const method: Method = { name: "toy", embedTexts: onehot, similarity: cosineSimilarity };
 * const images = { data: Float32Array.of(1, 0, 0, 1), rows: 2, dim: 2 };
 * const rows = await evaluate(method, { kind: "classification", name: "pets", images, labels: [0, 1], classTexts: [["a cat."], ["a dog."]], k: 1 });
 * rows.find((r) => r.metric === "top1")!.value;   // 1
 * ```
 */
import type { Matrix } from "../core/matrix.ts";
import { buildZeroShotClassifier, type ClassAggregate, classScores, type SimilarityFn, type TextEmbedder } from "./classifier.ts";
import { classificationMetrics, type ClassificationMetrics } from "./metrics.ts";
import { retrievalRecallFromScores, type RetrievalRecall, type WinogroundGroup, winogroundScores, type WinogroundScores } from "./retrieval.ts";

/** An image-text model as evaluation sees it. */
export interface Method {
  /** Label of the method in result rows ("ShareLock", "LiT-style", "ASIF", ...). */
  name: string;
  /** Texts into the method's text space (rows that `similarity` compares with images). */
  embedTexts: TextEmbedder;
  /** Image-text similarities [images.rows x texts.rows] (cosine for ShareLock, on the device; ASIF's relative one). */
  similarity: SimilarityFn;
}

/** Zero-shot classification: images with labels, and the texts of every class (prompts or sentences). */
export interface ClassificationTask {
  kind: "classification";
  name: string;
  images: Matrix;
  labels: ArrayLike<number>;
  /** Texts per class, in class order: class names through templates, or description sentences. */
  classTexts: readonly (readonly string[])[];
  /** `prototype` (default; templates) or `mean-score` (the paper, for description sentences). */
  aggregate?: ClassAggregate;
  /** k of top-k (default 5). */
  k?: number;
}

/** Image-text retrieval: `textImage[t]` is the image row caption t describes. */
export interface RetrievalTask {
  kind: "retrieval";
  name: string;
  images: Matrix;
  texts: string[];
  textImage: ArrayLike<number>;
  /** Recall@k for these k (default 1, 5, 10). */
  ks?: number[];
}

/** Winoground-style groups over images and texts (row indices). */
export interface WinogroundTask {
  kind: "winoground";
  name: string;
  images: Matrix;
  texts: string[];
  groups: WinogroundGroup[];
}

/** Any evaluation task. */
export type EvalTask = ClassificationTask | RetrievalTask | WinogroundTask;

/** Names of the metrics in result rows. */
export type MetricName =
  | "top1"
  | `top${number}`
  | "mean_per_class_acc"
  | `image_to_text_r${number}`
  | `text_to_image_r${number}`
  | "winoground_text"
  | "winoground_image"
  | "winoground_group";

/** One measured value. `k` is set for top-k and recall@k. */
export interface EvalRow {
  task: string;
  kind: EvalTask["kind"];
  method: string;
  metric: MetricName;
  value: number;
  k?: number;
}

/** The rows of a classification's metrics (top-1, top-k, mean per-class recall), as `evaluate` gives them. Pure. */
export function classificationRows(method: string, task: string, m: ClassificationMetrics): EvalRow[] {
  const row = (metric: MetricName, value: number, k?: number): EvalRow => ({ task, kind: "classification", method, metric, value, ...(k ? { k } : {}) });
  return [row("top1", m.top1, 1), row(`top${m.k}`, m.topk, m.k), row("mean_per_class_acc", m.meanPerClassRecall)];
}

/** Zero-shot classification metrics of a method (top-1, top-k, mean per-class recall). */
export async function classify(method: Method, task: Omit<ClassificationTask, "kind">): Promise<ClassificationMetrics> {
  if (task.classTexts.length < 2) throw new Error(`classification task ${task.name}: ${task.classTexts.length} classes (need 2 or more)`);
  const clf = await buildZeroShotClassifier(method.embedTexts, task.classTexts, { aggregate: task.aggregate });
  const s = await method.similarity(task.images, clf.weights);
  return classificationMetrics(classScores(clf, s, task.images.rows), clf.nClasses, task.labels, task.k ?? 5);
}

/** Recall@k both ways of a method. */
export async function retrieve(method: Method, task: Omit<RetrievalTask, "kind">): Promise<RetrievalRecall> {
  if (task.textImage.length !== task.texts.length) throw new Error(`retrieval task ${task.name}: ${task.texts.length} texts but ${task.textImage.length} image indices`);
  const s = await method.similarity(task.images, await method.embedTexts(task.texts));
  return retrievalRecallFromScores(s, task.images.rows, task.texts.length, task.textImage, task.ks);
}

/** Winoground text / image / group scores of a method. */
export async function winoground(method: Method, task: Omit<WinogroundTask, "kind">): Promise<WinogroundScores> {
  const s = await method.similarity(task.images, await method.embedTexts(task.texts));
  const nT = task.texts.length;
  return winogroundScores(task.groups, (i, t) => s[i * nT + t]);
}

/** Evaluate a method on a task: one row per metric. */
export async function evaluate(method: Method, task: EvalTask): Promise<EvalRow[]> {
  const row = (metric: MetricName, value: number, k?: number): EvalRow => ({ task: task.name, kind: task.kind, method: method.name, metric, value, ...(k ? { k } : {}) });
  if (task.kind === "classification") return classificationRows(method.name, task.name, await classify(method, task));
  if (task.kind === "retrieval") {
    const r = await retrieve(method, task);
    return (task.ks ?? [1, 5, 10]).flatMap((k) => [row(`image_to_text_r${k}`, r.imageToText[k], k), row(`text_to_image_r${k}`, r.textToImage[k], k)]);
  }
  const w = await winoground(method, task);
  return [row("winoground_text", w.text), row("winoground_image", w.image), row("winoground_group", w.group)];
}
