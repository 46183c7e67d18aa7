import assert from "node:assert/strict";
import "@tensorflow/tfjs-backend-wasm";
import { trainProjection, type TrainConfig, type TrainResult } from "../lib/train/trainer.ts";
import { groupRuns, runsPerBatch, type TrainJob, trainProjections } from "../lib/train/batched.ts";
import { batchedOnnxEngine } from "../lib/train/batched_engine.ts";
import { createProjection } from "../lib/train/projection.ts";
import { PAPER_LOGIT_SCALE } from "../lib/train/losses.ts";
import { seededRandom } from "../lib/runtime/random.ts";
import { selectTfBackend } from "../lib/runtime/tf_backend.ts";
import type { Matrix } from "../lib/core/matrix.ts";
import { toyItems, toyPairs, toyProbingContext } from "./fixtures/toy.ts";
import { cachedProbingRun, cachedProbingRuns, probingRun } from "../lib/experiments/probing.ts";
import { LIT_BAG_OF_WORDS } from "../lib/baselines/lit.ts";
import { captionModel, type CaptionModelJob, captionModels } from "../lib/experiments/caption_model.ts";
import type { CaptionCorpus } from "../lib/experiments/caption_corpus.ts";
import { CAPTIONS_EMBEDDED } from "../lib/config.ts";
import type { Item } from "../lib/data/items.ts";

await selectTfBackend("auto");

const base: Partial<TrainConfig> = { maxSteps: 60, batchSize: 32, accumulation: 2, warmup: 5, lr: 1e-2, evalEvery: 5, minDelta: 0.01, progress: false, engine: "onnx" };
const MLP = { kind: "mlp" as const, hidden: 32, layers: 3, dropout: 0.2, batchNorm: true };

/** Largest relative difference |a - b| / |b| (floor 1e-12) over two runs' histories and over their weights. */
function worstDifference(batched: TrainResult, alone: TrainResult): { history: number; weights: number } {
  const rel = (a: number, b: number) => (a === b ? 0 : Math.abs(a - b) / Math.max(Math.abs(b), 1e-12));
  assert.equal(batched.history.length, alone.history.length, "same number of steps");
  let history = 0, weights = 0;
  alone.history.forEach((h, k) => {
    const b = batched.history[k];
    assert.equal(b.valLoss === undefined, h.valLoss === undefined, `validation at the same steps (step ${h.step})`);
    for (const f of ["lr", "loss", "gradNorm", "valLoss"] as const) if (h[f] !== undefined) history = Math.max(history, rel(b[f]!, h[f]!));
  });
  const wa = batched.projection.snapshot(), wb = alone.projection.snapshot();
  assert.deepEqual(Object.keys(wa).sort(), Object.keys(wb).sort());
  for (const name of Object.keys(wb)) wb[name].data.forEach((v, e) => (weights = Math.max(weights, rel(wa[name].data[e], v))));
  return { history, weights };
}

/** Train `jobs` batched and each alone; every run must agree to 1e-5 relative in history and weights. */
async function assertEquivalent(jobs: TrainJob[]): Promise<TrainResult[]> {
  const many = await trainProjections(jobs, { progress: false });
  for (const [i, job] of jobs.entries()) {
    const alone = await trainProjection(job.data, job.config);
    const d = worstDifference(many[i], alone);
    assert.ok(d.history <= 1e-5 && d.weights <= 1e-5, `run ${i}: history differs by ${d.history}, weights by ${d.weights} (relative)`);
    assert.equal(many[i].steps, alone.steps);
    assert.equal(many[i].bestStep, alone.bestStep);
    assert.equal(many[i].stoppedEarly, alone.stoppedEarly);
    alone.projection.dispose();
  }
  return many;
}

/** Four runs on different data (different image counts, so different validation batches) that stop at different steps. */
const fourRuns = (extra: Partial<TrainConfig>): TrainJob[] =>
  [0, 1, 2, 3].map((s) => ({
    data: toyPairs({ seed: 10 + s, perClass: [12, 10, 12, 9][s] }).seen,
    config: { ...base, ...extra, seed: s, patience: [1, 2, 3, 100][s] },
  }));

for (const [name, extra] of [
  ["linear, CLIP, accumulation 2", {}],
  ["MLP with BatchNorm and dropout, CLIP, accumulation 2", { projection: MLP }],
  ["MLP with BatchNorm and dropout, SigLIP", { projection: MLP, loss: "siglip", logitScale: 10, accumulation: 1 }],
] as [string, Partial<TrainConfig>][]) {
  Deno.test(`batched training: every run equals the run trained alone on its seed (${name})`, async () => {
    const many = await assertEquivalent(fourRuns(extra));
    const stops = many.map((r) => r.steps);
    assert.ok(new Set(stops).size >= 2, `runs stop at different steps (${stops})`);
    assert.ok(many.some((r) => r.stoppedEarly), "some run stops early");
    many.forEach((r) => r.projection.dispose());
  });
}

