import assert from "node:assert/strict";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { batchedStepGraph } from "../lib/train/batched_graph.ts";
import { PAPER_LOGIT_SCALE } from "../lib/train/losses.ts";
import { createProjection, type ProjectionConfig } from "../lib/train/projection.ts";
import { saveProjection } from "../lib/train/checkpoint.ts";
import { layerDims } from "../lib/train/step_graph.ts";
import { stepFlops, trainingWork } from "../lib/train/work.ts";
import { cacheTrainingWork, captionModelRun, headerDims, probingRun } from "../scripts/training_work.ts";

/** FLOPs of every MatMul of the step graph as built (no fusion), from onnxruntime's own profile (input shapes of each node). */
async function profiledMatmulFlops(cfg: ProjectionConfig, runs: number, batch: number, sparseInput: boolean): Promise<number> {
  const dir = await Deno.makeTempDir();
  const session = await ort.InferenceSession.create(batchedStepGraph(cfg, { loss: "clip", scale: PAPER_LOGIT_SCALE }, "train", { sparseInput }), {
    intraOpNumThreads: 1, executionMode: "sequential", graphOptimizationLevel: "disabled", enableProfiling: true, profileFilePrefix: join(dir, "step"),
  });
  const dims = layerDims(cfg), L = dims.length - 1, fill = (n: number, v: number) => new Float32Array(n).fill(v);
  const feeds: Record<string, ort.Tensor> = {
    img: new ort.Tensor("float32", Float32Array.from({ length: runs * batch * dims[L] }, (_, i) => Math.sin(i)), [runs, batch, dims[L]]),
    gscale: new ort.Tensor("float32", Float32Array.of(1), [1]),
  };
  if (!sparseInput) feeds.txt = new ort.Tensor("float32", Float32Array.from({ length: runs * batch * dims[0] }, (_, i) => Math.cos(i)), [runs, batch, dims[0]]);
  else feeds.pre0 = new ort.Tensor("float32", Float32Array.from({ length: runs * batch * dims[1] }, (_, i) => Math.cos(i)), [runs, batch, dims[1]]);
  for (const name of session.inputNames.filter((n) => !feeds[n])) {
    const [, what, i] = /^(\D+)(\d+)$/.exec(name)!, n = dims[+i + 1];
    if (what === "W") feeds[name] = new ort.Tensor("float32", Float32Array.from({ length: runs * dims[+i] * n }, (_, k) => Math.sin(3 * k) / 4), [runs, dims[+i], n]);
    else if (what === "mask") feeds[name] = new ort.Tensor("float32", fill(runs * batch * n, 1.25), [runs, batch, n]);
    else feeds[name] = new ort.Tensor("float32", fill(runs * n, what === "g" ? 1 : 0), [runs, 1, n]);
  }
  await session.run(feeds);
  const file = session.endProfiling();
  await session.release();
  let flops = 0, products = 0;
  for (const f of Deno.readDirSync(dir)) {
    for (const e of JSON.parse(Deno.readTextFileSync(join(dir, f.name))) as { cat: string; name: string; args: { op_name?: string; input_type_shape?: Record<string, number[]>[] } }[]) {
      if (e.cat !== "Node" || !e.name.endsWith("_kernel_time") || e.args.op_name !== "MatMul") continue;
      const [a, b] = e.args.input_type_shape!.map((t) => Object.values(t)[0]);
      flops += 2 * a.slice(0, -1).reduce((x, y) => x * y, 1) * a[a.length - 1] * b[b.length - 1];
      products++;
    }
  }
  await Deno.remove(dir, { recursive: true });
  assert.ok(products > 0, `no MatMul in the profile ${file}`);
  return flops;
}

Deno.test("stepFlops counts exactly the matrix products the step graph runs (onnxruntime's profile)", async () => {
  const shapes: [ProjectionConfig, number, boolean][] = [
    [{ kind: "linear", inDim: 6, outDim: 5 }, 7, false],
    [{ kind: "mlp", inDim: 6, outDim: 5, hidden: 4, layers: 3, dropout: 0.2, batchNorm: true }, 7, false],
    [{ kind: "mlp", inDim: 9, outDim: 5, hidden: 4, layers: 2, dropout: 0, batchNorm: false }, 3, true],
  ];
  for (const [cfg, batch, sparseFirst] of shapes) {
    for (const runs of [1, 2]) {
      const want = runs * stepFlops({ dims: layerDims(cfg), batch, sparseFirst });
      assert.equal(await profiledMatmulFlops(cfg, runs, batch, sparseFirst), want, `${JSON.stringify(cfg)} x ${runs} runs, sparse first layer ${sparseFirst}`);
    }
  }
});

