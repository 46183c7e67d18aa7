/**
 * The training work stored in a cache: every trained caption model (`results/caption-models/`) and
 * probing run (`results/probing/`) with the shape it trained and the steps it took, summed into FLOPs
 * of matrix products (`lib/train/work.ts`). `deno task bench reproduce` reports it for the cache it
 * fills, with the floor that the machine's fastest matrix product puts on the time to train it.
 *
 *   deno run -A scripts/training_work.ts [CACHE_DIR]      # default: the project's cache
 *
 * It prints the work by shape, then the floor: the work at onnxruntime's best MatMul rate on this
 * machine's cores (`lib/train/matmul_ceiling.ts`, measured then; run it on an idle machine).
 */
import { join } from "node:path";
import { LIT_BAG_OF_WORDS } from "../lib/baselines/lit.ts";
import { captionNotebookConfig } from "../lib/config.ts";
import { projectPaths } from "../lib/runtime/paths.ts";
import { readJsonOr } from "../lib/runtime/atomic.ts";
import { layerDims } from "../lib/train/step_graph.ts";
import type { ProjectionConfig } from "../lib/train/projection.ts";
import { type StepShape, trainingWork, type TrainingWork } from "../lib/train/work.ts";
import { matmulCeiling } from "../lib/train/matmul_ceiling.ts";

/** A trained run's shape and steps. */
export type TrainedRun = StepShape & { steps: number };

/** Layer sizes from a safetensors header's `layers.<i>.linear.weight` shapes ([out, in]); `file` names errors. Pure. */
export function headerDims(header: Record<string, { shape?: number[] }>, file: string): number[] {
  const layers: number[][] = [];
  for (const [name, t] of Object.entries(header)) {
    const m = /^layers\.(\d+)\.linear\.weight$/.exec(name);
    if (m) layers[+m[1]] = t.shape ?? [];
  }
  if (!layers.length || Array.from(layers).some((s) => !s || s.length !== 2)) throw new Error(`${file}: no layers.<i>.linear.weight of shape [out, in] in the header`);
  for (let i = 1; i < layers.length; i++) {
    if (layers[i][1] !== layers[i - 1][0]) throw new Error(`${file}: layer ${i} takes ${layers[i][1]} inputs but layer ${i - 1} gives ${layers[i - 1][0]}`);
  }
  return [layers[0][1], ...layers.map((s) => s[0])];
}

/** A stored caption model (its record and its weights' header) as a trained run at `batch` rows a step. Pure. */
export function captionModelRun(record: { text?: unknown; steps?: unknown }, header: Record<string, { shape?: number[] }>, batch: number, file: string): TrainedRun {
  if (typeof record.steps !== "number") throw new Error(`${file}: no "steps" in the record`);
  return { dims: headerDims(header, file), batch, steps: record.steps, ...(record.text === LIT_BAG_OF_WORDS ? { sparseFirst: true } : {}) };
}

/** A stored probing run (`{ key, value }`) as a trained run: its encoders' widths, projection and batch from the key. Pure. */
export function probingRun(record: { key?: Record<string, unknown>; value?: Record<string, unknown> }, file: string): TrainedRun {
  const key = record.key ?? {}, train = key.train as { batchSize?: number; projection?: Partial<ProjectionConfig> } | undefined;
  const text = key.text, vision = key.vision as { dim?: number } | undefined, steps = record.value?.steps;
  if (!train?.batchSize || !train.projection?.kind) throw new Error(`${file}: no train.batchSize or train.projection in the key`);
  if (typeof vision?.dim !== "number") throw new Error(`${file}: no vision.dim in the key`);
  if (typeof steps !== "number") throw new Error(`${file}: no "steps" in the value`);
  const sparse = text === LIT_BAG_OF_WORDS, inDim = sparse ? 0 : (text as { dim?: number } | undefined)?.dim;
  if (typeof inDim !== "number") throw new Error(`${file}: no text.dim in the key`);
  const dims = layerDims({ ...train.projection, inDim: Math.max(1, inDim), outDim: vision.dim } as ProjectionConfig);
  return { dims: sparse ? [0, ...dims.slice(1)] : dims, batch: train.batchSize, steps, ...(sparse ? { sparseFirst: true } : {}) };
}

/** The safetensors header of `path` (its first 8 + n bytes only). */
async function readHeader(path: string): Promise<Record<string, { shape?: number[] }>> {
  const f = await Deno.open(path);
  try {
    const len = new Uint8Array(8);
    if ((await f.read(len)) !== 8) throw new Error(`${path}: too short to be a safetensors file`);
    const n = Number(new DataView(len.buffer).getBigUint64(0, true));
    const buf = new Uint8Array(n);
    let got = 0;
    while (got < n) {
      const r = await f.read(buf.subarray(got));
      if (r === null) throw new Error(`${path}: header length ${n} exceeds the file`);
      got += r;
    }
    return JSON.parse(new TextDecoder().decode(buf));
  } finally {
    f.close();
  }
}

/** JSON files of `dir` (none when it does not exist). */
async function jsonFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) if (e.isFile && e.name.endsWith(".json")) out.push(join(dir, e.name));
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  return out.sort();
}

/**
 * The work of every trained run stored in `cache`. Caption-model records do not carry their batch: they
 * count `captionBatch` rows a step (default: the caption notebooks' setting).
 */
export async function cacheTrainingWork(cache: string, captionBatch = captionNotebookConfig("embedded").train.batchSize ?? 256): Promise<TrainingWork & { caption: TrainingWork; probing: TrainingWork }> {
  const caption: TrainedRun[] = [], probing: TrainedRun[] = [];
  for (const file of await jsonFiles(join(cache, "results", "caption-models"))) {
    const record = await readJsonOr<Record<string, unknown>>(file, {});
    caption.push(captionModelRun(record, await readHeader(file.replace(/\.json$/, ".safetensors")), captionBatch, file));
  }
  for (const file of await jsonFiles(join(cache, "results", "probing"))) probing.push(probingRun(await readJsonOr<Record<string, unknown>>(file, {}), file));
  return { ...trainingWork([...caption, ...probing]), caption: trainingWork(caption), probing: trainingWork(probing) };
}

if (import.meta.main) {
  const cache = Deno.args[0] ?? projectPaths().cache, w = await cacheTrainingWork(cache);
  const tflop = (f: number) => (f / 1e12).toFixed(1);
  console.log(`${cache}: ${w.runs} trained runs, ${w.steps} steps, ${tflop(w.flops)} TFLOP of matrix products ` +
    `(caption models ${w.caption.runs}: ${tflop(w.caption.flops)}; probing runs ${w.probing.runs}: ${tflop(w.probing.flops)})`);
  for (const s of w.shapes) console.log(`  ${s.sparseFirst ? "sparse " : ""}${s.dims.join("-")} batch ${s.batch}: ${s.runs} runs, ${s.steps} steps`);
  const c = await matmulCeiling();
  console.log(`At onnxruntime's best MatMul on ${c.threads} thread(s) here (${c.gflops} GFLOP/s, ${c.shape}) that is at least ` +
    `${(w.flops / (c.gflops * 1e9) / 60).toFixed(1)} min of training.`);
}
