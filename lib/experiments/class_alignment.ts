/**
 * Training-free alignment of a language encoder with the vision features of a probing context: for each
 * class, the template-averaged text prototype against the mean image feature of that class, measured by
 * mutual k-NN and CKA (`stats/alignment.ts`). Nothing is trained, so it asks whether the two spaces
 * already share their neighbourhoods: the question the probe answers with a trained projection.
 *
 * @example
 * ```ts
 * import { probingContext } from "./probing.ts";
 * import { languageEncoder } from "../encoders/registry.ts";
 * const ctx = await probingContext({ dataset: "emoji-google", vision: "mobilenet-v2" });
 * const a = await classAlignment(ctx, await languageEncoder("use-lite"), { classes: ctx.unseenClasses });
 * console.log(a.mutualKnn.value, a.knnChance, a.unbiasedCka.value);
 * ```
 */
import type { LanguageEncoder } from "../encoders/types.ts";
import { textFeatures } from "../features.ts";
import { classPrototypes, flattenClassTexts } from "../eval/classifier.ts";
import type { Matrix } from "../core/matrix.ts";
import { alignmentReport, type AlignmentReport } from "../stats/alignment.ts";
import type { ProbingContext } from "./probing.ts";

/** Mean image feature of each class, in the order given. Pure. */
export function classImageMeans(ctx: Pick<ProbingContext, "items" | "images">, classes: readonly string[]): Matrix {
  const { dim } = ctx.images;
  const at = new Map(classes.map((c, i) => [c, i]));
  const data = new Float32Array(classes.length * dim), count = new Int32Array(classes.length);
  ctx.items.forEach((it, r) => {
    const c = at.get(it.class_name);
    if (c === undefined) return;
    count[c]++;
    for (let d = 0; d < dim; d++) data[c * dim + d] += ctx.images.data[r * dim + d];
  });
  const empty = classes.filter((_, c) => count[c] === 0);
  if (empty.length) throw new Error(`classImageMeans: no image of ${empty.slice(0, 3).join(", ")}${empty.length > 3 ? ", ..." : ""}`);
  for (let c = 0; c < classes.length; c++) for (let d = 0; d < dim; d++) data[c * dim + d] /= count[c];
  return { rows: classes.length, dim, data };
}

/** Mutual k-NN and CKA between class text prototypes (templates) and class image means. */
export async function classAlignment(
  ctx: ProbingContext,
  enc: LanguageEncoder,
  opts: { classes: readonly string[]; k?: number; resamples?: number; seed?: number },
): Promise<AlignmentReport> {
  const classes = opts.classes.filter((c) => ctx.texts.templates[c]?.length);
  const { texts, classOf } = flattenClassTexts(classes.map((c) => ctx.texts.templates[c]));
  const protos = classPrototypes(await textFeatures(texts, enc, { progress: false }), classOf, classes.length);
  return alignmentReport(protos, classImageMeans(ctx, classes), { k: opts.k ?? 10, resamples: opts.resamples ?? 200, seed: opts.seed ?? 0 });
}