Deno.test("stepFlops: a known value, a sparse first layer counts nothing, bad shapes are rejected", () => {
  const B = 256, logits = 2 * (2 * B * B * 1792);
  assert.equal(stepFlops({ dims: [512, 1792], batch: B }), logits + 2 * (2 * B * 512 * 1792));
  assert.equal(stepFlops({ dims: [0, 1792], batch: B, sparseFirst: true }), logits);
  assert.equal(stepFlops({ dims: [4000, 1024, 1792], batch: B, sparseFirst: true }), logits + 3 * (2 * B * 1024 * 1792));
  assert.throws(() => stepFlops({ dims: [512], batch: B }), /dims must be 2 or more/);
  assert.throws(() => stepFlops({ dims: [0, 1792], batch: B }), /dims must be 2 or more positive/);
  assert.throws(() => stepFlops({ dims: [512, 1792], batch: 0 }), /batch must be a positive whole number; got 0/);
});

Deno.test("trainingWork sums runs by shape, largest work first", () => {
  const w = trainingWork([
    { dims: [8, 4], batch: 2, steps: 10 },
    { dims: [16, 8, 4], batch: 2, steps: 5 },
    { dims: [8, 4], batch: 2, steps: 30 },
  ]);
  assert.equal(w.runs, 3);
  assert.equal(w.steps, 45);
  assert.deepEqual(w.shapes.map((s) => [s.dims.join("-"), s.runs, s.steps]), [["8-4", 2, 40], ["16-8-4", 1, 5]]);
  assert.equal(w.flops, 40 * stepFlops({ dims: [8, 4], batch: 2 }) + 5 * stepFlops({ dims: [16, 8, 4], batch: 2 }));
  assert.throws(() => trainingWork([{ dims: [8, 4], batch: 2, steps: -1 }]), /steps must be a whole number/);
});

Deno.test("a cache's stored caption models and probing runs count their shapes' work; a broken record names its file", async () => {
  const cache = await Deno.makeTempDir(), models = join(cache, "results", "caption-models"), probing = join(cache, "results", "probing");
  await Deno.mkdir(models, { recursive: true });
  await Deno.mkdir(probing, { recursive: true });
  const p = createProjection({ kind: "mlp", inDim: 6, outDim: 5, hidden: 4, layers: 3 }, 0);
  await saveProjection(join(models, "m.safetensors"), p);
  p.dispose();
  await Deno.writeTextFile(join(models, "m.json"), JSON.stringify({ text: "use-lite", steps: 12 }));
  const key = { text: { name: "word2vec-100d", dim: 100 }, vision: { dim: 1792 }, train: { batchSize: 256, projection: { kind: "linear" } } };
  await Deno.writeTextFile(join(probing, "r.json"), JSON.stringify({ key, value: { steps: 40 } }));
  await Deno.writeTextFile(join(probing, "lit.json"), JSON.stringify({ key: { ...key, text: "lit-bag-of-words" }, value: { steps: 8 } }));
  const w = await cacheTrainingWork(cache, 32);
  assert.equal(w.runs, 3);
  assert.equal(w.caption.flops, 12 * stepFlops({ dims: [6, 4, 4, 5], batch: 32 }));
  assert.equal(w.probing.flops, 40 * stepFlops({ dims: [100, 1792], batch: 256 }) + 8 * stepFlops({ dims: [0, 1792], batch: 256, sparseFirst: true }));
  assert.equal(w.flops, w.caption.flops + w.probing.flops);

  assert.throws(() => headerDims({ "layers.0.linear.weight": { shape: [4, 6] }, "layers.1.linear.weight": { shape: [5, 3] } }, "x.safetensors"), /x\.safetensors: layer 1 takes 3 inputs but layer 0 gives 4/);
  assert.throws(() => headerDims({ "layers.0.linear.weight": { shape: [4, 6] }, "layers.2.linear.weight": { shape: [5, 4] } }, "gap.safetensors"), /gap\.safetensors: no layers/);
  assert.throws(() => captionModelRun({ text: "use-lite" }, {}, 256, "y.json"), /y\.json: no "steps"/);
  assert.throws(() => probingRun({ key: { ...key, vision: {} }, value: { steps: 1 } }, "z.json"), /z\.json: no vision\.dim/);
  await Deno.writeTextFile(join(probing, "bad.json"), "{");
  await assert.rejects(() => cacheTrainingWork(cache, 32), /bad\.json/);
});
