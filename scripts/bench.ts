/**
 * `deno task bench`: speed measurements written to `outputs/bench/*.json` and printed as tables.
 * Benchmarks, not tests: nothing here fails on a slow machine.
 *
 * Extraction (`outputs/bench/extraction.json`): per encoder, items/s end to end, the time spent
 * decoding and resizing images, and the feature store's cost; the goal is a pipeline around the model
 * (decode, resize, batching, store) under 20% of the model's own time. Store write and read MB/s.
 * The vision encoders run on both engines (TF.js; onnxruntime with every core as intra-op threads),
 * with the forward pass alone, its GFLOP/s, and a PyTorch peer (`bench_torch_vision.py`: torchvision's
 * MobileNetV2 1.4 / InceptionV3, random weights, same images, batch and threads) and the time ratio.
 *
 * Training (`outputs/bench/training.json`): one optimiser step (forward, backward, Adam) of the text
 * projection with the CLIP loss, median ms over several steps after warm-up, for the linear and MLP
 * projections at the embedded default's shapes and at the paper's, with the GFLOP/s of the products the
 * step computes (`lib/train/work.ts`), the TF.js backend's plain-matmul GFLOP/s, and for onnxruntime on
 * the CPU the share of the cores' ceiling it reaches (`of_ceiling`: the step's GFLOP/s over onnxruntime's
 * own MatMul at its best on the same threads, `lib/train/matmul_ceiling.ts`); and a grid of 10 probing
 * runs one at a time against the same runs as one batch (`bench_grid.ts`: ms and GFLOP/s of the whole grid).
 *
 *   deno task bench                 # everything
 *   deno task bench extraction      # one group (extraction, training)
 *   deno task bench scale [--small|--full]   # the paper's workload at its dimensions (bench_scale.ts)
 *   deno task bench reproduce [NOTEBOOK...]  # time to results from an empty training cache (bench_reproduce.ts)
 */
import { join } from "node:path";
import process from "node:process";
import { projectPaths } from "../lib/runtime/paths.ts";
import { checkEnvOrExit } from "./check_env.ts";
import { writeJsonAtomic } from "../lib/runtime/atomic.ts";
import { selectTfBackend } from "../lib/runtime/tf_backend.ts";
import { dataset } from "../lib/data/registry.ts";
import { preprocessBatch } from "../lib/images/image_batches.ts";
import { onnxVisionModel } from "../lib/encoders/vision/onnx_vision.ts";
import { decodePlanFor } from "../lib/images/decode_pool.ts";
import { NSFWJS_VISION, type NsfwjsVisionName } from "../lib/encoders/vision/tfjs_models.ts";
import { languageEncoder, visionEncoder } from "../lib/encoders/registry.ts";
import { openStore } from "../lib/store/feature_store.ts";
import { table } from "../lib/report/display.ts";
import * as tf from "@tensorflow/tfjs";
import { createProjection, type ProjectionConfig } from "../lib/train/projection.ts";
import { onnxEngine, type StepEngine, tfjsEngine } from "../lib/train/engines.ts";
import { seededRandom } from "../lib/runtime/random.ts";
import { type OnnxDevice, probeDevices } from "../lib/runtime/onnx_device.ts";
import { ensureDebAsset } from "../lib/data/assets.ts";
import { pythonPath } from "./setup.ts";
import { layerDims } from "../lib/train/step_graph.ts";
import { projectionDefaults } from "../lib/train/projection.ts";
import { stepFlops } from "../lib/train/work.ts";
import { matmulCeiling } from "../lib/train/matmul_ceiling.ts";

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
/** The q-quantile of xs (nearest rank). */
const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))];
/** Paired rounds of the vision rows (forward only and end to end in each). */
const ROUNDS = 7;

async function time<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t = performance.now();
  const r = await fn();
  return [r, performance.now() - t];
}

