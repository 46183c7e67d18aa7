/**
 * `deno task bench`: speed measurements written to `outputs/bench/*.json` and printed as tables.
 * Benchmarks, not tests: nothing here fails on a slow machine.
 *
 * Extraction (`outputs/bench/extraction.json`): per encoder, items/s end to end, the time spent
 * decoding and resizing images, and the feature store's cost; the goal is a pipeline around the model
 * (decode, resize, batching, store) under 20% of the model's own time. Store write and read MB/s.
 *
 * Training (`outputs/bench/training.json`): one optimiser step (forward, backward, Adam) of the text
 * projection with the CLIP loss, median ms over several steps after warm-up, for the linear and MLP
 * projections at the embedded default's shapes and at the paper's, with the GFLOP/s reached and the
 * backend's plain-matmul GFLOP/s for comparison.
 *
 *   deno task bench                 # everything
 *   deno task bench extraction      # one group (extraction, training)
 */
import { join } from "node:path";
import { projectPaths } from "../lib/runtime/paths.ts";
import { writeJsonAtomic } from "../lib/runtime/atomic.ts";
import { selectTfBackend } from "../lib/runtime/tf_backend.ts";
import { dataset } from "../lib/data/registry.ts";
import { preprocessImage } from "../lib/encoders/image_io.ts";
import { languageEncoder, visionEncoder } from "../lib/encoders/registry.ts";
import { openStore } from "../lib/store/feature_store.ts";
import { table } from "../lib/report/display.ts";
import * as tf from "@tensorflow/tfjs";
import { createProjection, type ProjectionConfig } from "../lib/train/projection.ts";
import { clipLoss } from "../lib/train/losses.ts";
import { adam } from "../lib/train/optim.ts";
import { l2Normalize } from "../lib/train/ops.ts";

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function time<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t = performance.now();
  const r = await fn();
  return [r, performance.now() - t];
}

/** Extraction speed of each embedded encoder and of the store. */
export async function benchExtraction(): Promise<Record<string, unknown>[]> {
  const backend = await selectTfBackend();
  const rows: Record<string, unknown>[] = [];
  const emoji = await dataset("emoji-google");
  const images = emoji.items.slice(0, 64).map((it) => it.image_path!);
  const root = await Deno.makeTempDir();
  for (const name of ["mobilenet-v2", "inception-v3"]) {
    const enc = await visionEncoder(name);
    const n = name === "inception-v3" ? 16 : 64;
    const batch = images.slice(0, n);
    await enc.embed(batch.slice(0, 4)); // warm-up
    const spec = name === "inception-v3" ? 299 : 224;
    const [, prepMs] = await time(async () => {
      for (const im of batch) await preprocessImage(im, { size: spec, mode: "pad", layout: "hwc" });
    });
    const [vecs, totalMs] = await time(() => enc.embed(batch));
    const store = await openStore({ bench: name, t: Date.now() }, { name: "bench", dim: enc.identity.dim, root });
    const [, storeMs] = await time(() => store.append(vecs.map((v, i) => ({ key: `k${i}`, itemId: `i${i}`, vector: v }))));
    const modelMs = totalMs - prepMs;
    rows.push({
      encoder: name, kind: "image", backend: backend.backend, items: n,
      items_per_s: +(1000 * n / totalMs).toFixed(1),
      model_ms_per_item: +(modelMs / n).toFixed(1),
      decode_resize_ms_per_item: +(prepMs / n).toFixed(2),
      store_ms_per_item: +(storeMs / n).toFixed(3),
      pipeline_overhead_pct: +(100 * (prepMs + storeMs) / modelMs).toFixed(1),
    });
    enc.dispose();
  }
  const texts = emoji.items.slice(0, 512).map((it) => `a drawing of a ${it.class_name}.`);
  for (const name of ["use-lite", "word2vec-100d", "random-word"]) {
    const enc = await languageEncoder(name);
    await enc.embed(texts.slice(0, 8));
    const [vecs, totalMs] = await time(() => enc.embed(texts));
    const store = await openStore({ bench: name, t: Date.now() }, { name: "bench", dim: enc.identity.dim, root });
    const [, storeMs] = await time(() => store.append(vecs.map((v, i) => ({ key: `k${i}`, itemId: `i${i}`, vector: v }))));
    rows.push({
      encoder: name, kind: "text", backend: name === "use-lite" ? backend.backend : "js", items: texts.length,
      items_per_s: +(1000 * texts.length / totalMs).toFixed(1),
      model_ms_per_item: +(totalMs / texts.length).toFixed(3),
      decode_resize_ms_per_item: 0,
      store_ms_per_item: +(storeMs / texts.length).toFixed(4),
      pipeline_overhead_pct: +(100 * storeMs / totalMs).toFixed(1),
    });
    enc.dispose();
  }
  // store throughput on its own: 20,000 x 512 float32 (41 MB)
  const dim = 512, n = 20_000, per = 2_000;
  const store = await openStore({ bench: "store", t: Date.now() }, { name: "bench-store", dim, root });
  const v = new Float32Array(dim).fill(0.5);
  const writes: number[] = [];
  for (let p = 0; p < n / per; p++) {
    const [, ms] = await time(() => store.append(Array.from({ length: per }, (_, i) => ({ key: `s${p}-${i}`, itemId: `${i}`, vector: v }))));
    writes.push(ms);
  }
  const keys = Array.from({ length: n }, (_, i) => `s${Math.floor(i / per)}-${i % per}`);
  const reopened = await openStore(JSON.parse(await Deno.readTextFile(join(store.dir, "identity.json"))).identity, { name: "bench-store", dim, root });
  const [, readMs] = await time(() => Promise.resolve(reopened.matrix(keys)));
  const mb = (n * dim * 4) / 1e6;
  rows.push({ encoder: "feature store", kind: "store", backend: "fs", items: n,
    items_per_s: +(1000 * n / readMs).toFixed(0),
    write_mb_per_s: +(mb / (writes.reduce((a, b) => a + b) / 1000)).toFixed(1),
    read_mb_per_s: +(mb / (readMs / 1000)).toFixed(1),
    median_part_write_ms: +median(writes).toFixed(1) });
  await Deno.remove(root, { recursive: true });
  return rows;
}

