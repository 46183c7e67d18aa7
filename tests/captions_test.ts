import assert from "node:assert/strict";
import {
  type CaptionCorpus,
  captionModel,
  emojiSplit,
  promptsFor,
  retrievalEval,
  retrieveImages,
  subsetPart,
  trainingSubset,
  type ZeroShotTask,
  zeroShotEval,
} from "../lib/experiments/captions.ts";
import { CAPTIONS_EMBEDDED, PROBING_NOTEBOOK_EMBEDDED, seedsFromEnv } from "../lib/config.ts";
import { captionRuns, runLabel, runSplits } from "../lib/experiments/caption_runs.ts";
import { classesPerSplit } from "../lib/report/format.ts";
import { splitClasses } from "../lib/data/splits.ts";
import { selectTfBackend } from "../lib/runtime/tf_backend.ts";
import type { Item } from "../lib/data/items.ts";
import { toyCaptionWorld } from "./fixtures/toy_captions.ts";

await selectTfBackend();

Deno.test("trainingSubset: nested, sorted, all when unbounded", () => {
  const small = trainingSubset(1000, 100), big = trainingSubset(1000, 300);
  assert.equal(small.length, 100);
  assert.ok(small.every((i) => big.includes(i)), "a smaller subset lies inside a larger one");
  assert.deepEqual(small, [...small].sort((a, b) => a - b));
  assert.equal(trainingSubset(50).length, 50);
  assert.equal(trainingSubset(50, 80).length, 50);
});

Deno.test("subsetPart renumbers the captions of the chosen images", () => {
  const part = {
    items: [], images: { data: new Float32Array(6), rows: 3, dim: 2 },
    captions: ["a0", "b0", "b1", "c0"], textsOf: [[0], [1, 2], [3]],
  };
  const s = subsetPart(part);
  assert.deepEqual(s.captions, ["a0", "b0", "b1", "c0"]);
  assert.deepEqual(s.textsOf, [[0], [1, 2], [3]]);
  const one = subsetPart(part, 1);
  assert.equal(one.idx.length, 1);
  assert.deepEqual(one.textsOf[0].map((t) => one.captions[t]), part.textsOf[one.idx[0]].map((t) => part.captions[t]));
});

Deno.test("emojiSplit is notebook 01's split: by group, disjoint, same seed same split", () => {
  const items = Array.from({ length: 40 }, (_, i) => ({ class_name: `c${i}`, group: `g${i % 8}` })) as Item[];
  const a = emojiSplit(items, { unseenFraction: 0.25, splitSeed: 3 }), b = emojiSplit(items, { unseenFraction: 0.25, splitSeed: 3 });
  assert.deepEqual([...a.unseen].sort(), [...b.unseen].sort());
  assert.equal(a.unseenGroups!.length, 2);
  for (const c of a.unseen) assert.ok(!a.seen.has(c));
  const groupOf = new Map(items.map((it) => [it.class_name, it.group!]));
  const direct = splitClasses(items.map((it) => it.class_name), { unseenFraction: 0.25, seed: 3, groupOf: (c) => groupOf.get(c)! });
  assert.deepEqual([...a.unseen].sort(), [...direct.unseen].sort());
});

Deno.test("promptsFor fills every template for every class", () => {
  const p = promptsFor(["cat", "red apple"], ["a {}.", "an icon of a {}."]);
  assert.deepEqual(p, [["a cat.", "an icon of a cat."], ["a red apple.", "an icon of a red apple."]]);
});

/** A toy caption world of 12 classes with held-out retrieval pairs (`tests/fixtures/toy_captions.ts`). */
function toyCorpus(): { corpus: CaptionCorpus; task: ZeroShotTask } {
  return toyCaptionWorld({ seed: 5, classes: 12, dim: 16, perClass: 30, testPerClass: 10, shades: 4, retrieval: true });
}

