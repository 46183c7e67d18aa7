import assert from "node:assert/strict";
import { selectTfBackend } from "../lib/runtime/tf_backend.ts";
import { classificationMetrics } from "../lib/eval/metrics.ts";
import { classPrototypes, sentenceAveragedScores, zeroShotScores } from "../lib/eval/zeroshot.ts";
import { retrievalRecall, winogroundScores } from "../lib/eval/retrieval.ts";
import { normalizeRows, selectRows, similarity } from "../lib/eval/similarity.ts";
import { asifScores } from "../lib/baselines/asif.ts";
import { cosineSimilarityOnDevice } from "../lib/eval/similarity_on_device.ts";
import { linearProbe } from "../lib/baselines/linear_probe.ts";
import { trainProjection } from "../lib/train/trainer.ts";
import { toyPairs } from "./fixtures/toy.ts";
import type { Matrix } from "../lib/store/feature_store.ts";

await selectTfBackend();
const M = (rows: number[][]): Matrix => ({ data: Float32Array.from(rows.flat()), rows: rows.length, dim: rows[0].length });

Deno.test("metrics: top-1, top-5 and mean per-class recall on an unbalanced set", () => {
  // 3 classes; class 0 has 4 items (3 right), class 1 has 1 item (right), class 2 has 1 item (wrong, ranked 2nd)
  const scores = Float32Array.from([
    [9, 1, 0], [9, 1, 0], [9, 1, 0], [1, 9, 0], // class 0 items
    [0, 9, 1], // class 1
    [0, 9, 5], // class 2: second
  ].flat());
  const m = classificationMetrics(scores, 3, [0, 0, 0, 0, 1, 2], 2);
  assert.equal(m.top1, 4 / 6);
  assert.equal(m.topk, 1, "top-k with k = 2 here");
  assert.equal(m.k, 2);
  assert.deepEqual(m.perClassRecall, [0.75, 1, 0]);
  assert.deepEqual(m.perClassTopk, [1, 1, 1], "class 0's miss and class 2's item are second, inside k = 2");
  assert.equal(m.meanPerClassRecall, (0.75 + 1 + 0) / 3, "balanced accuracy differs from top-1 on unbalanced data");
  assert.throws(() => classificationMetrics(scores, 4, [0]), /expected 1 x 4/);
});

Deno.test("zero-shot: template prototypes are normalised averages; sentence scores average per class", () => {
  const texts = M([[2, 0], [0, 2], [0, 3], [1, 1]]);
  const protos = classPrototypes(texts, [0, 0, 1, 1], 2);
  const s = Math.SQRT1_2;
  assert.deepEqual([...protos.data].map((x) => +x.toFixed(5)), [s, s, 0.38268, 0.92388].map((x) => +x.toFixed(5)));
  const scores = zeroShotScores(M([[1, 0]]), protos);
  assert.ok(Math.abs(scores[0] - 100 * s) < 1e-3);
  const avg = sentenceAveragedScores(M([[1, 0]]), texts, [0, 0, 1, 1], 2);
  assert.ok(Math.abs(avg[0] - 50) < 1e-3 && Math.abs(avg[1] - 100 * s / 2) < 1e-3);
  assert.throws(() => classPrototypes(texts, [0, 0, 0, 0], 2), /no text for class\(es\) 1/);
});

Deno.test("class prototypes equal the unit rows averaged and renormalised, bit for bit (no normalised copy)", () => {
  const rng = (k: number) => Math.sin(k * 12.9898) * 43758.5453 % 1;
  const texts: Matrix = { rows: 40, dim: 33, data: Float32Array.from({ length: 40 * 33 }, (_, k) => rng(k)) };
  texts.data.fill(0, 5 * 33, 6 * 33); // a zero row stays zero
  const classOf = Array.from({ length: 40 }, (_, r) => r % 7);
  const unit = normalizeRows(texts), sum = new Float32Array(7 * 33);
  for (let r = 0; r < 40; r++) for (let k = 0; k < 33; k++) sum[classOf[r] * 33 + k] += unit.data[r * 33 + k];
  assert.deepEqual(classPrototypes(texts, classOf, 7).data, normalizeRows({ data: sum, rows: 7, dim: 33 }).data);
});

