import assert from "node:assert/strict";
import { classLeakage, contentWords, leakageAudit, leakageCounts, lemmaForms, metricsByStratum, namesAnyClass, trainingVocabulary } from "../lib/eval/leakage.ts";
import { classificationMetrics, rankOf } from "../lib/eval/metrics.ts";
import { seededRandom } from "../lib/runtime/random.ts";

Deno.test("lemma forms: plurals and possessives fold onto the singular", () => {
  assert.ok(lemmaForms("berries").includes("berry"));
  assert.ok(lemmaForms("leaves").includes("leaf"));
  assert.ok(lemmaForms("knives").includes("knife"));
  assert.ok(lemmaForms("boxes").includes("box"));
  assert.ok(lemmaForms("apples").includes("apple"));
  assert.ok(lemmaForms("dog's").includes("dog"));
  assert.ok(lemmaForms("children").includes("child"));
  assert.deepEqual(lemmaForms("glass"), ["glass"], "a word in -ss is no plural");
  assert.deepEqual(lemmaForms("gas"), ["gas"], "short words keep their s");
});

Deno.test("content words: tokenised like the word-level encoders, function words left out", () => {
  assert.deepEqual(contentWords("Face with Tears of Joy"), ["face", "tears", "joy"]);
  assert.deepEqual(contentWords("flag: United States"), ["flag", "united", "states"]);
  assert.deepEqual(contentWords("the dog's bone"), ["dog", "bone"]);
  assert.deepEqual(contentWords("a of the"), []);
});

// A toy corpus with known overlaps, class by class.
const TRAINING = [
  "A drawing of two red apples.",
  "Sea waves at sunset",
  "The cat's whiskers",
  "Strawberries and cream",
  "A man with a hat",
];

Deno.test("audit: every class's stratum on a toy corpus", () => {
  const audit = leakageAudit([
    "red apple", // both words named (apples -> apple)
    "green apple", // one of two
    "cat", // possessive in the corpus
    "strawberry", // plural in the corpus
    "men's hats", // irregular plural and plural, both named
    "sea turtle", // one of two
    "kiwi", // never named
    "the", // no content word
  ], TRAINING);
  assert.deepEqual(audit.map((a) => [a.className, a.stratum]), [
    ["red apple", "all"],
    ["green apple", "some"],
    ["cat", "all"],
    ["strawberry", "all"],
    ["men's hats", "all"],
    ["sea turtle", "some"],
    ["kiwi", "none"],
    ["the", "none"],
  ]);
  assert.deepEqual(audit[1].seenWords, ["apple"]);
  assert.deepEqual(audit[5].words, ["sea", "turtle"]);
  assert.deepEqual(leakageCounts(audit), { all: 4, some: 2, none: 2 });
});

Deno.test("audit: an empty training text leaks nothing; the class itself as training text leaks all", () => {
  const empty = trainingVocabulary([]);
  assert.equal(classLeakage("red apple", empty).stratum, "none");
  assert.equal(classLeakage("red apple", trainingVocabulary(["RED APPLES"])).stratum, "all");
});

Deno.test("strict filter: a caption naming any word of an unseen class is caught, others pass", () => {
  const names = namesAnyClass(["sea turtle", "kiwi fruit"]);
  assert.equal(names("two turtles on a beach"), true);
  assert.equal(names("Kiwis"), true);
  assert.equal(names("a red apple"), false);
  assert.equal(names("of the with"), false, "function words of a class name do not count");
  assert.deepEqual(TRAINING.filter((t) => !names(t)), ["A drawing of two red apples.", "The cat's whiskers", "Strawberries and cream", "A man with a hat"]);
});

Deno.test("metrics by stratum equal the accuracy counted item by item over each stratum", () => {
  const rng = seededRandom(7);
  const nClasses = 6, n = 90, k = 2;
  const labels = Array.from({ length: n }, (_, i) => (i * 5 + Math.floor(i / 7)) % nClasses);
  const scores = Float32Array.from({ length: n * nClasses }, () => rng.normal());
  // a signal so that accuracy is neither 0 nor 1
  labels.forEach((l, i) => (scores[i * nClasses + l] += 0.8));
  const audit = leakageAudit(["red apple", "green apple", "kiwi", "cat", "sea turtle", "mango"], TRAINING);
  const m = classificationMetrics(scores, nClasses, labels, k);
  const byStratum = metricsByStratum(m, labels, audit);
  for (const s of byStratum) {
    const items = labels.map((l, i) => [l, i]).filter(([l]) => audit[l].stratum === s.stratum);
    const ranks = items.map(([l, i]) => rankOf(scores, i, nClasses, l));
    assert.equal(s.images, items.length);
    assert.equal(s.classes, new Set(items.map(([l]) => l)).size);
    assert.ok(Math.abs(s.top1 - ranks.filter((r) => r === 0).length / items.length) < 1e-12, `${s.stratum} top-1`);
    assert.ok(Math.abs(s.topk - ranks.filter((r) => r < k).length / items.length) < 1e-12, `${s.stratum} top-k`);
    const classes = [...new Set(items.map(([l]) => l))];
    const recallOf = (c: number) => items.filter(([l, i]) => l === c && rankOf(scores, i, nClasses, l) === 0).length / items.filter(([l]) => l === c).length;
    assert.ok(Math.abs(s.meanPerClassRecall - classes.reduce((a, c) => a + recallOf(c), 0) / classes.length) < 1e-12, `${s.stratum} mean per-class`);
  }
  assert.deepEqual(byStratum.map((s) => s.classes), [2, 2, 2]);
  assert.ok(byStratum.some((s) => s.top1 > 0 && s.top1 < 1), "a non-trivial case");
  assert.throws(() => metricsByStratum(m, labels, audit.slice(1)), /5 classes audited, the metrics have 6/);
});