/** The PyTorch peer of a vision encoder (`bench_torch_vision.py`), or why not. */
async function torchVisionPeer(name: string, images: number, batch: number, threads: number): Promise<Record<string, unknown> & { error?: string }> {
  const out = await new Deno.Command(pythonPath(), {
    args: [new URL("./bench_torch_vision.py", import.meta.url).pathname, name, String(images), String(batch), String(threads)],
    stdout: "piped",
    stderr: "piped",
  }).output().catch((err) => ({ success: false, stdout: new Uint8Array(), stderr: new TextEncoder().encode(String(err)) }));
  const line = new TextDecoder().decode(out.stdout).split("\n").find((l) => l.startsWith("{"));
  if (!out.success || !line) {
    return { error: `PyTorch peer failed (needs python3-torch and python3-torchvision): ${new TextDecoder().decode(out.stderr).trim().split("\n").at(-1)}` };
  }
  return JSON.parse(line);
}

/**
 * `procs` processes of `bench_vision_procs.ts`, each with `threads` intra-op threads and its own
 * `images` emoji, released together (as `deno task extract` runs its workers): images/s of all of them
 * together (all images over the slowest process's wall time) and CPU ms per image.
 */
async function workerProcesses(name: string, mode: "e2e" | "forward", images: number, threads: number, procs: number): Promise<{ imagesPerS: number; cpuMsPerImage: number }> {
  const script = new URL("./bench_vision_procs.ts", import.meta.url).pathname;
  const kids = Array.from({ length: procs }, (_, i) =>
    new Deno.Command(Deno.execPath(), { args: ["run", "-A", script, name, mode, String(images), String(threads), String(i * images)], stdin: "piped", stdout: "piped", stderr: "inherit" }).spawn());
  const lines = kids.map((k) => k.stdout.pipeThrough(new TextDecoderStream()).getReader());
  const readLine = async (r: ReadableStreamDefaultReader<string>) => {
    let buf = "";
    while (!buf.includes("\n")) {
      const { value, done } = await r.read();
      if (done) break;
      buf += value;
    }
    return buf.trim();
  };
  await Promise.all(lines.map(readLine)); // every process loaded and warmed up
  const t = performance.now();
  for (const k of kids) {
    const w = k.stdin.getWriter();
    await w.write(new TextEncoder().encode("go\n"));
    await w.close();
  }
  const res = (await Promise.all(lines.map(readLine))).map((l) => JSON.parse(l) as { ms: number; cpu_ms: number; images: number });
  const wall = performance.now() - t;
  const codes = await Promise.all(kids.map((k) => k.status));
  if (codes.some((c) => !c.success)) throw new Error(`bench_vision_procs.ts failed for ${name} (${mode})`);
  const total = res.reduce((a, r) => a + r.images, 0);
  return { imagesPerS: 1000 * total / wall, cpuMsPerImage: res.reduce((a, r) => a + r.cpu_ms, 0) / total };
}

/**
 * The extraction's own configuration (`deno task extract`: one worker process per core, one intra-op
 * thread each), forward only and end to end in each of 5 paired rounds: the pipeline overhead that
 * extraction really pays (median of the rounds' ratios, with their interquartile range), and the end to
 * end rate against one process's forward-only rate with every core as intra-op threads.
 */
async function benchExtractionWorkers(name: NsfwjsVisionName, images: number, forwardOneProcess: number): Promise<Record<string, unknown>> {
  const procs = navigator.hardwareConcurrency, rounds = 5;
  const e2e: number[] = [], fwd: number[] = [], cpu: number[] = [];
  for (let round = 0; round < rounds; round++) {
    fwd.push((await workerProcesses(name, "forward", images, 1, procs)).imagesPerS);
    const r = await workerProcesses(name, "e2e", images, 1, procs);
    e2e.push(r.imagesPerS);
    cpu.push(r.cpuMsPerImage);
  }
  const ratios = e2e.map((e, i) => fwd[i] / e - 1);
  const row = {
    encoder: name, kind: "image", engine: `onnxruntime, ${procs} processes x 1 thread (deno task extract)`, device: "cpu", threads: procs,
    items: images * procs,
    items_per_s: +median(e2e).toFixed(1),
    model_items_per_s: +median(fwd).toFixed(1),
    cpu_ms_per_item: +median(cpu).toFixed(1),
    pipeline_overhead_pct: +(100 * median(ratios)).toFixed(1),
    overhead_rounds: rounds,
    overhead_iqr_pct: `[${(100 * quantile(ratios, 0.25)).toFixed(1)}, ${(100 * quantile(ratios, 0.75)).toFixed(1)}]`,
    vs_one_process_forward_pct: +(100 * (forwardOneProcess / median(e2e) - 1)).toFixed(1),
  };
  console.error(`[bench] ${name} / ${row.engine}: ${row.items_per_s} images/s end to end, ${row.model_items_per_s} forward only, overhead ${row.pipeline_overhead_pct}% ${row.overhead_iqr_pct}`);
  return row;
}