Deno.test("cosine similarities on the device equal TF.js's, in one chunk and in several; zero rows give 0; dimensions are checked", async () => {
  const rng = (k: number) => Math.cos(k * 7.31) * 3;
  const a: Matrix = { rows: 37, dim: 20, data: Float32Array.from({ length: 37 * 20 }, (_, k) => rng(k)) };
  const b: Matrix = { rows: 11, dim: 20, data: Float32Array.from({ length: 11 * 20 }, (_, k) => rng(k + 999)) };
  a.data.fill(0, 0, 20);
  const reference = similarity(normalizeRows(a), normalizeRows(b));
  for (const chunk of [undefined, 8]) {
    const s = await cosineSimilarityOnDevice(a, b, { device: "cpu", chunk });
    assert.equal(s.length, 37 * 11);
    s.forEach((v, k) => assert.ok(Math.abs(v - reference[k]) < 1e-6, `chunk ${chunk}: [${k}] ${v} vs ${reference[k]}`));
    assert.ok(s.slice(0, 11).every((v) => v === 0), "a zero row's similarities are 0");
  }
  assert.equal((await cosineSimilarityOnDevice({ rows: 0, dim: 20, data: new Float32Array(0) }, b, { device: "cpu" })).length, 0);
  await assert.rejects(cosineSimilarityOnDevice(a, { rows: 1, dim: 3, data: new Float32Array(3) }, { device: "cpu" }), /20-d rows against 3-d rows/);
});

Deno.test("similarity helpers", () => {
  assert.deepEqual([...normalizeRows(M([[3, 4], [0, 0]])).data].map((x) => +x.toFixed(6)), [0.6, 0.8, 0, 0]);
  assert.deepEqual([...selectRows(M([[1], [2], [3]]), [2, 0]).data], [3, 1]);
  assert.deepEqual([...similarity(M([[1, 2]]), M([[3, 4], [1, 0]]))], [11, 1]);
  assert.throws(() => similarity(M([[1]]), M([[1, 2]])), /1-d rows against 2-d/);
});

Deno.test("retrieval recall@k both ways, with several captions per image", () => {
  const images = M([[1, 0], [0, 1]]);
  const texts = M([[1, 0.1], [0.9, 0.2], [0.2, 1], [1, 0]]); // captions 0,1 -> image 0; 2,3 -> image 1
  const r = retrievalRecall(images, texts, [0, 0, 1, 1], [1, 2]);
  assert.equal(r.imageToText[1], 0.5, "image 0's best text is caption 3, which belongs to image 1");
  assert.equal(r.imageToText[2], 1, "its own caption 0 is second");
  assert.equal(r.textToImage[1], 0.75, "caption 3 points at the wrong image");
  assert.equal(r.textToImage[2], 1);
});

Deno.test("Winoground text / image / group scores", () => {
  // group A: all right; group B: text right, image wrong
  const S: Record<string, number> = { "0,0": 5, "0,1": 1, "1,0": 1, "1,1": 5, "2,2": 5, "2,3": 1, "3,2": 6, "3,3": 7 };
  const sim = (i: number, t: number) => S[`${i},${t}`];
  const w = winogroundScores([{ images: [0, 1], texts: [0, 1] }, { images: [2, 3], texts: [2, 3] }], sim);
  assert.deepEqual([w.text, w.image, w.group], [1, 0.5, 0.5]);
  assert.equal(w.chance.group, 1 / 6);
});

const train = { maxSteps: 150, batchSize: 64, accumulation: 1, warmup: 10, lr: 1e-2, evalEvery: 10, patience: 100, minDelta: 0, progress: false as const, seed: 0 };

