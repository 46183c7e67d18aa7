/**
 * `deno task bench scale`: the paper's workload at the paper's dimensions, through the real code, on
 * synthetic features. A stand-in encoder returns seeded vectors (4096-d "Llama-3" text features stored
 * as float16, 1024-d "DINOv2" image features stored as float32); `extract` writes them into stores from
 * several processes, one store per process as Slurm array tasks would, and `mergeStores` merges them.
 * Then the trainer runs the paper's MLP (4096 -> 3 x 4096 -> 1024, batch 1024, gradient accumulation)
 * streaming its batches from the store's shards with bounded memory, with early-stopping validation;
 * then ImageNet-sized zero-shot evaluation (1,000 classes x templates against 50,000 images) and
 * retrieval on 5,000 pairs, in chunks. Writes `outputs/bench/scale.json` and prints a table: peak
 * resident memory, store write and read MB/s, seconds per optimiser step, and the time of the paper's
 * 5,000 steps and of the CC3M extraction extrapolated from the measured rates.
 *
 *   deno task bench scale                       # default sizes: under 15 min on 2 cores
 *   deno task bench scale --small               # a quick run (about a minute)
 *   deno task bench scale --full                # the paper's sizes: 563k pairs, accumulation 16, 50k validation, 80 templates
 *   deno task bench scale --pairs 100000 --steps 20 --accumulation 16 --memory-mb 512
 *
 * The stand-in encoder's text vector tiles a per-pair latent with noise, and the image vector is that
 * latent with other noise: a projection exists, so the loss can fall; the figures measured are speed
 * and memory, not accuracy.
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import { readFileSync } from "node:fs";
import { projectPaths } from "../lib/runtime/paths.ts";
import { writeJsonAtomic } from "../lib/runtime/atomic.ts";
import { selectTfBackend } from "../lib/runtime/tf_backend.ts";
import { type FeatureStore, type Matrix, mergeStores, openStore, type StoreDtype } from "../lib/store/feature_store.ts";
import { projectOnDevice } from "../lib/train/project_on_device.ts";
import { extract } from "../lib/store/extract.ts";
import { parseShard } from "../lib/store/shard.ts";
import { storeRows } from "../lib/store/rows.ts";
import type { EncoderIdentity, LanguageEncoder, VisionEncoder } from "../lib/encoders/types.ts";
import { seededRandom } from "../lib/runtime/random.ts";
import { PAPER_DEFAULTS, trainProjection } from "../lib/train/trainer.ts";
import { classPrototypes } from "../lib/eval/zeroshot.ts";
import { retrievalRecall } from "../lib/eval/retrieval.ts";
import { mapRowsInChunks, zeroShotInChunks } from "../lib/eval/chunked.ts";
import { table } from "../lib/report/display.ts";

/** Sizes and settings of a scale run. */
export interface ScaleConfig {
  /** Image-caption pairs (CC3M-LLaVA: 563k). */
  pairs: number;
  textDim: number;
  imageDim: number;
  textDtype: StoreDtype;
  imageDtype: StoreDtype;
  /** Extraction processes, each writing its own store (merged afterwards). */
  workers: number;
  batchSize: number;
  accumulation: number;
  /** Optimiser steps run here (the paper: at most 5,000). */
  steps: number;
  warmup: number;
  /** Validation pairs (at most 10% of the pairs), checked every `evalEvery` steps. */
  valSize: number;
  evalEvery: number;
  /** Shard bytes the training and evaluation readers may hold in memory. */
  memoryBytes: number;
  /** Zero-shot: classes x templates texts against `zeroShotImages` images. */
  classes: number;
  templates: number;
  zeroShotImages: number;
  retrievalPairs: number;
}

/** The paper's workload (563k pairs; 5,000 steps of 1024 x 16; 50k validation; ImageNet: 1000 x 80 vs 50k). */
export const PAPER_SCALE = { pairs: 563_000, steps: 5000, accumulation: 16, valSize: 50_000, evalEvery: 1, templates: 80 };

