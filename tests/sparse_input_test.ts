import assert from "node:assert/strict";
import "@tensorflow/tfjs-backend-wasm";
import { isSparseText, nonZeroShare, sparseBackward, sparseForward, sparseRows } from "../lib/train/sparse_input.ts";
import { batchedOnnxEngine } from "../lib/train/batched_engine.ts";
import { batchShape, type TrainJob, trainProjections } from "../lib/train/batched.ts";
import { createProjection, type ProjectionConfig } from "../lib/train/projection.ts";
import { PAPER_LOGIT_SCALE } from "../lib/train/losses.ts";
import { PROBING_DEFAULTS, trainProjection, type TrainConfig, type TrainResult } from "../lib/train/trainer.ts";
import { seededRandom } from "../lib/runtime/random.ts";
import { matrixRows } from "../lib/store/rows.ts";
import { selectTfBackend } from "../lib/runtime/tf_backend.ts";
import type { Matrix } from "../lib/core/matrix.ts";
import { toyPairs } from "./fixtures/toy.ts";

await selectTfBackend("auto");

/** `rows` bag-of-words-like rows of `dim`: `words` entries each, at positions drawn from `seed`, L2-normalised. */
function sparseMatrix(rows: number, dim: number, words: number, seed: number): Matrix {
  const rng = seededRandom(seed), data = new Float32Array(rows * dim);
  for (let r = 0; r < rows; r++) {
    for (let w = 0; w < words; w++) data[r * dim + rng.int(dim)] += 1;
    let sq = 0;
    for (let c = 0; c < dim; c++) sq += data[r * dim + c] ** 2;
    for (let c = 0; c < dim; c++) data[r * dim + c] /= Math.sqrt(sq);
  }
  return { data, rows, dim };
}

/** Float64 reference of x W + b and of x^T d, d's column sums. */
function dense(x: Matrix, W: Float32Array, b: Float32Array, out: number, d: Float32Array) {
  const pre = new Float64Array(x.rows * out), dW = new Float64Array(x.dim * out), db = new Float64Array(out);
  for (let r = 0; r < x.rows; r++) {
    for (let j = 0; j < out; j++) {
      let s = b[j];
      for (let i = 0; i < x.dim; i++) s += x.data[r * x.dim + i] * W[i * out + j];
      pre[r * out + j] = s;
      db[j] += d[r * out + j];
    }
    for (let i = 0; i < x.dim; i++) for (let j = 0; j < out; j++) dW[i * out + j] += x.data[r * x.dim + i] * d[r * out + j];
  }
  return { pre, dW, db };
}

const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string) => {
  assert.equal(a.length, b.length, what);
  for (let k = 0; k < b.length; k++) assert.ok(Math.abs(a[k] - b[k]) <= tol * Math.max(1, Math.abs(b[k])), `${what}[${k}]: ${a[k]} vs ${b[k]}`);
};

Deno.test("sparse first layer: forward and gradients equal the dense products (float64 reference), touching only the rows the inputs select", () => {
  const x = sparseMatrix(7, 50, 3, 1), out = 6, rng = seededRandom(2);
  x.data.fill(0, 3 * 50, 4 * 50); // an empty row
  const W = Float32Array.from({ length: 50 * out }, () => rng.normal()), b = Float32Array.from({ length: out }, () => rng.normal());
  const d = Float32Array.from({ length: 7 * out }, () => rng.normal());
  const sp = sparseRows(x.data, 7, 50);
  assert.equal(sp.start[4] - sp.start[3], 0, "the empty row has no entries");
  const ref = dense(x, W, b, out, d);
  close(sparseForward(sp, W, b, out), ref.pre, 1e-6, "pre");
  const dW = new Float32Array(50 * out), db = new Float32Array(out);
  const touched = sparseBackward(sp, d, out, dW, db);
  close(dW, ref.dW, 1e-6, "dW");
  close(db, ref.db, 1e-6, "db");
  const used = new Set<number>();
  for (let e = 0; e < sp.index.length; e++) used.add(sp.index[e]);
  assert.deepEqual([...touched], [...used].sort((p, q) => p - q));
  // a second micro-batch adds to the same buffers
  sparseBackward(sp, d, out, dW, db);
  close(dW, ref.dW.map((v) => 2 * v), 1e-6, "dW accumulated");
  assert.throws(() => sparseRows(new Float32Array(5), 2, 3), /5 values is not 2 rows of 3/);
});

Deno.test("sparse texts: wide inputs with at most 1% non-zero entries; dense or narrow ones are not", () => {
  assert.equal(isSparseText(matrixRows(sparseMatrix(300, 3600, 10, 3))), true); // a bag of words over a 3,600-word vocabulary
  assert.equal(isSparseText(matrixRows(sparseMatrix(300, 500, 2, 3))), false); // narrow
  const denseRows = sparseMatrix(40, 2048, 2048, 4);
  assert.ok(nonZeroShare(denseRows.data) > 0.5);
  assert.equal(isSparseText(matrixRows(denseRows)), false);
  assert.equal(isSparseText(matrixRows({ data: new Float32Array(0), rows: 0, dim: 2048 })), false);
});

/** Toy pairs whose texts are sparse rows of 1,200: each class's texts share words, so there is something to learn. */
function sparsePairs(seed: number) {
  const world = toyPairs({ seed, perClass: 8 }).seen, dim = 1200, rng = seededRandom(seed + 100);
  const data = new Float32Array(world.texts.rows * dim);
  for (let t = 0; t < world.texts.rows; t++) {
    const c = Math.floor(t / 3); // 3 texts per class
    for (let w = 0; w < 4; w++) data[t * dim + ((c * 37 + w * 11) % dim)] = 1;
    data[t * dim + rng.int(dim)] += 1;
  }
  return { ...world, texts: { data, rows: world.texts.rows, dim } };
}

