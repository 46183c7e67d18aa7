/**
 * `deno task extract`: compute and store the features of the embedded default (or the named parts),
 * resumably. Run it again after a crash or Ctrl-C: only what is missing is computed.
 *
 *   deno task extract                         # the whole embedded plan, one process per CPU core
 *   deno task extract --jobs 1                # in this process only
 *   deno task extract --encoder use-lite      # only this encoder (repeatable)
 *   deno task extract --dataset openclipart   # only this dataset (repeatable; one outside the plan runs with MobileNetV2)
 *   deno task extract --root /scratch/feats   # feature stores under this folder (default <cache>/features)
 *   deno task extract --shard 3/16            # one slice: a Slurm array task / Kubernetes indexed job
 *                                             # (the shard also comes from SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX)
 */
import { parseArgs } from "node:util";
import { EMBEDDED_PLAN } from "../lib/config.ts";
import { dataset } from "../lib/data/registry.ts";
import { loadWordNet } from "../lib/data/wordnet.ts";
import { classRepresentations } from "../lib/data/class_texts.ts";
import { languageEncoder, visionEncoder } from "../lib/encoders/registry.ts";
import { convertedVisionModel, visionEngineFromEnv } from "../lib/encoders/onnx_vision.ts";
import { NSFWJS_VISION, type NsfwjsVisionName } from "../lib/encoders/tfjs_models.ts";
import { extract, storeFor } from "../lib/store/extract.ts";
import { parseShard, shardFromEnv, type Shard, WHOLE } from "../lib/store/shard.ts";
import { selectTfBackend } from "../lib/runtime/tf_backend.ts";
import type { ExtractionPlan } from "../lib/config.ts";

/** Every text the plan embeds with each language encoder (deduplicated). */
export async function planTexts(plan: ExtractionPlan): Promise<string[]> {
  const wordnet = await loadWordNet();
  const texts = new Set<string>();
  for (const name of plan.textDatasets) {
    const ds = await dataset(name);
    for (const it of ds.items) if (it.caption?.trim()) texts.add(it.caption);
    const reps = classRepresentations(ds.classes.filter(Boolean), { templates: plan.templates, wordnet });
    for (const list of [...Object.values(reps.templates), ...Object.values(reps.descriptions)]) for (const t of list) texts.add(t);
  }
  return [...texts];
}

/** Run the plan (or the selected part) for one shard; returns a line per job. */
export async function runPlan(plan: ExtractionPlan, shard: Shard, only: { encoders?: string[]; datasets?: string[]; root?: string } = {}) {
  const want = (e: string) => !only.encoders?.length || only.encoders.includes(e);
  const wantDs = (d: string) => !only.datasets?.length || only.datasets.includes(d);
  await selectTfBackend();
  const lines: string[] = [];
  // a dataset named with --dataset that no job lists runs with the first job's encoder (MobileNetV2)
  const unplanned = (only.datasets ?? []).filter((d) => !plan.images.some((j) => j.datasets.includes(d)));
  const jobs = plan.images.map((j, i) => i === 0 ? { ...j, datasets: [...j.datasets, ...unplanned] } : j);
  for (const job of jobs) {
    if (!want(job.encoder)) continue;
    const enc = await visionEncoder(job.encoder);
    const store = await storeFor(enc, "float32", only.root);
    for (const name of job.datasets.filter(wantDs)) {
      const ds = await dataset(name);
      const items = ds.items.filter((it) => it.image_path).map((it) => ({ id: it.item_id, input: it.image_path! }));
      // 64 images per call: the encoder decodes its next model batch while the current one runs
      const r = await extract(store, enc, items, { shard, onError: "skip", batchSize: 64, label: `${job.encoder} / ${name}` });
      lines.push(`${job.encoder} / ${name}: ${r.computed} computed, ${r.cached} cached, ${r.skipped} skipped, ${r.seconds.toFixed(1)} s`);
    }
    enc.dispose();
  }
  const langs = plan.language.filter(want);
  if (langs.length && (!only.datasets?.length || plan.textDatasets.some(wantDs))) {
    const texts = await planTexts({ ...plan, textDatasets: plan.textDatasets.filter(wantDs) });
    for (const name of langs) {
      const enc = await languageEncoder(name);
      const store = await storeFor(enc, "float32", only.root);
      const r = await extract(store, enc, texts.map((t, i) => ({ id: `text-${i}`, input: t })), { shard, batchSize: 64, label: `${name} / ${texts.length} texts` });
      lines.push(`${name} / texts: ${r.computed} computed, ${r.cached} cached, ${r.seconds.toFixed(1)} s${enc.oovRate && r.computed ? `, out-of-vocabulary ${(100 * enc.oovRate()).toFixed(1)}% of word tokens` : ""}`);
      enc.dispose();
    }
  }
  return lines;
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: { encoder: { type: "string", multiple: true }, dataset: { type: "string", multiple: true }, shard: { type: "string" }, jobs: { type: "string" }, root: { type: "string" } },
  });
  const only = { encoders: values.encoder, datasets: values.dataset, root: values.root };
  const shard = values.shard ? parseShard(values.shard) : shardFromEnv(Deno.env.toObject());
  const jobs = Number(values.jobs ?? (shard ? 1 : Math.max(1, Math.min(4, navigator.hardwareConcurrency))));
  const t0 = performance.now();
  if (shard || jobs === 1) {
    for (const line of await runPlan(EMBEDDED_PLAN, shard ?? WHOLE, only)) console.log(`[extract ${(shard ?? WHOLE).index}/${(shard ?? WHOLE).count}] ${line}`);
  } else {
    // Warm the shared pieces once (asset downloads, dataset tables, word-vector conversion) so that the
    // workers do not race to build them, then one worker per core, each its own slice.
    for (const name of new Set([...EMBEDDED_PLAN.images.flatMap((j) => j.datasets), ...EMBEDDED_PLAN.textDatasets])) {
      if (!only.datasets?.length || only.datasets.includes(name)) await dataset(name);
    }
    if (!only.encoders?.length || only.encoders.includes("word2vec-100d")) await languageEncoder("word2vec-100d");
    if (visionEngineFromEnv() === "onnx") {
      for (const job of EMBEDDED_PLAN.images) {
        if (job.encoder in NSFWJS_VISION && (!only.encoders?.length || only.encoders.includes(job.encoder))) {
          await convertedVisionModel(job.encoder as NsfwjsVisionName); // convert once, before the workers
        }
      }
    }
    const extra = [...(values.encoder ?? []).flatMap((e) => ["--encoder", e]), ...(values.dataset ?? []).flatMap((d) => ["--dataset", d]), ...(values.root ? ["--root", values.root] : [])];
    const children = Array.from({ length: jobs }, (_, i) =>
      new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", import.meta.filename!, "--shard", `${i}/${jobs}`, ...extra],
        // the cores are shared out: each worker's onnxruntime sessions get cores / jobs intra-op threads
        env: { SHARELOCK_ORT_THREADS: Deno.env.get("SHARELOCK_ORT_THREADS") ?? String(Math.max(1, Math.floor(navigator.hardwareConcurrency / jobs))) },
      }).spawn());
    const codes = await Promise.all(children.map((c) => c.status));
    if (codes.some((c) => !c.success)) {
      console.error("[extract] a worker failed; run the command again to finish what is missing");
      Deno.exit(1);
    }
  }
  console.log(`[extract] done in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
}