/** Default sizes: the paper's dimensions, batch, ImageNet zero-shot and retrieval; fewer pairs and steps (under 15 min on 2 cores). */
export const SCALE_DEFAULT: ScaleConfig = {
  pairs: 50_000, textDim: 4096, imageDim: 1024, textDtype: "float16", imageDtype: "float32", workers: 2,
  batchSize: 1024, accumulation: 8, steps: 6, warmup: 2, valSize: 5_000, evalEvery: 3, memoryBytes: 256 * 2 ** 20,
  classes: 1000, templates: 80, zeroShotImages: 50_000, retrievalPairs: 5_000,
};

/** A quick run for development. */
export const SCALE_SMALL: ScaleConfig = {
  ...SCALE_DEFAULT, pairs: 4_000, batchSize: 256, accumulation: 2, steps: 3, warmup: 1, valSize: 400, evalEvery: 3,
  memoryBytes: 32 * 2 ** 20, classes: 100, templates: 4, zeroShotImages: 2_000, retrievalPairs: 1_000,
};

/** The paper's sizes (steps stay a setting: 5,000 of them take days on a CPU). */
export const SCALE_FULL: ScaleConfig = {
  ...SCALE_DEFAULT, pairs: PAPER_SCALE.pairs, accumulation: PAPER_SCALE.accumulation, valSize: PAPER_SCALE.valSize,
  templates: PAPER_SCALE.templates, warmup: 150, evalEvery: 1,
};

/** Peak resident memory of this process (Linux VmHWM), MB; else the current RSS. */
export function peakRssMb(): number {
  try {
    const m = readFileSync("/proc/self/status", "utf8").match(/VmHWM:\s+(\d+) kB/);
    if (m) return Number(m[1]) / 1024;
  } catch { /* not Linux */ }
  return Deno.memoryUsage().rss / 2 ** 20;
}

/** Inputs of the stand-in encoders: pair captions/images and class templates/images. Pure. */
export function scaleItems(c: ScaleConfig) {
  const captions = Array.from({ length: c.pairs }, (_, i) => `pair:${i}`);
  const templates = Array.from({ length: c.classes * c.templates }, (_, i) => `class:${Math.floor(i / c.templates)}:t${i % c.templates}`);
  const valImages = Array.from({ length: c.zeroShotImages }, (_, j) => `class:${j % c.classes}:img${j}`);
  return { captions, templates, valImages, texts: [...captions, ...templates], images: [...captions, ...valImages] };
}

/**
 * The stand-in encoder: `pair:i` and `class:c:...` inputs share a seeded 1024-d latent (per pair or per
 * class); text vectors tile it to `dim` with noise, image vectors add other noise. Deterministic.
 */
export function standInEncoder(kind: "text" | "image", dim: number, latentDim: number): LanguageEncoder & VisionEncoder {
  const identity: EncoderIdentity = {
    kind, name: `stand-in-${kind}-${dim}`, model: "seeded latent + noise", version: "1", pooling: "none", dtype: "fp32", preprocessing: "none", dim,
  };
  const one = (input: string) => {
    const [tag, id] = input.split(":");
    const lat = seededRandom(`${tag}:${id}`), noise = seededRandom(`${kind}:${input}`);
    const latent = Float32Array.from({ length: latentDim }, () => lat.normal());
    const v = new Float32Array(dim);
    for (let k = 0; k < dim; k++) v[k] = latent[k % latentDim] + 0.7 * (noise.next() * 2 - 1);
    return v;
  };
  return {
    identity,
    embed: (inputs: unknown[]) => Promise.resolve(inputs.map((x) => one(String(x)))),
    dispose() {},
  } as LanguageEncoder & VisionEncoder;
}

const encoders = (c: ScaleConfig) => ({ text: standInEncoder("text", c.textDim, c.imageDim), image: standInEncoder("image", c.imageDim, c.imageDim) });