/**
 * One vision encoder on both engines: TF.js (the current backend) and onnxruntime (all cores as
 * intra-op threads), end to end (decode, resize, forward, store) and the forward pass alone, with
 * GFLOP/s and the PyTorch peer on the same number of images, batch size and threads.
 */
async function benchVisionEngines(name: NsfwjsVisionName, images: string[], backend: string, root: string): Promise<Record<string, unknown>[]> {
  const rows: Record<string, unknown>[] = [];
  const threads = navigator.hardwareConcurrency;
  const spec = NSFWJS_VISION[name].spec;
  for (const engine of ["tfjs", "onnx"] as const) {
    // the onnx engine gets 4x the images of the TF.js one: enough batches that the first one's decoding
    // (not overlapped in either schedule) does not weigh on the pipeline overhead
    const n = name === "inception-v3" ? (engine === "tfjs" ? 16 : 64) : (engine === "tfjs" ? 64 : 256);
    const batch = images.slice(0, n);
    const enc = await visionEncoder(name, { engine });
    await enc.embed(batch.slice(0, 4)); // warm-up
    const [pixels, prepMs] = await time(() => preprocessBatch(batch, spec));
    const [vecs, firstMs] = await time(() => enc.embed(batch));
    let totalMs = firstMs;
    const store = await openStore({ bench: name, engine, t: Date.now() }, { name: "bench", dim: enc.identity.dim, root });
    const [, storeMs] = await time(() => store.append(vecs.map((v, i) => ({ key: `k${i}`, itemId: `i${i}`, vector: v }))));
    let modelMs = totalMs - prepMs, batchSize = NSFWJS_VISION[name].batchSize, device = "cpu", cpuMs = 0;
    let overhead: { median: number; q1: number; q3: number } | undefined;
    if (engine === "onnx") {
      // the forward pass alone on the already decoded pixels, paired with an end-to-end run in each of
      // ROUNDS rounds (their order alternating), so that the machine's changing speed (a shared VM here
      // moves by 25% within a minute) hits both alike; the overhead is the median of the rounds' ratios
      const model = await onnxVisionModel(name, { threads });
      batchSize = model.plan.batchSize;
      device = model.device;
      const per = spec.size * spec.size * 3;
      const forwardPass = async () => {
        for (let s = 0; s < n; s += batchSize) {
          const k = Math.min(batchSize, n - s);
          await model.run(pixels.subarray(s * per, (s + k) * per), k);
        }
      };
      await forwardPass();
      await enc.embed(batch); // both warm: the decoding code compiled, as in a long extraction
      const forward: number[] = [], e2e: number[] = [], cpu: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        const fwd = async () => {
          const t = performance.now(), cpu0 = process.cpuUsage();
          await forwardPass();
          forward.push(performance.now() - t);
          const used = process.cpuUsage(cpu0);
          cpu.push((used.user + used.system) / 1000);
        };
        const whole = async () => e2e.push((await time(() => enc.embed(batch)))[1]);
        if (round % 2) await whole().then(fwd);
        else await fwd().then(whole);
      }
      const ratios = e2e.map((t, i) => t / forward[i] - 1);
      overhead = { median: 100 * median(ratios), q1: 100 * quantile(ratios, 0.25), q3: 100 * quantile(ratios, 0.75) };
      [modelMs, totalMs, cpuMs] = [median(forward), median(e2e), median(cpu)];
      await model.release();
    }
    enc.dispose();
    const row: Record<string, unknown> = {
      encoder: name, kind: "image", engine: engine === "tfjs" ? `tfjs-${backend}` : "onnxruntime", device, threads: engine === "tfjs" ? 1 : threads,
      items: n,
      items_per_s: +(1000 * n / totalMs).toFixed(1),
      model_items_per_s: +(1000 * n / modelMs).toFixed(1),
      model_ms_per_item: +(modelMs / n).toFixed(1),
      decode_resize_ms_per_item: +(prepMs / n).toFixed(2),
      store_ms_per_item: +(storeMs / n).toFixed(3),
      pipeline_overhead_pct: +(overhead ? overhead.median + 100 * storeMs / modelMs : 100 * (totalMs + storeMs - modelMs) / modelMs).toFixed(1),
    };
    if (overhead) {
      row.overhead_rounds = ROUNDS;
      row.overhead_iqr_pct = `[${(overhead.q1 + 100 * storeMs / modelMs).toFixed(1)}, ${(overhead.q3 + 100 * storeMs / modelMs).toFixed(1)}]`;
    }
    if (engine === "onnx") {
      // the peer runs twice and keeps its faster run: a conservative ratio on a machine with changing load
      const runs = [await torchVisionPeer(name, n, batchSize, threads), await torchVisionPeer(name, n, batchSize, threads)];
      const peer = runs.find((r) => r.error) ?? runs.reduce((a, b) => ((a.ms_per_image as number) <= (b.ms_per_image as number) ? a : b));
      if (peer.error) row.torch_note = peer.error;
      else {
        row.gflops = +((peer.gflop_per_image as number) * 1000 * n / modelMs).toFixed(1);
        row.torch_items_per_s = +(peer.images_per_s as number).toFixed(1);
        row.ratio = +((modelMs / n) / (peer.ms_per_image as number)).toFixed(2);
        // CPU time (all threads) per image: comparable when other processes load the machine
        row.cpu_ms_per_item = +(cpuMs / n).toFixed(1);
        row.torch_cpu_ms_per_item = +(peer.cpu_ms_per_image as number).toFixed(1);
        row.cpu_ratio = +((cpuMs / n) / (peer.cpu_ms_per_image as number)).toFixed(2);
        row.torch_note = `PyTorch ${peer.torch} (torchvision architecture, random weights, ${peer.gflop_per_image && (peer.gflop_per_image as number).toFixed(2)} GFLOP/image), ${peer.blas}, ${peer.threads} threads, batch ${batchSize}`;
      }
    }
    console.error(`[bench] ${name} / ${row.engine}: ${row.items_per_s} images/s end to end, ${row.model_items_per_s} forward only${row.ratio ? `, ${row.ratio}x PyTorch's time` : ""}`);
    rows.push(row);
    if (engine === "onnx") {
      const d = decodePlanFor(device as OnnxDevice, device === "cpu" ? threads : navigator.hardwareConcurrency);
      row.decode = `${d.schedule}, ${d.threads} decoding thread(s)${d.mainThread ? " + the caller" : ""}`;
      rows.push(await benchExtractionWorkers(name, n / 2, row.model_items_per_s as number));
    }
  }
  return rows;
}