Deno.test("batched training: runs of different shapes are grouped by shape, a TF.js run trains alone, results keep the jobs' order", async () => {
  const columns = (m: Matrix, dim: number): Matrix => ({
    rows: m.rows,
    dim,
    data: Float32Array.from({ length: m.rows * dim }, (_, k) => m.data[Math.floor(k / dim) * m.dim + (k % dim)]),
  });
  const toy = (seed: number, textDim?: number) => {
    const d = toyPairs({ seed }).seen;
    return textDim ? { ...d, texts: columns(d.texts, textDim) } : d;
  };
  const jobs: TrainJob[] = [
    { data: toy(1), config: { ...base, seed: 0, maxSteps: 20 } },
    { data: toy(2, 12), config: { ...base, seed: 1, maxSteps: 20 } },
    { data: toy(3), config: { ...base, seed: 2, maxSteps: 25, batchSize: 16 } },
    { data: toy(4), config: { ...base, seed: 3, maxSteps: 20, projection: MLP } },
    { data: toy(5, 12), config: { ...base, seed: 4, maxSteps: 15 } },
    { data: toy(6), config: { ...base, seed: 5, maxSteps: 10, engine: "tfjs" } },
  ];
  const many = await assertEquivalent(jobs);
  assert.deepEqual(many.map((r) => r.projection.config.inDim), [20, 12, 20, 20, 12, 20]);
  assert.deepEqual(many.map((r) => r.steps), [20, 20, 25, 20, 15, 10]);
  assert.deepEqual(many.map((r) => r.engine), ["onnx", "onnx", "onnx", "onnx", "onnx", "tfjs"]);
  many.forEach((r) => r.projection.dispose());
});

Deno.test("grouping: runs of one key together in first-seen order, cut at the batch limit; null keys alone", () => {
  assert.deepEqual(groupRuns(["a", "b", "a", null, "a", "b"], 2), [[3], [0, 2], [4], [1, 5]]);
  assert.deepEqual(groupRuns([], 4), []);
});

Deno.test("runs per batch: on the CPU a batch's weights stay near 16 MB, on a GPU up to 64M parameters; at least 1, at most the limit", () => {
  assert.equal(runsPerBatch(512 * 1792, "cpu"), 4); // the embedded probe
  assert.equal(runsPerBatch(512 * 1024 + 1024 * 1024 + 1024 * 1792, "cpu"), 1); // the embedded caption MLP
  assert.equal(runsPerBatch(512 * 1792, "cuda"), 16);
  assert.equal(runsPerBatch(512 * 1792, "webgpu", 3), 3);
  assert.equal(runsPerBatch(4096 * 4096 * 3 + 4096 * 2048, "cuda"), 1); // the paper's MLP: one run, never none
  assert.equal(runsPerBatch(1000, "cpu", 5), 5);
});

Deno.test("the batched engine rejects runs of different shapes and micro-batches of different sizes, naming them", async () => {
  const loss = { loss: "clip" as const, scale: PAPER_LOGIT_SCALE };
  const a = createProjection({ kind: "linear", inDim: 8, outDim: 4 }, 0), b = createProjection({ kind: "linear", inDim: 6, outDim: 4 }, 1);
  await assert.rejects(batchedOnnxEngine([a, b], loss, [{}, {}], { device: "cpu" }), /run 1 has projection .*"inDim":6.*run 0 .*"inDim":8.*share a shape/);
  const c = createProjection({ kind: "linear", inDim: 8, outDim: 4 }, 2);
  const engine = await batchedOnnxEngine([a, c], loss, [{}, {}], { device: "cpu" });
  const batch = (rows: number) => ({ img: new Float32Array(rows * 4).fill(1), txt: new Float32Array(rows * 8).fill(1), rows, dropRng: seededRandom(0) });
  await assert.rejects(engine.accumulate([batch(2), batch(3)], 1), /same rows \(got 2, 3\)/);
  await assert.rejects(engine.accumulate([batch(2)], 1), /2 active runs but 1 batches/);
  engine.dispose();
  [a, b, c].forEach((p) => p.dispose());
});