/** One extraction process: its shard of every text and image into stores under `root`. */
async function worker(root: string, c: ScaleConfig, shardText: string) {
  const t0 = performance.now();
  const shard = parseShard(shardText), items = scaleItems(c), enc = encoders(c);
  let embedMs = 0;
  const timed = <E extends LanguageEncoder & VisionEncoder>(e: E): E => ({
    ...e,
    identity: e.identity,
    embed: async (x: unknown[]) => {
      const t = performance.now();
      const r = await e.embed(x as string[]);
      embedMs += performance.now() - t;
      return r;
    },
  });
  const out: Record<string, number> = {};
  for (const [kind, list, dtype] of [["text", items.texts, c.textDtype], ["image", items.images, c.imageDtype]] as const) {
    const e = timed(enc[kind]);
    const store = await openStore(e.identity, { name: e.identity.name, dim: e.identity.dim, dtype, root });
    const r = await extract(store, e, list.map((x) => ({ id: x, input: x })), { shard, batchSize: 256, progress: false, verify: false });
    out[`${kind}_computed`] = r.computed;
  }
  return { ...out, seconds: (performance.now() - t0) / 1000, embed_seconds: embedMs / 1000, peak_rss_mb: peakRssMb() };
}

/** Key of each item as `extract` computes it (reads them back by running extract over a full store). */
async function keysOf(store: FeatureStore, enc: LanguageEncoder & VisionEncoder, list: string[]): Promise<string[]> {
  const r = await extract(store, enc, list.map((x) => ({ id: x, input: x })), { progress: false, verify: false });
  if (r.computed) throw new Error(`scale bench: ${r.computed} ${enc.identity.name} vectors were missing after the merge`);
  return r.keys;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const mb = (bytes: number) => bytes / 1e6;

/** Run the scale benchmark; returns the JSON written to `outputs/bench/scale.json`. */
export async function benchScale(c: ScaleConfig, opts: { root?: string; log?: (s: string) => void } = {}): Promise<Record<string, unknown>> {
  const log = opts.log ?? ((s: string) => console.error(`[bench scale] ${s}`));
  const backend = await selectTfBackend();
  const root = opts.root ?? await Deno.makeTempDir({ prefix: "sharelock-scale-" });
  const items = scaleItems(c), enc = encoders(c);
  const textBytes = items.texts.length * c.textDim * (c.textDtype === "float16" ? 2 : 4);
  const imageBytes = items.images.length * c.imageDim * (c.imageDtype === "float16" ? 2 : 4);
  try {
    // 1. extraction: one process per shard, each its own store, as Slurm array tasks with local caches
    log(`extracting ${items.texts.length} texts (${c.textDim}-d ${c.textDtype}) and ${items.images.length} images (${c.imageDim}-d ${c.imageDtype}) with ${c.workers} processes`);
    let t = performance.now();
    const outs = await Promise.all(Array.from({ length: c.workers }, (_, i) =>
      new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", import.meta.filename!, "--worker", join(root, `task-${i}`), JSON.stringify(c), `${i}/${c.workers}`],
        stdout: "piped",
        stderr: "inherit",
      }).output()));
    const extractS = (performance.now() - t) / 1000;
    const workers = outs.map((o, i) => {
      if (!o.success) throw new Error(`scale bench: extraction worker ${i} failed`);
      return JSON.parse(new TextDecoder().decode(o.stdout).trim().split("\n").at(-1)!);
    });
    const storeS = Math.max(...workers.map((w) => w.seconds - w.embed_seconds));
    // 2. merge into one store
    t = performance.now();
    const merged = join(root, "merged");
    const textStore = await openStore(enc.text.identity, { name: enc.text.identity.name, dim: c.textDim, dtype: c.textDtype, root: merged });
    const imageStore = await openStore(enc.image.identity, { name: enc.image.identity.name, dim: c.imageDim, dtype: c.imageDtype, root: merged });
    for (const s of [textStore, imageStore]) {
      const name = s.dir.split("/").at(-1)!;
      await mergeStores(Array.from({ length: c.workers }, (_, i) => join(root, `task-${i}`, name)), s.dir);
      s.refresh();
    }
    const mergeS = (performance.now() - t) / 1000;
    log(`extraction ${extractS.toFixed(1)} s, merge ${mergeS.toFixed(1)} s`);
    const textKeys = await keysOf(textStore, enc.text, items.texts), imageKeys = await keysOf(imageStore, enc.image, items.images);
    const captionKeys = textKeys.slice(0, c.pairs), templateKeys = textKeys.slice(c.pairs);
    const pairImageKeys = imageKeys.slice(0, c.pairs), valImageKeys = imageKeys.slice(c.pairs);

    // 3. reads: checking every shard, sequential chunks, random training batches (bounded memory)
    t = performance.now();
    // the memory setting is shared: three quarters for the text shards, a quarter for the image shards
    const texts = storeRows(textStore, captionKeys, { memoryBytes: c.memoryBytes * 0.75 });
    const verifyS = (performance.now() - t) / 1000;
    const seqRows = Math.min(c.pairs, 8192);
    t = performance.now();
    for (let s = 0; s < seqRows; s += 1024) texts.read(Array.from({ length: Math.min(1024, seqRows - s) }, (_, i) => s + i));
    const seqS = (performance.now() - t) / 1000;
    const rng = seededRandom(9);
    const randRows = Array.from({ length: Math.min(c.batchSize, c.pairs) }, () => rng.int(c.pairs));
    t = performance.now();
    const reps = 4;
    for (let r = 0; r < reps; r++) storeRows(textStore, captionKeys, { memoryBytes: 0, verify: false }).read(randRows);
    const randS = (performance.now() - t) / 1000;
    const rowBytes = c.textDim * (c.textDtype === "float16" ? 2 : 4);

    // 4. training: the paper's MLP, batches streamed from the shards
    const images = storeRows(imageStore, pairImageKeys, { memoryBytes: c.memoryBytes * 0.25 });
    const stepMs: number[] = [], valMs: number[] = [];
    const valSize = Math.min(c.valSize, Math.floor(c.pairs * 0.1));
    log(`training: paper MLP ${c.textDim} -> 3 x 4096 -> ${c.imageDim}, batch ${c.batchSize} x ${c.accumulation}, ${c.steps} steps, validation on ${valSize} pairs every ${c.evalEvery}`);
    const run = await trainProjection({ images, texts, textsOf: Array.from({ length: c.pairs }, (_, i) => [i]) }, {
      ...PAPER_DEFAULTS,
      maxSteps: c.steps, batchSize: c.batchSize, accumulation: c.accumulation, warmup: c.warmup, valSize, valFraction: 0.1,
      evalEvery: c.evalEvery, seed: 0, progress: "log",
      onStep: (row, ms) => {
        stepMs.push(ms.step);
        if (ms.validation) valMs.push(ms.validation);
        log(`step ${row.step}: loss ${row.loss.toFixed(4)}, ${(ms.step / 1000).toFixed(1)} s${row.valLoss !== undefined ? `, val ${row.valLoss.toFixed(4)} (${(ms.validation / 1000).toFixed(1)} s)` : ""}`);
      },
    });
    const trainPeakMb = peakRssMb();

    // 5. evaluation in chunks: zero-shot (classes x templates against the images) and retrieval
    t = performance.now();
    // onnxruntime on the device of SHARELOCK_DEVICE (default auto), one session per chunk of 16,384 texts
    const project = (m: Matrix) => projectOnDevice(run.projection, m);
    const templ = await mapRowsInChunks(storeRows(textStore, templateKeys, { memoryBytes: c.memoryBytes }), project, 16_384);
    const projS = (performance.now() - t) / 1000;
    t = performance.now();
    const protos = classPrototypes(templ, Array.from({ length: templ.rows }, (_, i) => Math.floor(i / c.templates)), c.classes);
    const zs = zeroShotInChunks(storeRows(imageStore, valImageKeys, { memoryBytes: c.memoryBytes }), protos, valImageKeys.map((_, j) => j % c.classes), { chunk: 5000 });
    const scoreS = (performance.now() - t) / 1000;
    t = performance.now();
    const rIdx = Array.from({ length: Math.min(c.retrievalPairs, c.pairs) }, (_, i) => i);
    const rTexts = await mapRowsInChunks({ rows: rIdx.length, dim: c.textDim, read: (idx) => texts.read(Array.from(idx, (i) => rIdx[i])) }, project, 16_384);
    const rImages = { data: images.read(rIdx), rows: rIdx.length, dim: c.imageDim };
    const recall = retrievalRecall(rImages, rTexts, rIdx);
    const retrievalS = (performance.now() - t) / 1000;
    run.projection.dispose();

    // 6. extrapolation from the measured rates
    const steady = stepMs.length > 1 ? stepMs.slice(1) : stepMs;
    const secPerStep = median(steady) / 1000, secPerMicro = secPerStep / c.accumulation;
    const valSecPerPair = valMs.length ? median(valMs) / 1000 / valSize : NaN;
    const paperTrainH = (PAPER_SCALE.steps * PAPER_SCALE.accumulation * secPerMicro) / 3600;
    const paperValH = (PAPER_SCALE.steps / PAPER_SCALE.evalEvery) * PAPER_SCALE.valSize * valSecPerPair / 3600;
    const writeMbS = mb(textBytes + imageBytes) / storeS;
    const cc3mBytes = PAPER_SCALE.pairs * (c.textDim * 2 + c.imageDim * 4);
    const result = {
      machine: `${Deno.build.os}-${Deno.build.arch}, ${navigator.hardwareConcurrency} cores`,
      date: new Date().toISOString(),
      tf_backend: backend.backend,
      training_engine: run.engine,
      device: run.device ?? "cpu",
      config: c,
      extraction: {
        texts: items.texts.length, images: items.images.length, bytes: textBytes + imageBytes, seconds: extractS,
        store_seconds: storeS, stand_in_encoder_seconds: Math.max(...workers.map((w) => w.embed_seconds)),
        write_mb_per_s: writeMbS, end_to_end_mb_per_s: mb(textBytes + imageBytes) / extractS, merge_seconds: mergeS,
        worker_peak_rss_mb: Math.max(...workers.map((w) => w.peak_rss_mb)),
      },
      reading: {
        verify_mb_per_s: mb(c.pairs * rowBytes) / verifyS,
        sequential_mb_per_s: mb(seqRows * rowBytes) / seqS,
        random_batch_mb_per_s: mb(reps * randRows.length * rowBytes) / randS,
        random_batch_rows: randRows.length,
      },
      training: {
        steps: run.steps, first_step_s: stepMs[0] / 1000, s_per_step: secPerStep, s_per_micro_batch: secPerMicro,
        validation_pairs: valSize, validation_s_per_1000_pairs: valSecPerPair * 1000,
        loss_first: run.history[0]?.loss, loss_last: run.history.at(-1)?.loss, best_val_loss: run.bestValLoss,
        peak_rss_mb: trainPeakMb, memory_setting_mb: c.memoryBytes / 2 ** 20,
        held_shard_mb: (images.stats.peakHeldBytes + texts.stats.peakHeldBytes) / 2 ** 20,
        in_memory_features_mb: (c.pairs * c.textDim * 4 + c.pairs * c.imageDim * 4) / 2 ** 20,
      },
      evaluation: {
        zero_shot: { classes: c.classes, templates: c.templates, images: c.zeroShotImages, top1: zs.top1, top5: zs.topk, project_s: projS, score_s: scoreS },
        template_projection_s_per_1000: 1000 * projS / templ.rows,
        retrieval: { pairs: rIdx.length, image_to_text_r1: recall.imageToText[1], text_to_image_r1: recall.textToImage[1], seconds: retrievalS },
      },
      extrapolated: {
        paper_5000_steps_hours_training: paperTrainH,
        paper_validation_hours: paperValH,
        paper_zero_shot_80_templates_s: (1000 * 80 * projS) / templ.rows + scoreS * (50_000 / c.zeroShotImages),
        cc3m_store_write_s: mb(cc3mBytes) / writeMbS,
        cc3m_text_f32_gb: (PAPER_SCALE.pairs * c.textDim * 4) / 1e9,
      },
      peak_rss_mb: peakRssMb(),
    };
    return result;
  } finally {
    if (!opts.root) await Deno.remove(root, { recursive: true }).catch(() => {});
  }
}