/** Extraction speed of each embedded encoder and of the store. */
export async function benchExtraction(): Promise<Record<string, unknown>[]> {
  const backend = await selectTfBackend();
  const rows: Record<string, unknown>[] = [];
  const emoji = await dataset("emoji-google");
  const images = emoji.items.slice(0, 256).map((it) => it.image_path!);
  const root = await Deno.makeTempDir();
  for (const name of ["mobilenet-v2", "inception-v3"] as const) rows.push(...await benchVisionEngines(name, images, backend.backend, root));
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
  // small enough for a software GPU adapter, which measures that the device path runs, not its speed
  { name: "S: linear 128 -> 256, batch 128", projection: { kind: "linear", inDim: 128, outDim: 256 }, batch: 128, steps: 20 },
  { name: "A: linear 512 -> 1792, batch 512", projection: { kind: "linear", inDim: 512, outDim: 1792 }, batch: 512, steps: 20 },
  { name: "B: 512 -> 1024 -> 1792, batch 512", projection: { kind: "mlp", inDim: 512, outDim: 1792, hidden: 1024, layers: 2, dropout: 0.2 }, batch: 512, steps: 20 },
  { name: "paper linear 4096 -> 1024, batch 1024", projection: { kind: "linear", inDim: 4096, outDim: 1024 }, batch: 1024, steps: 20 },
  { name: "C: paper MLP 4096 -> 3x4096 -> 1024, batch 1024", projection: { kind: "mlp", inDim: 4096, outDim: 1024, hidden: 4096, layers: 4, dropout: 0.2 }, batch: 1024, steps: 20 },
];