Deno.test("captionModel learns a toy caption world, above chance; the second call loads it from the cache", async () => {
  const cache = await Deno.makeTempDir();
  const before = Deno.env.get("SHARELOCK_CACHE_DIR");
  Deno.env.set("SHARELOCK_CACHE_DIR", cache);
  try {
    const { corpus, task } = toyCorpus();
    const train = {
      projection: { kind: "mlp" as const, hidden: 32, layers: 2, dropout: 0, batchNorm: true },
      batchSize: 48, maxSteps: 200, warmup: 10, lr: 1e-2, evalEvery: 20, patience: 100, minDelta: 0, progress: false as const,
    };
    const m = await captionModel(corpus, { text: "lit-bag-of-words", seed: 1, train });
    assert.equal(m.cached, false);
    assert.equal(m.pairs, 360);
    const acc = (await zeroShotEval(m, task, promptsFor(task.classes, ["{}"]))).top1;
    assert.ok(acc > 0.6, `zero-shot top-1 ${acc} should be far above chance 1/12`);
    const again = await captionModel(corpus, { text: "lit-bag-of-words", seed: 1, train });
    assert.equal(again.cached, true);
    assert.equal(again.steps, m.steps);
    assert.equal((await zeroShotEval(again, task, promptsFor(task.classes, ["{}"]))).top1, acc);
    const r = await retrievalEval(again, corpus);
    assert.ok(r.textToImage[1] > 1 / 12, `text-to-image R@1 ${r.textToImage[1]} above chance`);
    const [top] = await retrieveImages(again, [task.classes[3]], task.images, 5);
    assert.ok(top.filter((i) => task.labels[i] === 3).length >= 3, "a class name retrieves mostly its own images");
    const small = await captionModel(corpus, { text: "lit-bag-of-words", seed: 1, train, maxPairs: 60 });
    assert.equal(small.pairs, 60);
    assert.notEqual(small.key, m.key);
    await assert.rejects(() => zeroShotEval(m, task, [["x"]]), /1 prompt lists for 12 classes of toy/);
  } finally {
    if (before === undefined) Deno.env.delete("SHARELOCK_CACHE_DIR");
    else Deno.env.set("SHARELOCK_CACHE_DIR", before);
    await Deno.remove(cache, { recursive: true });
  }
});

Deno.test("seedsFromEnv: SHARELOCK_SEEDS keeps the first N default seeds, rejects what cannot pair runs", () => {
  const env = (v?: string) => new Map(v === undefined ? [] : [["SHARELOCK_SEEDS", v]]);
  assert.deepEqual(seedsFromEnv([0, 1, 2, 3, 4], env()), [0, 1, 2, 3, 4]);
  assert.deepEqual(seedsFromEnv([0, 1, 2, 3, 4], env("2")), [0, 1]);
  assert.deepEqual(seedsFromEnv([0, 1, 2, 3, 4], env("5")), [0, 1, 2, 3, 4]);
  for (const bad of ["1", "6", "two", "2.5"]) assert.throws(() => seedsFromEnv([0, 1, 2, 3, 4], env(bad)), /SHARELOCK_SEEDS=.*integer from 2 to 5/);
});

Deno.test("captionRuns: seed i on split i, splits reused in turn, repeated seeds and empty lists rejected", () => {
  assert.deepEqual(captionRuns([0, 1, 2], [0, 1, 2]), [{ splitSeed: 0, seed: 0 }, { splitSeed: 1, seed: 1 }, { splitSeed: 2, seed: 2 }]);
  const ends = captionRuns([0, 1, 2, 3, 4, 5, 6], [10, 11, 12]);
  assert.deepEqual(ends.map((r) => r.splitSeed), [10, 11, 12, 10, 11, 12, 10]);
  assert.deepEqual(ends.map((r) => r.seed), [0, 1, 2, 3, 4, 5, 6]);
  assert.deepEqual(runSplits(ends), [10, 11, 12]);
  assert.deepEqual(captionRuns([3, 4], [0]), [{ splitSeed: 0, seed: 3 }, { splitSeed: 0, seed: 4 }]);
  assert.equal(runLabel({ splitSeed: 2, seed: 7 }), "split 2, seed 7");
  assert.throws(() => captionRuns([0, 1, 0], [0, 1]), /seed 0 is listed twice/);
  assert.throws(() => captionRuns([], [0]), /no seeds/);
  assert.throws(() => captionRuns([0], []), /no split seeds/);
});

