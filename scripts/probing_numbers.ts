/**
 * Key probing figures of a checkout, for before/after comparisons of training changes without rerunning
 * the notebooks: strict zero-shot probing as notebook 01 (emoji-google, templates, `EMBEDDED_PROBING`) for
 * a few encoders and seeds, printed as one JSON object. Uses the feature store (`SHARELOCK_CACHE_DIR`),
 * never the results cache.
 *
 * `deno run -A scripts/probing_numbers.ts [repo root] [--scale S] [--captions]`: the root defaults to this
 * checkout; `--scale` overrides the logit scale (e.g. 14.285714 for the old 1/0.07); `--captions` prints
 * instead the LiT-style caption model of notebook 03 (seed 0, trained anew) on every zero-shot task.
 *
 * @example
 * ```ts
 * // deno run -A scripts/probing_numbers.ts ../other-checkout --scale 14.285714285714286
 * ```
 */
const args = [...Deno.args];
const captions = args.includes("--captions");
if (captions) args.splice(args.indexOf("--captions"), 1);
const at = args.indexOf("--scale");
const scale = at >= 0 ? Number(args.splice(at, 2)[1]) : undefined;
const root = args[0] ?? new URL("..", import.meta.url).pathname;
const L = (p: string) => import(`${root}/lib/${p}`);
const { selectTfBackend } = await L("runtime/tf_backend.ts");
await selectTfBackend();
const probing = await L("experiments/probing.ts");
const { CAPTIONS_EMBEDDED, EMBEDDED_PROBING } = await L("config.ts");
const pct = (x: number) => +(100 * x).toFixed(3);
if (captions) {
  const c = await L("experiments/captions.ts");
  const corpus = await c.captionCorpus(CAPTIONS_EMBEDDED.corpus);
  const tasks = await c.zeroShotTasks(corpus);
  Deno.env.set("SHARELOCK_NO_MEMO", "1");
  const train = { ...CAPTIONS_EMBEDDED.train, progress: false, ...(scale ? { logitScale: scale } : {}) };
  const model = await c.captionModel(corpus, { text: "lit-bag-of-words", seed: 0, train });
  const rows = await c.evaluateCaptionModel(model, corpus, tasks, { templates: CAPTIONS_EMBEDDED.templates, method: "LiT-style", retrieval: true });
  const keep = ["top1", "top5", "text_to_image_r5"];
  // deno-lint-ignore no-explicit-any
  console.log(JSON.stringify({ bestValLoss: model.bestValLoss, ...Object.fromEntries(rows.filter((r: any) => keep.includes(r.metric)).map((r: any) => [`${r.dataset} ${r.metric}`, pct(r.value)])) }, null, 1));
  Deno.exit(0);
}
const ctx = await probing.probingContext({ dataset: "emoji-google", vision: "mobilenet-v2" });
const out: Record<string, number> = {};
for (const text of ["word2vec-100d", "use-lite"]) {
  for (const seed of [0, 1, 2]) {
    const train = { ...EMBEDDED_PROBING, progress: false, ...(scale ? { logitScale: scale } : {}) };
    const r = await probing.probingRun(ctx, { text, representation: "templates", seed, train });
    out[`${text}/s${seed}/unseen_mean_per_class`] = pct(r.unseen.meanPerClassRecall);
    out[`${text}/s${seed}/unseen_top1`] = pct(r.unseen.top1);
    out[`${text}/s${seed}/unseen_top5`] = pct(r.unseen.topk ?? r.unseen.top5);
    out[`${text}/s${seed}/seen_mean_per_class`] = pct(r.seen.meanPerClassRecall);
  }
}
console.log(JSON.stringify(out, null, 1));
