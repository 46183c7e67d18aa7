import assert from "node:assert/strict";
import { join } from "node:path";
import { benchCache, workFloor, workLine } from "../scripts/bench_reproduce.ts";
import { stepFlops, trainingWork } from "../lib/train/work.ts";
import { matmulCeiling } from "../lib/train/matmul_ceiling.ts";

Deno.test("the bench cache links features, downloads and models, and none of the trained results", async () => {
  const cache = await Deno.makeTempDir(), bench = join(await Deno.makeTempDir(), "bench");
  for (const d of ["features", "models", "results", "ladder"]) await Deno.mkdir(join(cache, d));
  await Deno.writeTextFile(join(cache, "train_rates.json"), "{}");
  await Deno.writeTextFile(join(cache, "features", "f.bin"), "x");
  await Deno.mkdir(bench, { recursive: true });
  await Deno.writeTextFile(join(bench, "stale"), "left from an earlier bench");
  await benchCache(cache, bench);
  const names = [...Deno.readDirSync(bench)].map((e) => e.name).sort();
  assert.deepEqual(names, ["features", "ladder", "models"]);
  assert.equal(await Deno.readTextFile(join(bench, "features", "f.bin")), "x", "a link to the real folder");
  assert.ok((await Deno.lstat(join(bench, "features"))).isSymlink);
});

Deno.test("the work floor is the work at the cores' best MatMul rate, and its sentence says so", () => {
  const shape = { dims: [512, 1792], batch: 256 };
  const caption = trainingWork([{ ...shape, steps: 100 }]), probing = trainingWork([{ dims: [100, 1792], batch: 256, steps: 300 }]);
  const all = trainingWork([{ ...shape, steps: 100 }, { dims: [100, 1792], batch: 256, steps: 300 }]);
  const ceiling = { gflops: 150, shape: "1024 x 4096 x 4096", threads: 2, rates: [] };
  const w = workFloor({ ...all, caption, probing }, ceiling, 60);
  const floor = (100 * stepFlops(shape) + 300 * stepFlops({ dims: [100, 1792], batch: 256 })) / 150e9;
  assert.equal(w.floor_seconds, Math.round(floor * 10) / 10);
  assert.equal(w.floor_share_of_wall, +(floor / 60).toFixed(3));
  assert.deepEqual([w.runs, w.steps, w.caption_models.runs, w.probing_runs.runs], [2, 400, 1, 1]);
  assert.equal(w.tflop, +(all.flops / 1e12).toFixed(2));
  const line = workLine(w, 60);
  assert.match(line, /in 2 runs \(400 steps\)/);
  assert.match(line, /150 GFLOP\/s, 1024 x 4096 x 4096/);
  assert.match(line, new RegExp(`the floor is ${Math.round(100 * w.floor_share_of_wall)}% of it`));
});

Deno.test("the MatMul ceiling is the fastest product's rate, each product timed on the threads asked for", async () => {
  const c = await matmulCeiling({ threads: 1, sizes: [[128, 128, 128], [128, 256, 192]], repeats: 3 });
  assert.equal(c.threads, 1);
  assert.deepEqual(c.rates.map((r) => r.shape), ["128 x 128 x 128", "128 x 256 x 192"]);
  assert.equal(c.gflops, Math.max(...c.rates.map((r) => r.gflops)));
  assert.equal(c.shape, c.rates.find((r) => r.gflops === c.gflops)!.shape);
  for (const r of c.rates) {
    const [m, k, n] = r.shape.split(" x ").map(Number);
    assert.ok(Math.abs(r.gflops - (2 * m * k * n) / r.ms / 1e6) <= 0.05 * r.gflops + 0.1, `${r.shape}: GFLOP/s from its ms`);
  }
});