Deno.test("the embedded caption config runs each seed on its own split, notebook 01's splits", () => {
  const runs = captionRuns(CAPTIONS_EMBEDDED.seeds, CAPTIONS_EMBEDDED.splitSeeds);
  assert.equal(new Set(runs.map((r) => r.splitSeed)).size, Math.min(CAPTIONS_EMBEDDED.seeds.length, CAPTIONS_EMBEDDED.splitSeeds.length));
  for (const s of CAPTIONS_EMBEDDED.splitSeeds) assert.ok(PROBING_NOTEBOOK_EMBEDDED.splitSeeds.includes(s), `split ${s} is one of notebook 01's`);
  for (const seeds of [CAPTIONS_EMBEDDED.scalingEndSeeds.smallest, CAPTIONS_EMBEDDED.scalingEndSeeds.largest]) {
    const ends = captionRuns(seeds, CAPTIONS_EMBEDDED.splitSeeds);
    assert.deepEqual(runSplits(ends), CAPTIONS_EMBEDDED.splitSeeds.slice(0, ends.length));
    // the first runs at each end are the main runs, so their models are shared through the cache
    assert.deepEqual(ends.slice(0, runs.length), runs.slice(0, ends.length));
  }
});

Deno.test("classesPerSplit: the range of unseen classes and the mean chance over splits", () => {
  const s = classesPerSplit([418, 359, 476]);
  assert.equal(s.range, "359-476");
  assert.ok(Math.abs(s.meanChancePct - (100 / 418 + 100 / 359 + 100 / 476) / 3) < 1e-12);
  assert.deepEqual(classesPerSplit([10, 10]), { range: "10", meanChancePct: 10 });
  assert.throws(() => classesPerSplit([]), /no splits/);
});

Deno.test("evaluation by leakage stratum: the same rows as the plain evaluation, and each stratum's accuracy from the same classification", async () => {
  const { evaluateCaptionModelByStratum, evaluateCaptionModel, captionMethod } = await import("../lib/experiments/caption_eval.ts");
  const { leakageRows, taskLeakage } = await import("../lib/experiments/caption_leakage.ts");
  const { evaluate } = await import("../lib/eval/evaluate.ts");
  const cache = await Deno.makeTempDir(), before = Deno.env.get("SHARELOCK_CACHE_DIR");
  Deno.env.set("SHARELOCK_CACHE_DIR", cache);
  try {
    const { corpus, task: named } = toyCorpus();
    // half the classes keep their captioned names (leaked), the others get names no caption has (leak-free)
    const task = { ...named, classes: named.classes.map((c, i) => (i % 2 ? `blorp${i} zing${i}` : c)) };
    const train = { projection: { kind: "linear" as const }, batchSize: 48, maxSteps: 30, warmup: 2, evalEvery: 10, progress: false as const };
    const m = await captionModel(corpus, { text: "lit-bag-of-words", seed: 2, train });
    const opts = { templates: ["{}"], method: "LiT-style", retrieval: true };
    const { rows, strata } = await evaluateCaptionModelByStratum(m, corpus, [task], opts);
    assert.deepEqual(rows, await evaluateCaptionModel(m, corpus, [task], opts), "the plain evaluation is the same rows");
    const direct = await evaluate(captionMethod(m), { kind: "classification", name: task.name, images: task.images, labels: task.labels, classTexts: promptsFor(task.classes, ["{}"]) });
    assert.deepEqual(rows.filter((r) => r.dataset === "toy").map((r) => [r.metric, r.value]), direct.map((r) => [r.metric, r.value]));
    const base = { vision: "toy", text: m.text, method: "LiT-style", seed: m.seed, pairs: m.pairs };
    const m2 = await zeroShotEval(m, task, promptsFor(task.classes, ["{}"]));
    assert.deepEqual(strata, leakageRows(m2, task, taskLeakage(corpus, task), base));
    assert.deepEqual([...new Set(strata.map((r) => r.leakage))].sort(), ["all", "none"]);
    assert.equal(strata.filter((r) => r.metric === "top1").reduce((a, r) => a + r.images, 0), task.labels.length, "the strata cover every test image once");
    assert.deepEqual((await evaluateCaptionModelByStratum(m, corpus, [task], { ...opts, strata: false })).strata, []);
    m.projection.dispose();
  } finally {
    if (before === undefined) Deno.env.delete("SHARELOCK_CACHE_DIR");
    else Deno.env.set("SHARELOCK_CACHE_DIR", before);
    await Deno.remove(cache, { recursive: true });
  }
});