// With BatchNorm right after the first layer, that layer's bias gradient is zero in exact arithmetic: Adam turns
// its rounding noise into steps of +-lr, so two correct summation orders move the bias apart, which only the
// evaluation mode (running statistics) sees. There the training steps are compared, and the rest without BatchNorm.
for (const [name, projection, evalToo] of [
  ["linear", { kind: "linear" }, true],
  ["MLP with dropout", { kind: "mlp", hidden: 16, layers: 3, dropout: 0.2, batchNorm: false }, true],
  ["MLP with BatchNorm and dropout, training steps", { kind: "mlp", hidden: 16, layers: 3, dropout: 0.2, batchNorm: true }, false],
] as [string, Omit<ProjectionConfig, "inDim" | "outDim">, boolean][]) {
  Deno.test(`the batched engine on sparse texts computes the dense engine's steps (${name}), to 1e-5 relative`, async () => {
    const pairs = sparsePairs(5), rows = 24, loss = { loss: "clip" as const, scale: PAPER_LOGIT_SCALE };
    const engines = await Promise.all([false, true].map((sparseInput) => {
      const runs = [0, 1].map((seed) => createProjection({ ...projection, inDim: 1200, outDim: pairs.images.dim }, seed));
      return batchedOnnxEngine(runs, loss, [{ lr: 1e-2, weightDecay: 1e-4 }, { lr: 1e-2 }], { device: "cpu", sparseInput });
    }));
    const batch = (r: number, step: number, a: number) => {
      const idx = Array.from({ length: rows }, (_, k) => (k * 7 + step * 5 + a * 3 + r) % pairs.images.rows);
      return {
        img: matrixRows(pairs.images).read(idx),
        txt: matrixRows(pairs.texts).read(idx.map((i) => pairs.textsOf[i][0])),
        rows,
        dropRng: seededRandom(1000 * r + 10 * step + a),
      };
    };
    const losses: number[][][] = [[], []];
    for (let step = 0; step < 8; step++) {
      for (const [e, engine] of engines.entries()) {
        for (let a = 0; a < 2; a++) losses[e].push(await engine.accumulate([0, 1].map((r) => batch(r, step, a)), 0.5));
        losses[e].push(engine.update([1e-2, 5e-3], [1, 1]));
        if (evalToo) losses[e].push(await engine.evalLoss([1], [batch(1, step, 9)], rows));
      }
    }
    close(losses[1].flat(), losses[0].flat(), 1e-5, "losses and norms");
    const first = losses[0][0][0], last = losses[0][losses[0].length - (evalToo ? 4 : 3)][0];
    assert.ok(last < first, `the training loss falls (${first} -> ${last})`);
    for (const r of evalToo ? [0, 1] : []) {
      const [wd, ws] = engines.map((e) => e.finish(r).snapshot());
      for (const k of Object.keys(wd)) close(ws[k].data, wd[k].data, 1e-5, `run ${r} ${k}`);
    }
    engines.forEach((e) => e.dispose());
  });
}

Deno.test("a grid of sparse and dense runs of one width: the sparse ones batch apart, each equal to its run alone", async () => {
  const sparse = sparsePairs(7), denseData = { ...sparse, texts: sparseMatrix(sparse.texts.rows, 1200, 1200, 8) };
  const cfg: Partial<TrainConfig> = { maxSteps: 12, batchSize: 32, accumulation: 1, warmup: 2, lr: 1e-2, evalEvery: 3, progress: false, engine: "onnx" };
  const jobs: TrainJob[] = [
    { data: sparse, config: { ...cfg, seed: 0 } },
    { data: denseData, config: { ...cfg, seed: 1 } },
    { data: sparsePairs(9), config: { ...cfg, seed: 2 } },
    { data: sparsePairs(11), config: { ...cfg, seed: 3, projection: { kind: "mlp", hidden: 16, layers: 3, dropout: 0.2, batchNorm: true } } },
    { data: sparsePairs(13), config: { ...cfg, seed: 4, projection: { kind: "mlp", hidden: 16, layers: 3, dropout: 0.2, batchNorm: true } } },
  ];
  assert.equal(isSparseText(matrixRows(sparse.texts)), true);
  assert.equal(isSparseText(matrixRows(denseData.texts)), false);
  const full = { ...PROBING_DEFAULTS, ...cfg } as TrainConfig, dims = { text: 1200, image: sparse.images.dim };
  assert.notEqual(batchShape(full, dims, 32, "cpu", true), batchShape(full, dims, 32, "cpu", false));
  const many = await trainProjections(jobs, { progress: false });
  const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-12);
  for (const [i, job] of jobs.entries()) {
    const alone: TrainResult = await trainProjection(job.data, job.config);
    assert.equal(many[i].steps, alone.steps);
    alone.history.forEach((h, k) => assert.ok(rel(many[i].history[k].loss, h.loss) <= 1e-5, `run ${i} step ${h.step}`));
    const wa = many[i].projection.snapshot(), wb = alone.projection.snapshot();
    for (const k of Object.keys(wb)) close(wa[k].data, wb[k].data, 1e-5, `run ${i} ${k}`);
    alone.projection.dispose();
  }
  many.forEach((r) => r.projection.dispose());
});