/** The printed table: one row per figure. Pure. */
// deno-lint-ignore no-explicit-any
export function scaleTable(r: Record<string, any>): Record<string, unknown>[] {
  const f = (x: number, d = 1) => (Number.isFinite(x) ? +x.toFixed(d) : null);
  return [
    { figure: "peak resident memory, main process (MB)", value: f(r.peak_rss_mb, 0) },
    { figure: "peak resident memory, extraction worker (MB)", value: f(r.extraction.worker_peak_rss_mb, 0) },
    { figure: "features if held in memory as float32 (MB)", value: f(r.training.in_memory_features_mb, 0) },
    { figure: "store write MB/s (extraction, all workers, excl. encoder)", value: f(r.extraction.write_mb_per_s) },
    { figure: "store read MB/s, checksum pass", value: f(r.reading.verify_mb_per_s) },
    { figure: "store read MB/s, sequential rows", value: f(r.reading.sequential_mb_per_s) },
    { figure: `store read MB/s, random batch of ${r.reading.random_batch_rows} rows from disk`, value: f(r.reading.random_batch_mb_per_s) },
    { figure: `s per optimiser step (batch ${r.config.batchSize} x ${r.config.accumulation})`, value: f(r.training.s_per_step, 2) },
    { figure: `s per micro-batch of ${r.config.batchSize}`, value: f(r.training.s_per_micro_batch, 2) },
    { figure: "validation s per 1,000 pairs", value: f(r.training.validation_s_per_1000_pairs, 2) },
    { figure: `zero-shot: ${r.config.classes} x ${r.config.templates} templates projected (s)`, value: f(r.evaluation.zero_shot.project_s) },
    { figure: `zero-shot: scoring ${r.config.zeroShotImages} images (s)`, value: f(r.evaluation.zero_shot.score_s) },
    { figure: `retrieval on ${r.evaluation.retrieval.pairs} pairs (s)`, value: f(r.evaluation.retrieval.seconds) },
    { figure: "extrapolated: paper's 5,000 steps x 16 (hours, training only)", value: f(r.extrapolated.paper_5000_steps_hours_training) },
    { figure: "extrapolated: validation on 50,000 pairs every step (hours)", value: f(r.extrapolated.paper_validation_hours) },
    { figure: "extrapolated: ImageNet zero-shot, 1000 x 80 templates (s)", value: f(r.extrapolated.paper_zero_shot_80_templates_s) },
    { figure: "extrapolated: CC3M (563k) store writes, f16 text + f32 image (s)", value: f(r.extrapolated.cc3m_store_write_s) },
  ];
}

