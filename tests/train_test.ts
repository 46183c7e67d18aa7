import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import * as ort from "onnxruntime-node";
import { join } from "node:path";
import { clipLoss, clipLossReference, PAPER_LOGIT_SCALE, sigLipLoss } from "../lib/train/losses.ts";
import { adam, adamState, adamStep, clipGlobalNorm, cosineWithWarmup } from "../lib/train/optim.ts";
import { createProjection } from "../lib/train/projection.ts";
import { linear, matMulFast, matMulT } from "../lib/train/ops.ts";
import { trainProjection, validationSplit } from "../lib/train/trainer.ts";
import { decodeSafetensors, loadProjection, projectionToOnnx, saveProjection } from "../lib/train/checkpoint.ts";
import { selectTfBackend } from "../lib/runtime/tf_backend.ts";
import { toyPairs } from "./fixtures/toy.ts";

await selectTfBackend("auto");
const near = (a: number, b: number, tol = 1e-5, msg = "") => assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${msg} ${a} vs ${b}`);

// A 3x3 example: three image and three text embeddings (unit rows), scale 2.
const IMG = [[1, 0, 0], [0, 1, 0], [0.6, 0.8, 0]];
const TXT = [[0.8, 0.6, 0], [0, 0, 1], [0, 1, 0]];

Deno.test("CLIP loss matches a hand computation on a 3x3 example", () => {
  // logits = 2 * IMG @ TXT^T = [[1.6,0,0],[1.2,0,2],[1.92,0,1.6]]
  const lse = (xs: number[]) => Math.log(xs.reduce((a, x) => a + Math.exp(x), 0));
  const L = [[1.6, 0, 0], [1.2, 0, 2], [1.92, 0, 1.6]];
  const rows = (lse(L[0]) - 1.6 + lse(L[1]) - 0 + lse(L[2]) - 1.6) / 3;
  const cols = (lse([1.6, 1.2, 1.92]) - 1.6 + lse([0, 0, 0]) - 0 + lse([0, 2, 1.6]) - 1.6) / 3;
  const byHand = (rows + cols) / 2;
  near(clipLossReference(IMG, TXT, 2), byHand, 1e-12, "reference");
  near(tf.tidy(() => clipLoss(tf.tensor2d(IMG), tf.tensor2d(TXT), 2).dataSync()[0]), byHand, 1e-5, "tfjs");
});

Deno.test("CLIP loss gradient matches the analytic gradient", () => {
  // dL/dS_ij = [softmax_row(S)_ij - d_ij + softmax_col(S)_ij - d_ij] / (2n);  dL/dTXT = scale * (dL/dS)^T @ IMG
  const n = 3, scale = 2;
  const S = IMG.map((a) => TXT.map((b) => scale * a.reduce((s, x, k) => s + x * b[k], 0)));
  const rowSm = S.map((r) => r.map((x) => Math.exp(x) / r.reduce((a, y) => a + Math.exp(y), 0)));
  const colSum = [0, 1, 2].map((j) => S.reduce((a, r) => a + Math.exp(r[j]), 0));
  const dS = S.map((r, i) => r.map((x, j) => (rowSm[i][j] - +(i === j) + Math.exp(x) / colSum[j] - +(i === j)) / (2 * n)));
  const dTxt = [0, 1, 2].map((j) => [0, 1, 2].map((k) => scale * dS.reduce((a, r, i) => a + r[j] * IMG[i][k], 0)));
  const g = tf.tidy(() => tf.grad((t: tf.Tensor) => clipLoss(tf.tensor2d(IMG), t as tf.Tensor2D, scale))(tf.tensor2d(TXT)).arraySync() as number[][]);
  dTxt.forEach((row, j) => row.forEach((v, k) => near(g[j][k], v, 1e-5, `dTXT[${j}][${k}]`)));
});

Deno.test("fast-path matmul gradients equal plain autograd", () => {
  const a = tf.randomNormal([5, 4], 0, 1, "float32", 1) as tf.Tensor2D, b = tf.randomNormal([4, 3], 0, 1, "float32", 2) as tf.Tensor2D;
  const f = (x: tf.Tensor2D, y: tf.Tensor2D) => tf.sum(tf.square(matMulFast(x, y)));
  const g = (x: tf.Tensor2D, y: tf.Tensor2D) => tf.sum(tf.square(tf.matMul(x, y)));
  const [fa, fb] = tf.grads(f as never)([a, b]), [ga, gb] = tf.grads(g as never)([a, b]);
  assert.ok(tf.max(tf.abs(tf.sub(fa, ga))).dataSync()[0] < 1e-4);
  assert.ok(tf.max(tf.abs(tf.sub(fb, gb))).dataSync()[0] < 1e-4);
  const c = tf.randomNormal([6, 4], 0, 1, "float32", 3) as tf.Tensor2D;
  assert.ok(tf.max(tf.abs(tf.sub(matMulT(a, c), tf.matMul(a, c, false, true)))).dataSync()[0] < 1e-5);
  tf.dispose([a, b, c, fa, fb, ga, gb]);
});

Deno.test("SigLIP loss: matched pairs score lower than shuffled ones", () => {
  const img = tf.tensor2d(IMG), txt = tf.tensor2d(TXT), good = tf.tensor2d(IMG);
  assert.ok(sigLipLoss(img, good).dataSync()[0] < sigLipLoss(img, txt).dataSync()[0]);
  tf.dispose([img, txt, good]);
});

Deno.test("cosine schedule as HF get_cosine_schedule_with_warmup stepped by Lightning: first update at lr 0, peak, half cosine to zero", () => {
  const c = { baseLr: 1e-3, warmup: 150, total: 5000 };
  // HF's lr_lambda(s) = s / max(1, warmup) for s < warmup, else 0.5 * (1 + cos(pi * (s - warmup) / (total - warmup)))
  const hf = (s: number) => 1e-3 * (s < 150 ? s / 150 : 0.5 * (1 + Math.cos(Math.PI * (s - 150) / (5000 - 150))));
  near(cosineWithWarmup(0, c), 0, 0, "the first update has lr 0");
  near(cosineWithWarmup(1, c), 1e-3 / 150, 1e-12);
  near(cosineWithWarmup(149, c), 1e-3 * 149 / 150, 1e-12);
  near(cosineWithWarmup(150, c), 1e-3, 1e-12, "the end of warm-up is the peak");
  for (const s of [0, 7, 75, 149, 150, 151, 1000, 4999]) near(cosineWithWarmup(s, c), hf(s), 1e-15, `step ${s}`);
  near(cosineWithWarmup(150 + 2425, c), 0.5e-3, 1e-9, "half-way");
  near(cosineWithWarmup(5000, c), 0, 1e-12);
});

Deno.test("the fixed logit scale is the official exp(2.6592), 6e-5 below 1/0.07", () => {
  near(PAPER_LOGIT_SCALE, 14.2848566, 1e-8);
  near((1 / 0.07 - PAPER_LOGIT_SCALE) / (1 / 0.07), 6.0e-5, 0.05e-5 / 6e-5);
});

Deno.test("one Adam over Float32Arrays: first step is lr * sign(g); clipping by the global norm; second step from the moments", () => {
  const p = [Float32Array.of(1, -2), Float32Array.of(0.5)], g = [Float32Array.of(3, -4), Float32Array.of(0)];
  const st = adamState(p);
  const norm = adamStep(p, g, st, { lr: 0.1, clipNorm: 1 });
  near(norm, 5, 1e-7, "norm before clipping");
  // clipping scales all gradients alike; Adam's first step is lr * g / (|g| + eps) whatever the scale
  near(p[0][0], 1 - 0.1, 1e-6);
  near(p[0][1], -2 + 0.1, 1e-6);
  near(p[1][0], 0.5, 0, "zero gradient, no decay: unchanged");
  // second step, gradient (1, 0), no clipping: m = 0.9 m1 + 0.1 g, v = 0.999 v1 + 0.001 g^2 with m1 = 0.1 g1c, v1 = 0.001 g1c^2
  const g1c = [3 / (5 + 1e-6), -4 / (5 + 1e-6)];
  const m = 0.9 * 0.1 * g1c[0] + 0.1 * 1, v = 0.999 * 0.001 * g1c[0] ** 2 + 0.001 * 1;
  const expected = 0.9 - 0.05 * (m / (1 - 0.9 ** 2)) / (Math.sqrt(v / (1 - 0.999 ** 2)) + 1e-8);
  adamStep(p, [Float32Array.of(1, 0), Float32Array.of(0)], st, { lr: 0.05 });
  near(p[0][0], expected, 1e-6);
  assert.equal(st.t, 2);
});

Deno.test("global-norm clipping bounds the norm and keeps directions", () => {
  const g = [tf.tensor1d([3, 0]), tf.tensor1d([0, 4])];
  const { grads, norm } = clipGlobalNorm(g, 1);
  near(norm, 5, 1e-6);
  const total = Math.sqrt(grads.reduce((a, t) => a + tf.sum(tf.square(t)).dataSync()[0], 0));
  near(total, 1, 1e-5);
  near(grads[0].dataSync()[0] / grads[1].dataSync()[1], 0.75, 1e-5);
  assert.equal(clipGlobalNorm(g, 10).grads, g, "below the bound nothing changes");
});

Deno.test("coupled weight decay (Adam, the paper) differs from decoupled (AdamW) as it should", () => {
  // zero gradient, one step: coupled -> g = wd * p, Adam normalises it: p - lr * sign(p);
  // decoupled -> p * (1 - lr * wd)
  const run = (decay: "coupled" | "decoupled") => {
    const p = tf.variable(tf.tensor1d([2, -3]));
    const opt = adam([p], { weightDecay: 0.1, decay });
    opt.step([tf.zeros([2])], 0.01);
    const out = [...p.dataSync()];
    p.dispose();
    opt.dispose();
    return out;
  };
  const c = run("coupled"), d = run("decoupled");
  near(c[0], 2 - 0.01, 1e-5);
  near(c[1], -3 + 0.01, 1e-5);
  near(d[0], 2 * (1 - 0.01 * 0.1), 1e-6);
  near(d[1], -3 * (1 - 0.01 * 0.1), 1e-6);
});

Deno.test("projections: PyTorch-style init, MLP shape and parameter count, BatchNorm statistics, dropout only in training", () => {
  const p = createProjection({ kind: "mlp", inDim: 8, outDim: 6, hidden: 16, layers: 3, dropout: 0.5 }, 0);
  assert.equal(p.parameters, 8 * 16 + 16 + 32 + 16 * 16 + 16 + 32 + 16 * 6 + 6);
  const w = p.snapshot();
  assert.deepEqual(w["layers.0.linear.weight"].shape, [16, 8], "PyTorch layout [out, in]");
  assert.ok(w["layers.0.linear.weight"].data.every((v) => Math.abs(v) <= 1 / Math.sqrt(8)));
  const x = tf.randomNormal([32, 8], 3, 2, "float32", 5) as tf.Tensor2D;
  const before = [...p.snapshot()["layers.0.bn.running_mean"].data];
  const y1 = p.forward(x, true), y2 = p.forward(x, true);
  assert.notDeepEqual([...y1.dataSync()], [...y2.dataSync()], "dropout differs between training passes");
  assert.notDeepEqual([...p.snapshot()["layers.0.bn.running_mean"].data], before, "running mean updated");
  const e1 = p.forward(x, false), e2 = p.forward(x, false);
  assert.deepEqual([...e1.dataSync()], [...e2.dataSync()], "evaluation is deterministic");
  const norms = tf.norm(e1, 2, 1).dataSync();
  norms.forEach((n) => near(n, 1, 1e-5, "unit rows"));
  assert.deepEqual(createProjection({ kind: "linear", inDim: 4, outDim: 2 }, 0).config.kind, "linear");
  assert.throws(() => createProjection({ kind: "mlp", inDim: 4, outDim: 2, layers: 1 }, 0), /at least 2 layers/);
  tf.dispose([x, y1, y2, e1, e2]);
  p.dispose();
});

Deno.test("validation split is seeded and disjoint from training", () => {
  const a = validationSplit(100, { valSize: 50, valFraction: 0.2, seed: 3 });
  assert.equal(a.val.length, 20);
  assert.equal(new Set([...a.train, ...a.val]).size, 100);
  assert.deepEqual(validationSplit(100, { valSize: 50, valFraction: 0.2, seed: 3 }).val, a.val);
  assert.equal(validationSplit(100, { valSize: 5, valFraction: 0.2, seed: 3 }).val.length, 5);
});

const quick = { maxSteps: 40, batchSize: 32, accumulation: 2, warmup: 5, lr: 1e-2, evalEvery: 5, patience: 100, minDelta: 0, progress: false as const };

Deno.test("training is reproducible from its seed (same loss curve twice) and the loss decreases", async () => {
  const data = toyPairs({ seed: 1 }).seen;
  const a = await trainProjection(data, { ...quick, seed: 7 });
  const b = await trainProjection(data, { ...quick, seed: 7 });
  const c = await trainProjection(data, { ...quick, seed: 8 });
  assert.deepEqual(a.history.map((h) => h.loss), b.history.map((h) => h.loss));
  assert.notDeepEqual(a.history.map((h) => h.loss), c.history.map((h) => h.loss));
  const first = a.history.slice(0, 5).reduce((s, h) => s + h.loss, 0), last = a.history.slice(-5).reduce((s, h) => s + h.loss, 0);
  assert.ok(last < 0.7 * first, `loss ${first / 5} -> ${last / 5}`);
  [a, b, c].forEach((r) => r.projection.dispose());
});

Deno.test("no tensor leaks: the tensor count is the same after 5 and after 25 steps", async () => {
  const data = toyPairs({ seed: 2 }).seen;
  const start = tf.memory().numTensors;
  const count = async (steps: number) => {
    const r = await trainProjection(data, { ...quick, maxSteps: steps, seed: 1, engine: "tfjs", projection: { kind: "mlp", hidden: 16, layers: 3 } });
    r.projection.dispose();
    return tf.memory().numTensors;
  };
  assert.equal(await count(5), start);
  assert.equal(await count(25), start);
});

Deno.test("early stopping stops after `patience` checks without improvement and keeps the best weights", async () => {
  const data = toyPairs({ seed: 3 }).seen;
  const r = await trainProjection(data, { ...quick, maxSteps: 400, evalEvery: 1, patience: 3, minDelta: 10, seed: 0 });
  assert.equal(r.stoppedEarly, true);
  assert.ok(r.steps < 10, `stopped at ${r.steps}`);
  const best = Math.min(...r.history.filter((h) => h.valLoss !== undefined).map((h) => h.valLoss!));
  near(r.bestValLoss, best, 1e-9);
  r.projection.dispose();
});

Deno.test("safetensors save/load round trip and ONNX export agree with the TF.js forward pass", async () => {
  const dir = await Deno.makeTempDir();
  const p = createProjection({ kind: "mlp", inDim: 6, outDim: 4, hidden: 8, layers: 3 }, 3);
  const x = tf.randomNormal([5, 6], 0, 1, "float32", 9) as tf.Tensor2D;
  p.forward(x, true).dispose(); // move the BatchNorm statistics away from their initial values
  const m = { data: x.dataSync() as Float32Array, rows: 5, dim: 6 };
  const ref = p.project(m);
  const path = join(dir, "p.safetensors");
  await saveProjection(path, p, { text_encoder: { name: "use-lite" } });
  const { projection, metadata } = await loadProjection(path);
  assert.equal(JSON.parse(metadata.text_encoder).name, "use-lite");
  projection.project(m).data.forEach((v, i) => near(v, ref.data[i], 1e-6));
  assert.throws(() => decodeSafetensors(new Uint8Array(4)), /too short/);
  const session = await ort.InferenceSession.create(projectionToOnnx(p));
  const out = await session.run({ text_features: new ort.Tensor("float32", m.data, [5, 6]) });
  (out.embedding.data as Float32Array).forEach((v, i) => near(v, ref.data[i], 1e-4, `onnx ${i}`));
  tf.dispose(x);
  p.dispose();
  projection.dispose();
});

Deno.test("linear ops keep gradients for every input", () => {
  const x = tf.ones([2, 3]) as tf.Tensor2D, w = tf.ones([3, 2]) as tf.Tensor2D, b = tf.zeros([2]) as tf.Tensor1D;
  const grads = tf.grads((a, c, d) => tf.sum(linear(a as tf.Tensor2D, c as tf.Tensor2D, d as tf.Tensor1D)))([x, w, b]);
  assert.deepEqual(grads.map((g) => g.shape), [[2, 3], [3, 2], [2]]);
  assert.deepEqual([...grads[2].dataSync()], [2, 2]);
  tf.dispose([x, w, b, ...grads]);
});

const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(1e-12, Math.abs(b));

for (const [name, extra] of [
  ["linear, CLIP", {}],
  ["MLP with BatchNorm and dropout, CLIP, accumulation 2", { projection: { kind: "mlp", hidden: 32, layers: 3, dropout: 0.2 } }],
  ["MLP, SigLIP", { loss: "siglip", logitScale: 10, projection: { kind: "mlp", hidden: 32, layers: 2, dropout: 0.1 } }],
] as const) {
  Deno.test(`engines: onnx and tfjs give the same loss curve on the same seed (${name})`, async () => {
    const data = toyPairs({ seed: 9 }).seen;
    const cfg = { ...quick, maxSteps: 30, evalEvery: 10, seed: 3, ...extra };
    const a = await trainProjection(data, { ...cfg, engine: "tfjs" });
    const b = await trainProjection(data, { ...cfg, engine: "onnx" });
    assert.equal(a.engine, "tfjs");
    assert.equal(b.engine, "onnx");
    assert.equal(b.history.length, a.history.length);
    assert.equal(a.history.length, 30);
    a.history.forEach((h, i) => {
      assert.ok(rel(b.history[i].loss, h.loss) < 1e-4, `step ${i + 1}: onnx ${b.history[i].loss} vs tfjs ${h.loss}`);
      if (h.valLoss !== undefined) assert.ok(rel(b.history[i].valLoss!, h.valLoss) < 1e-4, `val at step ${i + 1}`);
    });
    const m = { data: data.texts.data.subarray(0, 5 * data.texts.dim), rows: 5, dim: data.texts.dim };
    const pa = a.projection.project(m), pb = b.projection.project(m);
    pa.data.forEach((v, i) => near(pb.data[i], v, 1e-3, "trained weights agree"));
    a.projection.dispose();
    b.projection.dispose();
  });
}

Deno.test("engine choice: auto is onnx on CPU backends, tfjs on native TensorFlow or with a vision projection", async () => {
  const { chooseEngine } = await import("../lib/train/engines.ts");
  assert.equal(chooseEngine("auto", { tfBackend: "wasm", visionProjection: false }), "onnx");
  assert.equal(chooseEngine("auto", { tfBackend: "tensorflow", visionProjection: false }), "tfjs");
  assert.equal(chooseEngine("auto", { tfBackend: "wasm", visionProjection: true }), "tfjs");
  assert.throws(() => chooseEngine("onnx", { tfBackend: "wasm", visionProjection: true }), /text projection only/);
});

Deno.test("onnx engine: memory does not grow over steps", async () => {
  const world = toyPairs({ seed: 1, perClass: 40 });
  const big = { images: world.seen.images, texts: world.seen.texts, textsOf: world.seen.textsOf };
  const rss: number[] = [];
  for (const steps of [20, 200]) {
    const r = await trainProjection(big, { ...quick, engine: "onnx", maxSteps: steps, projection: { kind: "mlp", hidden: 256, layers: 3 } });
    r.projection.dispose();
    rss.push(Deno.memoryUsage().rss);
  }
  assert.ok(rss[1] - rss[0] < 64 * 1024 * 1024, `RSS grew by ${((rss[1] - rss[0]) / 2 ** 20).toFixed(0)} MiB from 20 to 200 steps`);
});
