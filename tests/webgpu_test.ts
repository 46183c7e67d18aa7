/**
 * The GPU code path, run for real: the same encoders, training steps and evaluation projection on the
 * WebGPU device as on the CPU. On a machine without a GPU the test command sets up Chromium's software
 * Vulkan (SwiftShader) so these run in CI; where no adapter can be made they skip and say why, except
 * under CI=true, where that is a failure.
 */
import assert from "node:assert/strict";
import sharp from "sharp";
import { join } from "node:path";
import { probeDevices } from "../lib/runtime/onnx_device.ts";
import { hfTextEncoder, hfVisionEncoder } from "../lib/encoders/hf/hf.ts";
import { createProjection } from "../lib/train/projection.ts";
import { onnxEngine } from "../lib/train/engines.ts";
import { projectOnDevice } from "../lib/train/project_on_device.ts";
import { cosineSimilarityOnDevice } from "../lib/eval/similarity_on_device.ts";
import { projectionMethod } from "../lib/eval/methods.ts";
import { randomTextEncoder } from "../lib/encoders/text/random_text.ts";
import { seededRandom } from "../lib/runtime/random.ts";
import * as ort from "onnxruntime-node";
import { ortSessionOptions } from "../lib/runtime/onnx_device.ts";
import { batchedStepGraph } from "../lib/train/batched_graph.ts";
import { writeTinyTextModel } from "./fixtures/tiny_hf.ts";
import { writeTinyDecoder, writeTinyDinov2, writeTinyEncoder } from "./fixtures/tiny_hub.ts";

const report = await probeDevices();
const gpu = report.devices.find((d) => d.device === "webgpu")!;
const why = gpu.usable ? "" : `no WebGPU adapter here: ${gpu.reason}`;
if (why) {
  if (Deno.env.get("CI")) throw new Error(`CI must run the webgpu tests, but ${why}`);
  console.warn(`[webgpu tests skipped] ${why}`);
}
const test = (name: string, fn: () => void | Promise<void>) => Deno.test({ name, ignore: !gpu.usable, fn });

/** Largest |a - b| relative to max(1, |b|). */
function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  return worst;
}

test("webgpu: the probe ran a product on a named adapter", () => {
  assert.ok(gpu.adapter && gpu.adapter.length > 2, `adapter name: ${gpu.adapter}`);
  assert.ok(typeof gpu.probeMs === "number");
  if (report.vulkan?.source === "software") assert.equal(gpu.software, true, "SwiftShader is labelled as software");
});

test("webgpu: Hugging Face text encoders (decoders with attention, an encoder) give the cpu features", async () => {
  const dir = await Deno.makeTempDir();
  const texts = ["a red cat.", "the cat", "dog on a mat"];
  const models: [string, "last-token" | "mean"][] = [];
  for (const family of ["llama", "qwen2", "gemma2", "mistral"] as const) models.push([await writeTinyDecoder(dir, family), "last-token"]);
  models.push([await writeTinyEncoder(dir, "bert"), "mean"]);
  await writeTinyTextModel(dir);
  models.push(["tiny-text", "last-token"]);
  for (const [model, pooling] of models) {
    const name = model.split("/").at(-1)!;
    const opts = { model: name, localModelPath: dir, allowRemote: false, pooling };
    const cpu = await hfTextEncoder({ ...opts, device: "cpu" });
    const wg = await hfTextEncoder({ ...opts, device: "webgpu" });
    const a = await cpu.embed(texts), b = await wg.embed(texts);
    a.forEach((v, i) => assert.ok(maxRelDiff(b[i], v) < 1e-4, `${name} (${pooling}) text ${i}: webgpu [${b[i]}] vs cpu [${v}]`));
    cpu.dispose?.();
    wg.dispose?.();
  }
});