function configFromArgs(args: string[]): ScaleConfig {
  const { values } = parseArgs({
    args,
    options: {
      small: { type: "boolean" }, full: { type: "boolean" }, pairs: { type: "string" }, steps: { type: "string" }, accumulation: { type: "string" },
      batch: { type: "string" }, "memory-mb": { type: "string" }, templates: { type: "string" }, workers: { type: "string" }, "val-size": { type: "string" },
    },
  });
  const c = { ...(values.full ? SCALE_FULL : values.small ? SCALE_SMALL : SCALE_DEFAULT) };
  const num = (v: string | undefined, name: string) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`bench scale: --${name} must be a positive number, got "${v}"`);
    return n;
  };
  if (values.pairs) c.pairs = num(values.pairs, "pairs");
  if (values.steps) c.steps = num(values.steps, "steps");
  if (values.accumulation) c.accumulation = num(values.accumulation, "accumulation");
  if (values.batch) c.batchSize = num(values.batch, "batch");
  if (values["memory-mb"]) c.memoryBytes = num(values["memory-mb"], "memory-mb") * 2 ** 20;
  if (values.templates) c.templates = num(values.templates, "templates");
  if (values.workers) c.workers = num(values.workers, "workers");
  if (values["val-size"]) c.valSize = num(values["val-size"], "val-size");
  return c;
}

/** `deno task bench scale [flags]`: run, write `outputs/bench/scale.json`, print the table. */
export async function runScaleBench(args: string[]): Promise<void> {
  const c = configFromArgs(args);
  const r = await benchScale(c);
  const out = join(projectPaths().outputs, "bench", "scale.json");
  await writeJsonAtomic(out, r);
  console.log(table(scaleTable(r), { caption: `scale (${out})`, digits: 2 }).bundle["text/plain"]);
}

if (import.meta.main && Deno.args[0] === "--worker") {
  console.log(JSON.stringify(await worker(Deno.args[1], JSON.parse(Deno.args[2]), Deno.args[3])));
} else if (import.meta.main) {
  await runScaleBench(Deno.args);
}