Deno.test("strict corpus: no kept training caption names a word of a test class; the rest is kept", async () => {
  const { strictCaptions } = await import("../lib/experiments/caption_corpus.ts");
  const items = [
    { caption: "a green turtle swimming" }, // names "turtle"
    { caption: "Two kiwis" }, // names "kiwi" (plural)
    { caption: "a red apple" },
    { caption: "sunset over the sea" }, // names "sea"
    { caption: "a smiling face" },
  ];
  const tests = ["sea turtle", "kiwi"];
  const { items: kept, dropped } = strictCaptions(items, tests);
  assert.deepEqual(kept.map((k) => k.caption), ["a red apple", "a smiling face"]);
  assert.equal(dropped, 3);
  assert.deepEqual(leakageAudit(tests, kept.map((k) => k.caption)).map((a) => a.stratum), ["none", "none"], "no leakage left");
  assert.deepEqual(leakageAudit(tests, items.map((k) => k.caption)).map((a) => a.stratum), ["all", "all"], "all of it leaked before");
  assert.equal(strictCaptions(items, []).items.length, items.length, "no test class: nothing dropped");
});

Deno.test("caption leakage rows: the task's classes audited against the run's captions, one row per stratum and metric", async () => {
  const { leakageRows, leakageTable, taskLeakage } = await import("../lib/experiments/caption_leakage.ts");
  const captions = ["a red apple", "two cats", "a smiling face"];
  const corpus = {
    train: { items: [], images: { data: new Float32Array(3), rows: 3, dim: 1 }, captions, textsOf: [[0], [1], [2]] },
  } as unknown as import("../lib/experiments/caption_corpus.ts").CaptionCorpus;
  // classes: "cat" (named), "red kiwi" (half), "sea turtle" (never); 2 + 1 + 3 images
  const task = { name: "toy", kind: "unseen", items: [], images: { data: new Float32Array(6), rows: 6, dim: 1 }, classes: ["cat", "red kiwi", "sea turtle"], labels: [0, 0, 1, 2, 2, 2] };
  const audit = taskLeakage(corpus, task);
  assert.deepEqual(audit.map((a) => a.stratum), ["all", "some", "none"]);
  const { subsetPart } = await import("../lib/experiments/caption_corpus.ts");
  const one = subsetPart(corpus.train, 1).captions;
  assert.equal(one.length, 1);
  assert.deepEqual(taskLeakage(corpus, task, 1), leakageAudit(task.classes, one), "a subset of one image is audited against its caption only");
  assert.deepEqual(leakageTable(task, audit), [{ stratum: "all", classes: 1, images: 2 }, { stratum: "some", classes: 1, images: 1 }, { stratum: "none", classes: 1, images: 3 }]);
  // scores: image rows x 3 classes; right on items 0, 2, 3 only; item 1's class second, items 4-5 third
  const scores = Float32Array.from([[9, 1, 0], [1, 9, 0], [0, 9, 1], [0, 1, 9], [9, 1, 0], [9, 1, 0]].flat());
  const m = classificationMetrics(scores, 3, task.labels, 2);
  const rows = leakageRows(m, task, audit, { vision: "v", text: "t", method: "ShareLock", seed: 0, pairs: 3 });
  const value = (stratum: string, metric: string) => rows.find((r) => r.leakage === stratum && r.metric === metric)!.value;
  assert.equal(value("all", "top1"), 1 / 2);
  assert.equal(value("all", "top2"), 1, "item 1's class is second");
  assert.equal(value("some", "top1"), 1);
  assert.equal(value("none", "top1"), 1 / 3);
  assert.equal(value("none", "top2"), 1 / 3);
  assert.ok(rows.every((r) => r.dataset === "toy" && r.method === "ShareLock" && r.images > 0));
});