test("webgpu: Hugging Face vision encoders (DINOv2, with registers) give the cpu features", async () => {
  const dir = await Deno.makeTempDir();
  await writeTinyDinov2(dir);
  await writeTinyDinov2(dir, 4);
  const images: string[] = [];
  for (const [k, c] of [[255, 0, 0], [10, 200, 40], [90, 90, 250]].entries()) {
    const path = join(dir, `img${k}.png`);
    await sharp({ create: { width: 280 + 20 * k, height: 240, channels: 3, background: { r: c[0], g: c[1], b: c[2] } } }).png().toFile(path);
    images.push(path);
  }
  for (const model of ["dinov2", "dinov2_with_registers"]) {
    const cpu = await hfVisionEncoder({ model, localModelPath: dir, allowRemote: false, device: "cpu" });
    const wg = await hfVisionEncoder({ model, localModelPath: dir, allowRemote: false, device: "webgpu" });
    const a = await cpu.embed(images), b = await wg.embed(images);
    a.forEach((v, i) => assert.ok(maxRelDiff(b[i], v) < 1e-4, `${model} image ${i}: webgpu [${b[i]}] vs cpu [${v}]`));
  }
});

test("webgpu: 20 training steps of the MLP (BatchNorm, dropout, accumulation) equal the cpu run step by step", async () => {
  const cfg = { kind: "mlp" as const, inDim: 24, outDim: 16, hidden: 32, layers: 3, dropout: 0.2, batchNorm: true };
  const rng = seededRandom(7);
  const rows = 12;
  const txt = Float32Array.from({ length: rows * cfg.inDim }, () => rng.normal());
  const img = Float32Array.from({ length: rows * cfg.outDim }, () => rng.normal());
  const loss = { loss: "clip" as const, scale: 1 / 0.07 }, opt = { lr: 3e-3, weightDecay: 1e-4 };
  const run = async (device: "cpu" | "webgpu") => {
    const p = createProjection(cfg, 3);
    const engine = await onnxEngine(p, loss, opt, { device, threads: 1 });
    assert.equal(engine.device, device);
    const drop = seededRandom(11), losses: number[] = [], norms: number[] = [];
    for (let s = 0; s < 20; s++) {
      let l = 0;
      for (let micro = 0; micro < 2; micro++) l += await engine.accumulate(img, txt, rows, drop, 0.5); // accumulation 2
      losses.push(l);
      norms.push(engine.update(opt.lr, 1.0));
    }
    const evalLoss = await engine.evalLoss(img, txt, rows);
    const trained = engine.finish().text;
    const weights = trained.snapshot();
    engine.dispose();
    return { losses, norms, evalLoss, weights, trained };
  };
  const cpu = await run("cpu"), wg = await run("webgpu");
  assert.ok(cpu.losses[19] < cpu.losses[0], "the loss decreases");
  cpu.losses.forEach((l, s) => assert.ok(Math.abs(wg.losses[s] - l) / Math.abs(l) < 1e-4, `step ${s}: webgpu loss ${wg.losses[s]} vs cpu ${l}`));
  cpu.norms.forEach((n, s) => assert.ok(Math.abs(wg.norms[s] - n) / n < 1e-4, `step ${s}: gradient norm ${wg.norms[s]} vs ${n}`));
  assert.ok(Math.abs(wg.evalLoss - cpu.evalLoss) / cpu.evalLoss < 1e-4, "evaluation loss");
  for (const [name, w] of Object.entries(cpu.weights)) {
    assert.ok(maxRelDiff(wg.weights[name].data, w.data) < 1e-4, `weights ${name} after 20 steps`);
  }
  // the trained projection applied on the device equals TF.js's evaluation-mode projection
  const m = { rows: 5, dim: cfg.inDim, data: txt.slice(0, 5 * cfg.inDim) };
  const onGpu = await projectOnDevice(wg.trained, m, { device: "webgpu" });
  const reference = wg.trained.project(m);
  assert.ok(maxRelDiff(onGpu.data, reference.data) < 1e-4, "projection on webgpu vs TF.js");
  // the evaluation layer's text side follows the device setting
  const encoder = randomTextEncoder({ unit: "text", dim: cfg.inDim });
  const texts = ["a red apple", "a cat", "a musical instrument"];
  const [onCpu, onWebgpu] = await Promise.all(["cpu", "webgpu"].map((device) =>
    projectionMethod("ShareLock", encoder, wg.trained, { device: device as "cpu" | "webgpu" }).embedTexts(texts)));
  assert.ok(maxRelDiff(onWebgpu.data, onCpu.data) < 1e-4, "projectionMethod on webgpu vs cpu");
  const images = { rows: 4, dim: cfg.outDim, data: img.slice(0, 4 * cfg.outDim) };
  const [simCpu, simWebgpu] = await Promise.all(["cpu", "webgpu"].map((device) => cosineSimilarityOnDevice(images, onCpu, { device: device as "cpu" | "webgpu" })));
  simCpu.forEach((v, k) => assert.ok(Math.abs(simWebgpu[k] - v) < 1e-5, `cosine similarity on webgpu vs cpu [${k}]`));
  cpu.trained.dispose();
  wg.trained.dispose();
});

