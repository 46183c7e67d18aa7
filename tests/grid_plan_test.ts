/**
 * A grid's plan before it trains: the measured speed per shape (`lib/train/rates.ts`), recorded by the
 * batched trainer and read back as a hint, and the plan's line (`lib/train/grid_plan.ts`).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { estimateSeconds, rateKey, readRates, recordRate } from "../lib/train/rates.ts";
import { planText } from "../lib/train/grid_plan.ts";
import { trainProjections } from "../lib/train/batched.ts";
import { seededRandom } from "../lib/runtime/random.ts";

const linear = { kind: "linear" as const, inDim: 8, outDim: 4 };

Deno.test("the plan says what is cached, what trains and how long it takes at the measured speed", () => {
  const runs = [{ projection: linear, batch: 16, steps: 100 }, { projection: linear, batch: 16, steps: 50 }];
  const key = rateKey(linear, 16);
  assert.equal(
    planText("probes", 3, runs, {}),
    "probes: 5 in the grid, 3 cached, 2 to train (at most 150 steps, 1 shape); time: no speed measured yet for this shape",
  );
  // 150 run-steps at 400 ms each: 60 s
  assert.equal(estimateSeconds({ [key]: { msPerRunStep: 400, runSteps: 10 } }, runs.map((r) => ({ key, steps: r.steps }))), 60);
  assert.match(planText("probes", 3, runs, { [key]: { msPerRunStep: 400, runSteps: 10 } }), /time: at most 60 s at the speed measured for this shape/);
  const mlp = { kind: "mlp" as const, inDim: 8, outDim: 4, hidden: 6, layers: 2 };
  assert.notEqual(rateKey(mlp, 16), key);
  assert.match(planText("g", 0, [...runs, { projection: mlp, batch: 16, steps: 10 }], { [key]: { msPerRunStep: 1, runSteps: 1 } }), /2 shapes\); time: no speed measured yet for 1 of 2 shapes/);
  assert.equal(planText("g", 4, [], {}), "g: 4 in the grid, 4 cached, 0 to train; nothing to train");
});

Deno.test("rates: a recorded rate reads back; a missing, malformed or hostile file means no estimate", async () => {
  const dir = await Deno.makeTempDir(), path = join(dir, "train_rates.json");
  assert.deepEqual(await readRates(path), {});
  await recordRate("a", { msPerRunStep: 2.5, runSteps: 40 }, path);
  await recordRate("b", { msPerRunStep: 1, runSteps: 4 }, path);
  assert.deepEqual(await readRates(path), { a: { msPerRunStep: 2.5, runSteps: 40 }, b: { msPerRunStep: 1, runSteps: 4 } });
  for (const text of ["{not json", "[1,2]", "null", '{"a": {"msPerRunStep": -1, "runSteps": 3}, "b": "fast"}']) {
    await Deno.writeTextFile(path, text);
    assert.deepEqual(await readRates(path), {}, text);
  }
});

Deno.test("the batched trainer records the speed of each shape it trains", async () => {
  const dir = await Deno.makeTempDir(), before = Deno.env.get("SHARELOCK_CACHE_DIR");
  Deno.env.set("SHARELOCK_CACHE_DIR", dir);
  try {
    const rng = seededRandom(3), gauss = (n: number) => Float32Array.from({ length: n }, () => rng.normal());
    const data = { images: { rows: 40, dim: 4, data: gauss(160) }, texts: { rows: 40, dim: 8, data: gauss(320) }, textsOf: Array.from({ length: 40 }, (_, i) => [i]) };
    const runs = await trainProjections([0, 1].map((seed) => ({ data, config: { seed, batchSize: 16, maxSteps: 5, evalEvery: 5, engine: "onnx" as const, progress: false } })), { progress: false });
    runs.forEach((r) => r.projection.dispose());
    const rates = await readRates(join(dir, "train_rates.json"));
    const rate = rates[rateKey({ kind: "linear", inDim: 8, outDim: 4 }, 16)];
    assert.ok(rate, `a rate for the linear 8 -> 4 shape at batch 16: ${JSON.stringify(rates)}`);
    assert.equal(rate.runSteps, 10, "two runs of five steps");
    assert.ok(rate.msPerRunStep > 0);
  } finally {
    if (before === undefined) Deno.env.delete("SHARELOCK_CACHE_DIR");
    else Deno.env.set("SHARELOCK_CACHE_DIR", before);
  }
});