function unseenAccuracy(world: ReturnType<typeof toyPairs>, projection: { project(m: Matrix): Matrix }) {
  const u = world.unseen;
  const protos = classPrototypes(projection.project(u.texts), u.textClass, u.nClasses);
  return classificationMetrics(zeroShotScores(u.images, protos), u.nClasses, u.labels).meanPerClassRecall;
}

Deno.test("training on SEEN toy classes reaches high accuracy on UNSEEN ones when texts share the images' structure, chance when they are random", async () => {
  const real = toyPairs({ seed: 4 });
  const r = await trainProjection(real.seen, train);
  const acc = unseenAccuracy(real, r.projection);
  assert.ok(acc > 0.7, `unseen accuracy with structured texts: ${acc} (chance 0.1)`);
  const random = toyPairs({ seed: 4, randomText: true });
  const rr = await trainProjection(random.seen, train);
  const accRandom = unseenAccuracy(random, rr.projection);
  assert.ok(accRandom < 0.3, `unseen accuracy with random texts: ${accRandom} (chance 0.1)`);
  r.projection.dispose();
  rr.projection.dispose();
});

Deno.test("the MLP projection and SigLIP loss also transfer to unseen toy classes", async () => {
  const world = toyPairs({ seed: 5 });
  const r = await trainProjection(world.seen, { ...train, loss: "siglip", logitScale: 10, projection: { kind: "mlp", hidden: 64, layers: 2, dropout: 0 } });
  const acc = unseenAccuracy(world, r.projection);
  assert.ok(acc > 0.5, `MLP + SigLIP unseen accuracy ${acc}`);
  r.projection.dispose();
});

Deno.test("ASIF: training-free matching through anchors beats chance on the toy world", () => {
  const world = toyPairs({ seed: 6, seenClasses: 40 });
  const anchors = { images: world.seen.images, texts: selectRows(world.seen.texts, world.seen.textsOf.map((t) => t[0])) };
  const u = world.unseen;
  const protoTexts = classPrototypes(u.texts, u.textClass, u.nClasses);
  const scores = asifScores(u.images, protoTexts, anchors, { k: 60, p: 4 });
  const acc = classificationMetrics(scores, u.nClasses, u.labels).top1;
  assert.ok(acc > 0.3, `ASIF unseen accuracy ${acc} (chance 0.1)`);
  assert.throws(() => asifScores(u.images, protoTexts, { images: anchors.images, texts: u.texts }), /same count/);
});

Deno.test("linear probe separates seen classes of the toy world", async () => {
  const world = toyPairs({ seed: 7 });
  const labels = world.seen.textsOf.map((t) => Math.floor(t[0] / 3));
  const probe = await linearProbe(world.seen.images, labels, 30, { steps: 200, lr: 0.05 });
  const acc = classificationMetrics(probe.scores(world.seen.images), 30, labels).top1;
  assert.ok(acc > 0.8, `probe accuracy ${acc}`);
  probe.dispose();
});