Deno.test("probing leakage: unseen classes audited against the seen classes' texts; a run's metrics per stratum", async () => {
  const { toyProbingContext } = await import("./fixtures/toy.ts");
  const { probingLeakage, probingLeakageRows } = await import("../lib/experiments/probing_leakage.ts");
  // seen classes start with "c", unseen with "u" (the toy fixture's rule); names chosen for their words
  const classes = ["cat umbrella", "car blue", "umbrella", "unicorn turtle", "umbrella turtle"];
  const templates = Object.fromEntries(classes.map((c) => [c, [`a drawing of a ${c}`]]));
  const labelsOf = [0, 1, 2, 2, 3, 4, 4, 4];
  const items = labelsOf.map((l, i) => ({ item_id: `i${i}`, image_path: null, class_id: l, class_name: classes[l], caption: null, group: null, split: classes[l][0] === "c" ? "seen" : "unseen", source: "toy" }));
  const ctx = toyProbingContext({ name: "toy", items, images: { data: new Float32Array(items.length), rows: items.length, dim: 1 }, classes, templates });
  const { audit, labels } = probingLeakage(ctx, "templates");
  assert.deepEqual(audit.map((a) => [a.className, a.stratum]), [["umbrella", "all"], ["umbrella turtle", "some"], ["unicorn turtle", "none"]]);
  assert.deepEqual(Array.from(labels.unseen), [0, 0, 2, 1, 1, 1], "labels index the audited classes, in the test's order");
  // umbrella: 1 of 2 right; unicorn turtle: right; umbrella turtle: 0 of 3 right, second every time
  const unseen = classificationMetrics(Float32Array.from([[9, 0, 1], [0, 9, 1], [0, 1, 9], [9, 1, 0], [9, 1, 0], [9, 1, 0]].flat()), 3, labels.unseen, 2);
  const result = { text: "t", representation: "templates" as const, seed: 3, unseen, seen: unseen, unseenClasses: 3, trainSeconds: 0, steps: 1, cached: false };
  const rows = probingLeakageRows(result, ctx, { vision: "v", dataset: "toy", split_seed: 0 });
  const v = (leakage: string, metric: string) => rows.find((r) => r.leakage === leakage && r.metric === metric && r.split === "unseen")?.value;
  assert.equal(v("all", "mean_per_class_acc"), 0.5);
  assert.equal(v("none", "top1"), 1);
  assert.equal(v("some", "top1"), 0);
  assert.equal(v("some", "top2"), 1, "umbrella turtle is second every time");
  assert.ok(rows.every((r) => r.seed === 3 && r.text === "t" && r.dataset === "toy"));
});

Deno.test("comparisons within strata: leak-free first, paired over runs, a stratum with one run left out; groups combine their classes' strata", async () => {
  const { combinedStratum, stratumComparisons } = await import("../lib/experiments/caption_leakage.ts");
  assert.equal(combinedStratum(["none", "none"]), "none");
  assert.equal(combinedStratum(["all", "all"]), "all");
  assert.equal(combinedStratum(["all", "none"]), "some");
  assert.equal(combinedStratum(["some", "some"]), "some");
  const row = (method: string, leakage: string, seed: number, value: number) => ({ vision: "v", text: "t", dataset: "d", split: "unseen", metric: "top1", method, leakage, seed, split_seed: seed, value });
  const rows = [
    // leak-free: a is 10 points ahead on each of 3 runs (values 0.2 + 0.1 vs 0.2)
    ...[0, 1, 2].flatMap((s) => [row("a", "none", s, 0.2 + 0.01 * s + 0.1), row("b", "none", s, 0.2 + 0.01 * s)]),
    // named: b is 5 points ahead
    ...[0, 1, 2].flatMap((s) => [row("a", "all", s, 0.5 + 0.02 * s), row("b", "all", s, 0.55 + 0.02 * s)]),
    // some: one run only
    row("a", "some", 0, 0.3), row("b", "some", 0, 0.1),
  ];
  const cmp = stratumComparisons(rows, { metric: "top1" }, { method: "a" }, { method: "b" }, { pairBy: ["split_seed", "seed"], scope: "d top-1" });
  assert.deepEqual(cmp.map((c) => c.scope), ["d top-1, none", "d top-1, all"]);
  assert.ok(Math.abs(cmp[0].mean - 10) < 1e-9 && cmp[0].verdict === "ahead", JSON.stringify(cmp[0]));
  assert.ok(Math.abs(cmp[1].mean + 5) < 1e-9 && cmp[1].verdict === "behind", JSON.stringify(cmp[1]));
});

Deno.test("stratum sizes: the mean over runs of each stratum's classes and images, leak-free first, absent strata left out", async () => {
  const { stratumSizes } = await import("../lib/experiments/caption_leakage.ts");
  const row = (leakage: string, seed: number, classes: number, images: number) => ({ vision: "v", text: "t", dataset: "d", split: "unseen", metric: "top1", leakage, seed, classes, images, value: 0 });
  const rows = [row("all", 0, 10, 40), row("all", 1, 12, 44), row("none", 0, 3, 9), row("none", 1, 4, 10), { ...row("none", 2, 99, 99), metric: "top5" }];
  assert.deepEqual(stratumSizes(rows, { metric: "top1" }), [
    { stratum: "none", classes: 3.5, images: 9.5, runs: 2 },
    { stratum: "all", classes: 11, images: 42, runs: 2 },
  ]);
  assert.deepEqual(stratumSizes(rows, { metric: "top1", seed: 0 }, ["images"]), [{ stratum: "none", images: 9, runs: 1 }, { stratum: "all", images: 40, runs: 1 }]);
});