/** A training shape: text dim -> (hidden...) -> image dim at a batch size. */
interface Shape {
  name: string;
  projection: ProjectionConfig;
  batch: number;
  steps: number;
}

/** The shapes measured (A, B, C as in the speed issue; plus the paper's linear probe). */
export const TRAINING_SHAPES: Shape[] = [
  { name: "A: linear 512 -> 1792, batch 512", projection: { kind: "linear", inDim: 512, outDim: 1792 }, batch: 512, steps: 10 },
  { name: "B: 512 -> 1024 -> 1792, batch 512", projection: { kind: "mlp", inDim: 512, outDim: 1792, hidden: 1024, layers: 2, dropout: 0.2 }, batch: 512, steps: 10 },
  { name: "paper linear 4096 -> 1024, batch 1024", projection: { kind: "linear", inDim: 4096, outDim: 1024 }, batch: 1024, steps: 5 },
  { name: "C: paper MLP 4096 -> 3x4096 -> 1024, batch 1024", projection: { kind: "mlp", inDim: 4096, outDim: 1024, hidden: 4096, layers: 4, dropout: 0.2 }, batch: 1024, steps: 2 },
];

/** Matmul FLOPs of one step: forward + backward (3x forward) of every layer, plus the logits. Pure. */
export function stepFlops(p: ProjectionConfig, batch: number): number {
  const dims = p.kind === "linear" ? [p.inDim, p.outDim] : [p.inDim, ...Array((p.layers ?? 4) - 1).fill(p.hidden ?? 4096), p.outDim];
  let f = 0;
  for (let i = 0; i + 1 < dims.length; i++) f += 2 * batch * dims[i] * dims[i + 1];
  return 3 * (f + 2 * batch * batch * p.outDim);
}

/** Plain matmul GFLOP/s of the backend (1024^3). */
function matmulGflops(): number {
  const a = tf.randomNormal([1024, 1024]), b = tf.randomNormal([1024, 1024]);
  tf.matMul(a, b).dispose();
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    const c = tf.matMul(a, b);
    c.dataSync();
    times.push(performance.now() - t);
    c.dispose();
  }
  tf.dispose([a, b]);
  return (2 * 1024 ** 3) / (median(times) / 1000) / 1e9;
}

/** ms per training step for each shape on the current backend. */
export async function benchTraining(): Promise<Record<string, unknown>[]> {
  const backend = await selectTfBackend();
  const peak = matmulGflops();
  const rows: Record<string, unknown>[] = [];
  for (const shape of TRAINING_SHAPES) {
    const p = createProjection(shape.projection, 0);
    const opt = adam(p.trainable, { lr: 1e-3, weightDecay: 1e-4 });
    const x = tf.randomNormal([shape.batch, shape.projection.inDim], 0, 1, "float32", 1) as tf.Tensor2D;
    const img = tf.tidy(() => l2Normalize(tf.randomNormal([shape.batch, shape.projection.outDim], 0, 1, "float32", 2) as tf.Tensor2D));
    const step = () => {
      const { value, grads } = tf.variableGrads(() => clipLoss(img, p.forward(x, true)), p.trainable);
      opt.step(p.trainable.map((v) => grads[v.name]), 1e-3);
      const loss = value.dataSync()[0];
      tf.dispose([value, ...Object.values(grads)]);
      return loss;
    };
    step(); // warm-up
    const times: number[] = [];
    for (let i = 0; i < shape.steps; i++) {
      const t = performance.now();
      step();
      times.push(performance.now() - t);
      await new Promise((r) => setTimeout(r, 0));
    }
    const ms = median(times), flops = stepFlops(shape.projection, shape.batch);
    rows.push({
      shape: shape.name, engine: `tfjs-${backend.backend}`, threads: 1, steps: shape.steps,
      ms_per_step: +ms.toFixed(1), gflops: +(flops / (ms / 1000) / 1e9).toFixed(2),
      backend_matmul_gflops: +peak.toFixed(1), parameters: p.parameters,
    });
    console.error(`[bench] ${shape.name}: ${ms.toFixed(0)} ms/step`);
    tf.dispose([x, img]);
    opt.dispose();
    p.dispose();
  }
  return rows;
}

if (import.meta.main) {
  const groups = Deno.args.length ? Deno.args : ["extraction", "training"];
  const out = join(projectPaths().outputs, "bench");
  for (const g of groups) {
    if (g !== "extraction" && g !== "training") throw new Error(`unknown benchmark group "${g}" (known: extraction, training)`);
    const rows = g === "extraction" ? await benchExtraction() : await benchTraining();
    await writeJsonAtomic(join(out, `${g}.json`), { machine: `${Deno.build.os}-${Deno.build.arch}, ${navigator.hardwareConcurrency} cores`, date: new Date().toISOString(), rows });
    console.log(table(rows, { caption: `${g} (${join(out, `${g}.json`)})`, digits: 2 }).bundle["text/plain"]);
  }
}
