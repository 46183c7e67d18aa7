import assert from "node:assert/strict";
import { bootstrapInterval, correlationReport, pearson, permutationPValue, ranks, spearman } from "../lib/stats/correlation.ts";
import { meanInterval, overSeeds } from "../lib/stats/intervals.ts";
import { runsFrame, summarizeRuns } from "../lib/stats/aggregate.ts";
import { seededRandom } from "../lib/runtime/random.ts";

Deno.test("Pearson and Spearman against known values", () => {
  assert.ok(Math.abs(pearson([1, 2, 3, 4, 5], [2, 4, 5, 4, 5]) - 0.7745966692414834) < 1e-12);
  assert.ok(Math.abs(pearson([1, 2, 3], [3, 2, 1]) + 1) < 1e-12);
  assert.deepEqual(ranks([10, 20, 20, 5]), [2, 3.5, 3.5, 1]);
  assert.ok(Math.abs(spearman([1, 2, 3, 4], [1, 8, 27, 64]) - 1) < 1e-12);
  assert.throws(() => pearson([1, 2], [1, 2]), /at least 3 points/);
  assert.throws(() => pearson([1, 2, 3], [1, 2]), /3 x values but 2 y values/);
});

Deno.test("bootstrap interval covers r; permutation p-value small for a real correlation, large for noise", () => {
  const rng = seededRandom(1);
  const x = Array.from({ length: 30 }, (_, i) => i);
  const y = x.map((v) => v + 5 * rng.normal());
  const noise = x.map(() => rng.normal());
  const r = pearson(x, y);
  const [lo, hi] = bootstrapInterval(x, y, pearson, { n: 2000, seed: 2 });
  assert.ok(lo < r && r < hi && hi - lo < 0.5, `[${lo}, ${hi}] around ${r}`);
  assert.ok(permutationPValue(x, y, { n: 2000 }) < 0.01);
  assert.ok(permutationPValue(x, noise, { n: 2000 }) > 0.05);
  const rep = correlationReport(x, y, { n: 500, seed: 0 });
  assert.equal(rep.n, 30);
  assert.deepEqual(correlationReport(x, y, { n: 500, seed: 0 }), rep, "seeded: same report twice");
});

Deno.test("mean, std and 95% t-interval over seeds", async () => {
  const s = meanInterval([1, 2, 3, 4, 5]);
  assert.equal(s.mean, 3);
  assert.ok(Math.abs(s.std - 1.5811388) < 1e-6);
  assert.ok(Math.abs(s.ci[1] - 3 - (2.776 * 1.5811388) / Math.sqrt(5)) < 1e-3);
  assert.deepEqual(meanInterval([7]).ci, [7, 7]);
  assert.throws(() => meanInterval([1, NaN]), /non-finite/);
  const o = await overSeeds([0, 1, 2], (seed) => Promise.resolve(seed * 2));
  assert.deepEqual(o.values, [0, 2, 4]);
});

Deno.test("runs as a DataFrame, summarised per group", () => {
  const rows = [0, 1, 2].flatMap((seed) => [
    { vision: "mn", text: "use", dataset: "d", split: "unseen", seed, metric: "top1", value: 0.3 + seed * 0.01 },
    { vision: "mn", text: "rnd", dataset: "d", split: "unseen", seed, metric: "top1", value: 0.1 },
  ]);
  const df = runsFrame(rows);
  assert.equal(df.height, 6);
  const s = summarizeRuns(df, ["text"]).toRecords() as Record<string, number | string>[];
  const use = s.find((r) => r.text === "use")!;
  assert.ok(Math.abs((use.mean as number) - 0.31) < 1e-9);
  assert.equal(use.n, 3);
  assert.ok((s.find((r) => r.text === "rnd")!.std as number) < 1e-12);
});

Deno.test("a constant measure has no bootstrap interval: [NaN, NaN], not undefined ends", () => {
  const r = correlationReport([90, 90, 90, 90, 90], [1, 2, 3, 4, 5], { n: 200, seed: 0 });
  assert.equal(r.ci.length, 2);
  assert.ok(Number.isNaN(r.ci[0]) && Number.isNaN(r.ci[1]), `ci ${r.ci}`);
  assert.ok(Number.isNaN(r.pearson));
});