/** Matrix-product FLOPs of one step of a bench shape: the products its step graph computes (`lib/train/work.ts`). Pure. */
function shapeFlops(shape: Shape): number {
  return stepFlops({ dims: layerDims(shape.projection), batch: shape.batch });
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

/** TF.js on wasm takes ~19 s per step of shape C: it gets this many timed steps there. */
const SLOW_STEPS = 3;

/**
 * PyTorch on the same shapes, inputs and initial weights (`bench_torch.py`), with OpenBLAS (Debian's
 * default BLAS for python3-torch is the slow reference one). Returns rows by shape name, or why not.
 */
async function torchReference(
  inputs: { name: string; projection: ProjectionConfig; batch: number; steps: number; txt: Float32Array; img: Float32Array; weights: Record<string, { data: Float32Array }> }[],
): Promise<{ rows: Map<string, { torch_ms_per_step: number; initial_loss: number; threads: number; torch: string }>; blas: string } | { error: string }> {
  const python = pythonPath();
  const has = async () => (await new Deno.Command(python, { args: ["-c", "import torch, numpy"], stdout: "null", stderr: "null" }).output()).success;
  if (!(await has())) {
    if (Deno.uid?.() !== 0) return { error: `PyTorch not installed for ${python}: sudo apt-get install python3-torch` };
    console.error("[bench] installing Debian's python3-torch for the PyTorch reference (apt-get install python3-torch) ...");
    await new Deno.Command("apt-get", { args: ["install", "-y", "--no-install-recommends", "python3-torch"], env: { DEBIAN_FRONTEND: "noninteractive" }, stdout: "null" }).output();
    if (!(await has())) return { error: "PyTorch could not be installed (apt-get install python3-torch failed)" };
  }
  let blas = "Debian default BLAS (reference; OpenBLAS not available)";
  const env: Record<string, string> = {};
  try {
    const dir = await ensureDebAsset("libopenblas0-pthread");
    env.LD_LIBRARY_PATH = `${dir}/usr/lib/x86_64-linux-gnu/openblas-pthread`;
    env.OPENBLAS_NUM_THREADS = String(navigator.hardwareConcurrency);
    blas = `OpenBLAS (Debian libopenblas0-pthread, ${navigator.hardwareConcurrency} threads, via LD_LIBRARY_PATH)`;
  } catch (err) {
    console.error(`[bench] OpenBLAS unavailable: ${(err as Error).message.split("\n")[0]}`);
  }
  const dir = await Deno.makeTempDir();
  const write = async (name: string, a: Float32Array) => {
    await Deno.writeFile(join(dir, name), new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    return join(dir, name);
  };
  const shapes = [];
  for (const [k, x] of inputs.entries()) {
    const cfg = projectionDefaults(x.projection);
    const weights: Record<string, string> = {};
    for (const [n, w] of Object.entries(x.weights)) weights[n] = await write(`s${k}-${n}.f32`, w.data);
    shapes.push({
      name: x.name, dims: layerDims(cfg), batch: x.batch, steps: x.steps, batchNorm: cfg.kind === "mlp" && cfg.batchNorm,
      dropout: cfg.kind === "mlp" ? cfg.dropout : 0, txt: await write(`s${k}-txt.f32`, x.txt), img: await write(`s${k}-img.f32`, x.img), weights,
    });
  }
  await Deno.writeTextFile(join(dir, "manifest.json"), JSON.stringify({ shapes }));
  const out = await new Deno.Command(python, { args: [new URL("./bench_torch.py", import.meta.url).pathname, dir], env, stdout: "piped", stderr: "piped" }).output();
  await Deno.remove(dir, { recursive: true });
  if (!out.success) return { error: `the PyTorch reference failed: ${new TextDecoder().decode(out.stderr).trim().split("\n").at(-1)}` };
  const rows = new Map();
  for (const line of new TextDecoder().decode(out.stdout).split("\n").filter((l) => l.startsWith("{"))) {
    const r = JSON.parse(line);
    rows.set(r.shape, r);
  }
  return { rows, blas };
}

/** Inputs of a shape: seeded text and image batches and the initial weights (shared with PyTorch). */
function shapeInputs(shape: Shape) {
  const rng = seededRandom(1);
  const txt = Float32Array.from({ length: shape.batch * shape.projection.inDim }, () => rng.normal());
  const img = Float32Array.from({ length: shape.batch * shape.projection.outDim }, () => rng.normal());
  return { txt, img };
}

/** One row: `shape` on one engine, device and thread count, in this process. */
async function trainingRow(shapeIndex: number, engineName: "tfjs" | "onnx", threads: number, device: OnnxDevice = "cpu"): Promise<Record<string, unknown>> {
  const backend = await selectTfBackend();
  const shape = TRAINING_SHAPES[shapeIndex];
  const { txt, img } = shapeInputs(shape);
  const p = createProjection(shape.projection, 0);
  const loss = { loss: "clip" as const, scale: 1 / 0.07 }, opt = { lr: 1e-3, weightDecay: 1e-4 };
  const engine: StepEngine = engineName === "tfjs" ? tfjsEngine(p, undefined, loss, opt) : await onnxEngine(p, loss, opt, { threads, device });
  const probe = (await probeDevices()).devices.find((d) => d.device === device)!;
  const step = async () => {
    const l = await engine.accumulate(img, txt, shape.batch, seededRandom(2), 1);
    engine.update(1e-3, 1.0);
    return l;
  };
  const initialLoss = await step(); // warm-up, at the initial weights
  const steps = engineName === "tfjs" && shape.projection.kind === "mlp" && shape.batch >= 1024 ? SLOW_STEPS : shape.steps;
  const times: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t = performance.now();
    await step();
    times.push(performance.now() - t);
  }
  const ms = median(times), flops = shapeFlops(shape);
  const row = {
    shape: shape.name, engine: engineName === "tfjs" ? `tfjs-${backend.backend}` : "onnxruntime", threads,
    device: engineName === "tfjs" ? "cpu" : `${device}${probe.software ? " (software adapter: correctness, not speed)" : ""}`,
    adapter: engineName === "tfjs" ? "" : probe.adapter ?? "", steps, initial_loss: initialLoss,
    ms_per_step: +ms.toFixed(1), gflops: +(flops / (ms / 1000) / 1e9).toFixed(2),
    tfjs_matmul_gflops: +matmulGflops().toFixed(1), parameters: p.parameters,
  };
  engine.dispose();
  p.dispose();
  return row;
}

/** Software adapters run only shapes up to this many FLOPs per step (they measure correctness, not speed). */
const SOFTWARE_MAX_FLOPS = 1e8;

/**
 * ms per training step for each shape, engine and device (TF.js on the current backend; onnxruntime on
 * 1 and all cores, and on every usable GPU device), each row in its own process (the wasm heap of one
 * shape never limits the next), then the PyTorch reference on the same inputs and initial weights.
 */
export async function benchTraining(): Promise<Record<string, unknown>[]> {
  await selectTfBackend();
  const rows: Record<string, unknown>[] = [];
  const cores = navigator.hardwareConcurrency;
  const gpus = (await probeDevices()).devices.filter((d) => d.usable && d.device !== "cpu");
  const torchInputs: Parameters<typeof torchReference>[0] = [];
  // the cores' ceiling: onnxruntime's own MatMul at its best, on each thread count the onnx rows use
  const ceilings = new Map<number, Awaited<ReturnType<typeof matmulCeiling>>>();
  for (const t of new Set([1, cores])) {
    ceilings.set(t, await matmulCeiling({ threads: t }));
    console.error(`[bench] onnxruntime MatMul on ${t} thread(s): ${ceilings.get(t)!.rates.map((r) => `${r.shape} ${r.gflops} GFLOP/s`).join(", ")}`);
  }
  for (const [k, shape] of TRAINING_SHAPES.entries()) {
    const init = createProjection(shape.projection, 0);
    torchInputs.push({ ...shape, ...shapeInputs(shape), weights: init.snapshot() });
    init.dispose();
    const runs: ["tfjs" | "onnx", number, OnnxDevice][] = [
      ["tfjs", 1, "cpu"],
      ...[...new Set([1, cores])].map((t): ["onnx", number, OnnxDevice] => ["onnx", t, "cpu"]),
      ...gpus.filter((g) => !g.software || shapeFlops(shape) <= SOFTWARE_MAX_FLOPS)
        .map((g): ["onnx", number, OnnxDevice] => ["onnx", cores, g.device]),
    ];
    for (const [engine, threads, device] of runs) {
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", import.meta.filename!, "--training-row", String(k), engine, String(threads), device],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const line = new TextDecoder().decode(out.stdout).split("\n").find((l) => l.startsWith("{"));
      const row = line ? JSON.parse(line) : {
        shape: shape.name, engine, threads, device, ms_per_step: null,
        note: `failed: ${new TextDecoder().decode(out.stderr).split("\n").find((l) => /Error|Abort/.test(l))?.trim() ?? "no output"}`,
      };
      const ceiling = device === "cpu" && engine === "onnx" ? ceilings.get(threads) : undefined;
      if (ceiling && typeof row.gflops === "number") Object.assign(row, { ort_matmul_gflops: ceiling.gflops, of_ceiling: +(row.gflops / ceiling.gflops).toFixed(2) });
      console.error(`[bench] ${shape.name} / ${row.engine} on ${device} x${threads}: ${row.ms_per_step ?? row.note} ms/step`);
      rows.push(row);
    }
  }
  // notebook 01's grid in miniature: 10 probing runs one at a time and as one batch (bench_grid.ts)
  const grid = await new Deno.Command(Deno.execPath(), { args: ["run", "-A", new URL("./bench_grid.ts", import.meta.url).pathname, "linear"], stdout: "piped", stderr: "piped" }).output();
  const gridLine = new TextDecoder().decode(grid.stdout).split("\n").find((l) => l.startsWith("{"));
  const gridRow = gridLine ? JSON.parse(gridLine) : { shape: "grid: 10 probing runs", ms_per_step: null, note: `failed: ${new TextDecoder().decode(grid.stderr).split("\n").find((l) => /Error/.test(l))?.trim() ?? "no output"}` };
  console.error(`[bench] ${gridRow.shape}: one at a time ${gridRow.one_at_a_time_ms} ms, batched ${gridRow.batched_ms} ms (x${gridRow.speedup})`);
  const torch = await torchReference(torchInputs);
  for (const row of rows) {
    if ("error" in torch) {
      row.torch_ms_per_step = null;
      row.ratio = null;
      row.torch_note = torch.error;
      continue;
    }
    const ref = torch.rows.get(row.shape as string);
    row.torch_ms_per_step = ref?.torch_ms_per_step ?? null;
    row.ratio = ref && row.ms_per_step ? +((row.ms_per_step as number) / ref.torch_ms_per_step).toFixed(2) : null;
    row.torch_initial_loss = ref?.initial_loss ?? null;
    row.torch_note = `PyTorch ${ref?.torch ?? "?"}, ${torch.blas}, ${ref?.threads ?? "?"} threads` +
      ((TRAINING_SHAPES.find((s) => s.name === row.shape)?.projection.kind === "mlp") ? "; initial losses differ by dropout masks" : "");
  }
  rows.push(gridRow);
  return rows;
}

if (import.meta.main) checkEnvOrExit("bench");
if (import.meta.main && Deno.args[0] === "reproduce") {
  await (await import("./bench_reproduce.ts")).main(Deno.args.slice(1)); // time to results (bench_reproduce.ts)
} else if (import.meta.main && Deno.args[0] === "scale") {
  await (await import("./bench_scale.ts")).runScaleBench(Deno.args.slice(1)); // the paper's workload at its dimensions
} else if (import.meta.main && Deno.args[0] === "--training-row") {
  console.log(JSON.stringify(await trainingRow(Number(Deno.args[1]), Deno.args[2] as "tfjs" | "onnx", Number(Deno.args[3]), Deno.args[4] as OnnxDevice)));
} else if (import.meta.main) {
  const groups = Deno.args.length ? Deno.args : ["extraction", "training"];
  const out = join(projectPaths().outputs, "bench");
  for (const g of groups) {
    if (g !== "extraction" && g !== "training") throw new Error(`unknown benchmark group "${g}" (known: extraction, training)`);
    const rows = g === "extraction" ? await benchExtraction() : await benchTraining();
    await writeJsonAtomic(join(out, `${g}.json`), { machine: `${Deno.build.os}-${Deno.build.arch}, ${navigator.hardwareConcurrency} cores`, date: new Date().toISOString(), rows });
    console.log(table(rows, { caption: `${g} (${join(out, `${g}.json`)})`, digits: 2 }).bundle["text/plain"]);
  }
}