Deno.test("LiT-style bag-of-words tower: learns seen words, knows nothing of unseen ones", async () => {
  const { bagOfWordsEncoder } = await import("../lib/baselines/lit.ts");
  const bow = bagOfWordsEncoder(["red apple", "red car", "green apple"], { maxVocab: 3 });
  assert.equal(bow.identity.dim, 3);
  const [a, b] = await bow.embed(["red apple", "blue whale"]);
  assert.ok(Math.abs(Math.hypot(...a) - 1) < 1e-6);
  assert.deepEqual([...b], [0, 0, 0], "unseen words give nothing");
  assert.equal(bow.oovRate!(), 2 / 4);
  assert.throws(() => bagOfWordsEncoder(["!!!"]), /no words/);
  // trained on seen classes' words, it cannot transfer to classes named with new words
  const world = toyPairs({ seed: 11, seenClasses: 20, unseenClasses: 5 });
  const names = (c: number) => `class word${c}`;
  const seenTexts = Array.from({ length: 20 }, (_, c) => names(c));
  const tower = bagOfWordsEncoder(seenTexts);
  const tx = await tower.embed(seenTexts);
  const texts = { data: Float32Array.from(tx.flatMap((v) => [...v])), rows: 20, dim: tower.identity.dim };
  const r = await trainProjection({ images: world.seen.images, texts, textsOf: world.seen.textsOf.map((t) => [Math.floor(t[0] / 3)]) }, train);
  const unseen = await tower.embed(Array.from({ length: 5 }, (_, u) => names(20 + u)));
  const protos = r.projection.project({ data: Float32Array.from(unseen.flatMap((v) => [...v])), rows: 5, dim: tower.identity.dim });
  const acc = classificationMetrics(zeroShotScores(world.unseen.images, protos), 5, world.unseen.labels).meanPerClassRecall;
  assert.ok(acc <= 0.4, `bag-of-words tower on unseen names: ${acc} (chance 0.2)`);
  const seenAcc = classificationMetrics(zeroShotScores(world.seen.images, r.projection.project(texts)), 20, world.seen.textsOf.map((t) => Math.floor(t[0] / 3))).top1;
  assert.ok(seenAcc > 0.7, `but it fits the seen classes: ${seenAcc}`);
  r.projection.dispose();
});

Deno.test("evaluate(method, task): classification (prototype and mean-score), retrieval and Winoground rows with known values", async () => {
  const { evaluate } = await import("../lib/eval/evaluate.ts");
  const { cosineSimilarity } = await import("../lib/eval/similarity.ts");
  // texts name axes: "x" -> [1, 0], "y" -> [0, 1], "xy" -> [1, 1]
  const vec: Record<string, number[]> = { x: [1, 0], y: [0, 1], xy: [1, 1] };
  const method = { name: "toy", embedTexts: (ts: string[]) => Promise.resolve(M(ts.map((t) => vec[t]))), similarity: cosineSimilarity };
  const images = M([[1, 0.1], [0.1, 1], [1, 0.9]]);
  const cls = await evaluate(method, { kind: "classification", name: "c", images, labels: [0, 1, 0], classTexts: [["x", "xy"], ["y"]], k: 1 });
  // prototypes: class 0 = normalise(x + xy/|xy|), class 1 = y; image 2 ([1, 0.9]) is closer to class 0's prototype
  assert.deepEqual(cls.map((r) => [r.metric, r.value, r.k]), [["top1", 1, 1], ["top1", 1, 1], ["mean_per_class_acc", 1, undefined]]);
  const ms = await evaluate(method, { kind: "classification", name: "c", images: M([[0.2, 1]]), labels: [0], classTexts: [["x", "xy"], ["y"]], aggregate: "mean-score" });
  // mean-score: class 0 = (cos(img, x) + cos(img, xy)) / 2 = (0.196 + 0.832) / 2 = 0.514 < cos(img, y) = 0.981 -> wrong
  assert.equal(ms.find((r) => r.metric === "top1")!.value, 0);
  const ret = await evaluate(method, { kind: "retrieval", name: "r", images: M([[1, 0], [0, 1]]), texts: ["y", "x", "x"], textImage: [1, 0, 0], ks: [1] });
  assert.deepEqual(ret.map((r) => [r.metric, r.value]), [["image_to_text_r1", 1], ["text_to_image_r1", 1]]);
  const wg = await evaluate(method, { kind: "winoground", name: "w", images: M([[1, 0], [0, 1]]), texts: ["x", "y"], groups: [{ images: [0, 1], texts: [0, 1] }, { images: [0, 1], texts: [1, 0] }] });
  assert.deepEqual(wg.map((r) => [r.metric, r.value]), [["winoground_text", 0.5], ["winoground_image", 0.5], ["winoground_group", 0.5]]);
  await assert.rejects(() => evaluate(method, { kind: "classification", name: "one", images, labels: [0, 0, 0], classTexts: [["x"]] }), /1 classes/);
});