Deno.test("cachedProbingRuns: a grid reads hits under cachedProbingRun's keys, trains the misses batched, each result as its run alone, and stores each", async () => {
  const w = toyPairs({ seed: 21, perClass: 6 });
  const { items, images } = toyItems(w);
  const classes = [...Array.from({ length: 30 }, (_, c) => `c${c}`), ...Array.from({ length: 10 }, (_, u) => `u${u}`)];
  const ctx = toyProbingContext({ name: "toy-grid", items, images, classes, templates: Object.fromEntries(classes.map((c) => [c, [`a drawing of a ${c}.`, `${c}`]])) });
  const train = { ...base, maxSteps: 15, batchSize: 16, progress: false as const };
  const jobs = ["random-text", LIT_BAG_OF_WORDS].flatMap((text) => [0, 1].map((seed) => ({ ctx, text, representation: "templates" as const, seed, train })));
  const cache = await Deno.makeTempDir();
  Deno.env.set("SHARELOCK_CACHE_DIR", cache);
  try {
    const first = await cachedProbingRun(ctx, jobs[2]);
    const grid = await cachedProbingRuns(jobs, { progress: false });
    assert.deepEqual(grid.map((r) => r.cached), [false, false, true, false]);
    assert.deepEqual({ ...grid[2], cached: false }, JSON.parse(JSON.stringify(first)), "the grid reads the run cached alone");
    for (const [i, job] of jobs.entries()) {
      const alone = await probingRun(ctx, job);
      assert.deepEqual([grid[i].unseen, grid[i].seen, grid[i].steps, grid[i].text], [alone.unseen, alone.seen, alone.steps, alone.text], `run ${i}`);
    }
    assert.equal([...Deno.readDirSync(`${cache}/results/probing`)].length, jobs.length);
    const again = await cachedProbingRuns(jobs, { progress: false });
    assert.deepEqual(again.map((r) => r.cached), [true, true, true, true]);
    const plain = (rs: typeof grid) => JSON.parse(JSON.stringify(rs.map((r) => ({ ...r, cached: false }))));
    assert.deepEqual(plain(again), plain(grid));
  } finally {
    Deno.env.delete("SHARELOCK_CACHE_DIR");
  }
});

Deno.test("captionModels: stored models load under captionModel's keys, the others train batched, each equal to its model trained alone", async () => {
  const rng = seededRandom(5);
  const nClasses = 8, dim = 12, per = 20;
  const centers = Array.from({ length: nClasses }, () => Array.from({ length: dim }, () => rng.normal()));
  const names = Array.from({ length: nClasses }, (_, c) => `thing${c} shade${c % 4}`);
  const labels = Array.from({ length: per * nClasses }, (_, i) => i % nClasses);
  const images = { data: Float32Array.from(labels.flatMap((c) => centers[c].map((v) => v + 0.4 * rng.normal()))), rows: labels.length, dim };
  const item = (i: number, c: number): Item => ({ item_id: `toy/${i}`, image_path: null, class_id: c, class_name: names[c], caption: names[c], group: null, split: "all", source: "toy" });
  const corpus: CaptionCorpus = {
    config: { ...CAPTIONS_EMBEDDED.corpus, vision: "toy", captionSets: ["toy"], emoji: null },
    identity: { toy: "batched v1" },
    split: null,
    train: { items: labels.map((c, i) => item(i, c)), images, captions: labels.map((c) => names[c]), textsOf: labels.map((_, i) => [i]) },
    retrieval: { items: [], images: { data: new Float32Array(0), rows: 0, dim }, captions: [], textsOf: [] },
  };
  const train = { ...base, projection: MLP, batchSize: 24, maxSteps: 25, evalEvery: 5, patience: 2 };
  const jobs: CaptionModelJob[] = [0, 1, 2].map((seed) => ({ corpus, text: LIT_BAG_OF_WORDS, seed, train }));
  jobs.push({ corpus, text: LIT_BAG_OF_WORDS, seed: 3, train, maxPairs: 100 });
  const [gridCache, aloneCache] = [await Deno.makeTempDir(), await Deno.makeTempDir()];
  try {
    Deno.env.set("SHARELOCK_CACHE_DIR", gridCache);
    (await captionModel(corpus, jobs[1])).projection.dispose();
    const seen: number[] = [];
    const grid = await captionModels(jobs, { progress: false, onModel: (i) => void seen.push(i) });
    assert.deepEqual(grid.map((m) => m.cached), [false, true, false, false]);
    assert.deepEqual([...seen].sort(), [0, 1, 2, 3], "onModel sees every model once");
    assert.equal(seen[0], 1, "the stored model comes first");
    Deno.env.set("SHARELOCK_CACHE_DIR", aloneCache);
    for (const [i, job] of jobs.entries()) {
      const alone = await captionModel(corpus, job);
      assert.equal(grid[i].key, alone.key);
      assert.deepEqual(grid[i].history, alone.history, `model ${i}: validation history`);
      const wa = grid[i].projection.snapshot(), wb = alone.projection.snapshot();
      for (const name of Object.keys(wb)) assert.deepEqual(wa[name].data, wb[name].data, `model ${i}: ${name}`);
      [grid[i], alone].forEach((m) => m.projection.dispose());
    }
  } finally {
    Deno.env.delete("SHARELOCK_CACHE_DIR");
  }
});