test("webgpu: the training step's matrix products and nearly every other node run on the GPU, not the CPU fallback", async () => {
  const cfg = { kind: "mlp" as const, inDim: 24, outDim: 16, hidden: 32, layers: 3, dropout: 0.2, batchNorm: true };
  const dir = await Deno.makeTempDir();
  const session = await ort.InferenceSession.create(batchedStepGraph(cfg, { loss: "clip", scale: 1 / 0.07 }, "train"), {
    ...ortSessionOptions("webgpu"),
    enableProfiling: true,
    profileFilePrefix: join(dir, "step"),
  });
  const p = createProjection(cfg, 0), w = p.snapshot(), rows = 6;
  const t = (data: Float32Array, dims: number[]) => new ort.Tensor("float32", data, dims);
  // one run (R = 1): every feed has a leading run dimension
  const feeds: Record<string, ort.Tensor> = {
    txt: t(new Float32Array(rows * 24).fill(0.3), [1, rows, 24]),
    img: t(new Float32Array(rows * 16).fill(0.2), [1, rows, 16]),
    gscale: t(Float32Array.of(1), [1]),
  };
  for (let i = 0; i < 3; i++) {
    const W = w[`layers.${i}.linear.weight`];
    feeds[`W${i}`] = t(new Float32Array(W.data.length).fill(0.01 * (i + 1)), [1, W.shape[1], W.shape[0]]);
    feeds[`b${i}`] = t(w[`layers.${i}.linear.bias`].data, [1, 1, W.shape[0]]);
    if (i < 2) {
      feeds[`g${i}`] = t(w[`layers.${i}.bn.weight`].data, [1, 1, 32]);
      feeds[`be${i}`] = t(w[`layers.${i}.bn.bias`].data, [1, 1, 32]);
      feeds[`mask${i}`] = t(new Float32Array(rows * 32).fill(1.25), [1, rows, 32]);
    }
  }
  await session.run(feeds);
  (session as unknown as { endProfiling(): void }).endProfiling();
  await session.release();
  p.dispose();
  const events = [...Deno.readDirSync(dir)].flatMap((e) => JSON.parse(Deno.readTextFileSync(join(dir, e.name))) as { cat: string; args?: { op_name?: string; provider?: string } }[])
    .filter((e) => e.cat === "Node" && e.args?.provider);
  const onGpu = events.filter((e) => e.args!.provider === "WebGpuExecutionProvider");
  const matmuls = events.filter((e) => e.args!.op_name === "MatMul" || e.args!.op_name === "FusedMatMul");
  assert.ok(matmuls.length >= 6, `${matmuls.length} matrix products profiled`);
  for (const m of matmuls) assert.equal(m.args!.provider, "WebGpuExecutionProvider", "every matrix product on the GPU");
  const cpuOps = [...new Set(events.filter((e) => e.args!.provider !== "WebGpuExecutionProvider").map((e) => e.args!.op_name))];
  assert.ok(onGpu.length / events.length > 0.9, `${onGpu.length} of ${events.length} node runs on the GPU; on the CPU: ${cpuOps}`);
});
